// Swagger UI for /docs, started from a file (the page's Content-Security-Policy allows no
// inline script). Everything it loads is served by the package itself.
"use strict";
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json", dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true,
    validatorUrl: null, tryItOutEnabled: true, showExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});

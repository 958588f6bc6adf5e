"""Cross-site request refusal and security headers for the monitor, as one ASGI middleware.

Basic auth alone does not stop cross-site request forgery: a browser that
knows the password sends it with *any* request to the monitor, also one
triggered by another site's form or script. So every state-changing request
(POST, PUT, PATCH, DELETE) must pass three checks before it reaches a route:

1. ``Sec-Fetch-Site``, when the browser sends it, is ``same-origin`` or ``none``
   (typed by the user); ``same-site`` and ``cross-site`` are refused.
2. ``Origin``, when present, is this server's own origin (scheme + Host) or
   one of the configured trusted origins; ``null`` and others are refused.
3. The body is declared ``application/json``: an HTML form can only send
   url-encoded, multipart or text/plain, and a cross-site ``fetch`` with JSON
   needs a CORS preflight that this app never grants.

Scripts (curl, httpx) send neither header and pass by sending JSON. GET
requests never change anything, so they need no such check. Every response
also carries headers that forbid framing (no clickjacking of the chaos
buttons), sniffing, referrers and any script or style from elsewhere.
"""
from __future__ import annotations

import json
from typing import Awaitable, Callable, Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SiteGuard", "cross_site_reason", "UNSAFE_METHODS", "SECURITY_HEADERS"]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "content-security-policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
}


def own_origin(scope: Scope, headers: Headers) -> str:
    host = headers.get("host", "")
    return f"{scope.get('scheme', 'http')}://{host}".lower()


def cross_site_reason(scope: Scope, headers: Headers, trusted: Iterable[str] = ()) -> tuple[str, str] | None:
    """``(header, why)`` when this unsafe request looks cross-site, else None."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
        return "Sec-Fetch-Site", f"Sec-Fetch-Site is {fetch_site!r}: only same-origin requests may act"
    origin = headers.get("origin")
    if origin is not None:
        allowed = {own_origin(scope, headers)} | {t.rstrip("/").lower() for t in trusted}
        if origin.rstrip("/").lower() not in allowed:
            return "Origin", f"Origin {origin[:100]!r} is not this server"
    return None


class SiteGuard:
    """Refuses cross-site or non-JSON unsafe requests (403 / 415) and adds security headers."""

    def __init__(self, app: ASGIApp, trusted_origins: Iterable[str] = (),
                 on_refused: Callable[[Scope, str, str], Awaitable[None]] | None = None):
        self.app = app
        self.trusted = tuple(trusted_origins)
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = "/static/" in scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not is_static:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        if scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            refused = cross_site_reason(scope, headers, self.trusted)
            if refused is not None:
                field, why = refused
                if self.on_refused is not None:
                    await self.on_refused(scope, field, why)
                await self._problem(send_with_headers, 403, "cross_site_refused", why, field)
                return
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                await self._problem(send_with_headers, 415, "unsupported_media_type",
                                    "send the body as JSON with 'Content-Type: application/json' "
                                    "(an empty body may be {})", "Content-Type")
                return
        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _problem(send: Send, status: int, error: str, detail: str, field: str) -> None:
        body = json.dumps({"error": error, "detail": detail, "field": field}).encode("utf-8")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode("ascii"))]})
        await send({"type": "http.response.body", "body": body})

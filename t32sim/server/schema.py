"""What the OpenAPI schema says beyond the handlers' signatures: the bodies ``/apply``
accepts, every error a route can answer (the shared ``{error, detail, field}`` body), the
simulated answers of ``/lb/select`` and ``/proxy``, and the "exactly one of" rules."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from t32sim.web import error_responses
from t32sim.web.errors import ERROR_CONTENT

__all__ = ["APPLY_BODY", "READ_ERRORS", "COMMAND_ERRORS", "SELECT_RESPONSES",
           "PROXY_RESPONSES", "one_of", "GUARD_ERRORS", "exactly_one_of_parameters"]

_EXAMPLE = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  replicas: 3\n"
            "  image: local://demo@v1\n")
APPLY_BODY = {"requestBody": {"required": True, "content": {
    **{media: {"schema": {"type": "string"}, "example": _EXAMPLE}
       for media in ("application/yaml", "text/plain")},
    "application/json": {"schema": {"type": "object"}}}}}

#: what the guard in front of every route may answer
GUARD_ERRORS = error_responses(421)
READ_ERRORS = error_responses(404, 422)
COMMAND_ERRORS = error_responses(401, 403, 404, 422)

_SIMULATED = {"X-Simulated": {"description": "`true`: the answer comes from the simulated "
                                            "cluster", "schema": {"type": "string"}}}
SELECT_RESPONSES = {**COMMAND_ERRORS, 503: {
    "content": ERROR_CONTENT, "headers": _SIMULATED,
    "description": "No pod of the service is Ready (`error` is `no_ready_pods`)"}}
_ANSWER = {"application/json": {"schema": {"type": "object", "required": [
    "service", "path", "status", "pod", "version", "latency"]}}}
PROXY_RESPONSES = {**COMMAND_ERRORS, **{
    code: {"description": text, "headers": _SIMULATED, "content": _ANSWER}
    for code, text in ((500, "The simulated pod answered with an error (a flaky image, an "
                             "injected fault)"),
                       (503, "No pod of the service is Ready: the simulated load balancer "
                             "answers 503"))}}


def one_of(group: str, *names: str) -> dict[str, Any]:
    """``openapi_extra`` for a route whose query parameters ``names`` come exactly one at a
    time; ``exactly_one_of_parameters`` turns them into one object parameter ``group``."""
    listed = " or ".join(f"`{n}`" for n in names)
    return {"description": f"Give exactly one of {listed}; none or both is a 422 naming "
                           f"`{names[0]}`.", ONE_OF: {"name": group, "of": list(names)}}


ONE_OF = "x-t32sim-exactly-one-of"


def exactly_one_of_parameters(app: FastAPI) -> None:
    """Make the schema say "exactly one of": the marked query parameters become one object
    parameter (``style: form, explode: true``, so ``?delta=1`` on the wire, as before)
    whose schema is ``oneOf`` objects with one required property each."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            rule = operation.pop(ONE_OF, None)
            if rule is not None:
                operation["parameters"] = _grouped(operation["parameters"], rule)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def _grouped(parameters: list[dict], rule: dict) -> list[dict]:
    members = [p for p in parameters if p["name"] in rule["of"]]
    variants = []
    for parameter in members:
        inner = parameter["schema"]
        inner = next((s for s in inner.get("anyOf", ()) if s.get("type") != "null"), inner)
        variants.append({"type": "object", "title": parameter["name"],
                         "properties": {parameter["name"]: {**inner, "description":
                                                            parameter.get("description", "")}},
                         "required": [parameter["name"]], "additionalProperties": False})
    grouped = {"name": rule["name"], "in": "query", "required": True, "style": "form",
               "explode": True, "schema": {"oneOf": variants},
               "description": "exactly one of " + ", ".join(f"`{n}`" for n in rule["of"])}
    return [p for p in parameters if p["name"] not in rule["of"]] + [grouped]

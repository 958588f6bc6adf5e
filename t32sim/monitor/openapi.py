"""The monitor's OpenAPI schema as published: true to what the routes answer.

FastAPI writes the routes, bodies and the error statuses each route declares (see
:mod:`t32sim.monitor.schemas`). This adds what only the running app knows:

* the **security schemes**: every route needs HTTP Basic credentials or an ``X-API-Key``
  (the dashboard's session cookie only exempts a browser from the lockout; it is no login);
* the **versions** this monitor watches, as the ``enum`` of a request's ``target`` and ``to``;
* **421** on every route when the monitor answers only for some host names (on loopback);
* **413** on every route: a body over 64 KiB is refused before it is read (``web.BodyLimit``).
"""
from __future__ import annotations

from typing import Callable, Iterable

from fastapi import FastAPI

from t32sim.monitor.schemas import errors

__all__ = ["publish_schema", "SECURITY_SCHEMES"]

SECURITY_SCHEMES = {
    "basic": {"type": "http", "scheme": "basic",
              "description": "a monitor user (viewer or admin) and its password"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "T32SIM_API_KEY or --api-key: an admin"},
}
VERSION_FIELDS = ("target", "to")


def publish_schema(app: FastAPI, versions: Iterable[str], host_checked: bool) -> None:
    """Make ``app.openapi()`` return the completed schema (built once, then cached)."""
    plain: Callable[[], dict] = app.openapi
    names = list(versions)

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = plain()
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            schema["security"] = [{name: []} for name in SECURITY_SCHEMES]
            models = schema["components"].get("schemas", {})
            for model in _request_bodies(schema):
                for name, prop in models[model].get("properties", {}).items():
                    if name in VERSION_FIELDS:
                        _only(prop, names)
            edge = (413, 421) if host_checked else (413,)
            for operation in _operations(schema):
                operation["responses"].update(
                    {str(code): value for code, value in errors(*edge).items()})
        return app.openapi_schema
    app.openapi = openapi


def _only(prop: dict, names: list[str]) -> None:
    """A string property (or the string branch of ``string | null``) takes one of ``names``."""
    for branch in prop.get("anyOf", [prop]):
        if branch.get("type") == "string":
            branch["enum"] = names


def _request_bodies(schema: dict) -> set[str]:
    """The names of the models that requests send (not the answers: an audit row's
    ``target`` is any text)."""
    names = set()
    for operation in _operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        for ref in [body.get("schema", {}), *body.get("schema", {}).get("anyOf", [])]:
            if "$ref" in ref:
                names.add(ref["$ref"].rsplit("/", 1)[-1])
    return names


def _operations(schema: dict) -> Iterable[dict]:
    for path in schema.get("paths", {}).values():
        yield from path.values()

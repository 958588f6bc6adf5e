"""The one error body of both servers: ``{error, detail, field}``, and the handlers that make it.

``error`` is a short machine-readable code (``invalid_parameter``, ``not_found``...),
``detail`` a sentence for a person and ``field`` the parameter, header or body path
that was wrong (or ``null``). Extra keys (``errors: [...]``) may follow.

``install_error_handlers(app)`` answers ``ApiError``, FastAPI's request validation
errors, Starlette's HTTP errors (404, 405...) and anything unexpected (500, logged)
with that body, so no route has to remember the shape. ``error_responses(...)``
documents the same body in the OpenAPI schema for the status codes a route can give.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["ApiError", "ErrorBody", "error_body", "error_response", "error_responses",
           "install_error_handlers", "validation_error", "STATUS_CODES", "STATUS_TEXT",
           "ERROR_CONTENT"]

log = logging.getLogger("t32sim.web")

#: the ``error`` code of a plain HTTP failure with this status
STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
                413: "payload_too_large", 415: "unsupported_media_type", 421: "unknown_host",
                422: "invalid_parameter", 429: "too_many_requests", 500: "internal_error",
                503: "unavailable"}

#: what each status means on these servers, for the OpenAPI schema
STATUS_TEXT = {400: "The body cannot be read (not YAML / JSON)",
               401: "An API key or password is needed, or the one sent is wrong",
               403: "Refused: a cross-site request, or the caller may not do this",
               404: "No such service, example or endpoint",
               413: "The body is too large",
               415: "The body's Content-Type is not accepted here",
               421: "The Host header names a host this server does not serve",
               422: "A parameter or field is invalid; `field` names it",
               429: "Too many failed attempts; see Retry-After",
               503: "Nothing can serve the request right now (no Ready pod)"}


class ErrorBody(BaseModel):
    """The JSON body of every error answer."""
    model_config = ConfigDict(extra="allow")
    error: str
    detail: str
    field: str | None


class ApiError(Exception):
    """An error answered with ``status`` and the standard body (``extra`` keys are added)."""

    def __init__(self, status: int, error: str, detail: str, field: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.field = field
        self.headers = headers
        self.extra = extra

    def response(self) -> JSONResponse:
        return error_response(self.status, self.error, self.detail, self.field, self.headers,
                              **self.extra)


def error_body(error: str, detail: str, field: str | None = None, **extra: Any) -> dict:
    return {"error": error, "detail": detail, "field": field, **extra}


def error_response(status: int, error: str, detail: str, field: str | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(error, detail, field, **extra), status_code=status,
                        headers=headers)


def error_responses(*codes: int, **described: str) -> dict[int | str, dict]:
    """``responses=`` for a route: each status in ``codes`` answers an ``ErrorBody`` (as JSON,
    whatever the route's own media type).

    ``described`` overrides a description: ``error_responses(404, 422, s503="...")``."""
    out: dict[int | str, dict] = {}
    for code in codes:
        text = described.get(f"s{code}", STATUS_TEXT.get(code, STATUS_CODES.get(code, "")))
        out[code] = {"description": text, "content": ERROR_CONTENT}
    return out


#: always JSON, also on a route whose success is text (``/metrics``, an example's YAML)
ERROR_CONTENT = {"application/json": {"schema": ErrorBody.model_json_schema()}}


def validation_error(exc: RequestValidationError) -> ApiError:
    """The first problem FastAPI found, named by its field: ``count``, ``X-API-Key``,
    ``level``; ``body`` when the body is not JSON at all."""
    problems = exc.errors()
    first = problems[0] if problems else {}
    loc = [str(part) for part in first.get("loc", ())]
    where = loc[0] if loc else ""
    field = ".".join(loc[1:]) if len(loc) > 1 else (where or None)
    if first.get("type") == "json_invalid":
        field = "body"                      # a position in the JSON is not a field
    message = first.get("msg", "invalid value")
    given = first.get("input")
    shown = "" if given is None or isinstance(given, (dict, list)) else f" (got {given!r:.60})"
    kind = {"query": "query parameter", "header": "header", "path": "path parameter",
            "body": "body field"}.get(where, "parameter")
    if first.get("type") == "missing":
        detail = f"The {kind} {field!r} is required."
    elif field == "body":
        detail = f"The body is not valid JSON: {message}."
    else:
        detail = f"The {kind} {field!r} is invalid: {message}{shown}."
    errors = [{"field": ".".join(str(p) for p in tuple(p.get("loc", ("",)))[1:]) or None,
               "message": p.get("msg", "")} for p in problems]
    return ApiError(422, "invalid_parameter", detail, field, errors=errors)


def install_error_handlers(app: FastAPI, more: Iterable[tuple[type[Exception], Any]] = (),
                           docs: str | None = "/docs") -> None:
    """Answer every failure with the standard body. ``more`` are ``(exception type,
    exc -> ApiError)`` pairs for an app's own errors (``SpecError``, ``AuthError``...).
    ``docs`` is where a 404 points to for the API (None: nowhere)."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error(exc).response()

    for error_type, convert in more:
        def _handler(convert=convert):
            async def handle(request: Request, exc: Exception) -> JSONResponse:
                return convert(exc).response()
            return handle
        app.add_exception_handler(error_type, _handler())

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is no endpoint {request.url.path}" + (
                f"; see {docs} for the API." if docs else ".")
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        field = "body" if exc.status_code == 400 else None
        return error_response(exc.status_code, code, detail, field,
                              getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", f"The server failed "
                              f"({type(exc).__name__}); its log has the details.", None)

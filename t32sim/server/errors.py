"""Every failure the HTTP API reports becomes a JSON body ``{error, detail, field}``.

``error`` is a short machine-readable code, ``detail`` a sentence for a person and
``field`` the query parameter, header or spec path that was wrong (or ``null``).
Library errors (``CommandError``, ``SpecError``) and FastAPI's request validation
errors are mapped here, so no handler has to remember the shape.
"""
from __future__ import annotations

import logging
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from t32sim.spec import SpecError

log = logging.getLogger("t32sim.server")

__all__ = ["ApiError", "error_body", "install_error_handlers", "command_error_types"]


class ApiError(Exception):
    """An error the API answers with ``status`` and the standard JSON body."""

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
        return JSONResponse(error_body(self.error, self.detail, self.field, **self.extra),
                            status_code=self.status, headers=self.headers)


def error_body(error: str, detail: str, field: str | None = None, **extra: Any) -> dict:
    return {"error": error, "detail": detail, "field": field, **extra}


def command_error_types() -> tuple[type[Exception], ...]:
    """The engine's ``CommandError`` if the engine is importable (it may land later)."""
    try:
        from t32sim import CommandError  # type: ignore[attr-defined]
    except ImportError:
        return ()
    return (CommandError,)


def from_library_error(exc: Exception) -> ApiError:
    """Map a ``SpecError``, ``CommandError`` or YAML error to an ``ApiError``."""
    if isinstance(exc, SpecError):
        errors = [{"field": path or None, "message": message} for path, message in exc.errors]
        first = errors[0] if errors else {"field": None, "message": str(exc)}
        return ApiError(422, "invalid_spec", str(exc) or first["message"], first["field"],
                        errors=errors)
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        return ApiError(400, "bad_yaml", f"The body is not valid YAML{where}: {problem}.",
                        "body")
    field = getattr(exc, "field", None)
    if getattr(exc, "not_found", False):
        return ApiError(404, "not_found", str(exc), field or "service")
    return ApiError(422, "invalid_command", str(exc), field)


def _validation_error(exc: RequestValidationError) -> ApiError:
    """The first problem FastAPI found, named by its parameter (``count``, ``X-API-Key``)."""
    problems = exc.errors()
    first = problems[0] if problems else {}
    loc = [str(part) for part in first.get("loc", ())]
    where = loc[0] if loc else ""
    field = loc[-1] if len(loc) > 1 else (where or None)
    message = first.get("msg", "invalid value")
    given = first.get("input")
    shown = "" if given is None or isinstance(given, (dict, list)) else f" (got {given!r})"
    if first.get("type") == "missing":
        detail = f"The {where} parameter {field!r} is required."
    else:
        detail = f"The {where} parameter {field!r} is invalid: {message}{shown}."
    errors = [{"field": str(p.get("loc", ("",))[-1]), "message": p.get("msg", "")}
              for p in problems]
    return ApiError(422, "invalid_parameter", detail, field, errors=errors)


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
                 413: "payload_too_large", 415: "unsupported_media_type",
                 422: "invalid_parameter", 429: "too_many_requests"}


def install_error_handlers(app: FastAPI) -> None:
    """Register handlers so every error leaves as the standard JSON body."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_error(exc).response()

    @app.exception_handler(SpecError)
    async def _spec(request: Request, exc: SpecError) -> JSONResponse:
        return from_library_error(exc).response()

    for error_type in command_error_types():
        @app.exception_handler(error_type)
        async def _command(request: Request, exc: Exception) -> JSONResponse:
            return from_library_error(exc).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is no endpoint {request.url.path}; see /docs for the API."
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        return JSONResponse(error_body(code, detail, None), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error",
                                       f"The server failed: {type(exc).__name__}.", None),
                            status_code=500)

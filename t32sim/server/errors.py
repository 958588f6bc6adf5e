"""The live server's errors: the shared ``{error, detail, field}`` body (``t32sim.web``) plus
the library's own errors mapped onto it.

``SpecError`` is 422 ``invalid_spec`` naming the first field (every problem in
``errors``); ``CommandError`` is 422 ``invalid_command`` naming its argument, or 404
``not_found`` for an unknown service; a YAML error is 400 ``bad_yaml``.
"""
from __future__ import annotations

import yaml
from fastapi import FastAPI

from t32sim.engine import CommandError
from t32sim.spec import SpecError
from t32sim.web import ApiError, error_body, install_error_handlers as install_web_handlers

__all__ = ["ApiError", "error_body", "install_error_handlers", "from_library_error"]


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


def install_error_handlers(app: FastAPI) -> None:
    """The shared handlers, plus ``SpecError`` and ``CommandError``."""
    install_web_handlers(app, more=[(SpecError, from_library_error),
                                    (CommandError, from_library_error)])

"""The web pages: the dashboard at ``/``, Swagger UI at ``/docs``, and the example specs.

Every asset is a file inside the package (``static/``), Swagger UI included
(vendored from the ``swagger-ui-dist`` npm package with its licence), so a
classroom without internet gets the same pages.
"""
from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse

from t32sim.web import ApiError, error_responses

__all__ = ["router", "STATIC_DIR", "default_examples_dirs"]

STATIC_DIR = Path(__file__).parent / "static"
EXAMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.ya?ml$")

router = APIRouter()


def default_examples_dirs() -> tuple[Path, ...]:
    """``./examples`` and the source checkout's ``examples/`` (whichever exist)."""
    candidates = [Path.cwd() / "examples", Path(__file__).resolve().parents[2] / "examples"]
    seen: list[Path] = []
    for candidate in candidates:
        if candidate.is_dir() and candidate.resolve() not in seen:
            seen.append(candidate.resolve())
    return tuple(seen)


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/docs", include_in_schema=False)
async def docs() -> FileResponse:
    """Swagger UI, started by ``static/docs.js`` (the CSP allows no inline script)."""
    return FileResponse(STATIC_DIR / "docs.html", headers={"Cache-Control": "no-cache"})


def _examples(request: Request) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in request.app.state.settings.examples_dirs:
        for path in sorted(Path(folder).glob("*.y*ml")):
            if EXAMPLE_NAME.match(path.name) and path.is_file():
                found.setdefault(path.name, path)
    return found


@router.get("/examples", tags=["examples"], summary="The example Service specs")
async def examples(request: Request) -> dict:
    return {"examples": sorted(_examples(request))}


@router.get("/examples/{name}", tags=["examples"], summary="One example spec (YAML text)",
            response_class=PlainTextResponse, responses=error_responses(404, 422))
async def example(request: Request, name: str) -> PlainTextResponse:
    path = _examples(request).get(name) if EXAMPLE_NAME.match(name) else None
    if path is None:
        raise ApiError(404, "not_found", f"No example named {name!r}; see /examples.", "name")
    return PlainTextResponse(path.read_text(encoding="utf-8"),
                             media_type="application/yaml; charset=utf-8")

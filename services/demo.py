"""One factory for the three demo services v1, v2 and v3 watched by the failover monitor.

Each app keeps its chaos state on ``app.state`` (no globals), so tests and the
monitor can build as many independent apps as they like.

- ``GET /``                       version, message, current simulated load.
- ``GET /health``                 ``{"status": "UP"}``; 503 while corrupted.
- ``POST /simulate/cpu/{level}``  0-100; responses slow down in proportion.
- ``POST /simulate/corruption``   ``/`` answers 500 ``DATA_ERR``, ``/health`` 503.
- ``POST /simulate/reset``        back to load 0, not corrupted.

The slowdown is small and bounded: ``/`` waits ``level/100 * scale`` seconds and
``/health`` waits the same only above 50 % load. ``scale`` defaults to 0.3 s and
comes from the ``T32SIM_DEMO_DELAY_SCALE`` environment variable when set.

A ``stable`` app (v3) always answers ``/`` and ``/health``: it accepts a CPU level
(and slows down like the others) but refuses corruption with 409.
"""
from __future__ import annotations

import asyncio
import os
from typing import Annotated

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["make_app", "DEFAULT_DELAY_SCALE", "DELAY_SCALE_ENV"]

DEFAULT_DELAY_SCALE = 0.3
DELAY_SCALE_ENV = "T32SIM_DEMO_DELAY_SCALE"
HEALTH_SLOW_ABOVE = 50.0

MESSAGES = {
    "v1": "Hello from v1, the first release.",
    "v2": "Hello from v2, the fallback release.",
    "v3": "Hello from v3, the stable release.",
}


def _delay_scale(explicit: float | None) -> float:
    """The seconds of delay at 100 % load: explicit value, else the env variable, else 0.3."""
    if explicit is not None:
        return max(0.0, float(explicit))
    raw = os.environ.get(DELAY_SCALE_ENV, "")
    try:
        return max(0.0, float(raw)) if raw.strip() else DEFAULT_DELAY_SCALE
    except ValueError:
        return DEFAULT_DELAY_SCALE


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 as ``{error, detail, field}`` naming the first bad field."""
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("path", "query", "body")]
    field = ".".join(loc) or None
    return JSONResponse(status_code=422, content={
        "error": "validation_error",
        "detail": f"{field}: {first.get('msg', 'invalid value')}" if field else first.get("msg", "invalid"),
        "field": field,
    })


def make_app(version: str, stable: bool = False, delay_scale: float | None = None) -> FastAPI:
    """Build the demo service ``version``; ``stable`` services cannot be corrupted."""
    app = FastAPI(title=f"t32sim demo service {version}", docs_url="/docs", redoc_url=None)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.state.version = version
    app.state.stable = stable
    app.state.cpu = 0.0
    app.state.corrupted = False
    app.state.delay_scale = _delay_scale(delay_scale)
    app.state.sleep = asyncio.sleep          # tests may record the delays instead
    message = MESSAGES.get(version, f"Hello from {version}.")

    def snapshot() -> dict:
        return {"version": version, "load": app.state.cpu,
                "corrupted": app.state.corrupted, "stable": stable}

    @app.get("/")
    async def root():
        """Version, message and current load; 500 ``DATA_ERR`` while corrupted."""
        if app.state.corrupted:
            return JSONResponse(status_code=500, content={
                "error": "data_corruption", "detail": "DATA_ERR", "version": version})
        delay = app.state.cpu / 100.0 * app.state.delay_scale
        if delay > 0:
            await app.state.sleep(delay)
        return {"version": version, "message": message, "load": app.state.cpu}

    @app.get("/health")
    async def health():
        """``UP`` (slow above 50 % load) or 503 ``DOWN`` while corrupted."""
        if app.state.corrupted:
            return JSONResponse(status_code=503, content={
                "status": "DOWN", "version": version, "detail": "DATA_ERR"})
        if app.state.cpu > HEALTH_SLOW_ABOVE:
            await app.state.sleep(app.state.cpu / 100.0 * app.state.delay_scale)
        return {"status": "UP", "version": version, "load": app.state.cpu}

    @app.post("/simulate/cpu/{level}")
    async def simulate_cpu(level: Annotated[float, Path(ge=0, le=100, allow_inf_nan=False,
                                                        description="CPU load in percent, 0-100")]):
        """Set the simulated CPU load."""
        app.state.cpu = level
        return snapshot()

    @app.post("/simulate/corruption")
    async def simulate_corruption():
        """Corrupt the data: ``/`` -> 500, ``/health`` -> 503 (409 on a stable service)."""
        if stable:
            return JSONResponse(status_code=409, content={
                "error": "stable_service",
                "detail": f"{version} is the stable release and cannot be corrupted",
                "field": None})
        app.state.corrupted = True
        return snapshot()

    @app.post("/simulate/reset")
    async def simulate_reset():
        """Back to no load and no corruption."""
        app.state.cpu = 0.0
        app.state.corrupted = False
        return snapshot()

    return app

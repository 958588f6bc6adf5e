"""One factory for the three demo services v1, v2 and v3 watched by the failover monitor.

Each app keeps its chaos state on ``app.state.demo`` (no globals shared between apps), so
tests and the monitor can build as many independent apps as they like. The modules
``services.vN.app`` build the default apps and offer the original project's module-level
view of that state, ``APP_STATE["cpu_load"]`` and ``APP_STATE["is_corrupted"]``.

- ``GET /``                       ``{version, message, load: "%10", cpu_load}``; 500 ``DATA_ERR``
                                  while corrupted; waits ``load / 20`` s.
- ``GET /health``                 ``{"status": "healthy", version, ...}``; 503 while corrupted;
                                  waits 2 s above 50 % load (the monitor gives up after 1 s).
- ``GET /simulate/state``         the chaos state, at once (no simulated delay).
- ``POST /simulate/cpu/{level}``  0-100.
- ``POST /simulate/corruption``   the stable v3 refuses with 409.
- ``POST /simulate/reset``        back to load 0, not corrupted.

The timing comes from :mod:`t32sim.demo_chaos`. Every delay is multiplied by the delay
scale: the ``delay_scale`` argument, else ``T32SIM_DEMO_DELAY_SCALE``, else 1.

When ``T32SIM_DEMO_TOKEN`` is set (``t32sim monitor --spawn`` sets a fresh one per run), the
``POST /simulate/*`` endpoints need the header ``X-Demo-Token`` with that value, so only
the monitor that started the service can play chaos with it. Without it (a plain
``uvicorn services.v1.app:app``) they are open, as in the original.
"""
from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import MutableMapping
from typing import Annotated, Iterator

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from t32sim.demo_chaos import DemoState, health_delay, root_delay

__all__ = ["make_app", "StateView", "DEFAULT_DELAY_SCALE", "DELAY_SCALE_ENV", "TOKEN_ENV",
           "TOKEN_HEADER"]

DEFAULT_DELAY_SCALE = 1.0
DELAY_SCALE_ENV = "T32SIM_DEMO_DELAY_SCALE"
TOKEN_ENV = "T32SIM_DEMO_TOKEN"
TOKEN_HEADER = "X-Demo-Token"

MESSAGES = {
    "v1": "Hello from v1, the first release.",
    "v2": "Hello from v2, the fallback release.",
    "v3": "Hello from v3, the stable release.",
}


class StateView(MutableMapping):
    """``APP_STATE``: the original's dict-shaped view of one app's :class:`DemoState`."""

    KEYS = ("version", "cpu_load", "is_corrupted", "stable")

    def __init__(self, state: DemoState):
        self._state = state

    def __getitem__(self, key: str):
        if key not in self.KEYS:
            raise KeyError(key)
        return getattr(self._state, key)

    def __setitem__(self, key: str, value) -> None:
        if key not in ("cpu_load", "is_corrupted"):
            raise KeyError(f"{key}: only cpu_load and is_corrupted can be changed")
        setattr(self._state, key, float(value) if key == "cpu_load" else bool(value))

    def __delitem__(self, key: str) -> None:
        raise KeyError(f"{key}: the keys of APP_STATE are fixed")

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)

    def __repr__(self) -> str:
        return f"StateView({dict(self)!r})"


def _delay_scale(explicit: float | None) -> float:
    """The delay scale: the explicit value, else the env variable, else 1."""
    if explicit is not None:
        return max(0.0, float(explicit))
    raw = os.environ.get(DELAY_SCALE_ENV, "")
    try:
        return max(0.0, float(raw)) if raw.strip() else DEFAULT_DELAY_SCALE
    except ValueError:
        return DEFAULT_DELAY_SCALE


def _problem(code: int, error: str, detail: str, field: str | None = None, **extra) -> JSONResponse:
    return JSONResponse(status_code=code,
                        content={"error": error, "detail": detail, "field": field, **extra})


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 as ``{error, detail, field}`` naming the first bad field."""
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("path", "query", "body")]
    field = ".".join(loc) or None
    message = first.get("msg", "invalid value")
    return _problem(422, "validation_error", f"{field}: {message}" if field else message, field)


def make_app(version: str, stable: bool = False, delay_scale: float | None = None,
             token: str | None = None) -> FastAPI:
    """Build the demo service ``version``; ``stable`` services cannot be corrupted.

    ``token`` (default: ``T32SIM_DEMO_TOKEN``, if set) guards the ``/simulate`` actions.
    """
    app = FastAPI(title=f"t32sim demo service {version}", docs_url="/docs", redoc_url=None)
    app.add_exception_handler(RequestValidationError, _validation_error)
    demo = DemoState(version, stable=stable)
    app.state.demo = demo
    app.state.delay_scale = _delay_scale(delay_scale)
    app.state.sleep = asyncio.sleep          # tests may record the delays instead
    app.state.token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)
    message = MESSAGES.get(version, f"Hello from {version}.")

    def refused(request: Request) -> JSONResponse | None:
        """403 unless the request carries this run's token (when there is one)."""
        expected = app.state.token
        if not expected:
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            return None
        return _problem(403, "forbidden", f"chaos on {version} needs the {TOKEN_HEADER} header "
                        "of the monitor that started it", TOKEN_HEADER)

    def answer(text: str) -> dict:
        return {**demo.as_dict(), "message": text}

    @app.get("/")
    async def root():
        """Version, message and load (``"%10"``); 500 ``DATA_ERR`` while corrupted."""
        delay = root_delay(demo.cpu_load, app.state.delay_scale)
        if delay > 0:
            await app.state.sleep(delay)
        if demo.is_corrupted:
            return _problem(500, "data_corruption", "DATA_ERR", version=version)
        return {"version": version, "message": message, "load": f"%{demo.cpu_load:g}",
                "cpu_load": demo.cpu_load}

    @app.get("/health")
    async def health():
        """``healthy`` (2 s late above 50 % load) or 503 while corrupted."""
        if demo.is_corrupted:
            return _problem(503, "data_corruption", "DATA_ERR", status="unhealthy", version=version)
        delay = health_delay(demo.cpu_load, app.state.delay_scale)
        if delay > 0:
            await app.state.sleep(delay)
        return {"status": "healthy", "version": version, "cpu_load": demo.cpu_load}

    @app.get("/simulate/state")
    async def simulate_state():
        """The chaos state right now (never delayed, needs no token)."""
        return demo.as_dict()

    @app.post("/simulate/cpu/{level}")
    async def simulate_cpu(request: Request,
                           level: Annotated[float, Path(ge=0, le=100, allow_inf_nan=False,
                                                        description="CPU load in percent, 0-100")]):
        """Set the simulated CPU load."""
        if (denied := refused(request)) is not None:
            return denied
        demo.cpu_load = level
        return answer(f"{version} is now at {level:g} % CPU load.")

    @app.post("/simulate/corruption")
    async def simulate_corruption(request: Request):
        """Corrupt the data: ``/`` -> 500, ``/health`` -> 503 (409 on a stable service)."""
        if (denied := refused(request)) is not None:
            return denied
        if stable:
            return _problem(409, "stable_service",
                            f"{version} is the stable release and cannot be corrupted")
        demo.is_corrupted = True
        return answer(f"{version}'s data is corrupted.")

    @app.post("/simulate/reset")
    async def simulate_reset(request: Request):
        """Back to no load and no corruption."""
        if (denied := refused(request)) is not None:
            return denied
        demo.reset()
        return answer(f"{version} is back to normal.")

    return app

"""The app factory: ``create_app(settings)`` builds one live server's FastAPI app.

The lifespan opens (or receives) the ``LiveCluster`` and starts its pacer task on
the server's own loop; shutdown stops the pacer, persists the journal and ends
every SSE stream. CORS is off: the dashboard is served by the same origin.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from typing import AsyncIterator, Callable

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from t32sim.server import api, dashboard, stream
from t32sim.server.dashboard import STATIC_DIR, default_examples_dirs
from t32sim.server.errors import install_error_handlers
from t32sim.server.live import LiveCluster
from t32sim.server.security import AuditMiddleware, open_audit
from t32sim.server.settings import ServerSettings

__all__ = ["create_app"]

DESCRIPTION = """\
The t32sim engine, paced in real time. Compatible with the original *Perfect System*
curl commands (`/apply`, `/chaos/kill`, `/load`, `/scale`, `/lb/select`, `/proxy/...`,
`/state`, `/events`, `/metrics`), plus pacing controls and a replayable journal.

Errors are JSON `{error, detail, field}`. When the server has an API key, every
mutating endpoint needs it in `X-API-Key` (use **Authorize**). `X-Actor` names you
in the journal.
"""


def create_app(settings: ServerSettings | None = None, *, live: LiveCluster | None = None,
               clock: Callable[[], float] = time.monotonic, pace: bool = True) -> FastAPI:
    """A FastAPI app around one live cluster.

    ``live`` may be opened beforehand (so start-up errors surface in the caller);
    ``pace=False`` leaves the pacer off, for tests that step the cluster themselves.
    """
    settings = settings or ServerSettings()
    if not settings.examples_dirs:
        settings = settings.with_(examples_dirs=default_examples_dirs())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = live if live is not None else LiveCluster.open(settings, clock=clock)
        app.state.live = current
        current.pacer.rebase(current.cluster.now)      # start-up time is not simulated time
        task = asyncio.create_task(current.pace(settings.tick)) if pace else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            current.close()

    app = FastAPI(title="t32sim live server", version="1", description=DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(api.traffic_router)   # first: the hot paths match sooner
    app.include_router(api.router)
    app.include_router(stream.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(AuditMiddleware, sink=open_audit(settings.db))
    return app

"""The app factory: ``create_app(settings)`` builds one live server's FastAPI app.

The lifespan opens (or receives) the ``LiveCluster`` and starts its pacer task on
the server's own loop; shutdown stops the pacer, persists the journal and ends
every SSE stream. CORS is off: the dashboard is served by the same origin.

In front of the routes, from the outside in: the audit (every mutating request and its
answer, refusals included), then ``t32sim.web.SiteGuard`` (only the server's own host
names, no cross-site changes, CSP that lets a notebook on this machine frame the
dashboard).
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
from t32sim.server.schema import GUARD_ERRORS, exactly_one_of_parameters
from t32sim.server.security import AuditMiddleware, is_mutating, keyring, open_audit
from t32sim.server.settings import ServerSettings
from t32sim.web import LOOPBACK_FRAME_ANCESTORS, SiteGuard, mount_assets

__all__ = ["create_app"]

DESCRIPTION = """\
The t32sim engine, paced in real time. Compatible with the original *Perfect System*
curl commands (`/apply`, `/chaos/kill`, `/load`, `/scale`, `/lb/select`, `/proxy/...`,
`/state`, `/events`, `/metrics`), plus pacing controls and a replayable journal.

Errors are JSON `{error, detail, field}`. When the server has an API key, every
mutating endpoint needs it in `X-API-Key` (use **Authorize**); that includes
`/lb/select` and `/proxy/...`, which move the round robin on. The journal and the
audit name you by that credential. Requests from other web sites that would change
something are refused (403), and so is a `Host` the server does not answer for (421).
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
                  docs_url=None, redoc_url=None, lifespan=lifespan, responses=GUARD_ERRORS)
    app.state.settings = settings
    app.state.keyring = keyring(settings.api_key)
    app.state.audit = open_audit(settings.db)
    install_error_handlers(app)
    app.include_router(api.traffic_router)   # first: the hot paths match sooner
    app.include_router(api.router)
    app.include_router(stream.router)
    app.include_router(dashboard.router)
    mount_assets(app)                        # /static/web: before /static takes the prefix
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SiteGuard, allowed_hosts=settings.host_names(),
                       allow_ip_literals=settings.binds_everywhere,
                       frame_ancestors=LOOPBACK_FRAME_ANCESTORS, is_unsafe=is_mutating)
    app.add_middleware(AuditMiddleware, sink=app.state.audit)     # outermost
    exactly_one_of_parameters(app)
    return app

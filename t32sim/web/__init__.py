"""The web edge shared by the live server and the monitor: one way to fail, guard, store, say
who did it, and draw a dashboard. It imports neither of them (nor the engine).

How a FastAPI app uses it::

    from t32sim.web import (ApiError, Database, SiteGuard, client_source, error_responses,
                            install_error_handlers, mount_assets)

    app = FastAPI(responses=error_responses(421))          # documented on every route
    install_error_handlers(app, more=[(MyError, lambda e: ApiError(409, "conflict", str(e)))])
    mount_assets(app)                      # /static/web/web.js + web.css, before /static
    app.add_middleware(SiteGuard, allowed_hosts=["127.0.0.1", "localhost"],
                       require_json=True, on_refused=audit_refusal)

    @app.post("/act", responses=error_responses(401, 403, 422))
    async def act(request: Request):
        raise ApiError(422, "invalid_parameter", "level: expected 0..100", "level")

    db = Database("app.db", schema="CREATE TABLE IF NOT EXISTS t (x)")   # 0600, WAL
    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (?)", (client_source(request),))

* ``errors``: the ``{error, detail, field}`` body, ``ApiError``, ``install_error_handlers``
  (validation, 404/405, 500 all answer that body) and ``error_responses`` for OpenAPI.
* ``guard``: ``SiteGuard``: Host allow-list (DNS rebinding), cross-site refusal
  (``Sec-Fetch-Site``, ``Origin`` including ``null``), optional JSON-only bodies, CSP with
  ``frame-ancestors`` (``LOOPBACK_FRAME_ANCESTORS`` lets a notebook on this machine frame it).
* ``sqlite``: ``Database``: one connection style, WAL, ``BEGIN IMMEDIATE`` transactions,
  files and their ``-wal`` / ``-shm`` created 0600.
* ``limits``: ``BodyLimit``: 413 for a body over a limit, before FastAPI reads and parses it.
* ``source``: ``client_source``: the audit ``source`` of a request (the client's address).
* ``assets``: ``web.js`` (``T32Web.api`` fetch wrapper, ``toast``, ``lineChart`` with a
  colour-blind-safe palette plus dashes and markers) and ``web.css`` (the toast).
"""
from __future__ import annotations

from t32sim.web.assets import ASSETS_PATH, STATIC_DIR, mount_assets
from t32sim.web.errors import (ApiError, ErrorBody, error_body, error_response,
                               error_responses, install_error_handlers, validation_error)
from t32sim.web.guard import (LOOPBACK_FRAME_ANCESTORS, LOOPBACK_HOSTS, UNSAFE_METHODS,
                              SiteGuard, content_security_policy, cross_site_reason, host_name)
from t32sim.web.limits import DEFAULT_MAX_BODY, BodyLimit
from t32sim.web.source import COMMAND_LINE, client_source
from t32sim.web.sqlite import PRIVATE_MODE, Database, create_private

__all__ = [
    "ApiError", "ErrorBody", "error_body", "error_response", "error_responses",
    "install_error_handlers", "validation_error",
    "SiteGuard", "cross_site_reason", "host_name", "content_security_policy",
    "LOOPBACK_FRAME_ANCESTORS", "LOOPBACK_HOSTS", "UNSAFE_METHODS",
    "Database", "create_private", "PRIVATE_MODE",
    "client_source", "COMMAND_LINE",
    "BodyLimit", "DEFAULT_MAX_BODY",
    "mount_assets", "STATIC_DIR", "ASSETS_PATH",
]

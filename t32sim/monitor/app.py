"""The monitor's FastAPI app: wiring of checks, services, auth, audit, and the error bodies.

The routes are in :mod:`t32sim.monitor.routes`. The app keeps everything on
``app.state``. Its lifespan starts the checks (and the services with ``spawn``); a
server that mounts it must run that lifespan itself, since Starlette does not run a
mounted app's lifespan::

    monitor = create_monitor_app(config)
    app.mount("/monitor", monitor)
    async with monitor.router.lifespan_context(monitor):   # inside the server's lifespan
        ...
"""
from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from t32sim.audit import KEY_ENV, AuditLog, AuditResult
from t32sim.auth import (
    ApiKeyring, AuthError, Authenticator, LockoutTracker, NoiseFilter, Role, UserStore,
    bootstrap_admin, default_users_path,
)
from t32sim.monitor.config import MonitorConfig
from t32sim.monitor.core import ActionError, Monitor, MONITOR_ACTOR
from t32sim.monitor.healthlog import HealthLog
from t32sim.monitor.login import LoginQueue
from t32sim.monitor.openapi import publish_schema
from t32sim.monitor.routes import STATIC, add_routes
from t32sim.monitor.security import add_site_guard
from t32sim.monitor.supervisor import TOKEN_ENV, Supervisor
from t32sim.notify import EmailNotifier
from t32sim.web import ApiError, client_source, install_error_handlers, mount_assets

__all__ = ["create_monitor_app"]

DELAY_SCALE_ENV = "T32SIM_DEMO_DELAY_SCALE"


def _spawn_ports(config: MonitorConfig) -> dict[str, int]:
    ports = {}
    for version, url in config.targets.items():
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
            raise ValueError(f"targets.{version}: spawn starts services on this machine; "
                             f"expected http://127.0.0.1:PORT, got {url!r}")
        ports[version] = parts.port
    return ports


def _resolved(config: MonitorConfig, env) -> MonitorConfig:
    """The config with the services' delay scale and chaos token filled in.

    Spawned services get a fresh token per run; otherwise ``T32SIM_DEMO_TOKEN``, if set,
    is the token the services were started with.
    """
    scale = config.delay_scale
    if scale is None:
        try:
            scale = max(0.0, float(env.get(DELAY_SCALE_ENV) or 1.0))
        except ValueError:
            scale = 1.0
    token = config.demo_token
    if token is None:
        token = secrets.token_urlsafe(32) if config.spawn else (env.get(TOKEN_ENV) or None)
    return dataclasses.replace(config, delay_scale=scale, demo_token=token)


def _users(config: MonitorConfig, env) -> UserStore:
    users = UserStore(config.users_path or default_users_path(config.db))
    if config.admin_password:
        users.set_user("admin", config.admin_password, Role.ADMIN, persist=False)
    else:
        bootstrap_admin(users, env=env, announce=config.announce)
    return users


# -- the app ------------------------------------------------------------------------------
def create_monitor_app(config: MonitorConfig | None = None) -> FastAPI:
    """Build one monitor app (no global state: everything hangs off ``app.state``)."""
    config = config or MonitorConfig()
    env = os.environ if config.env is None else config.env
    config = _resolved(config, env)
    config.db.parent.mkdir(parents=True, exist_ok=True)

    audit = AuditLog(config.db, key=config.audit_key or env.get(KEY_ENV) or None)
    noise = NoiseFilter(audit)
    healthlog = HealthLog(config.db, config.retention)
    users = _users(config, env)
    api_keys = ApiKeyring.from_env(env)
    if config.api_key:
        api_keys.add("api-key", config.api_key, Role.ADMIN)
    authenticator = Authenticator(
        users, audit=audit, noise=noise, api_keys=api_keys, realm="t32sim monitor",
        lockout=LockoutTracker(config.lock_failures, config.lock_seconds))

    def notify_failed(notification, exc) -> None:
        audit.record(MONITOR_ACTOR, "notify", target=notification.kind.value,
                     detail=f"{notification.subject}: {type(exc).__name__}: {exc}",
                     result=AuditResult.ERROR.value, source=MONITOR_ACTOR)

    owns_notifier = config.notifier == "env"
    notifier = (EmailNotifier.from_env(env, on_error=notify_failed) if owns_notifier
                else config.notifier)

    def supervisor_event(kind: str, version: str, detail: str) -> None:
        monitor.on_process_event(kind, version, detail)
        if kind in ("exited", "failed"):
            audit.record(MONITOR_ACTOR, f"process.{kind}", target=version, detail=detail,
                         result=AuditResult.ERROR.value, source=MONITOR_ACTOR)

    supervisor = None
    if config.spawn:
        supervisor = Supervisor(_spawn_ports(config), backoff=config.restart_backoff,
                                backoff_max=config.restart_backoff_max,
                                log_dir=config.service_log_dir, env=env,
                                on_event=supervisor_event, token=config.demo_token)
    monitor = Monitor(config, audit, healthlog, notifier=notifier, supervisor=supervisor,
                      noise=noise)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await monitor.start()
        try:
            yield
        finally:
            await monitor.stop()
            if owns_notifier and notifier is not None:
                await asyncio.to_thread(notifier.close, 5.0)

    app = FastAPI(title="t32sim failover monitor", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None,
                  description="The secure failover monitor of t32sim: health checks of "
                              "v1/v2/v3, failover, chaos, audit. Every route needs a viewer "
                              "(Basic auth or X-API-Key); actions need an admin.")
    app.state.config = config
    app.state.audit = audit
    app.state.noise = noise
    app.state.healthlog = healthlog
    app.state.users = users
    app.state.authenticator = authenticator
    app.state.login = LoginQueue(authenticator)
    app.state.notifier = notifier
    app.state.supervisor = supervisor
    app.state.monitor = monitor

    async def refused(scope, field: str, why: str) -> None:
        await asyncio.to_thread(noise.record, "-", f"http.{scope['method'].lower()}",
                                scope.get("path", ""), why, AuditResult.REFUSED.value,
                                client_source(scope))

    add_site_guard(app, config, refused)
    _add_error_handlers(app, authenticator)
    mount_assets(app)                        # /static/web/web.js, before the monitor's /static
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    add_routes(app, monitor)
    publish_schema(app, config.versions, host_checked=config.allowed_hosts is not None)
    return app


def _add_error_handlers(app: FastAPI, authenticator: Authenticator) -> None:
    """The shared ``{error, detail, field}`` handlers, with the monitor's own errors."""
    def auth_error(exc: AuthError) -> ApiError:
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = authenticator.challenge
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return ApiError(exc.status, exc.error, exc.detail, None, headers or None)

    install_error_handlers(app, docs="/openapi.json", more=[
        (AuthError, auth_error),
        (ActionError, lambda exc: ApiError(exc.status, exc.error, exc.detail, exc.field))])

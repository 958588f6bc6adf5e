"""The monitor's FastAPI app: HTML dashboard, JSON API, lifespan-managed checks and services.

Read (viewer or admin)::

    GET  /                    the dashboard (HTML; script and styles from /static)
    GET  /api/status          active version, UP/DOWN, failures in window, cooldown, processes
    GET  /api/health?limit=   newest health checks
    GET  /api/audit?limit=    newest audit rows
    GET  /api/audit/verify    the audit chain check
    GET  /api/whoami          the caller's name and role

Act (admin; JSON body, same-origin only; every attempt is audited)::

    POST /api/chaos/cpu         {"level": 0-100, "target": "v1"?}
    POST /api/chaos/corruption  {"target": "v1"?}
    POST /api/chaos/reset       {"target": "v1"?}
    POST /api/chaos/crash       {"target": "v1"?, "down_for": 0-3600?}
                                (kills the process, kept down ``down_for`` s; needs --spawn)
    POST /api/failover          {"to": "v3"?}       (manual switch; default the next version)
    POST /api/reset             {}                  (reset all services, back to the first)

``target`` defaults to the active version. Errors are ``{error, detail, field}``.

The app keeps everything on ``app.state``. Its lifespan starts the checks (and
the services with ``spawn``); a server that mounts it must run that lifespan
itself, since Starlette does not run a mounted app's lifespan::

    monitor = create_monitor_app(config)
    app.mount("/monitor", monitor)
    async with monitor.router.lifespan_context(monitor):   # inside the server's lifespan
        ...
"""
from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
import os
import secrets
import string
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Optional
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from t32sim.audit import KEY_ENV, AuditLog, AuditResult
from t32sim.auth import (
    ApiKeyring, AuthError, Authenticator, LockoutTracker, Principal, Role, UserStore,
    bootstrap_admin, default_users_path,
)
from t32sim.monitor.config import MonitorConfig
from t32sim.monitor.core import ActionError, ChaosKind, Monitor, MONITOR_ACTOR
from t32sim.monitor.healthlog import HealthLog
from t32sim.monitor.security import SiteGuard
from t32sim.monitor.supervisor import TOKEN_ENV, Supervisor
from t32sim.notify import EmailNotifier

__all__ = ["create_monitor_app"]

STATIC = resources.files("t32sim.monitor") / "static"
DELAY_SCALE_ENV = "T32SIM_DEMO_DELAY_SCALE"
log = logging.getLogger(__name__)


# -- request bodies -----------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetBody(_Body):
    target: Optional[str] = Field(None, description="v1, v2, v3 ...; default: the active version")


class CpuBody(TargetBody):
    level: float = Field(..., ge=0, le=100, allow_inf_nan=False, description="CPU load in percent")


class CrashBody(TargetBody):
    down_for: float = Field(0.0, ge=0, le=3600, allow_inf_nan=False,
                            description="seconds to keep the process down before the restart "
                                        "(0: the supervisor restarts it at once, a blip)")


class FailoverBody(_Body):
    to: Optional[str] = Field(None, description="version to switch to; default: the next one")


# -- helpers ----------------------------------------------------------------------------
def _source(request: Request) -> str:
    return request.client.host if request.client else ""


def _problem(status: int, error: str, detail: str, field: str | None = None,
             headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"error": error, "detail": detail, "field": field})


def principal(request: Request) -> Principal:
    """Dependency: the authenticated caller (Basic or X-API-Key); 401/429 otherwise."""
    auth: Authenticator = request.app.state.authenticator
    return auth.authenticate(request.headers.get("authorization"),
                             request.headers.get("x-api-key"), source=_source(request))


def admin_for(action: str):
    """Dependency factory: the caller, who must be an admin to run ``action`` (403 audited)."""
    def dependency(request: Request, who: Principal = Depends(principal)) -> Principal:
        request.app.state.authenticator.authorize(who, Role.ADMIN, action, source=_source(request))
        return who
    return dependency


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


def _render_dashboard(request: Request, who: Principal) -> str:
    template = string.Template((STATIC / "dashboard.html").read_text(encoding="utf-8"))
    root = request.scope.get("root_path", "").rstrip("/")
    return template.safe_substitute(
        root=html.escape(root, quote=True), user=html.escape(who.name, quote=True),
        role=html.escape(who.role.value, quote=True),
        disabled="" if who.role is Role.ADMIN else "disabled")


# -- the app ------------------------------------------------------------------------------
def create_monitor_app(config: MonitorConfig | None = None) -> FastAPI:
    """Build one monitor app (no global state: everything hangs off ``app.state``)."""
    config = config or MonitorConfig()
    env = os.environ if config.env is None else config.env
    config = _resolved(config, env)
    config.db.parent.mkdir(parents=True, exist_ok=True)

    audit = AuditLog(config.db, key=config.audit_key or env.get(KEY_ENV) or None)
    healthlog = HealthLog(config.db, config.retention)
    users = UserStore(config.users_path or default_users_path(config.db))
    if config.admin_password:
        users.set_user("admin", config.admin_password, Role.ADMIN, persist=False)
    else:
        bootstrap_admin(users, env=env, announce=config.announce)
    api_keys = ApiKeyring.from_env(env)
    if config.api_key:
        api_keys.add("api-key", config.api_key, Role.ADMIN)
    authenticator = Authenticator(
        users, audit=audit, api_keys=api_keys, realm="t32sim monitor",
        lockout=LockoutTracker(config.lock_failures, config.lock_seconds))

    def notify_failed(notification, exc) -> None:
        audit.record(MONITOR_ACTOR, "notify", target=notification.kind.value,
                     detail=f"{notification.subject}: {type(exc).__name__}: {exc}",
                     result=AuditResult.ERROR.value)

    owns_notifier = config.notifier == "env"
    notifier = (EmailNotifier.from_env(env, on_error=notify_failed) if owns_notifier
                else config.notifier)

    def supervisor_event(kind: str, version: str, detail: str) -> None:
        monitor.on_process_event(kind, version, detail)
        if kind in ("exited", "failed"):
            audit.record(MONITOR_ACTOR, f"process.{kind}", target=version, detail=detail,
                         result=AuditResult.ERROR.value)

    supervisor = None
    if config.spawn:
        supervisor = Supervisor(_spawn_ports(config), backoff=config.restart_backoff,
                                backoff_max=config.restart_backoff_max,
                                log_dir=config.service_log_dir, env=env,
                                on_event=supervisor_event, token=config.demo_token)
    monitor = Monitor(config, audit, healthlog, notifier=notifier, supervisor=supervisor)

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
                  redoc_url=None)
    app.state.config = config
    app.state.audit = audit
    app.state.healthlog = healthlog
    app.state.users = users
    app.state.authenticator = authenticator
    app.state.notifier = notifier
    app.state.supervisor = supervisor
    app.state.monitor = monitor

    async def refused(scope, field: str, why: str) -> None:
        request = Request(scope)
        await asyncio.to_thread(audit.record, "-", f"http.{scope['method'].lower()}",
                                scope.get("path", ""), why, AuditResult.REFUSED.value,
                                _source(request))

    app.add_middleware(SiteGuard, trusted_origins=config.trusted_origins, on_refused=refused)
    _add_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _add_routes(app, monitor)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError):
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = request.app.state.authenticator.challenge
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return _problem(exc.status, exc.error, exc.detail, None, headers)

    @app.exception_handler(ActionError)
    async def action_error(request: Request, exc: ActionError):
        return _problem(exc.status, exc.error, exc.detail, exc.field)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = list(first.get("loc", ()))
        if first.get("type") == "json_invalid":
            field = "body"                       # the position in the JSON is not a field
        else:
            field = ".".join(str(p) for p in loc if p not in ("body", "query", "path")) or None
        message = first.get("msg", "invalid request")
        return _problem(422, "invalid_parameter", f"{field}: {message}" if field else message, field)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        log.exception("t32sim monitor: %s %s failed", request.method, request.url.path)
        return _problem(500, "internal_error", "the monitor could not complete this request; "
                                               "its log has the details")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        names = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        field = "body" if exc.status_code == 400 else None
        return _problem(exc.status_code, names.get(exc.status_code, "http_error"), str(exc.detail),
                        field, getattr(exc, "headers", None))


Limit = Annotated[int, Query(ge=1, le=1000, description="rows to return")]


def _add_routes(app: FastAPI, monitor: Monitor) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, who: Principal = Depends(principal)):
        return HTMLResponse(_render_dashboard(request, who))

    @app.get("/api/status")
    async def status(who: Principal = Depends(principal)):
        return monitor.snapshot()

    @app.get("/api/health")
    async def health(limit: Limit = 100, who: Principal = Depends(principal)):
        return {"rows": await asyncio.to_thread(monitor.healthlog.rows, limit)}

    @app.get("/api/audit")
    async def audit_rows(limit: Limit = 100, who: Principal = Depends(principal)):
        rows = await asyncio.to_thread(monitor.audit.rows, limit)
        return {"rows": [r.as_dict() for r in rows]}

    @app.get("/api/audit/verify")
    async def audit_verify(who: Principal = Depends(principal)):
        report = await asyncio.to_thread(monitor.audit.verify)
        return {"ok": report.ok, "rows": report.rows, "first_bad_id": report.first_bad_id,
                "reason": report.reason}

    @app.get("/api/whoami")
    async def whoami(who: Principal = Depends(principal)):
        return {"name": who.name, "role": who.role.value, "via": who.via}

    @app.post("/api/chaos/cpu", summary="Chaos: set the CPU load of a service (admin)")
    async def chaos_cpu(request: Request, body: CpuBody,
                        who: Principal = Depends(admin_for("chaos.cpu"))):
        return await monitor.chaos(ChaosKind.CPU, who=who.name, source=_source(request),
                                   target=body.target, level=body.level)

    @app.post("/api/chaos/corruption", summary="Chaos: corrupt a service's data (admin)")
    async def chaos_corruption(request: Request, body: Optional[TargetBody] = None,
                               who: Principal = Depends(admin_for("chaos.corruption"))):
        return await monitor.chaos(ChaosKind.CORRUPTION, who=who.name, source=_source(request),
                                   target=body.target if body else None)

    @app.post("/api/chaos/reset", summary="Chaos: reset one service (admin)")
    async def chaos_reset(request: Request, body: Optional[TargetBody] = None,
                          who: Principal = Depends(admin_for("chaos.reset"))):
        return await monitor.chaos(ChaosKind.RESET, who=who.name, source=_source(request),
                                   target=body.target if body else None)

    @app.post("/api/chaos/crash", summary="Chaos: kill a spawned service's process (admin)")
    async def chaos_crash(request: Request, body: Optional[CrashBody] = None,
                          who: Principal = Depends(admin_for("chaos.crash"))):
        return await monitor.chaos(ChaosKind.CRASH, who=who.name, source=_source(request),
                                   target=body.target if body else None,
                                   down_for=body.down_for if body else 0.0)

    @app.post("/api/failover", summary="Switch to the next (or a named) version (admin)")
    async def failover(request: Request, body: Optional[FailoverBody] = None,
                       who: Principal = Depends(admin_for("failover.manual"))):
        return await monitor.switch(who=who.name, source=_source(request),
                                    to=body.to if body else None)

    @app.post("/api/reset", summary="Reset every service and return to the first version (admin)")
    async def reset(request: Request, who: Principal = Depends(admin_for("reset"))):
        return await monitor.reset(who=who.name, source=_source(request))

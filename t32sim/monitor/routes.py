"""The monitor's routes: the dashboard page and its JSON API.

Read (viewer or admin)::

    GET  /                    the dashboard (HTML; script and styles from /static)
    GET  /api/status          active version, UP/DOWN, failures in window, cooldown, chaos,
                              processes, and what happened in words (notes)
    GET  /api/health?limit=   newest health checks
    GET  /api/audit?limit=    newest audit rows
    GET  /api/audit/verify    the audit chain check
    GET  /api/whoami          the caller's name and role
    GET  /openapi.json        this API's schema

Act (admin; JSON body, same-origin only; every attempt is audited)::

    POST /api/chaos/cpu         {"level": 0-100, "target": "v1"?}
    POST /api/chaos/corruption  {"target": "v1"?}
    POST /api/chaos/reset       {"target": "v1"?}   (also starts a process kept down)
    POST /api/chaos/crash       {"target": "v1"?, "down_for": 0-3600?}
                                (kills the process, kept down ``down_for`` s; needs --spawn)
    POST /api/failover          {"to": "v3"?}       (manual switch; default the next version)
    POST /api/reset             {}                  (reset all services, back to the first)

``target`` defaults to the active version. Errors are ``{error, detail, field}``.
Loading the dashboard page opens a session (an HttpOnly, SameSite=Strict cookie) that
exempts that browser from the login lockout (see :mod:`t32sim.auth.sessions`).
"""
from __future__ import annotations

import asyncio
import html
import string
from importlib import resources
from typing import Annotated, Optional

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from t32sim.auth import SESSION_COOKIE, Principal, Role
from t32sim.monitor.actions import ChaosKind
from t32sim.monitor.core import Monitor
from t32sim.monitor.login import principal
from t32sim.monitor.schemas import (
    ACT_ERRORS, READ_ERRORS, AuditRows, ChaosResult, CpuBody, CrashBody, FailoverBody,
    FailoverResult, HealthRows, ResetBody, ResetResult, StatusBody, TargetBody, VerifyBody, WhoAmI,
    errors,
)
from t32sim.web import client_source

__all__ = ["add_routes", "admin_for", "STATIC"]

STATIC = resources.files("t32sim.monitor") / "static"
Limit = Annotated[int, Query(ge=1, le=1000, description="rows to return")]


def admin_for(action: str):
    """Dependency factory: the caller, who must be an admin to run ``action`` (403 audited)."""
    def dependency(request: Request, who: Principal = Depends(principal)) -> Principal:
        request.app.state.authenticator.authorize(who, Role.ADMIN, action,
                                                  source=client_source(request))
        return who
    return dependency


def _render_dashboard(request: Request, who: Principal) -> str:
    template = string.Template((STATIC / "dashboard.html").read_text(encoding="utf-8"))
    root = request.scope.get("root_path", "").rstrip("/")
    return template.safe_substitute(
        root=html.escape(root, quote=True), user=html.escape(who.name, quote=True),
        role=html.escape(who.role.value, quote=True),
        disabled="" if who.role is Role.ADMIN else "disabled")


def add_routes(app: FastAPI, monitor: Monitor) -> None:
    read = errors(*READ_ERRORS)
    act = errors(*ACT_ERRORS)
    chaos = errors(*ACT_ERRORS, 409, 502)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, who: Principal = Depends(principal)):
        page = HTMLResponse(_render_dashboard(request, who))
        sessions = request.app.state.authenticator.sessions
        if who.via == "basic" and sessions.user(request.cookies.get(SESSION_COOKIE)) != who.name:
            root = request.scope.get("root_path", "").rstrip("/")
            page.set_cookie(SESSION_COOKIE, sessions.open(who.name), max_age=int(sessions.seconds),
                            path=root + "/", httponly=True, samesite="strict")
        return page

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(who: Principal = Depends(principal)):
        return JSONResponse(app.openapi())

    @app.get("/api/status", response_model=StatusBody, responses=read)
    async def status(who: Principal = Depends(principal)):
        return monitor.snapshot()

    @app.get("/api/health", response_model=HealthRows, responses=errors(*READ_ERRORS, 422))
    async def health(limit: Limit = 100, who: Principal = Depends(principal)):
        return {"rows": await asyncio.to_thread(monitor.healthlog.rows, limit)}

    @app.get("/api/audit", response_model=AuditRows, responses=errors(*READ_ERRORS, 422))
    async def audit_rows(limit: Limit = 100, who: Principal = Depends(principal)):
        rows = await asyncio.to_thread(monitor.audit.rows, limit)
        return {"rows": [r.as_dict() for r in rows]}

    @app.get("/api/audit/verify", response_model=VerifyBody, responses=read)
    async def audit_verify(who: Principal = Depends(principal)):
        report = await asyncio.to_thread(monitor.audit.verify)
        return {"ok": report.ok, "rows": report.rows, "first_bad_id": report.first_bad_id,
                "reason": report.reason}

    @app.get("/api/whoami", response_model=WhoAmI, responses=read)
    async def whoami(who: Principal = Depends(principal)):
        return {"name": who.name, "role": who.role.value, "via": who.via}

    @app.post("/api/chaos/cpu", summary="Chaos: set the CPU load of a service (admin)",
              response_model=ChaosResult, responses=chaos)
    async def chaos_cpu(request: Request, body: CpuBody,
                        who: Principal = Depends(admin_for("chaos.cpu"))):
        return await monitor.chaos(ChaosKind.CPU, who=who.name, source=client_source(request),
                                   target=body.target, level=body.level)

    @app.post("/api/chaos/corruption", summary="Chaos: corrupt a service's data (admin)",
              response_model=ChaosResult, responses=chaos)
    async def chaos_corruption(request: Request, body: Optional[TargetBody] = None,
                               who: Principal = Depends(admin_for("chaos.corruption"))):
        return await monitor.chaos(ChaosKind.CORRUPTION, who=who.name, source=client_source(request),
                                   target=body.target if body else None)

    @app.post("/api/chaos/reset", summary="Chaos: reset one service (admin)",
              response_model=ChaosResult, responses=chaos)
    async def chaos_reset(request: Request, body: Optional[TargetBody] = None,
                          who: Principal = Depends(admin_for("chaos.reset"))):
        return await monitor.chaos(ChaosKind.RESET, who=who.name, source=client_source(request),
                                   target=body.target if body else None)

    @app.post("/api/chaos/crash", summary="Chaos: kill a spawned service's process (admin)",
              response_model=ChaosResult, responses=chaos)
    async def chaos_crash(request: Request, body: Optional[CrashBody] = None,
                          who: Principal = Depends(admin_for("chaos.crash"))):
        return await monitor.chaos(ChaosKind.CRASH, who=who.name, source=client_source(request),
                                   target=body.target if body else None,
                                   down_for=body.down_for if body else 0.0)

    @app.post("/api/failover", summary="Switch to the next (or a named) version (admin)",
              response_model=FailoverResult, responses=errors(*ACT_ERRORS, 409))
    async def failover(request: Request, body: Optional[FailoverBody] = None,
                       who: Principal = Depends(admin_for("failover.manual"))):
        return await monitor.switch(who=who.name, source=client_source(request),
                                    to=body.to if body else None)

    @app.post("/api/reset", summary="Reset every service and return to the first version (admin)",
              response_model=ResetResult, responses=act)
    async def reset(request: Request, body: Optional[ResetBody] = None,
                    who: Principal = Depends(admin_for("reset"))):
        return await monitor.reset(who=who.name, source=client_source(request))

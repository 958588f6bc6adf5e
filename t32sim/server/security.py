"""Who may change the cluster, and who did.

* ``require_caller`` guards every mutating endpoint: with an API key configured the
  request must carry it in ``X-API-Key`` (compared in constant time by
  ``t32sim.auth.check_api_key``), else 401 with the standard JSON body.
* The caller's *actor* (``X-Actor`` header, default ``http``) goes into the engine's
  journal; the *source* (client address) goes into the journal row and the audit log.
* ``AuditMiddleware`` records every mutating request with actor, source, target and
  answer, refused ones included, into the shared ``t32sim.audit.AuditLog`` (or a
  bounded in-memory list when the server has no database).
"""
from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from t32sim.auth import check_api_key
from t32sim.server.errors import ApiError

log = logging.getLogger("t32sim.server")

__all__ = ["Caller", "require_caller", "api_key_header", "AuditMiddleware", "MemoryAudit",
           "open_audit", "MUTATING_METHODS"]

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ACTOR_PATTERN = re.compile(r"[A-Za-z0-9_.@:-]{1,40}")
DEFAULT_ACTOR = "http"

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="Required on every mutating endpoint when the "
                                          "server was started with an API key.")


@dataclass(frozen=True)
class Caller:
    actor: str
    source: str


def source_of(request: Request) -> str:
    client = request.client
    return f"{client.host}:{client.port}" if client else "unknown"


def actor_of(request: Request) -> str:
    """The ``X-Actor`` header if it is a plain short name, else ``http``."""
    actor = request.headers.get("x-actor", "")
    return actor if ACTOR_PATTERN.fullmatch(actor) else DEFAULT_ACTOR


def check_key(request: Request, provided: str | None) -> None:
    expected = request.app.state.settings.api_key
    if expected is None:
        return
    if provided is None:
        raise ApiError(401, "unauthorized",
                       "This server needs an API key: send it in the X-API-Key header.",
                       "X-API-Key")
    if not check_api_key(provided, expected):
        raise ApiError(401, "unauthorized", "The X-API-Key header does not match the "
                                            "server's API key.", "X-API-Key")


async def require_caller(request: Request,
                         provided: Annotated[str | None, Depends(api_key_header)]) -> Caller:
    """Dependency of every mutating endpoint: checks the key, names the caller."""
    check_key(request, provided)
    actor = request.headers.get("x-actor")
    if actor is not None and not ACTOR_PATTERN.fullmatch(actor):
        raise ApiError(422, "invalid_parameter", "X-Actor must be 1-40 letters, digits or "
                                                 "'_.@:-'.", "X-Actor")
    return Caller(actor or DEFAULT_ACTOR, source_of(request))


# ---- audit ------------------------------------------------------------------------
class AuditSink(Protocol):
    def record(self, who: str, action: str, target: str = "", detail: str = "",
               result: str = "ok", source: str = "") -> object: ...


@dataclass(frozen=True)
class MemoryAuditRow:
    who: str
    action: str
    target: str
    detail: str
    result: str
    source: str


class MemoryAudit:
    """The last ``limit`` audit rows, in memory (a server started without ``--db``)."""

    def __init__(self, limit: int = 1000):
        self.rows: deque[MemoryAuditRow] = deque(maxlen=limit)

    def record(self, who: str, action: str, target: str = "", detail: str = "",
               result: str = "ok", source: str = "") -> MemoryAuditRow:
        row = MemoryAuditRow(who, action, target, detail, result, source)
        self.rows.append(row)
        return row


def open_audit(db: Path | None) -> AuditSink:
    """The shared tamper-evident audit log in ``db`` (table ``audit``), or a memory one."""
    if db is None:
        return MemoryAudit()
    from t32sim.audit import AuditLog
    return AuditLog(db)


class AuditMiddleware:
    """Records every mutating request and its status: ``action`` is ``http.<verb path>``."""

    def __init__(self, app, sink: AuditSink):
        self.app = app
        self.sink = sink

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in MUTATING_METHODS \
                or scope["path"].startswith("/proxy/"):
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def capture(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send=capture)
        finally:
            request = Request(scope)
            code = status["code"]
            result = "ok" if code < 400 else ("denied" if code == 401 else "error")
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope["path"] + (f"?{query}" if query else "")
            try:
                self.sink.record(actor_of(request), f"http.{scope['method'].lower()}",
                                 target=target, detail=f"status {code}", result=result,
                                 source=source_of(request))
            except Exception:     # the answer is already sent; the failure goes to the log
                log.exception("could not write the audit row for %s %s", scope["method"],
                              target)

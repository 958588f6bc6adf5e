"""Who may change the cluster, and who did.

* **Mutating** requests are every POST/PUT/PATCH/DELETE plus ``GET /lb/select`` and every
  ``/proxy/...`` call: picking a pod moves the round robin on and is journaled.
* **Identity comes from the credential.** With an API key configured (``--api-key`` or
  ``T32SIM_API_KEY``, at least 16 characters) a mutating request must carry it in
  ``X-API-Key`` (checked in constant time by ``t32sim.auth.ApiKeyring``) and acts as that
  key's name, ``api-key``; else 401 with the standard body. Without a key (loopback only)
  every caller is ``http``. No header can choose the name in the journal or the audit:
  ``cli`` (the ``--apply`` files) and ``pacer`` (time) are the server's own.
* ``AuditMiddleware`` records every mutating request, refused ones included, with that
  identity, the client address (``t32sim.web.client_source``), target and status, into
  the shared ``t32sim.audit.AuditLog`` (or a bounded in-memory list without ``--db``).
  It sits outside the cross-site guard, so the guard's refusals are recorded too.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.types import Scope

from t32sim.auth import ApiKeyring
from t32sim.web import ApiError, UNSAFE_METHODS, client_source, create_private

log = logging.getLogger("t32sim.server")

RESULTS = {401: "denied", 403: "refused", 421: "refused"}     # the audit's result words

__all__ = ["Caller", "require_caller", "api_key_header", "AuditMiddleware", "MemoryAudit",
           "open_audit", "is_mutating", "keyring", "ANONYMOUS", "KEY_NAME"]

ANONYMOUS = "http"          # every caller of a server without an API key
KEY_NAME = "api-key"        # the holder of the server's API key

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="Required on every mutating endpoint when the "
                                          "server was started with an API key.")


@dataclass(frozen=True)
class Caller:
    actor: str
    source: str


def is_mutating(scope: Scope) -> bool:
    """Requests that change the cluster or grow the journal."""
    path = scope.get("path", "")
    return scope["method"] in UNSAFE_METHODS or path == "/lb/select" \
        or path.startswith("/proxy/")


def keyring(api_key: str | None) -> ApiKeyring:
    """The server's keys: ``api_key`` named ``api-key`` (ValueError if under 16 characters)."""
    ring = ApiKeyring()
    if api_key is not None:
        ring.add(KEY_NAME, api_key)
    return ring


def identify(request: Request, provided: str | None) -> Caller:
    """The caller named by its credential; 401 when a key is needed and missing or wrong."""
    ring: ApiKeyring = request.app.state.keyring
    source = client_source(request)
    if not len(ring):
        caller = Caller(ANONYMOUS, source)
    else:
        if not provided:
            raise ApiError(401, "unauthorized", "This server needs an API key: send it in "
                                                "the X-API-Key header.", "X-API-Key")
        principal = ring.check(provided)
        if principal is None:
            raise ApiError(401, "unauthorized", "The X-API-Key header does not match the "
                                                "server's API key.", "X-API-Key")
        caller = Caller(principal.name, source)
    request.state.actor = caller.actor          # for the audit row
    return caller


async def require_caller(request: Request,
                         provided: Annotated[str | None, Depends(api_key_header)]) -> Caller:
    """Dependency of every mutating endpoint: checks the key, names the caller."""
    return identify(request, provided)


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
    """The shared tamper-evident audit log in ``db`` (table ``audit``), or a memory one.
    The file is created 0600 first (the audit log would create it world-readable)."""
    if db is None:
        return MemoryAudit()
    from t32sim.audit import AuditLog
    create_private(db)
    return AuditLog(db)


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return scope["path"] + (f"?{query}" if query else "")


class AuditMiddleware:
    """Records every mutating request and its status: ``action`` is ``http.<verb>``."""

    def __init__(self, app, sink: AuditSink):
        self.app = app
        self.sink = sink

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not is_mutating(scope):
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
            code = status["code"]
            result = "ok" if code < 400 else RESULTS.get(code, "error")
            who = scope.get("state", {}).get("actor", "-")
            try:
                self.sink.record(who, f"http.{scope['method'].lower()}", target=_target(scope),
                                 detail=f"status {code}", result=result,
                                 source=client_source(scope))
            except Exception:     # the answer is already sent; the failure goes to the log
                log.exception("could not write the audit row for %s %s", scope["method"],
                              _target(scope))

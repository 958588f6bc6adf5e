"""The shapes of the monitor's JSON: request bodies, answers and errors (its OpenAPI schema).

Every route declares the error statuses it can answer with, each with the shared body
``{error, detail, field}`` of :mod:`t32sim.web`, so the published schema is true to the
responses.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from pydantic import BaseModel, ConfigDict, Field

from t32sim.web import error_responses

__all__ = ["TargetBody", "CpuBody", "CrashBody", "FailoverBody", "ResetBody", "StatusBody",
           "HealthRows", "AuditRows", "VerifyBody", "WhoAmI", "ChaosResult", "FailoverResult",
           "ResetResult", "errors", "READ_ERRORS", "ACT_ERRORS"]


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


class ResetBody(_Body):
    """No fields: send ``{}``."""


class FailoverBody(_Body):
    to: Optional[str] = Field(None, description="version to switch to; default: the next one")


# -- answers --------------------------------------------------------------------------
class _Policy(BaseModel):
    threshold: int
    window: float
    cooldown: float
    wrap: bool


class _Check(BaseModel):
    time: str
    target: str
    url: str
    ok: bool
    status_code: Optional[int]
    latency_ms: float
    error: str


class _Incident(BaseModel):
    version: str
    seconds: float
    failed_checks: int


class _Switch(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    time: str
    from_: Optional[str] = Field(..., alias="from")
    to: str
    by: str
    reason: str


class _Note(BaseModel):
    time: str
    kind: str = Field(..., description="chaos, failover or ridden_out")
    who: str
    text: str


class _Chaos(BaseModel):
    version: str
    cpu_load: float
    is_corrupted: bool
    stable: bool


class _Process(BaseModel):
    pid: Optional[int]
    port: int
    state: str = Field(..., description="running, backoff, held or stopped")
    restarts: int
    last_exit: Optional[int]
    exited_ago: Optional[float]
    restart_in: Optional[float]


class StatusBody(BaseModel):
    active: str
    status: str = Field(..., description="UP, DOWN or UNKNOWN")
    versions: List[str]
    targets: Dict[str, str]
    policy: _Policy
    interval: float
    timeout: float
    delay_scale: float
    failures_in_window: int
    cooldown_remaining: float
    last_check: Optional[_Check]
    last_decision: Optional[str]
    last_reason: Optional[str]
    incident: Optional[_Incident]
    checks: int
    switches: List[_Switch]
    notes: List[_Note] = Field(..., description="what happened, in words, newest first")
    chaos: Dict[str, _Chaos] = Field(..., description="what the monitor last saw of each service")
    spawned: bool
    processes: Dict[str, _Process]
    running: bool


class _HealthRow(_Check):
    id: int
    decision: str


class HealthRows(BaseModel):
    rows: List[_HealthRow]


class _AuditRow(BaseModel):
    id: int
    time: str
    who: str
    source: str
    action: str
    target: str
    detail: str
    result: str
    prev_mac: str
    mac: str


class AuditRows(BaseModel):
    rows: List[_AuditRow]


class VerifyBody(BaseModel):
    ok: bool
    rows: int
    first_bad_id: Optional[int]
    reason: str


class WhoAmI(BaseModel):
    name: str
    role: str
    via: str


class ChaosResult(BaseModel):
    ok: bool
    action: str
    target: str
    service: Dict[str, Any] = Field(..., description="the service's own answer")
    active: str
    message: str = Field(..., description="what will happen next, and why")


class FailoverResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    ok: bool
    action: str
    from_: Optional[str] = Field(..., alias="from")
    active: str


class ResetResult(BaseModel):
    ok: bool
    action: str
    services: Dict[str, str]
    active: str


# -- error statuses -----------------------------------------------------------------
_WHY = {
    400: "the body could not be read",
    421: "the Host header names a host this monitor does not answer for",
    401: "no or wrong credentials (WWW-Authenticate says how to send them)",
    403: "the role may not do this, or a cross-site request",
    409: "not possible right now (stable release, not spawned, no next version)",
    415: "the body is not declared application/json",
    413: "the body is over 64 KiB (refused before it is read)",
    422: "a parameter or body field is invalid (field names it)",
    429: "locked out after failed logins, or too many at once (Retry-After)",
    500: "an unexpected failure; the monitor's log has the details",
    502: "the service did not answer, or refused (409 when it refuses by its nature)",
    503: "too many logins are being checked at once (Retry-After)",
}


#: the headers that come with an error status
_HEADERS = {
    401: {"WWW-Authenticate": "how to send credentials: Basic realm=\"t32sim monitor\""},
    429: {"Retry-After": "seconds until a login may be tried again"},
    503: {"Retry-After": "seconds until a login may be tried again"},
}


def errors(*codes: int) -> dict:
    """``responses=`` for a route: each status with the shared ``{error, detail, field}`` and
    the headers it always carries."""
    out = error_responses(*codes, **{f"s{code}": _WHY[code] for code in codes})
    for code in codes:
        if code in _HEADERS:
            out[code]["headers"] = {
                name: {"description": text, "required": True,
                       "schema": {"type": "integer"} if name == "Retry-After" else
                       {"type": "string"}}
                for name, text in _HEADERS[code].items()}
    return out


READ_ERRORS = (401, 429, 500, 503)
ACT_ERRORS = READ_ERRORS + (400, 403, 415, 422)

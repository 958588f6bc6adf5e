"""One HTTP health check of one service, with a timeout; never raises."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import httpx

__all__ = ["HealthCheck", "check_health"]


@dataclass(frozen=True)
class HealthCheck:
    """The result of ``GET <url>/health``: ok means a 2xx answer within the timeout."""
    time: str                 # wall time, ISO 8601 UTC
    target: str               # the version checked
    url: str
    ok: bool
    status_code: int | None   # None when there was no HTTP answer
    latency_ms: float
    error: str                # "" when ok

    def as_dict(self) -> dict:
        return asdict(self)


def _wall() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        value = body.get("detail") or body.get("error") or body.get("status") or ""
        return str(value)[:120]
    return ""


async def check_health(client: httpx.AsyncClient, target: str, base_url: str,
                       timeout: float) -> HealthCheck:
    """GET ``base_url/health`` once; any failure becomes a not-ok check with an error text."""
    url = base_url.rstrip("/") + "/health"
    started = _wall()
    t0 = time.perf_counter()
    status: int | None = None
    try:
        response = await client.get(url, timeout=timeout)
        status = response.status_code
        ok = 200 <= status < 300
        error = "" if ok else f"HTTP {status}" + (f": {d}" if (d := _detail(response)) else "")
    except httpx.TimeoutException:
        ok, error = False, f"timeout after {timeout:g} s"
    except httpx.ConnectError:
        ok, error = False, "connection refused"
    except httpx.HTTPError as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"[:200]
    latency = round((time.perf_counter() - t0) * 1000.0, 1)
    return HealthCheck(started, target, url, ok, status, latency, error)

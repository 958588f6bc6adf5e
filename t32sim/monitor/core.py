"""The monitor itself: one health check per interval, the failover policy, alerts, actions.

Everything here runs on one asyncio loop (the app's); SQLite writes go to a
worker thread so a slow disk never stalls the checks. The loop sleeps until
the next tick after each check (no busy loop): at most one check per
``interval``, fewer when checks are slower than the interval.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable

import httpx

from t32sim.audit import AuditLog, AuditResult
from t32sim.enums import StrEnum
from t32sim.failover import Decision, FailoverPolicy, Outcome
from t32sim.monitor.checker import HealthCheck, check_health
from t32sim.monitor.config import MonitorConfig
from t32sim.monitor.healthlog import HealthLog
from t32sim.monitor.status import ServiceState, StatusTracker
from t32sim.monitor.supervisor import Supervisor

__all__ = ["Monitor", "ChaosKind", "ActionError", "MONITOR_ACTOR"]

log = logging.getLogger(__name__)
MONITOR_ACTOR = "monitor"


class ChaosKind(StrEnum):
    CPU = "cpu"
    CORRUPTION = "corruption"
    RESET = "reset"
    CRASH = "crash"


class ActionError(Exception):
    """An action that could not be done: becomes ``{error, detail, field}`` with ``status``."""

    def __init__(self, status: int, error: str, detail: str, field: str | None = None):
        super().__init__(detail)
        self.status, self.error, self.detail, self.field = status, error, detail, field


def _wall() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Monitor:
    """Watches the active version, fails over by :class:`FailoverPolicy`, runs operator actions."""

    def __init__(self, config: MonitorConfig, audit: AuditLog, healthlog: HealthLog, *,
                 notifier: Any = None, supervisor: Supervisor | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self.transport = transport          # tests may swap the network for httpx.MockTransport
        self.audit = audit
        self.healthlog = healthlog
        self.notifier = notifier
        self.supervisor = supervisor
        self.clock = clock
        self.policy = FailoverPolicy(config.failover)
        self.status = StatusTracker(config.down_after)
        self.client: httpx.AsyncClient | None = None
        self.last_check: HealthCheck | None = None
        self.last_outcome: Outcome | None = None
        self.switches: deque[dict] = deque(maxlen=100)
        self.checks = 0
        self.started = False
        self.not_ready: list[str] = []
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()   # a failover is recorded in full before any action runs

    # -- lifecycle ----------------------------------------------------------------
    async def start(self) -> None:
        """Open the HTTP client, start the services when spawning, then the check loop."""
        self.client = httpx.AsyncClient(trust_env=False, follow_redirects=False,
                                        transport=self.transport)
        if self.supervisor is not None:
            await self.supervisor.start()
            self.not_ready = await self.supervisor.wait_ready(self.config.startup_timeout)
        cfg = self.config
        await self._audit(MONITOR_ACTOR, "monitor.start", target=self.policy.active,
                          detail=f"versions {'/'.join(cfg.versions)}; check every {cfg.interval:g} s "
                                 f"(timeout {cfg.timeout:g} s); failover after {cfg.threshold} "
                                 f"failures in {cfg.window:g} s, cooldown {cfg.cooldown:g} s; "
                                 f"spawn {'yes' if self.supervisor else 'no'}"
                                 + (f"; not ready: {', '.join(self.not_ready)}" if self.not_ready else ""))
        self.started = True
        self._task = asyncio.create_task(self._loop(), name="t32sim-monitor-loop")

    async def stop(self) -> None:
        """Stop checking, stop spawned services, close the client. Safe to call twice."""
        if self._task is not None:
            async with self._lock:             # never cancel a round halfway through a failover
                self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self.supervisor is not None:
            await self.supervisor.stop()
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self.started:
            self.started = False
            await self._audit(MONITOR_ACTOR, "monitor.stop", target=self.policy.active,
                              detail=f"{self.checks} checks")

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            try:
                await self.check_once()
            except asyncio.CancelledError:
                raise
            except Exception:                  # the watchdog must survive its own bugs
                log.exception("t32sim monitor: health check round failed")
            next_at += self.config.interval
            now = loop.time()
            if next_at < now:                  # fell behind (slow check): no burst to catch up
                next_at = now
            await asyncio.sleep(next_at - now)

    # -- one round ------------------------------------------------------------------
    async def check_once(self) -> tuple[HealthCheck, Outcome | None]:
        """Check the active version once, feed the policy, log, alert and fail over."""
        assert self.client is not None, "Monitor.start() opens the HTTP client"
        version = self.policy.active
        check = await check_health(self.client, version, self.config.targets[version],
                                   self.config.timeout)
        async with self._lock:
            self.checks += 1
            self.last_check = check
            if self.policy.active != version:      # an operator switched while we waited
                await asyncio.to_thread(self.healthlog.record, check, "stale")
                return check, None
            outcome = self.policy.observe(self.clock(), check.ok)
            self.last_outcome = outcome
            alert = self.status.observe(check.ok)
            if outcome.switched:                   # all state changes before the first await
                self._note_switch(outcome, MONITOR_ACTOR)
            await asyncio.to_thread(self.healthlog.record, check, outcome.decision.value)
            if alert is ServiceState.DOWN:
                self._notify("down", version, check.error)
            elif alert is ServiceState.UP:
                self._notify("up", version, f"latency {check.latency_ms:g} ms")
            if outcome.switched:
                await self._record_switch(outcome, MONITOR_ACTOR, "")
            return check, outcome

    def _note_switch(self, outcome: Outcome, who: str) -> None:
        self.status.switched()
        self.switches.append({"time": _wall(), "from": outcome.previous, "to": outcome.active,
                              "by": who, "reason": outcome.reason})

    async def _record_switch(self, outcome: Outcome, who: str, source: str) -> None:
        action = "failover" if outcome.decision is Decision.FAILOVER else "failover.manual"
        await self._audit(who, action, target=f"{outcome.previous}->{outcome.active}",
                          detail=outcome.reason, source=source)
        self._notify("failover", outcome.previous or "", outcome.active, outcome.reason)

    # -- operator actions -------------------------------------------------------------
    def _target(self, target: str | None) -> str:
        if target is None:
            return self.policy.active
        if target not in self.config.targets:
            raise ActionError(422, "invalid_parameter",
                              f"target: expected one of {', '.join(self.config.versions)}, "
                              f"got {target!r}", "target")
        return target

    async def chaos(self, kind: ChaosKind, *, who: str, source: str = "",
                    target: str | None = None, level: float | None = None) -> dict:
        """Run one chaos action against ``target`` (default: the active version); audited."""
        async with self._lock:
            return await self._chaos(kind, who=who, source=source, target=target, level=level)

    async def _chaos(self, kind: ChaosKind, *, who: str, source: str, target: str | None,
                     level: float | None) -> dict:
        version = self._target(target)
        action = f"chaos.{kind.value}"
        detail = f"level {level:g}" if kind is ChaosKind.CPU and level is not None else ""
        try:
            if kind is ChaosKind.CRASH:
                result = await self._crash(version)
                detail = f"killed pid {result['killed_pid']} with SIGKILL"
            else:
                path = {ChaosKind.CPU: f"/simulate/cpu/{level:g}" if level is not None else "",
                        ChaosKind.CORRUPTION: "/simulate/corruption",
                        ChaosKind.RESET: "/simulate/reset"}[kind]
                if not path:
                    raise ActionError(422, "invalid_parameter", "level: expected a number 0-100",
                                      "level")
                result = await self._post(version, path)
        except ActionError as exc:
            await self._audit(who, action, target=version, detail="; ".join(p for p in (detail, exc.detail) if p),
                              result=AuditResult.ERROR, source=source)
            raise
        await self._audit(who, action, target=version, detail=detail, source=source)
        return {"ok": True, "action": action, "target": version, "service": result,
                "active": self.policy.active}

    async def _crash(self, version: str) -> dict:
        if self.supervisor is None:
            raise ActionError(409, "not_supervised",
                              "crash needs a monitor started with --spawn: it only kills "
                              "processes it started itself")
        pid = await self.supervisor.kill(version)
        if pid is None:
            raise ActionError(409, "not_running", f"{version} is not running right now")
        return {"killed_pid": pid}

    async def _post(self, version: str, path: str) -> dict:
        assert self.client is not None, "Monitor.start() opens the HTTP client"
        url = self.config.targets[version].rstrip("/") + path
        try:
            response = await self.client.post(url, timeout=self.config.timeout)
        except httpx.HTTPError as exc:
            raise ActionError(502, "service_unreachable",
                              f"{version} did not answer ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            detail = body.get("detail") if isinstance(body, dict) else None
            raise ActionError(response.status_code if response.status_code < 500 else 502,
                              "service_refused",
                              f"{version} answered {response.status_code}"
                              + (f": {detail}" if detail else ""))
        return body if isinstance(body, dict) else {}

    async def switch(self, *, who: str, source: str = "", to: str | None = None) -> dict:
        """An operator's failover to ``to`` (default: the next version); audited."""
        async with self._lock:
            return await self._switch(who=who, source=source, to=to)

    async def _switch(self, *, who: str, source: str, to: str | None) -> dict:
        if to is not None:
            self._target(to)
        try:
            outcome = self.policy.switch(self.clock(), to)
        except ValueError as exc:
            await self._audit(who, "failover.manual", target=to or "", detail=str(exc),
                              result=AuditResult.ERROR, source=source)
            raise ActionError(409, "no_next_version", str(exc), "to") from None
        self._note_switch(outcome, who)
        await self._record_switch(outcome, who, source)
        return {"ok": True, "action": "failover.manual", "from": outcome.previous,
                "active": outcome.active}

    async def reset(self, *, who: str, source: str = "") -> dict:
        """Reset chaos on every service and make the first version active again; audited."""
        async with self._lock:
            return await self._reset(who=who, source=source)

    async def _reset(self, *, who: str, source: str) -> dict:
        results = {}
        for version in self.config.versions:
            try:
                await self._post(version, "/simulate/reset")
                results[version] = "reset"
            except ActionError as exc:
                results[version] = exc.detail
        first = self.config.versions[0]
        previous = self.policy.active
        outcome = self.policy.switch(self.clock(), first)
        self._note_switch(outcome, who)
        detail = "; ".join(f"{v}: {r}" for v, r in results.items()) + f"; active {previous}->{first}"
        await self._audit(who, "reset", target="all", detail=detail, source=source)
        return {"ok": True, "action": "reset", "services": results, "active": first}

    # -- views ------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The state the dashboard and ``/api/status`` show (no I/O)."""
        now = self.clock()
        cfg = self.config
        outcome = self.last_outcome
        return {
            "active": self.policy.active,
            "status": self.status.state.value,
            "versions": list(cfg.versions),
            "targets": dict(cfg.targets),
            "policy": {"threshold": cfg.threshold, "window": cfg.window,
                       "cooldown": cfg.cooldown, "wrap": cfg.wrap},
            "interval": cfg.interval,
            "failures_in_window": len(self.policy.failures),
            "cooldown_remaining": round(self.policy.cooldown_remaining(now), 3),
            "last_check": self.last_check.as_dict() if self.last_check else None,
            "last_decision": outcome.decision.value if outcome else None,
            "last_reason": outcome.reason if outcome else None,
            "checks": self.checks,
            "switches": list(self.switches),
            "spawned": self.supervisor is not None,
            "processes": self.supervisor.snapshot() if self.supervisor else {},
            "running": self._task is not None and not self._task.done(),
        }

    # -- side effects -------------------------------------------------------------------
    async def _audit(self, who: str, action: str, *, target: str = "", detail: str = "",
                     result: AuditResult | str = AuditResult.OK, source: str = "") -> None:
        await asyncio.to_thread(self.audit.record, who, action, target, detail, str(result), source)

    def _notify(self, kind: str, *args: str) -> None:
        if self.notifier is None:
            return
        try:
            getattr(self.notifier, kind)(*args)
        except Exception:                      # notifiers must not break the monitor
            log.exception("t32sim monitor: notifier %s failed", kind)

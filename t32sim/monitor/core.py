"""The monitor itself: one health check per interval, the failover policy, alerts, the story.

Everything here runs on one asyncio loop (the app's); SQLite writes go to a
worker thread so a slow disk never stalls the checks. The loop sleeps until
the next tick after each check (no busy loop): at most one check per
``interval``, fewer when checks are slower than the interval.

A failed check is explained from what the monitor knows of the service: the chaos
state it last saw (``GET /simulate/state``, asked again after each failure) and,
with ``--spawn``, its process ("timeout after 1 s: v1 is at 80 % load ...").
The operator's actions live in :mod:`t32sim.monitor.actions`.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable

import httpx

from t32sim.audit import AuditLog, AuditResult
from t32sim.demo_chaos import REFUSED, DemoState, explain, failure_cause
from t32sim.failover import FailoverPolicy, IncidentTracker, Outcome, ridden_out
from t32sim.monitor.actions import ActionError, Actions, ChaosKind, MONITOR_ACTOR
from t32sim.monitor.checker import HealthCheck, check_health
from t32sim.monitor.config import MonitorConfig
from t32sim.monitor.healthlog import HealthLog
from t32sim.monitor.status import ServiceState, StatusTracker
from t32sim.monitor.story import down_text
from t32sim.monitor.supervisor import Supervisor

__all__ = ["Monitor", "ChaosKind", "ActionError", "MONITOR_ACTOR"]

log = logging.getLogger(__name__)


def _wall() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Monitor(Actions):
    """Watches the active version, fails over by :class:`FailoverPolicy`, runs operator actions."""

    def __init__(self, config: MonitorConfig, audit: AuditLog, healthlog: HealthLog, *,
                 notifier: Any = None, supervisor: Supervisor | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 transport: httpx.AsyncBaseTransport | None = None, noise: Any = None):
        self.config = config
        self.noise = noise                  # a NoiseFilter: its summaries are written each round
        self.transport = transport          # tests may swap the network for httpx.MockTransport
        self.audit = audit
        self.healthlog = healthlog
        self.notifier = notifier
        self.supervisor = supervisor
        self.clock = clock
        self.policy = FailoverPolicy(config.failover)
        self.status = StatusTracker(config.down_after)
        self.incidents = IncidentTracker()
        self.client: httpx.AsyncClient | None = None
        self.last_check: HealthCheck | None = None
        self.last_outcome: Outcome | None = None
        self.switches: deque[dict] = deque(maxlen=100)
        self.notes: deque[dict] = deque(maxlen=30)     # what happened, in words, newest last
        self.demo = {v: DemoState(v) for v in config.versions}   # what we last saw of each
        self.crashed_at: dict[str, float] = {}           # version -> clock() of its last exit
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
        for version in self.config.versions:
            await self.refresh_state(version)
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
            if self.noise is not None:
                await asyncio.to_thread(self.noise.flush, True)
            await self._audit(MONITOR_ACTOR, "monitor.stop", target=self.policy.active,
                              detail=f"{self.checks} checks")

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            try:
                await self.check_once()
                if self.noise is not None:
                    await asyncio.to_thread(self.noise.flush)
            except asyncio.CancelledError:
                raise
            except Exception:                  # the watchdog must survive its own bugs
                log.exception("t32sim monitor: health check round failed")
            next_at += self.config.interval
            now = loop.time()
            if next_at < now:                  # fell behind (slow check): no burst to catch up
                next_at = now
            await asyncio.sleep(next_at - now)

    def on_process_event(self, kind: str, version: str, detail: str) -> None:
        """The supervisor's news: a new process starts clean; an exit is remembered."""
        if version not in self.demo:
            return
        if kind == "started":
            self.demo[version].reset()
        elif kind == "exited":
            self.crashed_at[version] = self.clock()

    # -- one round ------------------------------------------------------------------
    async def check_once(self) -> tuple[HealthCheck, Outcome | None]:
        """Check the active version once, feed the policy, log, alert and fail over."""
        assert self.client is not None, "Monitor.start() opens the HTTP client"
        version = self.policy.active
        check = await check_health(self.client, version, self.config.targets[version],
                                   self.config.timeout)
        if not check.ok:
            check = replace(check, error=await self._explain(check))
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
            self._follow_incident(outcome)
            await asyncio.to_thread(self.healthlog.record, check, outcome.decision.value)
            if alert is ServiceState.DOWN:
                self._notify("down", version, check.error)
            elif alert is ServiceState.UP:
                self._notify("up", version, f"latency {check.latency_ms:g} ms")
            if outcome.switched:
                await self._record_switch(outcome, MONITOR_ACTOR, "")
            return check, outcome

    async def _explain(self, check: HealthCheck) -> str:
        """The check's error with its cause, as far as the monitor can tell."""
        version = check.target
        process = self.supervisor.snapshot().get(version) if self.supervisor else None
        down = down_text(version, process)
        if not down and not check.error.startswith(REFUSED):
            await self.refresh_state(version)
        cause = failure_cause(self.demo[version], down=down, scale=self.delay_scale)
        return explain(check.error, cause)

    async def refresh_state(self, version: str) -> None:
        """Ask ``version`` for its chaos state (never delayed by its load); keep what we knew
        when it does not answer."""
        assert self.client is not None, "Monitor.start() opens the HTTP client"
        url = self.config.targets[version].rstrip("/") + "/simulate/state"
        try:
            response = await self.client.get(url, timeout=min(self.config.timeout, 1.0))
            body = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return
        self.learn(version, body)

    def learn(self, version: str, body: Any) -> None:
        """Take ``cpu_load`` and ``is_corrupted`` from a service's answer, when it has them."""
        if not isinstance(body, dict):
            return
        state = self.demo[version]
        load, corrupted = body.get("cpu_load"), body.get("is_corrupted")
        if isinstance(load, (int, float)) and not isinstance(load, bool):
            state.cpu_load = float(load)
        if isinstance(corrupted, bool):
            state.is_corrupted = corrupted
        if isinstance(body.get("stable"), bool):
            state.stable = body["stable"]

    def _follow_incident(self, outcome: Outcome) -> None:
        incident = self.incidents.observe(outcome)
        if incident is None or incident.switched:
            return
        crashed = self.crashed_at.get(incident.version)
        window = self.config.interval + self.config.timeout
        if crashed is not None and incident.started - window <= crashed <= incident.ended:
            text = ridden_out(incident, self.config.failover, what="crashed and was restarted",
                              since=crashed)
        else:
            text = ridden_out(incident, self.config.failover)
        self.note("ridden_out", text)

    def note(self, kind: str, text: str, who: str = MONITOR_ACTOR) -> None:
        """Remember one thing that happened, for the dashboard's story panel."""
        self.notes.append({"time": _wall(), "kind": kind, "who": who, "text": text})

    def _note_switch(self, outcome: Outcome, who: str) -> None:
        self.status.switched()
        self.switches.append({"time": _wall(), "from": outcome.previous, "to": outcome.active,
                              "by": who, "reason": outcome.reason})
        self.note("failover", outcome.reason, who)

    async def _record_switch(self, outcome: Outcome, who: str, source: str) -> None:
        action = "failover" if outcome.decision.value == "failover" else "failover.manual"
        await self._audit(who, action, target=f"{outcome.previous}->{outcome.active}",
                          detail=outcome.reason, source=source)
        self._notify("failover", outcome.previous or "", outcome.active, outcome.reason)

    # -- views ------------------------------------------------------------------------
    @property
    def delay_scale(self) -> float:
        """The services' delay scale (1: the original's timing)."""
        return 1.0 if self.config.delay_scale is None else self.config.delay_scale

    def snapshot(self) -> dict:
        """The state the dashboard and ``/api/status`` show (no I/O)."""
        now = self.clock()
        cfg = self.config
        outcome = self.last_outcome
        open_incident = self.incidents.open
        return {
            "active": self.policy.active,
            "status": self.status.state.value,
            "versions": list(cfg.versions),
            "targets": dict(cfg.targets),
            "policy": {"threshold": cfg.threshold, "window": cfg.window,
                       "cooldown": cfg.cooldown, "wrap": cfg.wrap},
            "interval": cfg.interval,
            "timeout": cfg.timeout,
            "delay_scale": self.delay_scale,
            "failures_in_window": len(self.policy.failures),
            "cooldown_remaining": round(self.policy.cooldown_remaining(now), 3),
            "last_check": self.last_check.as_dict() if self.last_check else None,
            "last_decision": outcome.decision.value if outcome else None,
            "last_reason": outcome.reason if outcome else None,
            "incident": None if open_incident is None else {
                "version": open_incident[0], "seconds": round(max(0.0, now - open_incident[1]), 3),
                "failed_checks": open_incident[2]},
            "checks": self.checks,
            "switches": list(self.switches),
            "notes": list(reversed(self.notes)),
            "chaos": {v: s.as_dict() for v, s in self.demo.items()},
            "spawned": self.supervisor is not None,
            "processes": self.supervisor.snapshot() if self.supervisor else {},
            "running": self._task is not None and not self._task.done(),
        }

    # -- side effects -------------------------------------------------------------------
    async def _audit(self, who: str, action: str, *, target: str = "", detail: str = "",
                     result: AuditResult | str = AuditResult.OK, source: str = "") -> None:
        """One audit row; the monitor's own rows name it as their source."""
        source = source or (MONITOR_ACTOR if who == MONITOR_ACTOR else "")
        await asyncio.to_thread(self.audit.record, who, action, target, detail, str(result), source)

    def _notify(self, kind: str, *args: str) -> None:
        if self.notifier is None:
            return
        try:
            getattr(self.notifier, kind)(*args)
        except Exception:                      # notifiers must not break the monitor
            log.exception("t32sim monitor: notifier %s failed", kind)

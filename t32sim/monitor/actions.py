"""What an operator may do through the monitor: chaos on a service, a manual failover, a reset.

Each action is audited (also when it fails) and answers with a sentence saying what will
happen next, from :mod:`t32sim.monitor.story`. :class:`Actions` is a part of
:class:`t32sim.monitor.core.Monitor`; it uses the monitor's client, policy, lock and audit.
"""
from __future__ import annotations

import httpx

from t32sim.audit import AuditResult
from t32sim.enums import StrEnum
from t32sim.monitor.story import (
    corruption_message, cpu_message, crash_message, reset_message,
)

__all__ = ["Actions", "ChaosKind", "ActionError", "MONITOR_ACTOR", "TOKEN_HEADER"]

MONITOR_ACTOR = "monitor"
TOKEN_HEADER = "X-Demo-Token"


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


class Actions:
    """Chaos, manual failover and reset; mixed into the Monitor."""

    def _target(self, target: str | None, field: str = "target") -> str:
        if target is None:
            return self.policy.active
        if target not in self.config.targets:
            raise ActionError(422, "invalid_parameter",
                              f"{field}: expected one of {', '.join(self.config.versions)}, "
                              f"got {target!r}", field)
        return target

    async def chaos(self, kind: ChaosKind, *, who: str, source: str = "",
                    target: str | None = None, level: float | None = None,
                    down_for: float = 0.0) -> dict:
        """Run one chaos action against ``target`` (default: the active version); audited."""
        async with self._lock:
            return await self._chaos(kind, who=who, source=source, target=target, level=level,
                                     down_for=down_for)

    async def _chaos(self, kind: ChaosKind, *, who: str, source: str, target: str | None,
                     level: float | None, down_for: float) -> dict:
        version = self._target(target)
        action = f"chaos.{kind.value}"
        cfg = self.config
        detail = ""
        if kind is ChaosKind.CPU:
            detail = f"level {level:g}" if level is not None else ""
        elif kind is ChaosKind.CRASH and down_for > 0:
            detail = f"kept down {down_for:g} s"
        try:
            if kind is ChaosKind.CRASH:
                result, message = await self._crash(version, down_for)
                detail = "; ".join(p for p in (f"killed pid {result['killed_pid']} with SIGKILL",
                                               detail) if p)
            elif kind is ChaosKind.CPU:
                if level is None:
                    raise ActionError(422, "invalid_parameter", "level: expected a number 0-100",
                                      "level")
                result = await self._post(version, f"/simulate/cpu/{level:g}")
                message = cpu_message(version, level, timeout=cfg.timeout, scale=self.delay_scale,
                                      config=cfg.failover)
            elif kind is ChaosKind.CORRUPTION:
                result = await self._post(version, "/simulate/corruption")
                message = corruption_message(version, cfg.failover)
            else:
                restarted = self.supervisor is not None and self.supervisor.release(version)
                if restarted:                    # a new process starts clean
                    self.demo[version].reset()
                    result = {"version": version, "restarted": True}
                else:
                    result = await self._post(version, "/simulate/reset")
                message = reset_message(version, restarted=restarted)
        except ActionError as exc:
            await self._audit(who, action, target=version,
                              detail="; ".join(p for p in (detail, exc.detail) if p),
                              result=AuditResult.ERROR, source=source)
            raise
        self.learn(version, result)
        self.note("chaos", message, who)
        await self._audit(who, action, target=version, detail=detail, source=source)
        return {"ok": True, "action": action, "target": version, "service": result,
                "active": self.policy.active, "message": message}

    async def _crash(self, version: str, down_for: float) -> tuple[dict, str]:
        if self.supervisor is None:
            raise ActionError(409, "not_supervised",
                              "crash needs a monitor started with --spawn: it only kills "
                              "processes it started itself")
        restart_in = self.supervisor.restart_delay(version, down_for)
        pid = await self.supervisor.kill(version, down_for)
        if pid is None:
            raise ActionError(409, "not_running", f"{version} is not running right now")
        message = crash_message(version, pid, restart_in=restart_in, down_for=down_for,
                                interval=self.config.interval, config=self.config.failover)
        return {"killed_pid": pid, "restart_in": restart_in}, message

    async def _post(self, version: str, path: str) -> dict:
        assert self.client is not None, "Monitor.start() opens the HTTP client"
        url = self.config.targets[version].rstrip("/") + path
        headers = {TOKEN_HEADER: self.config.demo_token} if self.config.demo_token else {}
        try:
            response = await self.client.post(url, timeout=self.config.timeout, headers=headers)
        except httpx.HTTPError as exc:
            raise ActionError(502, "service_unreachable",
                              f"{version} did not answer ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            # 409 is a refusal by design (the stable release); anything else is a bad gateway
            detail = body.get("detail") if isinstance(body, dict) else None
            raise ActionError(409 if response.status_code == 409 else 502, "service_refused",
                              f"{version} answered {response.status_code}"
                              + (f": {detail}" if detail else ""))
        return body if isinstance(body, dict) else {}

    async def switch(self, *, who: str, source: str = "", to: str | None = None) -> dict:
        """An operator's failover to ``to`` (default: the next version); audited."""
        async with self._lock:
            return await self._switch(who=who, source=source, to=to)

    async def _switch(self, *, who: str, source: str, to: str | None) -> dict:
        if to is not None:
            self._target(to, "to")
        try:
            outcome = self.policy.switch(self.clock(), to)
        except ValueError as exc:
            await self._audit(who, "failover.manual", target=to or "", detail=str(exc),
                              result=AuditResult.ERROR, source=source)
            raise ActionError(409, "no_next_version", str(exc), "to") from None
        self.incidents.observe(outcome)
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
            if self.supervisor is not None and self.supervisor.release(version):
                results[version] = "restarted"
                self.demo[version].reset()
                continue
            try:
                self.learn(version, await self._post(version, "/simulate/reset"))
                results[version] = "reset"
            except ActionError as exc:
                results[version] = exc.detail
        first = self.config.versions[0]
        previous = self.policy.active
        outcome = self.policy.switch(self.clock(), first)
        self.incidents.observe(outcome)
        self._note_switch(outcome, who)
        detail = "; ".join(f"{v}: {r}" for v, r in results.items()) + f"; active {previous}->{first}"
        await self._audit(who, "reset", target="all", detail=detail, source=source)
        return {"ok": True, "action": "reset", "services": results, "active": first}

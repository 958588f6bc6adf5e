"""The monitor loop and operator actions against fake services (t32sim/monitor/core.py)."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from t32sim.audit import AuditLog
from t32sim.monitor.config import MonitorConfig
from t32sim.monitor.core import ActionError, ChaosKind, Monitor
from t32sim.monitor.healthlog import HealthLog


class FakeServices:
    """v1/v2/v3 at http://vN.test answering from a table; records every request."""

    def __init__(self):
        self.health = {"v1": 200, "v2": 200, "v3": 200}
        self.requests: list[tuple[str, str, str]] = []
        self.on_request = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        version = request.url.host.split(".")[0]
        self.requests.append((request.method, version, request.url.path))
        if self.on_request:
            self.on_request(request)
        if request.method == "GET":
            code = self.health[version]
            if code is None:
                raise httpx.ConnectError("refused")
            return httpx.Response(code, json={"status": "UP" if code == 200 else "DOWN",
                                              "detail": "" if code == 200 else "DATA_ERR"})
        if version == "v3" and request.url.path == "/simulate/corruption":
            return httpx.Response(409, json={"detail": "v3 is the stable release"})
        return httpx.Response(200, json={"version": version, "path": request.url.path})


class FakeNotifier:
    def __init__(self):
        self.sent = []

    def down(self, service, detail=""):
        self.sent.append(("down", service, detail))

    def up(self, service, detail=""):
        self.sent.append(("up", service))

    def failover(self, previous, active, reason=""):
        self.sent.append(("failover", previous, active, reason))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def world(tmp_path):
    config = MonitorConfig(db=tmp_path / "m.db", interval=1.0, threshold=5, window=10,
                           cooldown=15, down_after=2,
                           targets={v: f"http://{v}.test" for v in ("v1", "v2", "v3")})
    services, notifier, clock = FakeServices(), FakeNotifier(), Clock()
    audit = AuditLog(config.db, key=b"k" * 32)
    monitor = Monitor(config, audit, HealthLog(config.db), notifier=notifier, clock=clock,
                      transport=httpx.MockTransport(services))
    return monitor, services, notifier, clock, audit


def run(coroutine_factory):
    """Run ``coroutine_factory(client-ready monitor)`` on a fresh loop."""
    return asyncio.run(coroutine_factory())


def audit_trail(audit):
    return [(r.who, r.action, r.target, r.result, r.detail)
            for r in audit.rows(limit=None, newest_first=False)]


def test_failing_v1_fails_over_to_v2_with_alerts_audit_and_health_log(world):
    monitor, services, notifier, clock, audit = world

    async def scenario():
        monitor.client = httpx.AsyncClient(transport=monitor.transport)
        try:
            for t in range(9):
                clock.now = float(t)
                if t == 2:
                    services.health["v1"] = 503
                await monitor.check_once()
        finally:
            await monitor.client.aclose()
    run(scenario)
    rows = monitor.healthlog.rows(limit=100, newest_first=False)
    assert [(r["target"], r["ok"], r["decision"]) for r in rows] == [
        ("v1", True, "healthy"), ("v1", True, "healthy"),
        ("v1", False, "failing"), ("v1", False, "failing"), ("v1", False, "failing"),
        ("v1", False, "failing"), ("v1", False, "failover"),
        ("v2", True, "healthy"), ("v2", True, "healthy")]
    reason = "v1 failed 5 checks within 10 s: switched to v2."
    assert notifier.sent == [("down", "v1", "HTTP 503: DATA_ERR"),
                             ("failover", "v1", "v2", reason),
                             ("up", "v2")]
    assert audit_trail(audit) == [("monitor", "failover", "v1->v2", "ok", reason)]
    snap = monitor.snapshot()
    assert (snap["active"], snap["status"], snap["failures_in_window"], snap["cooldown_remaining"],
            snap["checks"]) == ("v2", "UP", 0, 13.0, 9)
    assert [(s["from"], s["to"], s["by"]) for s in snap["switches"]] == [("v1", "v2", "monitor")]


def test_a_check_overtaken_by_a_manual_switch_is_logged_as_stale(world):
    monitor, services, _, clock, _ = world
    services.on_request = lambda request: monitor.policy.switch(clock(), "v3")
    services.health["v1"] = None

    async def scenario():
        monitor.client = httpx.AsyncClient(transport=monitor.transport)
        try:
            return await monitor.check_once()
        finally:
            await monitor.client.aclose()
    check, outcome = run(scenario)
    assert (check.target, check.ok, outcome) == ("v1", False, None)
    assert monitor.healthlog.rows()[0]["decision"] == "stale"
    assert monitor.policy.failures == ()          # v1's failure is not held against v3


def test_chaos_actions_reach_the_right_service_and_are_audited(world):
    monitor, services, _, _, audit = world

    async def scenario():
        monitor.client = httpx.AsyncClient(transport=monitor.transport)
        try:
            cpu = await monitor.chaos(ChaosKind.CPU, who="admin", source="127.0.0.1", level=80)
            await monitor.chaos(ChaosKind.CORRUPTION, who="admin", source="127.0.0.1", target="v2")
            await monitor.chaos(ChaosKind.RESET, who="admin", source="127.0.0.1", target="v2")
            with pytest.raises(ActionError) as refused:
                await monitor.chaos(ChaosKind.CORRUPTION, who="admin", target="v3")
            with pytest.raises(ActionError) as crash:
                await monitor.chaos(ChaosKind.CRASH, who="admin", target="v1")
            with pytest.raises(ActionError) as bad:
                await monitor.chaos(ChaosKind.RESET, who="admin", target="v9")
            return cpu, refused.value, crash.value, bad.value
        finally:
            await monitor.client.aclose()
    cpu, refused, crash, bad = run(scenario)
    assert cpu == {"ok": True, "action": "chaos.cpu", "target": "v1", "active": "v1",
                   "service": {"version": "v1", "path": "/simulate/cpu/80"}}
    assert services.requests == [("POST", "v1", "/simulate/cpu/80"),
                                 ("POST", "v2", "/simulate/corruption"),
                                 ("POST", "v2", "/simulate/reset"),
                                 ("POST", "v3", "/simulate/corruption")]
    assert (refused.status, refused.error, refused.detail) == (
        409, "service_refused", "v3 answered 409: v3 is the stable release")
    assert (crash.status, crash.error) == (409, "not_supervised")
    assert (bad.status, bad.field, bad.detail) == (
        422, "target", "target: expected one of v1, v2, v3, got 'v9'")
    assert audit_trail(audit) == [
        ("admin", "chaos.cpu", "v1", "ok", "level 80"),
        ("admin", "chaos.corruption", "v2", "ok", ""),
        ("admin", "chaos.reset", "v2", "ok", ""),
        ("admin", "chaos.corruption", "v3", "error", "v3 answered 409: v3 is the stable release"),
        ("admin", "chaos.crash", "v1", "error",
         "crash needs a monitor started with --spawn: it only kills processes it started itself"),
    ]


def test_manual_failover_and_reset(world):
    monitor, services, notifier, clock, audit = world

    async def scenario():
        monitor.client = httpx.AsyncClient(transport=monitor.transport)
        try:
            first = await monitor.switch(who="admin", source="127.0.0.1")
            second = await monitor.switch(who="admin", to="v3")
            with pytest.raises(ActionError) as end:
                await monitor.switch(who="admin")
            services.health["v2"] = None
            reset = await monitor.reset(who="admin")
            return first, second, end.value, reset
        finally:
            await monitor.client.aclose()
    first, second, end, reset = run(scenario)
    assert first == {"ok": True, "action": "failover.manual", "from": "v1", "active": "v2"}
    assert second["active"] == "v3"
    assert (end.status, end.error, end.detail) == (
        409, "no_next_version", "to: v3 is the last version and wrapping is off")
    assert reset == {"ok": True, "action": "reset", "active": "v1",
                     "services": {"v1": "reset", "v2": "reset", "v3": "reset"}}
    assert [(a, t, r) for _, a, t, r, _ in audit_trail(audit)] == [
        ("failover.manual", "v1->v2", "ok"), ("failover.manual", "v2->v3", "ok"),
        ("failover.manual", "", "error"), ("reset", "all", "ok")]
    assert [n[0] for n in notifier.sent] == ["failover", "failover"]


def test_the_loop_checks_once_per_interval_not_in_a_busy_loop(tmp_path):
    config = MonitorConfig(db=tmp_path / "m.db", interval=0.05,
                           targets={v: f"http://{v}.test" for v in ("v1", "v2", "v3")})
    services = FakeServices()
    monitor = Monitor(config, AuditLog(config.db, key=b"k" * 32), HealthLog(config.db),
                      transport=httpx.MockTransport(services))

    async def scenario():
        loop = asyncio.get_running_loop()
        started = loop.time()
        await monitor.start()
        try:
            deadline = started + 10
            while monitor.checks < 6 and loop.time() < deadline:
                await asyncio.sleep(0.01)
            elapsed = loop.time() - started
            return monitor.checks, elapsed
        finally:
            await monitor.stop()
    checks, elapsed = run(scenario)
    assert checks >= 6
    assert checks <= elapsed / 0.05 + 2             # a busy loop would do thousands
    assert [r.action for r in monitor.audit.rows(newest_first=False)] == ["monitor.start",
                                                                          "monitor.stop"]

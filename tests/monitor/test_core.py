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
    """v1/v2/v3 at http://vN.test answering from a table; records every request.

    ``health[v]`` is the /health status code (None: connection refused, "timeout": a read
    timeout); ``state[v]`` is what ``GET /simulate/state`` answers."""

    def __init__(self):
        self.health = {"v1": 200, "v2": 200, "v3": 200}
        self.state = {v: {"version": v, "cpu_load": 0.0, "is_corrupted": False, "stable": v == "v3"}
                      for v in ("v1", "v2", "v3")}
        self.requests: list[tuple[str, str, str]] = []
        self.headers: list[dict] = []
        self.on_request = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        version = request.url.host.split(".")[0]
        self.requests.append((request.method, version, request.url.path))
        self.headers.append(dict(request.headers))
        if self.on_request:
            self.on_request(request)
        if request.method == "GET" and request.url.path == "/simulate/state":
            return httpx.Response(200, json=self.state[version])
        if request.method == "GET":
            code = self.health[version]
            if code is None:
                raise httpx.ConnectError("refused")
            if code == "timeout":
                raise httpx.ReadTimeout("slow")
            return httpx.Response(code, json={"status": "healthy" if code == 200 else "unhealthy",
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
                   "service": {"version": "v1", "path": "/simulate/cpu/80"},
                   "message": "v1 is at 80 % load: above 50 % its /health takes 2 s, longer than "
                              "the 1 s check timeout, so every check fails; 5 failures within "
                              "10 s fail over."}
    assert [r for r in services.requests if r[2] != "/simulate/state"] == [
                                 ("POST", "v1", "/simulate/cpu/80"),
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


# -- the story: why a check failed, what a click will do, a blip ridden out ---------------
def checks_at(monitor, clock, times, before=None):
    async def scenario():
        monitor.client = httpx.AsyncClient(transport=monitor.transport)
        try:
            for t in times:
                clock.now = float(t)
                if before:
                    before(t)
                await monitor.check_once()
        finally:
            await monitor.client.aclose()
    run(scenario)


def test_a_timeout_is_explained_by_the_load_the_service_reports(world):
    monitor, services, notifier, clock, _ = world
    services.state["v1"]["cpu_load"] = 80.0            # set behind the monitor's back (curl)
    services.health["v1"] = "timeout"
    checks_at(monitor, clock, [0, 1])
    why = "timeout after 1 s: v1 is at 80 % load (above 50 % its /health takes 2 s)"
    assert [r["error"] for r in monitor.healthlog.rows(newest_first=False)] == [why, why]
    assert notifier.sent == [("down", "v1", why)]
    assert monitor.snapshot()["chaos"]["v1"] == {"version": "v1", "cpu_load": 80.0,
                                                 "is_corrupted": False, "stable": False}


def test_a_503_is_explained_by_corruption_and_a_refusal_is_not_guessed(world):
    monitor, services, _, clock, _ = world
    services.state["v1"]["is_corrupted"] = True
    services.health["v1"] = 503
    checks_at(monitor, clock, [0])
    services.health["v1"] = None
    checks_at(monitor, clock, [1])
    assert [r["error"] for r in monitor.healthlog.rows(newest_first=False)] == [
        "HTTP 503: DATA_ERR: v1's data is corrupted", "connection refused: v1's data is corrupted"]
    state_requests = [r for r in services.requests if r[2] == "/simulate/state"]
    assert state_requests == [("GET", "v1", "/simulate/state")]     # none after the refusal


def test_a_crash_the_policy_rides_out_is_told_in_one_sentence(world):
    monitor, services, _, clock, _ = world
    checks_at(monitor, clock, [0, 1])
    clock.now = 1.5
    monitor.on_process_event("exited", "v1", "exit code -9 after 30 s")   # the supervisor's news
    checks_at(monitor, clock, [2, 3, 4, 5], before=lambda t: services.health.update(
        v1=None if t in (2, 3) else 200))
    notes = [(n["kind"], n["text"]) for n in monitor.snapshot()["notes"]]
    assert notes == [("ridden_out", "v1 crashed and was restarted in 2.5 s: 2 failures < 5 in "
                                    "10 s, no failover")]
    assert monitor.policy.active == "v1"


def test_a_recovery_without_a_known_cause_is_told_too(world):
    monitor, services, _, clock, _ = world
    checks_at(monitor, clock, range(6), before=lambda t: services.health.update(
        v1=503 if t in (1, 2, 3) else 200))
    assert [n["text"] for n in monitor.snapshot()["notes"]] == [
        "v1 failed 3 checks and recovered in 3.0 s: 3 failures < 5 in 10 s, no failover"]
    assert monitor.snapshot()["incident"] is None


def test_an_open_incident_shows_in_the_snapshot(world):
    monitor, services, _, clock, _ = world
    services.health["v1"] = 503
    checks_at(monitor, clock, [0, 1, 2])
    clock.now = 2.5
    assert monitor.snapshot()["incident"] == {"version": "v1", "seconds": 2.5, "failed_checks": 3}


def test_the_chaos_token_goes_with_every_action(tmp_path):
    config = MonitorConfig(db=tmp_path / "m.db", demo_token="run-token-0123456789",
                           targets={v: f"http://{v}.test" for v in ("v1", "v2", "v3")})
    services = FakeServices()
    monitor = Monitor(config, AuditLog(config.db, key=b"k" * 32), HealthLog(config.db),
                      transport=httpx.MockTransport(services))

    async def scenario():
        monitor.client = httpx.AsyncClient(transport=monitor.transport)
        try:
            await monitor.chaos(ChaosKind.CORRUPTION, who="admin")
            await monitor.reset(who="admin")
            await monitor.check_once()
        finally:
            await monitor.client.aclose()
    run(scenario)
    sent = [(r[0], r[2], h.get("x-demo-token")) for r, h in zip(services.requests, services.headers)]
    assert [s for s in sent if s[0] == "POST"] == [
        ("POST", "/simulate/corruption", "run-token-0123456789")] + [
        ("POST", "/simulate/reset", "run-token-0123456789")] * 3
    assert ("GET", "/health", None) in sent                   # reading needs no token


def test_a_service_refusing_the_monitor_is_a_bad_gateway_not_the_callers_fault(world):
    """A service's 403 (another run's token) or 404 is the monitor's 502: the caller did
    nothing wrong; only a refusal by design (the stable release's 409) stays 409."""
    monitor, services, _, _, audit = world
    answers = iter([httpx.Response(403, json={"detail": "chaos on v1 needs the X-Demo-Token "
                                                        "header of the monitor that started it"}),
                    httpx.Response(404, json={"detail": "Not Found"})])

    def refusing(request):
        return next(answers) if request.method == "POST" else services(request)

    monitor.transport = httpx.MockTransport(refusing)

    async def scenario():
        monitor.client = httpx.AsyncClient(transport=monitor.transport)
        try:
            refused = []
            for _ in range(2):
                with pytest.raises(ActionError) as caught:
                    await monitor.chaos(ChaosKind.CORRUPTION, who="admin")
                refused.append(caught.value)
            return refused
        finally:
            await monitor.client.aclose()
    token, missing = run(scenario)
    assert [(e.status, e.error, e.detail) for e in (token, missing)] == [
        (502, "service_refused", "v1 answered 403: chaos on v1 needs the X-Demo-Token header "
                                 "of the monitor that started it"),
        (502, "service_refused", "v1 answered 404: Not Found")]
    assert monitor.policy.active == "v1"
    assert [r.result for r in audit.rows(limit=None)] == ["error", "error"]


class FakeSupervisor:
    """Just enough of a Supervisor for the crash action: kill, release, restart delays."""

    def __init__(self):
        self.killed, self.released = [], []
        self.waiting = set()

    def restart_delay(self, version, down_for=0.0):
        return max(1.0, down_for)

    async def kill(self, version, down_for=0.0):
        self.killed.append((version, down_for))
        self.waiting.add(version)
        return 4242

    def release(self, version):
        self.released.append(version)
        was = version in self.waiting
        self.waiting.discard(version)
        return was

    def snapshot(self):
        return {}


def test_crash_says_whether_it_is_a_blip_or_an_outage_and_reset_brings_it_back(tmp_path):
    config = MonitorConfig(db=tmp_path / "m.db", targets={v: f"http://{v}.test" for v in ("v1", "v2", "v3")})
    services, supervisor = FakeServices(), FakeSupervisor()
    audit = AuditLog(config.db, key=b"k" * 32)
    monitor = Monitor(config, audit, HealthLog(config.db), supervisor=supervisor,
                      transport=httpx.MockTransport(services))

    async def scenario():
        monitor.client = httpx.AsyncClient(transport=monitor.transport)
        try:
            blip = await monitor.chaos(ChaosKind.CRASH, who="admin", target="v2")
            outage = await monitor.chaos(ChaosKind.CRASH, who="admin", target="v1", down_for=30)
            back = await monitor.chaos(ChaosKind.RESET, who="admin", target="v1")
            return blip, outage, back
        finally:
            await monitor.client.aclose()
    blip, outage, back = run(scenario)
    assert blip["message"] == ("Killed v2 (pid 4242); the supervisor restarts it in 1 s: about 2 "
                               "failed checks, fewer than 5 failures within 10 s: a blip the "
                               "policy rides out.")
    assert outage["message"] == ("Killed v1 (pid 4242); it stays down 30 s: about 31 failed "
                                 "checks, enough for a failover (5 failures within 10 s).")
    assert (back["service"], back["message"]) == (
        {"version": "v1", "restarted": True},
        "v1 is back to normal (no load, no corruption); its process starts again now.")
    assert supervisor.killed == [("v2", 0.0), ("v1", 30)]
    assert [(a, t, d) for _, a, t, _, d in audit_trail(audit)] == [
        ("chaos.crash", "v2", "killed pid 4242 with SIGKILL"),
        ("chaos.crash", "v1", "killed pid 4242 with SIGKILL; kept down 30 s"),
        ("chaos.reset", "v1", "")]
    assert [n["kind"] for n in monitor.snapshot()["notes"]] == ["chaos"] * 3

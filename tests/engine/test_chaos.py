"""Chaos: broken probes, injected errors and latency, and healing, each with its events."""
from __future__ import annotations

import dataclasses
import json

import pytest

import t32sim as t3
from t32sim.spec import CanaryStep, Probe, Rollout, Strategy

PROBE = Probe(path="/healthz", initial_delay_seconds=1, period_seconds=2)


def spec(replicas=3, **kwargs) -> t3.ServiceSpec:
    return t3.ServiceSpec(name="api", image="local://demo@v1", replicas=replicas,
                          readiness_probe=PROBE, **kwargs)


def cluster(s=None, until=10) -> t3.Cluster:
    c = t3.Cluster(seed=8)
    c.apply(s or spec())
    c.run(until=until)
    return c


def story(c, *reasons, pod=None):
    return [(e.time, e.reason.value) for e in c.event_log
            if e.reason in reasons and (pod is None or e.pod == pod)]


def test_a_broken_readiness_probe_empties_the_load_balancer_and_heal_brings_it_back():
    c = cluster()
    assert c.break_probe("api", "readiness") == "api"
    c.run(until=14)
    assert c.service("api").status.ready == 3          # probes at 11 and 13 failed: 2 of 3
    c.run(until=15)                                    # the third failure at 15
    assert c.service("api").status.ready == 0
    assert c.request("api").status == 503
    c.run(until=20)
    c.heal("api")
    c.run_for(0.5)
    assert c.service("api").status.ready == 0          # the next probe runs at 21
    c.run(until=21)
    assert c.service("api").status.ready == 3 and c.request("api").status == 200
    pod = c.pods("api")[0].name
    assert story(c, t3.Reason.PROBE_BROKEN, t3.Reason.NOT_READY, t3.Reason.HEALED,
                 t3.Reason.READY, pod=pod) + story(c, t3.Reason.PROBE_BROKEN,
                                                   t3.Reason.HEALED) == [
        (5.0, "Ready"), (15.0, "NotReady"), (21.0, "Ready"),
        (10.0, "ProbeBroken"), (20.0, "Healed")]
    broken = [e for e in c.event_log if e.reason is t3.Reason.PROBE_BROKEN][0]
    assert broken.message == "Chaos broke the readiness probe of every pod of api"
    assert "failing readiness takes pods out of the load balancer" in broken.explain
    assert all(p.restarts == 0 for p in c.pods("api"))  # readiness never restarts anything


def test_a_broken_liveness_probe_of_one_pod_restarts_only_that_pod():
    c = cluster(spec(liveness_probe=PROBE))
    victim = c.pods("api")[1].name
    c.break_probe(victim, "liveness")
    c.run(until=16)
    assert story(c, t3.Reason.LIVENESS_PROBE_FAILED) == [(15.0, "LivenessProbeFailed")]
    assert [e.pod for e in c.event_log if e.reason is t3.Reason.LIVENESS_PROBE_FAILED] == [victim]
    assert {p.name: p.restarts for p in c.pods("api")} == {
        p.name: (1 if p.name == victim else 0) for p in c.pods("api")}
    assert c.heal(victim) == 1
    c.run(until=60)
    assert all(p.ready for p in c.pods("api"))


def test_errors_injected_into_one_version_hit_only_that_version():
    steps = (CanaryStep(set_weight=50), CanaryStep(pause=True))
    base = spec(replicas=2, rollout=Rollout(Strategy.CANARY, steps=steps))
    c = cluster(base)
    c.apply(dataclasses.replace(base, image="local://demo@v2"))
    c.run(until=30)
    assert c.service("api").status.weight == 50
    c.inject("api", "v2", error_rate=1.0)
    answers = [c.request("api") for _ in range(100)]
    assert {(a.version, a.status) for a in answers} == {("v1", 200), ("v2", 500)}
    assert sum(a.version == "v2" for a in answers) == 50
    event = [e for e in c.event_log if e.reason is t3.Reason.FAULT_INJECTED][0]
    assert event.message == "Chaos injected faults into api v2: 100% extra errors, +0 ms latency"
    c.heal()
    assert {a.status for a in (c.request("api") for _ in range(20))} == {200}


def test_injected_latency_adds_to_the_mean_response_time():
    c = cluster()
    c.inject("api", latency=0.1)
    pod = c.store.pods_of("api")[0]
    assert c.traffic.mean_latency(pod) == pytest.approx(0.120)      # 20 ms + 100 ms
    answers = [c.request("api") for _ in range(200)]                # drawn around the mean
    assert sum(a.latency for a in answers) / 200 == pytest.approx(0.120, rel=0.1)
    c.inject("api", error_rate=0.25)                                # keeps the latency
    assert c.store.faults[("api", None)] == t3.engine.store.Fault(0.25, 0.1)


def test_heal_removes_only_what_it_is_asked_to():
    c = cluster()
    c.apply(dataclasses.replace(spec(), name="web"))
    c.run(until=20)
    web_pod = c.pods("web")[0].name
    c.break_probe("api", "liveness")
    c.break_probe(web_pod, "readiness")
    c.inject("web", error_rate=0.5)
    assert c.heal("api") == 1
    assert c.store.broken_probes == {(web_pod, "readiness")}
    assert c.heal(web_pod) == 1 and c.store.faults == {("web", None): t3.engine.store.Fault(
        0.5, 0.0)}
    assert c.heal() == 1 and c.store.faults == {} and c.store.broken_probes == set()


@pytest.mark.parametrize("call, field, text", [
    (lambda c: c.break_probe("nope"), "target", "no service or pod named 'nope'"),
    (lambda c: c.break_probe("api", "startup"), "kind", "expected one of 'readiness', "
                                                        "'liveness', got 'startup'"),
    (lambda c: c.inject("api"), "error_rate", "give error_rate and/or latency"),
    (lambda c: c.inject("api", error_rate=2), "error_rate", "expected a number 0..1, got 2"),
    (lambda c: c.inject("api", latency=-1), "latency", "expected a number 0..60, got -1"),
    (lambda c: c.inject("api", "v9", latency=1), "version", "has no version 'v9' (known: v1)"),
    (lambda c: c.inject("web", latency=1), "service", "no service named 'web'"),
    (lambda c: c.heal("nope"), "target", "no service or pod named 'nope'"),
])
def test_chaos_commands_refuse_bad_arguments_and_change_nothing(call, field, text):
    c = cluster()
    before = (len(c.journal), len(c.event_log))
    with pytest.raises(t3.CommandError) as error:
        call(c)
    assert error.value.field == field and text in str(error.value)
    assert (len(c.journal), len(c.event_log)) == before


def test_chaos_is_journaled_and_replays_exactly():
    c = cluster(spec(liveness_probe=PROBE))
    c.break_probe(c.pods("api")[0].name, "liveness")
    c.inject("api", "v1", error_rate=0.3, latency=0.01)
    c.run(until=40)
    [c.request("api") for _ in range(30)]
    c.heal()
    c.run(until=80)
    assert [cmd.verb for cmd in c.journal if cmd.verb in ("break_probe", "inject", "heal")] == [
        "break_probe", "inject", "heal"]
    again = t3.replay(json.loads(json.dumps([cmd.to_dict() for cmd in c.journal])), seed=8)
    assert again.events.equals(c.events) and again.requests.equals(c.requests)
    assert json.dumps(again.snapshot()) == json.dumps(c.snapshot())

"""Symptom-based alert rules (t32sim/engine/alert_rules.py): the pure pending / firing /
resolved machine, rates over a window, and a student's rule the engine then uses."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.alert_rules import (AlertRule, Counters, Observation, RuleState,
                                       RuleTracker, Window)
from t32sim.engine.health import Health


def obs(t=0.0, **kw):
    base = dict(time=t, service="api", desired=3, ready=3, serving=3, min_available=3,
                health=Health.UP, rps=10.0, error_rate=0.0, cpu=10.0)
    return Observation(**{**base, **kw})


@pytest.mark.parametrize("holds, expected", [
    # holds from 10 on: pending, fires once it has held 15 s (at 25), resolved at 40
    ({10, 15, 20, 25, 30, 35}, [(25, "FIRING", 10, None), (40, "RESOLVED", 10, 15)]),
    # a 10 s blip never fires: pending is forgotten
    ({10, 15}, []),
    # two runs: the second one starts its own 'for' window
    ({10, 15, 20, 25, 45, 50, 55, 60}, [(25, "FIRING", 10, None), (30, "RESOLVED", 10, 5),
                                        (60, "FIRING", 45, None), (65, "RESOLVED", 45, 5)]),
])
def test_rule_tracker_traces(holds, expected):
    tracker = RuleTracker(AlertRule("R", bool, for_seconds=15), "api")
    out = []
    for t in range(0, 100, 5):
        alert = tracker.observe(t, t in holds, obs(t))
        if alert is not None:
            out.append((t, alert.kind, alert.since, alert.firing_seconds))
    assert out == expected


def test_for_zero_fires_at_the_first_evaluation_that_holds():
    tracker = RuleTracker(AlertRule("R", bool), "api")
    assert tracker.observe(0, False, obs()) is None and tracker.state is RuleState.INACTIVE
    assert tracker.observe(5, True, obs(5)).kind == "FIRING"
    assert tracker.state is RuleState.FIRING


def test_window_takes_rates_over_the_last_seconds():
    window = Window(30)
    assert window.add(Counters(0, 0, 0, (0, 0))) == (0, 0, 0, (0, 0))
    assert window.add(Counters(10, 100, 5, (90, 10))) == (10, 100, 5, (90, 10))
    window.add(Counters(20, 200, 5, (180, 20)))
    assert window.add(Counters(30, 300, 5, (270, 30))) == (30, 300, 5, (270, 30))
    # at 40 the base is the snapshot of t=10 (the newest at least 30 s old)
    assert window.add(Counters(40, 400, 50, (300, 100))) == (30, 300, 45, (210, 90))
    assert [s.time for s in window.snapshots] == [10, 20, 30, 40]


def test_observation_quantiles_read_the_window_histogram():
    counts = [0] * 15
    counts[1], counts[6] = 90, 10        # 90 in (5 ms, 10 ms], 10 in (100 ms, 250 ms]
    o = obs(latency_counts=tuple(counts))
    assert o.p50 == pytest.approx(0.005 + 0.005 * 50 / 90)
    assert o.p99 == pytest.approx(0.1 + 0.15 * 9 / 10)
    assert obs().p99 is None and obs(ready=1).ready_ratio == pytest.approx(1 / 3)


def rule_events(cluster):
    return [(e.time, e.reason.value, e.message) for e in cluster.event_log
            if e.reason.value in {"AlertFiring", "AlertResolved", "AlertRuleFailed"}]


def incident(examples, **options):
    """api-v1 with 50 rps offered and 100 requests sent every 5 s; from t=60 to t=150 it
    answers 20 % more errors and 300 ms slower."""
    c = t3.Cluster(seed=7, **options)
    c.apply(examples / "api-v1.yaml")
    c.run(until=30)
    c.set_load("api", rps=50)
    c.alerts.add_rule("HighErrorRate", lambda o: o.error_rate > 0.05, for_seconds=10,
                      severity="critical")
    c.alerts.add_rule("SlowP99", lambda o: o.p99 is not None and o.p99 > 0.1, for_seconds=10)
    c.run(until=60)
    c.inject("api", error_rate=0.2, latency=0.3)
    for t in range(60, 150, 5):
        c.run(until=t)
        c.send("api", 100)
    c.heal("api")
    c.run(until=200)
    return c


def test_a_students_rules_fire_and_resolve_on_the_symptoms(examples):
    c = incident(examples)
    assert [(t, r) for t, r, _ in rule_events(c)] == [
        (75.0, "AlertFiring"), (80.0, "AlertFiring"), (170.0, "AlertResolved"),
        (180.0, "AlertResolved")]
    fired = rule_events(c)[1][2]
    assert fired.startswith("HighErrorRate is firing for api at t=80 s (it has held since "
                            "t=70 s): error rate 14.9% at 63 rps")
    frame = c.alerts.frame()
    assert frame[["time", "kind", "rule", "severity"]].values.tolist() == [
        [75.0, "FIRING", "SlowP99", "warning"], [80.0, "FIRING", "HighErrorRate", "critical"],
        [170.0, "RESOLVED", "HighErrorRate", "critical"],
        [180.0, "RESOLVED", "SlowP99", "warning"]]
    assert frame["down_seconds"].tolist()[2:] == [90.0, 105.0]
    # the pods were Ready all along: the health rule saw nothing wrong
    assert all(e.reason.value not in {"ServiceDown", "ServiceDegraded"} for e in c.event_log)


def test_firing_rules_are_in_the_scrape_while_they_fire(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=30)
    c.alerts.add_rule("NoTraffic", lambda o: o.rps == 0, for_seconds=5, severity="info")
    c.run(until=40)
    assert c.alerts.firing("api") == ["NoTraffic"] and c.alerts.firing("other") == []
    assert ('t32sim_alert_rule_firing{alertname="NoTraffic",service="api",severity="info"} 1.0'
            in c.metrics_text())


def test_a_rule_is_journaled_and_replays_with_its_condition(examples):
    c = incident(examples)
    added = [cmd.to_dict() for cmd in c.journal if cmd.verb == "add_alert_rule"]
    assert added[0] == {"time": 30.0, "actor": "user", "verb": "add_alert_rule",
                        "args": {"name": "HighErrorRate", "condition": "incident.<locals>.<lambda>",
                                 "for_seconds": 10, "severity": "critical", "service": None}}
    conditions = {name: c.alerts.rules[name].condition for name in c.alerts.rules}
    again = t3.replay([cmd.to_dict() for cmd in c.journal], seed=7, conditions=conditions)
    assert [e.to_dict() for e in again.event_log] == [e.to_dict() for e in c.event_log]
    with pytest.raises(t3.CommandError, match=r"^condition: expected a function .*\(a replay "
                                              r"needs conditions=\{'HighErrorRate': fn\}"):
        t3.replay([cmd.to_dict() for cmd in c.journal], seed=7)


def test_a_condition_that_raises_is_an_event_and_counts_as_not_holding(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.alerts.add_rule("Broken", lambda o: o.p99 > 0.1)      # p99 is None without requests
    c.run(until=5)
    assert rule_events(c) == [
        (0.0, "AlertRuleFailed", "Rule Broken raised TypeError: '>' not supported between "
                                 "instances of 'NoneType' and 'float'"),
        (5.0, "AlertRuleFailed", "Rule Broken raised TypeError: '>' not supported between "
                                 "instances of 'NoneType' and 'float'")]
    assert c.alerts.alerts == []


@pytest.mark.parametrize("kwargs, field, message", [
    ({"name": ""}, "name", "expected a rule name"),
    ({"condition": "high errors"}, "condition", "expected a function of an Observation"),
    ({"for_seconds": -1}, "for_seconds", "expected a number of seconds >= 0"),
    ({"for_seconds": True}, "for_seconds", "expected a number of seconds >= 0"),
    ({"severity": "page"}, "severity", "expected one of critical, warning, info"),
    ({"service": "nope"}, "service", "no service named 'nope'"),
])
def test_add_rule_rejects_bad_input_naming_the_field(examples, kwargs, field, message):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    args = {"name": "R", "condition": lambda o: True, **kwargs}
    with pytest.raises(t3.CommandError, match=f"^{field}: {message}") as error:
        c.alerts.add_rule(**args)
    assert error.value.field == field and c.alerts.rules == {}
    assert [cmd.verb for cmd in c.journal] == ["apply"]


def test_the_same_name_twice_is_refused(examples):
    c = t3.Cluster(seed=7)
    c.alerts.add_rule("R", lambda o: False)
    with pytest.raises(t3.CommandError, match="^name: a rule named 'R' exists already"):
        c.alerts.add_rule("R", lambda o: True)


def test_a_rule_for_one_service_sees_only_that_one(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"replicas": 1, "image": "local://demo@v1"}})
    seen = []
    c.alerts.add_rule("Only", lambda o: seen.append(o.service), service="web")
    c.run(until=10)
    assert seen == ["web", "web", "web"]            # t = 0, 5, 10

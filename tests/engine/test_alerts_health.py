"""What the alert manager calls UP, DEGRADED, DOWN and SCALED (t32sim/engine/health.py),
and a normal rolling update that pages nobody, unless the original rule is chosen."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.health import Health, health_of, min_available
from t32sim.spec import Rollout

UP, DOWN, DEGRADED, SCALED = Health.UP, Health.DOWN, Health.DEGRADED, Health.SCALED


@pytest.mark.parametrize("ready, desired, floor, serving, rule, expected", [
    (8, 8, 6, 8, "budget", UP),
    (6, 8, 6, 6, "budget", UP),            # a rolling update inside its budget
    (5, 8, 6, 5, "budget", DEGRADED),      # one pod below the budget
    (1, 8, 6, 1, "budget", DEGRADED),      # still serving, by one pod
    (0, 8, 6, 0, "budget", DOWN),          # nobody serves: 503 for every request
    (2, 8, 6, 0, "budget", DOWN),          # Ready pods, but none gets traffic
    (0, 0, 0, 0, "budget", SCALED),
    (7, 8, 6, 7, "original", DOWN),        # the original rule: any pod short is DOWN
    (8, 8, 6, 8, "original", UP),
    (0, 0, 0, 0, "original", SCALED),
])
def test_health_of(ready, desired, floor, serving, rule, expected):
    assert health_of(ready, desired, floor, serving, rule) is expected


def test_health_of_without_a_budget_wants_every_desired_pod():
    assert [health_of(r, 3) for r in (3, 4, 2, 0)] == [UP, UP, DEGRADED, DOWN]


@pytest.mark.parametrize("desired, surge, unavailable, expected", [
    (8, "25%", "25%", 6),     # 25 % of 8 = 2
    (6, "25%", "25%", 5),     # 25 % of 6 = 1.5, rounded down to 1
    (3, "25%", "25%", 3),     # 0.75 rounds down to 0: a rollout may not lose a pod
    (4, 0, 0, 3),             # both 0: Kubernetes lets one pod be unavailable
    (5, 1, 2, 3),
    (3, 0, "100%", 0),        # Recreate
    (0, "25%", "25%", 0),
])
def test_min_available_rounds_like_the_deployment_controller(desired, surge, unavailable,
                                                             expected):
    rollout = Rollout(max_surge=surge, max_unavailable=unavailable)
    assert min_available(desired, rollout) == expected


def web(image, replicas=8):
    """8 pods, RollingUpdate with maxSurge 0 and maxUnavailable 25 % (2 pods)."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "image": image,
                     "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2},
                     "rollout": {"strategy": "RollingUpdate", "maxSurge": 0,
                                 "maxUnavailable": "25%"}}}


def health_events(cluster):
    return [(e.time, e.reason.value, e.message) for e in cluster.event_log
            if e.reason.value.startswith(("Service", "Alert"))]


def rolling_update(rule):
    """web v1 -> slow (new pods need ~10 s): 2 pods fewer Ready for 10 s at a time."""
    c = t3.Cluster(seed=7)
    if rule is not None:
        c.alerts.configure(rule=rule)
    c.apply(web("local://demo@v1"))
    c.run(until=60)
    c.apply(web("local://demo@slow"))
    ready = []
    for t in range(61, 200):
        c.run(until=t)
        ready.append(c.alerts.observe("web")["ready"])
    return c, ready


def test_a_rolling_update_inside_its_budget_alerts_nothing():
    c, ready = rolling_update(None)
    assert min(ready) == 6 and ready[-1] == 8      # 2 pods short, as maxUnavailable allows
    assert health_events(c) == []
    assert c.alerts.health("web") is UP and c.alerts.config.rule == "budget"


def test_the_original_rule_pages_on_the_same_rolling_update():
    c, _ = rolling_update("original")
    assert health_events(c) == [
        (90.0, "ServiceDown", "web is DOWN at t=90 s: 6 of 8 pods Ready since t=80 s."),
        (110.0, "ServiceUp", "web is UP at t=110 s: 8 of 8 pods Ready. It was DOWN for 20 s "
                             "(t=80 s to t=100 s)."),
    ]
    down = next(e for e in c.event_log if e.reason.value == "ServiceDown")
    assert down.explain.startswith("Fewer pods are Ready than desired (the original system's "
                                   "rule) for at least 10 s")
    assert c.journal[0].to_dict()["args"] == {"rule": "original"}


def test_fewer_ready_than_the_budget_for_the_window_is_degraded_then_up():
    c = t3.Cluster(seed=7)
    c.alerts.configure(confirm_degraded_seconds=5)
    c.apply(web("local://demo@slow"))
    c.run(until=60)
    c.kill("web", count=4)                 # 4 of 8 Ready; the budget keeps 6
    c.run(until=120)
    assert health_events(c) == [
        (65.0, "ServiceDegraded", "web is DEGRADED at t=65 s: 4 of 8 pods Ready (the rollout "
                                  "keeps at least 6) since t=60 s."),
        (80.0, "ServiceUp", "web is UP at t=80 s: 8 of 8 pods Ready. It was DEGRADED for 10 s "
                            "(t=60 s to t=70 s)."),
    ]
    degraded = next(e for e in c.event_log if e.reason.value == "ServiceDegraded")
    assert degraded.level is t3.Level.WARNING and "for at least 5 s" in degraded.explain
    assert [(a.kind, a.severity) for a in c.alerts.alerts] == [(DEGRADED, "warning"),
                                                               (UP, "info")]


def test_the_default_degraded_window_lets_a_short_dip_pass():
    c = t3.Cluster(seed=7)
    c.apply(web("local://demo@slow"))
    c.run(until=60)
    c.kill("web", count=4)                 # DEGRADED 10 s < the default 30 s
    c.run(until=200)
    assert health_events(c) == []


def test_killing_every_pod_is_down_with_the_budget_rule_too(examples):
    c = t3.Cluster(seed=7)
    c.alerts.configure(confirm_down_seconds=2, confirm_up_seconds=2)
    c.apply(web("local://demo@slow"))
    c.run(until=60)
    c.kill("web", count=8)
    c.run(until=120)
    assert [(t, r) for t, r, _ in health_events(c)] == [(62.0, "ServiceDown"),
                                                        (72.0, "ServiceUp")]
    assert health_events(c)[0][2] == "web is DOWN at t=62 s: 0 of 8 pods Ready since t=60 s."

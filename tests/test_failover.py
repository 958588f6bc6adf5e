"""Table-driven traces of the pure failover policy (t32sim/failover.py)."""
from __future__ import annotations

import pytest

from t32sim.failover import Decision, FailoverConfig, FailoverPolicy, trace

H, F, FO, CD, EX = (Decision.HEALTHY, Decision.FAILING, Decision.FAILOVER,
                    Decision.COOLDOWN, Decision.EXHAUSTED)

DEFAULT = FailoverConfig()                                    # 5 in 10 s, cooldown 15 s
QUICK = FailoverConfig(threshold=2, window=10, cooldown=15)   # small numbers, same rules

# (name, config, [(time, ok)], [(time, decision, active, failures in window)])
CASES = [
    ("healthy checks never switch", DEFAULT,
     [(0, True), (1, True), (2, True)],
     [(0, H, "v1", 0), (1, H, "v1", 0), (2, H, "v1", 0)]),
    ("five failures in a row switch v1 -> v2 and clear the window", DEFAULT,
     [(0, False), (1, False), (2, False), (3, False), (4, False), (5, False)],
     [(0, F, "v1", 1), (1, F, "v1", 2), (2, F, "v1", 3), (3, F, "v1", 4),
      (4, FO, "v2", 0), (5, F, "v2", 1)]),
    ("failures spread wider than the window never add up", DEFAULT,
     [(0, False), (3, False), (6, False), (9, False), (12, False), (15, False)],
     [(0, F, "v1", 1), (3, F, "v1", 2), (6, F, "v1", 3), (9, F, "v1", 4),
      (12, F, "v1", 4), (15, F, "v1", 4)]),
    ("a failure exactly window seconds old no longer counts", DEFAULT,
     [(0, False), (2, False), (4, False), (6, False), (10, False)],
     [(0, F, "v1", 1), (2, F, "v1", 2), (4, F, "v1", 3), (6, F, "v1", 4), (10, F, "v1", 4)]),
    ("...but one just inside the window does", DEFAULT,
     [(0, False), (2, False), (4, False), (6, False), (9.5, False)],
     [(0, F, "v1", 1), (2, F, "v1", 2), (4, F, "v1", 3), (6, F, "v1", 4), (9.5, FO, "v2", 0)]),
    ("flapping: successes do not erase failures", DEFAULT,
     [(0, False), (1, True), (2, False), (3, True), (4, False), (5, True),
      (6, False), (7, True), (8, False)],
     [(0, F, "v1", 1), (1, H, "v1", 1), (2, F, "v1", 2), (3, H, "v1", 2), (4, F, "v1", 3),
      (5, H, "v1", 3), (6, F, "v1", 4), (7, H, "v1", 4), (8, FO, "v2", 0)]),
    ("cooldown holds a second switch, then releases it", QUICK,
     [(0, False), (1, False), (2, False), (3, False), (10, False), (16, False), (17, False)],
     [(0, F, "v1", 1), (1, FO, "v2", 0), (2, F, "v2", 1), (3, CD, "v2", 2),
      (10, CD, "v2", 3), (16, FO, "v3", 0), (17, F, "v3", 1)]),
    ("cooldown ends exactly cooldown seconds after the switch", QUICK,
     [(0, False), (1, False), (15, False), (16, False)],
     [(0, F, "v1", 1), (1, FO, "v2", 0), (15, F, "v2", 1), (16, FO, "v3", 0)]),
    ("the last version without wrap stays and reports exhausted", QUICK,
     [(0, False), (1, False), (20, False), (21, False), (40, False), (41, False), (42, True)],
     [(0, F, "v1", 1), (1, FO, "v2", 0), (20, F, "v2", 1), (21, FO, "v3", 0),
      (40, F, "v3", 1), (41, EX, "v3", 2), (42, H, "v3", 2)]),
    ("with wrap the last version fails over to the first", FailoverConfig(
        threshold=1, window=5, cooldown=0, wrap=True),
     [(0, False), (1, False), (2, False), (3, False)],
     [(0, FO, "v2", 0), (1, FO, "v3", 0), (2, FO, "v1", 0), (3, FO, "v2", 0)]),
    ("a single version with wrap has nowhere to go", FailoverConfig(
        versions=("only",), threshold=1, cooldown=0, wrap=True),
     [(0, False)],
     [(0, EX, "only", 1)]),
]


@pytest.mark.parametrize("name,config,observations,expected", CASES, ids=[c[0] for c in CASES])
def test_policy_trace(name, config, observations, expected):
    outcomes = trace(observations, config)
    assert [(o.time, o.decision, o.active, o.failures) for o in outcomes] == expected


def test_failover_outcome_names_both_versions_and_explains():
    outcomes = trace([(t, False) for t in range(5)])
    last = outcomes[-1]
    assert (last.previous, last.active, last.switched) == ("v1", "v2", True)
    assert last.reason == "v1 failed 5 checks within 10 s: switched to v2."
    assert outcomes[0].reason == "v1 failed 1 of 5 allowed checks within 10 s."
    assert outcomes[0].previous is None and not outcomes[0].switched


def test_cooldown_reason_and_remaining():
    policy = FailoverPolicy(QUICK)
    policy.observe(0, False)
    policy.observe(1, False)                      # switch at 1
    assert policy.cooldown_remaining(4) == 12
    policy.observe(3, False)
    held = policy.observe(4, False)
    assert held.decision is CD
    assert held.reason == ("v2 reached 2 failures within 10 s, but the last switch was less "
                           "than 15 s ago (12 s of cooldown left).")
    assert policy.cooldown_remaining(16) == 0


def test_manual_switch_ignores_cooldown_clears_window_and_starts_a_new_cooldown():
    policy = FailoverPolicy(QUICK)
    policy.observe(0, False)
    policy.observe(1, False)                      # automatic v1 -> v2 at 1
    policy.observe(2, False)
    manual = policy.switch(3)                     # inside the cooldown: still allowed
    assert (manual.decision, manual.previous, manual.active, manual.failures) == (
        Decision.MANUAL, "v2", "v3", 0)
    assert manual.ok is None
    back = policy.switch(4, to="v1")
    assert (back.active, policy.last_switch, policy.cooldown_remaining(4)) == ("v1", 4, 15)
    policy.observe(5, False)
    assert policy.observe(6, False).decision is CD


def test_manual_switch_errors_name_the_field():
    policy = FailoverPolicy(QUICK, active="v3")
    with pytest.raises(ValueError, match="^to: v3 is the last version and wrapping is off$"):
        policy.switch(0)
    with pytest.raises(ValueError, match=r"^to: expected one of \['v1', 'v2', 'v3'\], got 'v9'$"):
        policy.switch(0, to="v9")


def test_time_must_not_go_backwards():
    policy = FailoverPolicy()
    policy.observe(5, True)
    with pytest.raises(ValueError, match=r"^time: observations must not go back in time \(got 4 after 5\)$"):
        policy.observe(4, False)


@pytest.mark.parametrize("kwargs,message", [
    ({"versions": ()}, "versions: expected a non-empty list of version names"),
    ({"versions": ("v1", "v1")}, "versions: names must be unique"),
    ({"threshold": 0}, "threshold: expected an integer >= 1, got 0"),
    ({"threshold": True}, "threshold: expected an integer >= 1, got True"),
    ({"window": 0}, "window: expected a number of seconds > 0, got 0"),
    ({"cooldown": -1}, "cooldown: expected a number of seconds >= 0, got -1"),
    ({"wrap": "yes"}, "wrap: expected true or false, got 'yes'"),
])
def test_config_errors_name_the_field(kwargs, message):
    with pytest.raises(ValueError) as caught:
        FailoverConfig(**kwargs)
    assert str(caught.value).startswith(message)


def test_unknown_start_version_is_refused():
    with pytest.raises(ValueError, match="^active: expected one of"):
        FailoverPolicy(active="v4")


def test_policy_module_has_no_clock_or_io_imports():
    import ast
    import inspect

    import t32sim.failover as module
    tree = ast.parse(inspect.getsource(module))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "enum", "collections", "dataclasses", "typing"}


# -- incidents ------------------------------------------------------------------------
from t32sim.failover import Incident, IncidentTracker, ridden_out  # noqa: E402


def incidents_of(observations, config=None):
    policy, tracker = FailoverPolicy(config), IncidentTracker()
    closed = []
    for t, ok in observations:
        incident = tracker.observe(policy.observe(t, ok))
        if incident is not None:
            closed.append(incident)
    return closed


def test_a_blip_is_one_incident_ridden_out():
    [blip] = incidents_of([(0, True), (1, False), (2, False), (3, True), (4, True)])
    assert blip == Incident("v1", 1, 3, failed_checks=2, peak=2, switched=False)
    assert ridden_out(blip, FailoverConfig()) == (
        "v1 failed 2 checks and recovered in 2.0 s: 2 failures < 5 in 10 s, no failover")
    assert ridden_out(blip, FailoverConfig(), what="crashed and was restarted", since=0.4) == (
        "v1 crashed and was restarted in 2.6 s: 2 failures < 5 in 10 s, no failover")


def test_an_outage_closes_with_the_switch():
    closed = incidents_of([(t, t < 2) for t in range(10)])
    assert closed == [Incident("v1", 2, 6, failed_checks=5, peak=4, switched=True)]


def test_a_flapping_service_is_one_incident_per_failure_run():
    closed = incidents_of([(0, False), (1, True), (2, False), (3, True)])
    assert [(i.started, i.ended, i.failed_checks, i.peak) for i in closed] == [
        (0, 1, 1, 1), (2, 3, 1, 2)]             # the window still holds the first failure
    assert ridden_out(closed[1], FailoverConfig()) == (
        "v1 failed 1 check and recovered in 1.0 s: 2 failures < 5 in 10 s, no failover")


def test_a_manual_switch_closes_an_open_incident_and_nothing_opens_on_success():
    policy, tracker = FailoverPolicy(), IncidentTracker()
    assert tracker.observe(policy.observe(0, True)) is None
    assert tracker.observe(policy.observe(1, False)) is None
    manual = tracker.observe(policy.switch(1.5, "v3"))
    assert manual == Incident("v1", 1, 1.5, 1, 1, switched=True)
    assert tracker.observe(policy.observe(2, True)) is None and tracker.open is None

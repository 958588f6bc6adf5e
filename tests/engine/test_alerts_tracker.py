"""The pure alert tracker of one service (t32sim/engine/alert_tracker.py): exact traces
of confirmation, grace, baseline, cooldown and downtime, DEGRADED included."""
from __future__ import annotations

import pytest

from t32sim.engine.alert_tracker import Alert, AlertConfig, AlertTracker, Outcome
from t32sim.engine.health import Health

UP, DOWN, DEGRADED, SCALED = Health.UP, Health.DOWN, Health.DEGRADED, Health.SCALED
CONFIG = AlertConfig(grace_seconds=30, confirm_down_seconds=10, confirm_degraded_seconds=20,
                     confirm_up_seconds=10, cooldown_seconds=60)


# -- the pure tracker ----------------------------------------------------------------------

def trace(changes, until, config=CONFIG):
    """Feed ``[(time, health)]`` changes and every deadline the tracker asks for up to
    ``until``; return ``[(time, outcome, kind, since, down_seconds)]``."""
    tracker = AlertTracker("api", 0.0, config)
    changes = list(changes)
    health, out, now = None, [], 0.0
    while True:
        deadline = tracker.next_deadline()
        upcoming = [t for t, _ in changes]
        candidates = upcoming + ([deadline] if deadline is not None else [])
        if not candidates or min(candidates) > until:
            return out
        now = min(candidates)
        while changes and changes[0][0] == now:
            health = changes.pop(0)[1]
        for t in tracker.observe(now, health):
            out.append((now, t.outcome.value, t.alert.kind.value, t.alert.since,
                        t.alert.down_seconds))


@pytest.mark.parametrize("changes, until, expected", [
    # a service that starts and comes up: the baseline, no alert
    ([(0, DOWN), (5, UP)], 300, [(15, "baseline", "UP", 5, None)]),
    # desired 0 from the start: SCALED is the baseline
    ([(0, SCALED)], 300, [(10, "baseline", "SCALED", 0, None)]),
    # a blip shorter than the confirmation window: nothing
    ([(0, DOWN), (5, UP), (100, DOWN), (105, UP)], 300, [(15, "baseline", "UP", 5, None)]),
    # an outage: DOWN after 10 s, UP after 10 s more, saying it was down 40 s
    ([(0, DOWN), (5, UP), (100, DOWN), (140, UP)], 300,
     [(15, "baseline", "UP", 5, None), (110, "alert", "DOWN", 100, None),
      (150, "alert", "UP", 140, 40)]),
    # down inside the start-up grace: confirmed only when the grace ends
    ([(0, DOWN), (5, UP), (20, DOWN), (60, UP)], 300,
     [(15, "baseline", "UP", 5, None), (30, "alert", "DOWN", 20, None),
      (70, "alert", "UP", 60, 40)]),
    # ... and nothing at all when it is back before the grace ends
    ([(0, DOWN), (5, UP), (20, DOWN), (29, UP)], 300, [(15, "baseline", "UP", 5, None)]),
    # a service that never comes up is alerted when the grace ends
    ([(0, DOWN), (50, UP)], 300,
     [(30, "alert", "DOWN", 0, None), (60, "alert", "UP", 50, 50)]),
    # flapping inside the cooldown: one DOWN, one UP, the next DOWN held, then nothing
    ([(0, DOWN), (5, UP), (100, DOWN), (120, UP), (140, DOWN), (160, UP)], 400,
     [(15, "baseline", "UP", 5, None), (110, "alert", "DOWN", 100, None),
      (130, "alert", "UP", 120, 20), (150, "held", "DOWN", 140, None)]),
    # a held DOWN that is still DOWN when the cooldown ends is sent then
    ([(0, DOWN), (5, UP), (100, DOWN), (120, UP), (140, DOWN), (200, UP)], 400,
     [(15, "baseline", "UP", 5, None), (110, "alert", "DOWN", 100, None),
      (130, "alert", "UP", 120, 20), (150, "held", "DOWN", 140, None),
      (170, "alert", "DOWN", 140, None), (210, "alert", "UP", 200, 60)]),
    # scaled to zero is not an outage; scaling back up starts a new grace period
    ([(0, DOWN), (5, UP), (100, SCALED), (200, DOWN), (225, UP)], 400,
     [(15, "baseline", "UP", 5, None), (110, "alert", "SCALED", 100, None),
      (235, "alert", "UP", 225, None)]),
    # scaled to zero during an outage: the SCALED alert says how long it was down
    ([(0, DOWN), (5, UP), (100, DOWN), (130, SCALED)], 400,
     [(15, "baseline", "UP", 5, None), (110, "alert", "DOWN", 100, None),
      (140, "alert", "SCALED", 130, 30)]),
    # DEGRADED has its own, longer window: a 15 s dip below the budget is nothing ...
    ([(0, DOWN), (5, UP), (100, DEGRADED), (115, UP)], 300, [(15, "baseline", "UP", 5, None)]),
    # ... 25 s is an alert, and the UP after it says how long it was DEGRADED
    ([(0, DOWN), (5, UP), (100, DEGRADED), (125, UP)], 300,
     [(15, "baseline", "UP", 5, None), (120, "alert", "DEGRADED", 100, None),
      (135, "alert", "UP", 125, 25)]),
    # DEGRADED, then DOWN, then UP: one incident, its length from the first trouble
    ([(0, DOWN), (5, UP), (100, DEGRADED), (125, DOWN), (150, UP)], 300,
     [(15, "baseline", "UP", 5, None), (120, "alert", "DEGRADED", 100, None),
      (135, "alert", "DOWN", 125, None), (160, "alert", "UP", 150, 50)]),
    # a service that starts DEGRADED and stays so is alerted once the grace has ended
    ([(0, DOWN), (5, DEGRADED)], 300, [(30, "alert", "DEGRADED", 5, None)]),
])
def test_tracker_traces(changes, until, expected):
    assert trace(changes, until) == expected


def test_tracker_asks_to_be_woken_exactly_when_something_can_happen():
    tracker = AlertTracker("api", 0.0, CONFIG)
    assert tracker.observe(0, DOWN) == [] and tracker.next_deadline() == 30
    assert tracker.observe(5, UP) == [] and tracker.next_deadline() == 15
    assert [t.outcome for t in tracker.observe(15, UP)] == [Outcome.BASELINE]
    assert tracker.next_deadline() is None


def test_alert_texts_name_the_numbers():
    down = Alert(110, "api", DOWN, 100, UP, 1, 3)
    assert down.subject == "[t32sim] api is DOWN"
    assert down.message == "api is DOWN at t=110 s: 1 of 3 pods Ready since t=100 s."
    up = Alert(150, "api", UP, 140, DOWN, 3, 3, down_seconds=40)
    assert up.subject == "[t32sim] api is UP"
    assert up.body == ("api is UP at t=150 s: 3 of 3 pods Ready. It was DOWN for 40 s "
                       "(t=100 s to t=140 s).\n")
    never = Alert(30, "api", DOWN, 0, None, 0, 3)
    assert never.message == ("api is DOWN at t=30 s: 0 of 3 pods Ready since t=0 s; it has not "
                             "stayed UP since it started.")
    assert (down.severity, never.rule) == ("critical", "ServiceHealth")


def test_degraded_and_down_texts_say_what_users_get():
    degraded = Alert(65, "web", DEGRADED, 60, UP, 4, 8, min_available=6)
    assert degraded.subject == "[t32sim] web is DEGRADED" and degraded.severity == "warning"
    assert degraded.message == ("web is DEGRADED at t=65 s: 4 of 8 pods Ready (the rollout "
                                "keeps at least 6) since t=60 s.")
    dark = Alert(65, "web", DOWN, 60, UP, 2, 8, serving=0)
    assert dark.message == ("web is DOWN at t=65 s: 2 of 8 pods Ready, none of them serving "
                            "traffic since t=60 s.")
    both = Alert(160, "web", UP, 150, DOWN, 8, 8, down_seconds=50, trouble=(DEGRADED, DOWN))
    assert both.message == ("web is UP at t=160 s: 8 of 8 pods Ready. It was DEGRADED then "
                            "DOWN for 50 s (t=100 s to t=150 s).")


@pytest.mark.parametrize("field, value", [("grace_seconds", -1), ("cooldown_seconds", "60"),
                                          ("confirm_up_seconds", float("inf")),
                                          ("confirm_down_seconds", True),
                                          ("confirm_degraded_seconds", -0.5)])
def test_config_rejects_bad_windows_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}: expected a number of seconds >= 0"):
        AlertConfig(**{field: value})


def test_config_rejects_an_unknown_rule_and_empty_evaluation_windows():
    with pytest.raises(ValueError, match="^rule: expected one of 'budget', 'original', got 'strict'"):
        AlertConfig(rule="strict")
    with pytest.raises(ValueError, match="^evaluation_seconds: expected a number of seconds > 0"):
        AlertConfig(evaluation_seconds=0)



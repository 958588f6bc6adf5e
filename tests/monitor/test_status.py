"""When the active service deserves a DOWN or UP alert (t32sim/monitor/status.py)."""
from __future__ import annotations

import pytest

from t32sim.monitor.status import ServiceState, StatusTracker

UP, DOWN = ServiceState.UP, ServiceState.DOWN

CASES = [
    ("the first success after start is silent", [True, True], [None, None], UP),
    ("one blip is not an outage", [True, False, True], [None, None, None], UP),
    ("two failures in a row are DOWN, once", [True, False, False, False], [None, None, DOWN, None], DOWN),
    ("recovery is UP", [False, False, True, True], [None, DOWN, UP, None], UP),
    ("down before the first success", [False, False], [None, DOWN], DOWN),
]


@pytest.mark.parametrize("name,checks,alerts,final", CASES, ids=[c[0] for c in CASES])
def test_alerts(name, checks, alerts, final):
    tracker = StatusTracker(down_after=2)
    assert [tracker.observe(ok) for ok in checks] == alerts
    assert tracker.state is final


def test_after_a_switch_the_new_service_is_announced_when_it_answers():
    tracker = StatusTracker(down_after=2)
    tracker.observe(False)
    tracker.observe(False)
    tracker.switched()
    assert tracker.state is ServiceState.UNKNOWN
    assert [tracker.observe(True), tracker.observe(True)] == [UP, None]

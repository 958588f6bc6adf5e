"""A service's status, a pure function, and when time alone outdates it
(t32sim/engine/status.py)."""
from __future__ import annotations

import pytest

from t32sim.engine.status import Phase, ServiceStatus, outdated_by_time, service_status
from t32sim.engine.store import ServiceState
from t32sim.spec import ServiceSpec


def state(progress_since=0.0, deadline=600) -> ServiceState:
    spec = ServiceSpec(name="api", image="local://demo@v1", replicas=3,
                       progress_deadline_seconds=deadline)
    return ServiceState(spec, progress_since=progress_since)


@pytest.mark.parametrize("ready, available, phase, now, outdated", [
    (3, 2, Phase.HEALTHY, 10.0, True),         # a Ready pod may be available by now
    (3, 3, Phase.HEALTHY, 10.0, False),
    (2, 2, Phase.PROGRESSING, 600.0, False),   # 600 - 0 > 600 is not true yet
    (2, 2, Phase.PROGRESSING, 600.5, True),    # past the deadline: Degraded now
    (2, 2, Phase.DEGRADED, 700.0, False),
    (2, 2, Phase.PAUSED, 700.0, False),        # the rollout controller says when it goes on
])
def test_outdated_by_time_follows_service_status_own_rules(ready, available, phase, now,
                                                           outdated):
    assert outdated_by_time(state(), ready, available, phase, now) is outdated


def test_the_deadline_rule_is_the_one_service_status_uses():
    late = state(progress_since=100.0, deadline=30)
    degraded = service_status(late, [], 130.5)     # no pod for 30.5 s: Degraded
    on_time = service_status(late, [], 130.0)
    assert (on_time.phase, degraded.phase) == (Phase.PROGRESSING, Phase.DEGRADED)
    assert [outdated_by_time(late, 0, 0, on_time.phase, now) for now in (130.0, 130.5)] == [
        False, True]


def test_to_dict_is_the_fields_in_order_with_the_phase_as_text():
    status = ServiceStatus(3, 3, 2, 1, 3, 2, Phase.PROGRESSING, 25, 2, 1, "step 2")
    assert list(status.to_dict().items()) == [
        ("desired", 3), ("current", 3), ("ready", 2), ("available", 1), ("updated", 3),
        ("revision", 2), ("phase", "Progressing"), ("weight", 25), ("step", 2),
        ("stable_revision", 1), ("message", "step 2")]

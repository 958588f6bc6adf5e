"""ProbeTrack: the lazy probe arithmetic, checked against a probe-by-probe simulation."""
from __future__ import annotations

import math

import pytest

from t32sim.engine.probes import INF, ProbeTrack
from t32sim.spec import Probe


def brute_force(origin, period, passing_from, threshold, want_success, start_index=0):
    """Evaluate probes one by one until the streak reaches the threshold."""
    streak = 0
    for k in range(start_index, start_index + 1000):
        t = origin + k * period
        if (t >= passing_from) == want_success:
            streak += 1
            if streak == threshold:
                return t
        else:
            streak = 0
    return INF


@pytest.mark.parametrize("origin,period,passing_from,threshold", [
    (3, 2, 4, 1), (3, 2, 4, 3), (3, 2, 3, 1), (3, 2, 2.5, 2), (0, 10, 25, 1),
    (1, 1, INF, 1), (5, 3, 100, 4), (2, 2, 2, 3),
])
def test_successes_and_failures_match_probe_by_probe(origin, period, passing_from, threshold):
    track = ProbeTrack(Probe(period_seconds=period), origin, passing_from=passing_from)
    assert track.when_successes_reach(threshold) == brute_force(origin, period, passing_from,
                                                                threshold, True)
    expected_failure = brute_force(origin, period, passing_from, threshold, False)
    # failures only happen before passing_from; afterwards every probe passes
    assert track.when_failures_reach(threshold) == expected_failure


def test_advance_counts_streaks_across_a_change():
    track = ProbeTrack(Probe(period_seconds=2), origin=1, passing_from=INF)
    track.advance(5)                      # probes at 1, 3, 5 fail
    assert (track.index, track.failures, track.successes) == (3, 3, 0)
    track.passing_from = 6                # healed at 6
    track.advance(9)                      # probes at 7, 9 pass
    assert (track.index, track.failures, track.successes) == (5, 0, 2)
    assert track.when_failures_reach(1) == INF
    assert track.when_successes_reach(3) == 11
    track.passing_from = INF              # broken again
    assert track.when_failures_reach(3) == 15


def test_a_track_for_a_container_skips_probes_before_its_start():
    probe = Probe(initial_delay_seconds=1, period_seconds=2)
    track = ProbeTrack.for_container(probe, started_at=2, not_before=8)
    assert track.origin == 3 and track.index == 3 and track.time_of(track.index) == 9
    assert math.isinf(ProbeTrack(probe, 0).first_index_at(INF))

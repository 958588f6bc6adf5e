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


def test_the_probe_at_the_origin_counts_when_advanced_to_it():
    track = ProbeTrack(Probe(period_seconds=2), origin=3, passing_from=0)
    track.advance(2.5)
    assert (track.index, track.successes) == (0, 0)
    track.advance(3)                      # probe 0 runs at the origin itself
    assert (track.index, track.successes, track.failures) == (1, 1, 0)


def test_a_streak_goes_on_across_advances_without_a_change():
    passing = ProbeTrack(Probe(period_seconds=2), origin=1, passing_from=0)
    passing.advance(3)                    # probes at 1, 3 pass
    passing.advance(7)                    # and at 5, 7
    assert (passing.index, passing.successes, passing.failures) == (4, 4, 0)
    failing = ProbeTrack(Probe(period_seconds=2), origin=1, passing_from=INF)
    failing.advance(3)
    failing.advance(7)
    assert (failing.index, failing.successes, failing.failures) == (4, 0, 4)


def test_a_threshold_already_reached_is_not_reached_again():
    track = ProbeTrack(Probe(period_seconds=2), origin=1, passing_from=0)
    track.advance(5)                      # 3 successes
    assert track.when_successes_reach(3) == INF and track.when_successes_reach(4) == 7
    track.passing_from = INF
    track.advance(11)                     # 3 failures
    assert track.when_failures_reach(3) == INF and track.when_failures_reach(4) == 13


def test_a_success_streak_broken_by_failures_to_come_starts_again_after_them():
    track = ProbeTrack(Probe(period_seconds=2), origin=1, passing_from=0)
    track.advance(3)                      # 2 successes so far (probes at 1, 3)
    track.passing_from = 8                # probes at 5 and 7 will fail, from 9 they pass
    assert track.when_successes_reach(3) == 13          # 9, 11, 13: the old 2 do not count

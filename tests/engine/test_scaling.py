"""The HPA's normalisation and one sync (scaling.py), exactly: stabilisation windows at their
edges, rate policies, min / max, the scale events a behavior remembers, and the message."""
from __future__ import annotations

import pytest

from t32sim.engine.hpa import PodSample, Tolerances, cpu_replicas
from t32sim.engine.scaling import (Decision, HPAState, Recommendation, ScaleEvent, decide,
                                   scale_down_limit, scale_up_limit, stabilize_with_behavior)
from t32sim.spec import Autoscale, ScalingPolicy, ScalingRules

R = Recommendation


def pods(*cpus) -> list[PodSample]:
    return [PodSample(f"p{i}", False, False, True, 0.0, 0.0, cpu) for i, cpu in enumerate(cpus)]


def rules(select="Max", *policies, window=0) -> ScalingRules:
    return ScalingRules(window, select, tuple(ScalingPolicy(*p) for p in policies))


UP = rules("Max", ("Pods", 4, 60))                       # a behavior: 4 pods a minute up
DOWN = rules("Max", ("Pods", 1, 30), window=60)          # 1 pod per 30 s down, 60 s window


def behaved(low=1, high=10, target=50, up=UP, down=DOWN) -> Autoscale:
    return Autoscale(low, high, target, up, down)


# -- stabilisation with behavior: the windows' edges and what is remembered -----------------------

@pytest.mark.parametrize("recs, desired, current, up, down, now, stabilized, kept", [
    # a recommendation exactly up_window (60 s) old is out of the up-window: scale up at once
    ([R(0, 3)], 6, 3, 60, 300, 60, 6, [R(0, 3), R(60, 6)]),
    ([R(1, 3)], 6, 3, 60, 300, 60, 3, [R(1, 3), R(60, 6)]),
    # older than both windows: replaced by the new one (the list does not grow)
    ([R(0, 3), R(100, 4)], 6, 3, 60, 300, 301, 6, [R(301, 6), R(100, 4)]),
    # older than the up-window only (still inside the down-window): kept, and it holds
    # the scale-down from 10 at 8
    ([R(0, 8)], 6, 10, 60, 300, 200, 8, [R(0, 8), R(200, 6)]),
    # exactly at the edge of both windows: in neither, and not replaced
    ([R(100, 9)], 6, 10, 300, 300, 400, 6, [R(100, 9), R(400, 6)]),
    # older than the down-window, exactly at the up-window's edge: not replaced
    ([R(100, 9)], 6, 10, 300, 200, 400, 6, [R(100, 9), R(400, 6)]),
    ([R(100, 9)], 6, 10, 200, 300, 400, 6, [R(100, 9), R(400, 6)]),
])
def test_stabilisation_with_behavior_at_the_window_edges(recs, desired, current, up, down, now,
                                                         stabilized, kept):
    assert stabilize_with_behavior(recs, desired, current, up, down, now) == (stabilized, kept)


# -- rate policies on large counts ---------------------------------------------------------------

def test_percent_policies_on_large_counts():
    assert scale_up_limit(101, [], [], rules("Max", ("Percent", 100, 15)), now=100) == 202
    assert scale_down_limit(200, [], [], rules("Max", ("Percent", 99, 15)), now=100) == 2


# -- one sync ------------------------------------------------------------------------------------

def test_at_zero_replicas_the_autoscaler_is_off():
    assert decide(Autoscale(1, 5, 50), HPAState(), 0, pods(), now=100) == Decision(
        0, 0, None, "scaling is disabled while replicas are 0")


def test_at_max_replicas_it_still_reads_the_cpu():
    got = decide(Autoscale(1, 3, 50), HPAState(), 3, pods(500, 500, 500), now=400)
    assert got == Decision(3, 3, cpu_replicas(3, 50, pods(500, 500, 500), 400),
                           "CPU 50 % vs target 50 %: 0.9 ≤ 50/50 ≤ 1.1 (within the tolerance) → "
                           "stay at 3", 3, 3)


def test_without_a_pod_to_measure_nothing_changes():
    got = decide(Autoscale(1, 5, 50), HPAState(), 3, [], now=400)
    assert got == Decision(3, 3, cpu_replicas(3, 50, [], 400), "no pods to measure")


def test_the_tolerance_given_is_the_one_used():
    wide = Tolerances(0.3, 0.3)
    got = decide(Autoscale(1, 10, 50), HPAState(), 2, pods(600, 600), now=400, tolerance=wide)
    assert (got.desired, got.message) == (2, "CPU 60 % vs target 50 %: 0.7 ≤ 60/50 ≤ 1.3 "
                                             "(within the tolerance) → stay at 2")


@pytest.mark.parametrize("autoscale, current, cpus, desired, recommended, stabilized, tail", [
    # raised to the minimum: no load at all recommends 0
    (Autoscale(2, 10, 50), 3, (0, 0, 0), 2, 0, 0, "= 0, raised to min 2"),
    (Autoscale(1, 5, 10), 3, (1000, 1000, 1000), 5, 30, 30, "= 30, capped at max 5"),
    (Autoscale(1, 50, 10), 3, (1000, 1000, 1000), 6, 30, 30,
     "= 30, limited to max(2 × 3, 4) = 6"),
    # min = max = 2: the cap, not the minimum, is what held it
    (Autoscale(2, 2, 10), 2, (1000, 1000), 2, 20, 20, "= 20, capped at max 2"),
    (behaved(), 2, (1000, 1000), 4, 4, 4, "= 4"),                    # within the policy
    (behaved(), 2, (1000, 1000, 1000), 6, 6, 6, "= 6"),            # 3 pods, 2 replicas: 6
    (behaved(), 2, (1000, 1000, 1000, 1000), 6, 8, 8,
     "= 8, limited by the scale-up policies to 6"),
    (behaved(high=5), 2, (1000, 1000, 1000), 5, 6, 6, "= 6, capped at max 5"),
    (behaved(), 4, (250, 250, 250, 250), 3, 2, 2, "= 2, limited by the scale-down policies to 3"),
    (behaved(), 4, (300, 300, 300, 300), 3, 3, 3, "= 3"),          # exactly the policy's
    (behaved(low=4), 5, (0, 0, 0, 0, 0), 4, 0, 0, "= 0, raised to min 4"),
])
def test_each_limit_says_what_held_the_recommendation(autoscale, current, cpus, desired,
                                                        recommended, stabilized, tail):
    state = HPAState(recommendations=[])
    got = decide(autoscale, state, current, pods(*cpus), now=400)
    assert (got.desired, got.recommended, got.stabilized) == (desired, recommended, stabilized)
    assert got.message.endswith(tail)


def test_the_stabilisation_message_names_the_window_of_the_behavior():
    state = HPAState(recommendations=[R(380, 4)])
    got = decide(behaved(), state, 4, pods(250, 250, 250, 250), now=400)
    assert (got.desired, got.recommended, got.stabilized) == (4, 2, 4)
    assert got.message.endswith("= 2; the highest recommendation of the last 60 s is 4")
    slow_up = behaved(up=rules("Max", ("Pods", 4, 60), window=60))
    state = HPAState(recommendations=[R(380, 2)])
    got = decide(slow_up, state, 2, pods(1000, 1000), now=400)
    assert (got.desired, got.recommended, got.stabilized) == (2, 4, 2)
    assert got.message.endswith("= 4; the lowest recommendation of the up-window is 2")


def test_a_behavior_remembers_each_rescale_in_its_direction_and_forgets_old_ones():
    """Scale events feed the rate policies: pods added go in ``ups``, pods removed in
    ``downs``; each list keeps what its direction's longest period still needs."""
    up = rules("Max", ("Pods", 2, 60))
    down = rules("Max", ("Pods", 5, 15))
    scale = behaved(up=up, down=down)
    state = HPAState(recommendations=[])
    assert decide(scale, state, 2, pods(1000, 1000), now=100).desired == 4
    assert (state.ups, state.downs) == ([ScaleEvent(100, 2)], [])
    decide(scale, state, 4, pods(1000, 1000, 1000, 1000), now=160)          # 100 is exactly 60 s ago: kept
    assert state.ups == [ScaleEvent(100, 2), ScaleEvent(160, 2)]
    decide(scale, state, 6, pods(*[1000] * 6), now=221)       # both 61 s or more ago: gone
    assert state.ups == [ScaleEvent(221, 2)]
    state.ups = [ScaleEvent(200, 2)]
    decide(scale, state, 8, pods(*[0] * 8), now=300)           # down by 5 (its policy)
    decide(scale, state, 3, pods(*[0] * 3), now=320)           # 300 is 20 s > 15 s ago
    assert state.downs == [ScaleEvent(320, 2)] and state.ups == [ScaleEvent(200, 2)]


def test_a_behavior_remembers_the_min_and_max_corrections_too():
    state = HPAState(recommendations=[])
    assert decide(behaved(low=3), state, 1, pods(), now=100) == Decision(
        1, 3, None, "1 replicas < min 3 → scale up to 3")
    assert state.ups == [ScaleEvent(100, 2)]
    assert decide(behaved(high=4), state, 7, pods(), now=110) == Decision(
        7, 4, None, "7 replicas > max 4 → scale down to 4")
    assert state.downs == [ScaleEvent(110, 3)]


def test_without_behavior_and_without_a_rescale_nothing_is_remembered():
    state = HPAState(recommendations=[])
    decide(Autoscale(1, 10, 50), state, 2, pods(1000, 1000), now=100)        # 2 -> 4
    decide(Autoscale(2, 10, 50), state, 1, pods(), now=115)                   # min: 1 -> 2
    assert (state.ups, state.downs) == ([], [])
    behaving = HPAState(recommendations=[])
    decide(behaved(), behaving, 2, pods(500, 500), now=100)                   # on target
    decide(behaved(low=2), behaving, 2, pods(), now=115)                      # no metrics
    assert (behaving.ups, behaving.downs) == ([], [])

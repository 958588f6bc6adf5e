"""The HorizontalPodAutoscaler: Kubernetes' replica calculator, stabilisation and policies."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.autoscaler import (HPAState, PodSample, Recommendation, ScaleEvent, Tolerances,
                                      cpu_replicas, decide, group_pods, scale_down_limit,
                                      scale_up_limit, stabilize_default, stabilize_with_behavior)
from t32sim.spec import (SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Autoscale, Probe, ScalingPolicy,
                         ScalingRules)

PROBE = Probe(path="/healthz", initial_delay_seconds=1, period_seconds=2)


def sample(name="p", cpu=500, *, pending=False, terminating=False, ready=True, start=0.0,
           transition=0.0) -> PodSample:
    return PodSample(name, pending, terminating, ready, start, transition, cpu)


def pods(*cpus, **kwargs) -> list[PodSample]:
    return [sample(f"p{i}", cpu, **kwargs) for i, cpu in enumerate(cpus)]


# -- grouping ------------------------------------------------------------------------------------

@pytest.mark.parametrize("pod, now, group", [
    (sample(terminating=True), 100, "ignored"),
    (sample(pending=True, ready=False, cpu=None), 100, "unready"),
    (sample(cpu=None), 100, "missing"),                               # container not running
    (sample(transition=5), 15, "unready"),     # Ready for 10 s < one 15 s metric window
    (sample(transition=5), 20, "ready"),
    (sample(ready=False, transition=5), 100, "unready"),             # within the first 300 s
    (sample(ready=False, transition=10), 400, "unready"),            # never was Ready
    (sample(ready=False, transition=100), 400, "ready"),             # was Ready once: counts
    (sample(transition=399), 400, "ready"),                          # after 300 s no window
])
def test_pods_are_grouped_as_kubernetes_groups_them_for_cpu(pod, now, group):
    ready, unready, missing, ignored = group_pods([pod], now)
    found = {"ready": ready, "unready": unready, "missing": missing, "ignored": ignored}
    assert {k for k, v in found.items() if v} == {group}


# -- the replica calculator ------------------------------------------------------------------------

UNREADY = dict(pending=True, ready=False)


@pytest.mark.parametrize("current, target, samples, replicas, utilization", [
    (3, 60, pods(900, 900, 900), 5, 90),                 # ceil(3 × 90 / 60) = ceil(4.5) = 5
    (3, 60, pods(920, 920, 920), 5, 92),                 # ceil(3 × 92 / 60) = ceil(4.6) = 5
    (5, 60, pods(540, 540, 540, 540, 540), 5, 54),       # 0.9 ≤ 54/60 = 0.9: within tolerance
    # 66/60 and 1 + 0.1 are the same float: 0.9 ≤ 1.1 ≤ 1.1 is within (Kubernetes ≥ 1.33;
    # the older |1 − ratio| ≤ 0.1 gave 0.10000000000000009 and scaled to 6)
    (5, 60, pods(660, 660, 660, 660, 660), 5, 66),
    (5, 60, pods(530, 530, 530, 530, 530), 5, 53),       # ceil(5 × 53 / 60) = ceil(4.42) = 5
    (6, 60, pods(530, 530, 530, 530, 530, 530), 6, 53),  # ceil(6 × 53 / 60) = ceil(5.3) = 6
    (5, 60, pods(670, 670, 670, 670, 670), 6, 67),       # ceil(5 × 67 / 60) = 6
    (3, 60, pods(300, 300, 300), 2, 30),                 # ceil(3 × 30 / 60) = 2
    (4, 50, pods(0, 0, 0, 0), 0, 0),
    (3, 60, pods(333, 333, 334), 2, 33),                 # utilisation is truncated: 1000/30
    # scale-up with an unready pod: it counts as 0 %; (1000+1000+0)/3000 = 66 % -> ceil(3 × 1.32)
    (3, 50, pods(1000, 1000) + [sample("u", None, **UNREADY)], 4, 100),
    # scale-down with a pod without metrics: it counts as 100 %: (200+200+1000)/3000 = 46 %,
    # |1 − 46/50| = 0.08 -> stay
    (3, 50, pods(200, 200) + [sample("m", None)], 3, 20),
    # scale-up with a pod without metrics: it counts as 0 %
    (3, 50, pods(1000, 1000) + [sample("m", None)], 4, 100),
    # 60 % wants more, but with 2 unready pods at 0 % it is 20 %: the direction changed -> stay
    (3, 50, pods(600) + [sample("u1", None, **UNREADY), sample("u2", None, **UNREADY)], 3, 60),
    # 100 % of 40 = 2.5; with the unready pod 50 % -> ceil(2 × 1.25) = 3 < 5 current: stay
    (5, 40, pods(1000) + [sample("u", None, **UNREADY)], 5, 100),
])
def test_cpu_replicas_table(current, target, samples, replicas, utilization):
    reading = cpu_replicas(current, target, samples, now=400)
    assert (reading.replicas, reading.utilization) == (replicas, utilization)


@pytest.mark.parametrize("ratio, within", [
    (66 / 60, True), (54 / 60, True), (1.0, True), (67 / 60, False), (53 / 60, False),
    (1.1000000000000003, False), (0.8999999999999999, False),
])
def test_tolerance_is_the_closed_interval_kubernetes_tests(ratio, within):
    assert Tolerances().within(ratio) is within


def test_tolerances_per_direction_as_behavior_tolerance_sets_them():
    narrow_up = Tolerances(scale_down=0.1, scale_up=0.05)
    assert (narrow_up.within(1.06), narrow_up.within(0.91)) == (False, True)
    # 5 pods at 64 % of 60 %: within 0.1, but a 5 % scale-up tolerance scales to ceil(5.33) = 6
    assert cpu_replicas(5, 60, pods(640, 640, 640, 640, 640), now=400).replicas == 5
    assert cpu_replicas(5, 60, pods(640, 640, 640, 640, 640), now=400,
                        tolerance=narrow_up).replicas == 6


def test_cpu_replicas_explains_its_arithmetic_and_reports_no_metrics():
    reading = cpu_replicas(3, 60, pods(920, 920, 920), now=400)
    assert reading.arithmetic == ("CPU 92 % of target 60 % on 3 Ready pod(s): "
                                  "ceil(3 × 92 / 60) = 5")
    fresh = cpu_replicas(3, 60, pods(500, 500, transition=5), now=15)
    assert fresh.replicas is None and fresh.error.startswith("no CPU sample of a Ready pod yet")


# -- stabilisation and rate limits ---------------------------------------------------------------

R = Recommendation


@pytest.mark.parametrize("recs, desired, now, expected, kept", [
    ([R(0, 3)], 2, 30, 3, [R(0, 3), R(30, 2)]),
    ([R(0, 5), R(200, 4)], 2, 300, 5, [R(0, 5), R(200, 4), R(300, 2)]),   # 300 s old: still in
    ([R(0, 5), R(200, 4)], 2, 301, 4, [R(301, 2), R(200, 4)]),            # out, and replaced
    ([R(0, 2)], 6, 30, 6, [R(0, 2), R(30, 6)]),                           # up: at once
])
def test_default_stabilisation_keeps_the_highest_recommendation_of_300_s(recs, desired, now,
                                                                         expected, kept):
    assert stabilize_default(recs, desired, now) == (expected, kept)


@pytest.mark.parametrize("recs, desired, current, up, down, now, expected", [
    ([R(0, 5)], 2, 5, 0, 300, 299, 5),
    ([R(0, 5)], 2, 5, 0, 300, 300, 2),     # with behavior the window excludes its edge
    ([R(0, 3)], 6, 3, 60, 300, 30, 3),     # a scale-up window delays scaling up
    ([R(0, 3)], 6, 3, 60, 300, 61, 6),
    ([R(0, 4), R(15, 7)], 6, 5, 60, 300, 30, 5),   # between the lowest and highest: stay
])
def test_stabilisation_with_behavior_windows(recs, desired, current, up, down, now, expected):
    assert stabilize_with_behavior(recs, desired, current, up, down, now)[0] == expected


def rules(select="Max", *policies, window=0):
    return ScalingRules(window, select, tuple(ScalingPolicy(*p) for p in policies))


@pytest.mark.parametrize("current, ups, downs, scaling, expected", [
    (4, [], [], SCALE_UP_DEFAULT, 8),                   # max(4 × 2, 4 + 4)
    (1, [], [], SCALE_UP_DEFAULT, 5),                   # max(2, 1 + 4)
    (10, [], [], SCALE_UP_DEFAULT, 20),
    (7, [ScaleEvent(90, 3)], [], SCALE_UP_DEFAULT, 8),  # the period began at 7 − 3 = 4
    (7, [ScaleEvent(85, 3)], [], SCALE_UP_DEFAULT, 14),  # 15 s ago exactly: outside the period
    (10, [], [], rules("Min", ("Percent", 100, 15), ("Pods", 4, 15)), 14),
    (3, [ScaleEvent(50, 1)], [], rules("Max", ("Pods", 1, 60)), 3),
    (3, [ScaleEvent(40, 1)], [], rules("Max", ("Pods", 1, 60)), 4),
    (3, [], [], rules("Disabled", ("Pods", 1, 60)), 3),
    (3, [], [], rules("Max", ("Percent", 10, 60)), 4),   # ceil(3 × 1.1): always at least one
])
def test_scale_up_limit(current, ups, downs, scaling, expected):
    assert scale_up_limit(current, ups, downs, scaling, now=100) == expected


@pytest.mark.parametrize("current, downs, scaling, expected", [
    (10, [], SCALE_DOWN_DEFAULT, 0),                    # 100 % per 15 s: no limit
    (10, [], rules("Max", ("Pods", 2, 60), ("Percent", 50, 60)), 5),
    (10, [], rules("Min", ("Pods", 2, 60), ("Percent", 50, 60)), 8),
    (8, [ScaleEvent(70, 2)], rules("Max", ("Pods", 2, 60), ("Percent", 50, 60)), 5),
    (5, [], rules("Max", ("Percent", 50, 15)), 2),      # int(5 × 0.5)
    (5, [], rules("Disabled", ("Percent", 50, 15)), 5),
])
def test_scale_down_limit(current, downs, scaling, expected):
    assert scale_down_limit(current, [], downs, scaling, now=100) == expected


@pytest.mark.parametrize("current, desired, message", [
    (12, 10, "12 replicas > max 10 → scale down to 10"),
    (1, 2, "1 replicas < min 2 → scale up to 2"),
    (0, 0, "scaling is disabled while replicas are 0"),
])
def test_decide_keeps_replicas_within_min_and_max_first(current, desired, message):
    decision = decide(Autoscale(2, 10, 50), HPAState(), current, pods(500), now=100)
    assert (decision.desired, decision.message) == (desired, message)


def test_without_behavior_one_scale_up_goes_at_most_to_twice_or_four():
    decision = decide(Autoscale(1, 50, 10), HPAState(), 2, pods(1000, 1000), now=400)
    assert decision.desired == 4
    assert decision.message.endswith("ceil(2 × 100 / 10) = 20, limited to max(2 × 2, 4) = 4")


# -- the autoscaler in a cluster --------------------------------------------------------------------

def autoscaled(replicas=3, target=60, low=1, high=10, up=SCALE_UP_DEFAULT,
               down=SCALE_DOWN_DEFAULT) -> t3.ServiceSpec:
    return t3.ServiceSpec(name="api", image="local://demo@v1", replicas=replicas,
                          readiness_probe=PROBE,
                          autoscale=Autoscale(low, high, target, up, down))


def replicas_at_syncs(c: t3.Cluster, until: float) -> dict[float, int]:
    h = c.history
    h = h[(h.time % 15 == 0) & (h.time > 0) & (h.time <= until)]
    return dict(zip(h.time, h.desired))


def test_load_30_then_90_then_20_percent_on_3_replicas_with_target_60():
    c = t3.Cluster(seed=2)
    c.apply(autoscaled())
    c.run(until=10)                  # v1 pods are Ready at 5
    c.set_load("api", cpu=30)        # 30 % of 3 × 100 rps = 90 rps
    c.run(until=100)
    c.set_load("api", cpu=90)        # 270 rps
    c.run(until=200)
    c.set_load("api", cpu=20)        # 20 % of 5 × 100 rps = 100 rps
    c.run(until=600)
    expected = {15.0: 3}             # Ready since 5: less than one 15 s sample -> no metrics yet
    for t in range(30, 91, 15):      # ceil(3 × 30 / 60) = 2, but 3 was recommended at 15
        expected[float(t)] = 3       # ... within 300 s: scale-down stabilised
    expected[105.0] = 5              # ceil(3 × 90 / 60) = ceil(4.5) = 5 <= max(2 × 3, 4)
    expected[120.0] = 5              # 270 rps / 5 = 54 %; the 2 new pods Ready at 110 are
    for t in range(135, 196, 15):    # ... unready; |1 − 54/60| = 0.1 <= tolerance -> 5
        expected[float(t)] = 5       # 54 % on all 5: within tolerance -> 5 (recommended 5)
    for t in range(210, 496, 15):    # 100 rps / 5 = 20 %: ceil(5 × 20 / 60) = 2, but 5 was
        expected[float(t)] = 5       # ... recommended at 195 and a window includes its edge
    expected[510.0] = 2              # 195 is 315 s ago: the highest left is 2
    for t in range(525, 601, 15):    # 100 rps / 2 = 50 %: ceil(2 × 50 / 60) = ceil(1.67) = 2
        expected[float(t)] = 2
    assert replicas_at_syncs(c, 600) == expected
    rescales = [(e.time, e.message) for e in c.event_log if e.reason is t3.Reason.SUCCESSFUL_RESCALE]
    assert rescales == [
        (105.0, "CPU 90 % of target 60 % on 3 Ready pod(s): ceil(3 × 90 / 60) = 5 → scale up "
                "from 3 to 5"),
        (510.0, "CPU 20 % of target 60 % on 5 Ready pod(s): ceil(5 × 20 / 60) = 2 → scale down "
                "from 5 to 2")]
    held = [(e.time, e.message) for e in c.event_log if e.reason is t3.Reason.SCALE_DOWN_STABILIZED]
    assert held == [
        (30.0, "CPU 30 % of target 60 % on 3 Ready pod(s): ceil(3 × 30 / 60) = 2; the highest "
               "recommendation of the last 300 s is 3 → stay at 3"),
        (210.0, "CPU 20 % of target 60 % on 5 Ready pod(s): ceil(5 × 20 / 60) = 2; the highest "
                "recommendation of the last 300 s is 5 → stay at 5")]
    assert [e.time for e in c.event_log if e.reason is t3.Reason.FAILED_GET_RESOURCE_METRIC] == [15.0]
    assert "ceil(pods × CPU / target)" in c.event_log[[e.reason for e in c.event_log].index(
        t3.Reason.SUCCESSFUL_RESCALE)].explain
    status = c.autoscaler.status("api")
    assert (status.current_replicas, status.desired_replicas, status.current_cpu) == (2, 2, 50)


def at_90_percent(until: float) -> t3.Cluster:
    """3 autoscaled pods (target 60 %), Ready at 5, under 90 % CPU from 10 s on."""
    c = t3.Cluster(seed=2)
    c.apply(autoscaled())
    c.run(until=10)
    c.set_load("api", cpu=90)
    c.run(until=until)
    return c


def test_the_hpa_status_is_written_into_the_store():
    c = at_90_percent(until=31)
    stored = c.store.hpa_status["api"]
    assert stored is c.autoscaler.status("api")
    assert (stored.current_replicas, stored.desired_replicas, stored.current_cpu) == (3, 5, 90)


def test_a_scale_up_policy_of_one_pod_per_minute():
    up = rules("Max", ("Pods", 1, 60))
    c = t3.Cluster(seed=2)
    c.apply(autoscaled(replicas=2, target=50, up=up, down=rules("Max", ("Percent", 100, 15),
                                                               window=300)))
    c.run(until=10)
    c.set_load("api", cpu=200)       # wants ceil(2 × 200 / 50) = 8, far more than one per minute
    c.run(until=200)
    assert replicas_at_syncs(c, 200) == {15.0: 2, 30.0: 3, 45.0: 3, 60.0: 3, 75.0: 3, 90.0: 4,
                                         105.0: 4, 120.0: 4, 135.0: 4, 150.0: 5, 165.0: 5,
                                         180.0: 5, 195.0: 5}
    assert [e.message.rsplit(", ", 1)[-1] for e in c.event_log
            if e.reason is t3.Reason.SUCCESSFUL_RESCALE][0].startswith("limited by the scale-up policies")


def test_a_scale_down_policy_of_half_the_pods_every_15_s():
    c = t3.Cluster(seed=2)
    c.apply(autoscaled(replicas=8, target=50, down=rules("Max", ("Percent", 50, 15))))
    c.run(until=80)                  # no load at all: every Ready pod at 0 %
    assert replicas_at_syncs(c, 80) == {15.0: 8, 30.0: 4, 45.0: 2, 60.0: 1, 75.0: 1}


def test_both_spellings_of_the_spec_give_the_same_autoscaler():
    base = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
            "spec": {"image": "local://demo@v1", "replicas": 2}}
    short = {**base, "spec": {**base["spec"], "autoscale": {"targetCPU": 60, "min": 2, "max": 6}}}
    k8s = {**base, "spec": {**base["spec"], "autoscale": {
        "targetCPUUtilizationPercentage": 60, "minReplicas": 2, "maxReplicas": 6}}}
    assert t3.load_spec(short).autoscale == t3.load_spec(k8s).autoscale == Autoscale(2, 6, 60)


def test_apply_keeps_the_replicas_the_autoscaler_chose():
    c = at_90_percent(until=40)
    assert c.service("api").spec.replicas == 5
    c.apply(autoscaled().__class__(**{**autoscaled().__dict__, "image": "local://demo@v2"}))
    assert c.service("api").spec.replicas == 5 and c.service("api").spec.version == "v2"


def test_pods_in_crash_loop_have_no_metrics_and_count_as_missing():
    c = t3.Cluster(seed=2)
    c.apply(t3.ServiceSpec(name="api", image="local://demo@crash", replicas=2,
                           autoscale=Autoscale(1, 5, 50)))
    c.run(until=45)
    assert {p.status for p in c.pods("api")} <= {t3.PodStatus.CRASH_LOOP_BACKOFF,
                                                   t3.PodStatus.RUNNING}
    failed = [e for e in c.event_log if e.reason is t3.Reason.FAILED_GET_RESOURCE_METRIC]
    assert failed and "without metrics" in failed[0].message
    assert c.service("api").spec.replicas == 2

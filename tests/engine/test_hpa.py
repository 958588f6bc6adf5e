"""The HPA's replica calculator (hpa.py), exactly: pod grouping at its time boundaries, the
tolerances, and each reading's replicas, counts and the arithmetic a student reads."""
from __future__ import annotations

import pytest

from t32sim.engine.hpa import CpuReading, PodSample, Tolerances, cpu_replicas, group_pods


def sample(name="p", cpu=500, *, pending=False, terminating=False, ready=True, start=0.0,
           transition=0.0) -> PodSample:
    return PodSample(name, pending, terminating, ready, start, transition, cpu)


def pods(*cpus) -> list[PodSample]:
    return [sample(f"p{i}", cpu) for i, cpu in enumerate(cpus)]


def missing(name="m") -> PodSample:
    return sample(name, None)                       # running, no metric: CrashLoopBackOff


def unready(name="u") -> PodSample:
    return sample(name, None, pending=True, ready=False)


def test_grouping_names_every_pod_terminating_ones_included():
    group = group_pods([sample("a"), sample("gone", terminating=True), missing("m"),
                        unready("u")], now=400)
    assert group == (["a"], ["u"], ["m"], ["gone"])


@pytest.mark.parametrize("pod, group", [
    # at exactly 300 s the CPU initialization period is over: a pod Ready once counts
    (sample(ready=False, transition=100), "ready"),
    # Ready at exactly start + 30 s (the initial readiness delay) was Ready once: it counts
    (sample(ready=False, start=0, transition=30), "ready"),
    (sample(ready=False, start=0, transition=29), "unready"),
])
def test_grouping_at_its_time_boundaries(pod, group):
    ready, unready_, _, _ = group_pods([pod], now=300)
    assert {"ready": ready, "unready": unready_}[group] == ["p"]


def test_tolerances_read_as_the_interval_they_allow():
    assert Tolerances(0.2, 0.3).show("66/60") == "0.8 ≤ 66/60 ≤ 1.3"
    assert Tolerances.of(0.2) == Tolerances(0.2, 0.2)
    assert Tolerances.of(Tolerances(0.05, 0.5)) == Tolerances(0.05, 0.5)


def reading(replicas, used, ready, unready_=0, missing_=0, arithmetic="", error=""):
    return CpuReading(replicas, used, ready, unready_, missing_, arithmetic, error)


@pytest.mark.parametrize("current, target, samples, expected", [
    (5, 60, pods(540, 540, 540, 540, 540), reading(
        5, 54, 5, arithmetic="CPU 54 % vs target 60 %: 0.9 ≤ 54/60 ≤ 1.1 (within the tolerance)"
                             " → stay at 5")),
    (3, 60, pods(900, 900, 900), reading(
        5, 90, 3, arithmetic="CPU 90 % of target 60 % on 3 Ready pod(s): ceil(3 × 90 / 60) = 5")),
    # exactly on target with an unready pod: no scale-up, so it is not counted at 0 %
    (3, 50, pods(500, 500) + [unready()], reading(
        3, 50, 2, 1, arithmetic="CPU 50 % vs target 50 %: 0.9 ≤ 50/50 ≤ 1.1 (within the "
                                "tolerance) → stay at 3")),
    # a scale-up: the pod without metrics counts as 0 %, 60 % is on target: stay
    (3, 60, pods(900, 900) + [missing()], reading(
        3, 90, 2, 0, 1, "CPU 90 % of target 60 % on 2 Ready pod(s); 1 pod(s) without metrics "
                        "counted at 0 %: 60 % over 3 pod(s) → within tolerance or direction "
                        "changed, stay at 3")),
    # utilisation is floored: 1799 m of 3000 m is 59 %, not 60 %
    (3, 60, pods(900, 899) + [missing()], reading(
        3, 89, 2, 0, 1, "CPU 89 % of target 60 % on 2 Ready pod(s); 1 pod(s) without metrics "
                        "counted at 0 %: 59 % over 3 pod(s) → within tolerance or direction "
                        "changed, stay at 3")),
    (3, 60, pods(900, 899) + [unready()], reading(
        3, 89, 2, 1, 0, "CPU 89 % of target 60 % on 2 Ready pod(s); 1 unready pod(s) counted at "
                        "0 %: 59 % over 3 pod(s) → within tolerance or direction changed, stay "
                        "at 3")),
    (4, 50, pods(1000, 1000) + [missing(), unready()], reading(
        4, 100, 2, 1, 1, "CPU 100 % of target 50 % on 2 Ready pod(s); 1 pod(s) without metrics "
                         "counted at 0 %, 1 unready pod(s) counted at 0 %: 50 % over 4 pod(s) → "
                         "within tolerance or direction changed, stay at 4")),
    # a scale-down: pods without metrics count as 100 % of their request
    (3, 50, pods(200, 200) + [missing()], reading(
        3, 20, 2, 0, 1, "CPU 20 % of target 50 % on 2 Ready pod(s); 1 pod(s) without metrics "
                        "counted at 100 %: 46 % over 3 pod(s) → within tolerance or direction "
                        "changed, stay at 3")),
    # ... and there they turn it into a scale-up (60 % of 50): the direction changed, stay
    (4, 50, pods(200, 200) + [missing("m1"), missing("m2")], reading(
        4, 20, 2, 0, 2, "CPU 20 % of target 50 % on 2 Ready pod(s); 2 pod(s) without metrics "
                        "counted at 100 %: 60 % over 4 pod(s) → within tolerance or direction "
                        "changed, stay at 4")),
    # the recomputed count equals the current one: that is the answer, not "the wrong way"
    (3, 50, pods(100, 100, 100) + [missing()], reading(
        3, 10, 3, 0, 1, "CPU 10 % of target 50 % on 3 Ready pod(s); 1 pod(s) without metrics "
                        "counted at 100 %: 32 % over 4 pod(s) → ceil(4 × 32 / 50) = 3")),
    (4, 50, pods(1000, 1000) + [unready()], reading(
        4, 100, 2, 1, 0, "CPU 100 % of target 50 % on 2 Ready pod(s); 1 unready pod(s) counted "
                         "at 0 %: 66 % over 3 pod(s) → ceil(3 × 66 / 50) = 4")),
    (3, 60, pods(1000, 1000) + [missing()], reading(
        3, 100, 2, 0, 1, "CPU 100 % of target 60 % on 2 Ready pod(s); 1 pod(s) without metrics "
                         "counted at 0 %: 66 % over 3 pod(s) → within tolerance or direction "
                         "changed, stay at 3")),
    # fewer pods than replicas: the recomputed 2 is below 5, against a scale-up: stay
    (5, 40, pods(1000) + [unready()], reading(
        5, 100, 1, 1, 0, "CPU 100 % of target 40 % on 1 Ready pod(s); 1 unready pod(s) counted "
                         "at 0 %: 50 % over 2 pod(s) → ceil(2 × 50 / 40) = 3 goes the wrong way, "
                         "stay at 5")),
    (3, 50, [], reading(None, None, 0, error="no pods to measure")),
    (2, 50, [unready(), missing()], reading(
        None, None, 0, 1, 1, error="no CPU sample of a Ready pod yet (1 unready, 1 without "
                                   "metrics)")),
])
def test_each_reading_exactly(current, target, samples, expected):
    assert cpu_replicas(current, target, samples, now=400) == expected


def test_on_target_with_a_pod_without_metrics_nothing_is_filled_in():
    """At exactly 100 % of target the missing pod is counted neither at 100 % (scale-down)
    nor at 0 % (scale-up), as in Kubernetes."""
    got = cpu_replicas(3, 50, pods(500, 500) + [missing()], now=400)
    assert (got.replicas, got.utilization, got.missing) == (3, 50, 1)
    assert got.arithmetic == ("CPU 50 % of target 50 % on 2 Ready pod(s); 1 pod(s) without "
                              "metrics left out (exactly on target): 50 % over 2 pod(s) → "
                              "within tolerance or direction changed, stay at 3")

"""The HPA's replica calculator: Kubernetes' GetResourceReplicas on average CPU, pure.

Pods are grouped as Kubernetes groups them: terminating pods are ignored; Pending pods and
pods whose CPU sample cannot be trusted yet are *unready* (within 300 s of starting: not
Ready, or Ready for less than one 15 s metric window; later: never Ready); Running pods
without a sample (a container in CrashLoopBackOff) are *missing*. With the Ready pods'
samples, ``utilisation = floor(100 × Σ usage / Σ requests)`` and ``ratio = utilisation /
target``. Within the tolerance (``1 - 0.1 <= ratio <= 1 + 0.1``, as Kubernetes tests it
since v1.33) nothing changes; otherwise ``desired = ceil(ratio × ready pods)``. With unready
or missing pods the ratio is recomputed conservatively (missing pods at 100 % on a
scale-down and 0 % on a scale-up, unready pods at 0 % on a scale-up) and a change of
direction cancels it. Normalisation (windows, policies, min / max) is in scaling.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

SYNC_PERIOD = 15.0                          # --horizontal-pod-autoscaler-sync-period
TOLERANCE = 0.1                             # --horizontal-pod-autoscaler-tolerance
CPU_INITIALIZATION_PERIOD = 300.0           # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0              # --horizontal-pod-autoscaler-initial-readiness-delay
METRIC_WINDOW = 15.0                        # the window one CPU sample averages over
DOWNSCALE_STABILISATION = 300.0             # --horizontal-pod-autoscaler-downscale-stabilization
SCALE_UP_LIMIT_FACTOR = 2
SCALE_UP_LIMIT_MINIMUM = 4


@dataclass(frozen=True)
class PodSample:
    """One pod as the autoscaler sees it. ``cpu_milli`` None: no metric (not running)."""
    name: str
    pending: bool
    terminating: bool
    ready: bool
    start_time: float
    ready_transition: float          # last change of the Ready condition
    cpu_milli: int | None
    request_milli: int = 1000


def group_pods(pods: Sequence[PodSample], now: float
               ) -> tuple[list[str], list[str], list[str], list[str]]:
    """``(ready, unready, missing, ignored)`` pod names, as Kubernetes' groupPods does for CPU."""
    ready, unready, missing, ignored = [], [], [], []
    for pod in pods:
        if pod.terminating:
            ignored.append(pod.name)
        elif pod.pending:
            unready.append(pod.name)
        elif pod.cpu_milli is None:
            missing.append(pod.name)
        elif pod.start_time + CPU_INITIALIZATION_PERIOD > now:
            fresh = now < pod.ready_transition + METRIC_WINDOW
            (unready if not pod.ready or fresh else ready).append(pod.name)
        else:
            never_ready = not pod.ready and pod.start_time + INITIAL_READINESS_DELAY > \
                pod.ready_transition
            (unready if never_ready else ready).append(pod.name)
    return ready, unready, missing, ignored


@dataclass(frozen=True)
class Tolerances:
    """How far the usage ratio may be from 1.0 before the HPA acts, per direction.

    Kubernetes' ``Tolerances.isWithin`` (v1.33+): no change while
    ``1 - scale_down <= ratio <= 1 + scale_up``. Both are the controller's
    ``--horizontal-pod-autoscaler-tolerance`` (0.1) unless ``behavior.scaleDown.tolerance`` /
    ``behavior.scaleUp.tolerance`` say otherwise (the HPAConfigurableTolerance feature).
    """
    scale_down: float = TOLERANCE
    scale_up: float = TOLERANCE

    def within(self, ratio: float) -> bool:
        return 1.0 - self.scale_down <= ratio <= 1.0 + self.scale_up

    def show(self, ratio_text: str) -> str:
        """``'0.9 ≤ 66/60 ≤ 1.1'`` for the arithmetic a student reads."""
        return f"{1.0 - self.scale_down:g} ≤ {ratio_text} ≤ {1.0 + self.scale_up:g}"

    @classmethod
    def of(cls, tolerance: "float | Tolerances") -> "Tolerances":
        return tolerance if isinstance(tolerance, Tolerances) else cls(tolerance, tolerance)


def utilization(metrics: dict[str, int], requests: dict[str, int]) -> int:
    """``floor(100 × Σ usage / Σ requests)`` over the pods that have a sample."""
    used = sum(metrics.values())
    requested = sum(requests[name] for name in metrics)
    return used * 100 // requested


@dataclass(frozen=True)
class CpuReading:
    """The replica calculator's answer, with the arithmetic a student can check."""
    replicas: int | None            # None: no decision possible (see ``error``)
    utilization: int | None         # percent of the requests, over the Ready pods
    ready: int = 0
    unready: int = 0
    missing: int = 0
    arithmetic: str = ""
    error: str = ""


def cpu_replicas(current: int, target: int, pods: Sequence[PodSample], now: float,
                 tolerance: float | Tolerances = TOLERANCE) -> CpuReading:
    """Kubernetes' GetResourceReplicas for CPU utilisation."""
    tolerances = Tolerances.of(tolerance)
    if not pods:
        return CpuReading(None, None, error="no pods to measure")
    ready, unready, missing, _ = group_pods(pods, now)
    by_name = {p.name: p for p in pods}
    requests = {p.name: p.request_milli for p in pods}
    metrics = {name: by_name[name].cpu_milli for name in ready}
    counts = dict(ready=len(ready), unready=len(unready), missing=len(missing))
    if not metrics:
        return CpuReading(None, None, **counts,
                          error=f"no CPU sample of a Ready pod yet ({len(unready)} unready, "
                                f"{len(missing)} without metrics)")
    used = utilization(metrics, requests)
    ratio = used / target
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if tolerances.within(ratio):
            return CpuReading(current, used, **counts,
                              arithmetic=f"CPU {used} % vs target {target} %: "
                                         f"{tolerances.show(f'{used}/{target}')} (within the "
                                         f"tolerance) → stay at {current}")
        desired = math.ceil(ratio * len(ready))
        return CpuReading(desired, used, **counts,
                          arithmetic=f"CPU {used} % of target {target} % on {len(ready)} Ready "
                                     f"pod(s): ceil({len(ready)} × {used} / {target}) = {desired}")
    filled = dict(metrics)
    notes = []
    if missing:
        if ratio < 1.0:
            fallback = max(100, target)
            for name in missing:
                filled[name] = requests[name] * fallback // 100
            notes.append(f"{len(missing)} pod(s) without metrics counted at {fallback} %")
        elif ratio > 1.0:
            for name in missing:
                filled[name] = 0
            notes.append(f"{len(missing)} pod(s) without metrics counted at 0 %")
        else:
            notes.append(f"{len(missing)} pod(s) without metrics left out (exactly on target)")
    if scale_up_with_unready:
        for name in unready:
            filled[name] = 0
        notes.append(f"{len(unready)} unready pod(s) counted at 0 %")
    new_used = utilization(filled, requests)
    new_ratio = new_used / target
    said = (f"CPU {used} % of target {target} % on {len(ready)} Ready pod(s); "
            + ", ".join(notes) + f": {new_used} % over {len(filled)} pod(s)")
    if tolerances.within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return CpuReading(current, used, **counts,
                          arithmetic=said + f" → within tolerance or direction changed, stay at "
                                            f"{current}")
    desired = math.ceil(new_ratio * len(filled))
    if (new_ratio < 1.0 and desired > current) or (new_ratio > 1.0 and desired < current):
        return CpuReading(current, used, **counts,
                          arithmetic=said + f" → ceil({len(filled)} × {new_used} / {target}) = "
                                            f"{desired} goes the wrong way, stay at {current}")
    return CpuReading(desired, used, **counts,
                      arithmetic=said + f" → ceil({len(filled)} × {new_used} / {target}) = "
                                        f"{desired}")

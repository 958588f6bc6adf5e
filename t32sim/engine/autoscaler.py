"""The HorizontalPodAutoscaler: Kubernetes' algorithm on average CPU utilisation.

Every 15 s (``SYNC_PERIOD``) the autoscaler looks at each autoscaled service:

1. **The replica calculator** (``cpu_replicas``). Pods are grouped as Kubernetes groups
   them: terminating pods are ignored; Pending pods and pods whose CPU sample cannot be
   trusted yet are *unready* (within 300 s of starting: not Ready, or Ready for less than
   one 15 s metric window; later: never Ready); Running pods without a sample (a container
   in CrashLoopBackOff) are *missing*. With the Ready pods' samples,
   ``utilisation = floor(100 × Σ usage / Σ requests)`` and ``ratio = utilisation / target``.
   Within the tolerance (``1 - 0.1 <= ratio <= 1 + 0.1``, as Kubernetes tests it since
   v1.33) nothing changes; otherwise
   ``desired = ceil(ratio × ready pods)``. With unready or missing pods the ratio is
   recomputed conservatively (missing pods at 100 % on a scale-down and 0 % on a
   scale-up, unready pods at 0 % on a scale-up) and a change of direction cancels it.
2. **Normalisation.** Without ``behavior`` (the defaults): scale-down is stabilised (the
   highest recommendation of the last 300 s wins) and one scale-up goes at most to
   ``max(2 × current, 4)``. With ``behavior``: stabilisation windows per direction, then
   the rate policies (``Pods`` / ``Percent`` per ``periodSeconds``, ``selectPolicy``).
   Finally ``minReplicas`` / ``maxReplicas``.

``cpu_replicas``, ``stabilize_*`` and ``*_limit`` are pure functions; ``decide`` runs one
sync over a ``HPAState``; ``Autoscaler`` is the simpy loop that applies the decisions.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from t32sim.engine.events import Level, Reason
from t32sim.engine.store import Pod, PodPhase
from t32sim.spec import SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Autoscale, ScalingRules

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

SYNC_PERIOD = 15.0                          # --horizontal-pod-autoscaler-sync-period
TOLERANCE = 0.1                             # --horizontal-pod-autoscaler-tolerance
CPU_INITIALIZATION_PERIOD = 300.0           # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0              # --horizontal-pod-autoscaler-initial-readiness-delay
METRIC_WINDOW = 15.0                        # the window one CPU sample averages over
DOWNSCALE_STABILISATION = 300.0             # --horizontal-pod-autoscaler-downscale-stabilization
SCALE_UP_LIMIT_FACTOR = 2
SCALE_UP_LIMIT_MINIMUM = 4


# == the replica calculator =====================================================================

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


# == normalisation ==============================================================================

@dataclass(frozen=True)
class Recommendation:
    time: float
    replicas: int


@dataclass(frozen=True)
class ScaleEvent:
    time: float
    change: int          # pods added (scale-up list) or removed (scale-down list)


def stabilize_default(recommendations: list[Recommendation], desired: int, now: float,
                      window: float = DOWNSCALE_STABILISATION
                      ) -> tuple[int, list[Recommendation]]:
    """Without ``behavior``: the highest of ``desired`` and every recommendation not older
    than ``window``; ``desired`` is remembered (replacing one that fell out of the window)."""
    cutoff = now - window
    highest, old = desired, None
    for i, rec in enumerate(recommendations):
        if rec.time < cutoff:
            old = i
        elif rec.replicas > highest:
            highest = rec.replicas
    return highest, _remember(recommendations, old, Recommendation(now, desired))


def stabilize_with_behavior(recommendations: list[Recommendation], desired: int, current: int,
                            up_window: float, down_window: float, now: float
                            ) -> tuple[int, list[Recommendation]]:
    """With ``behavior``: scale up only to the lowest and down only to the highest
    recommendation inside each direction's window (newer than ``now - window``)."""
    up_cutoff, down_cutoff = now - up_window, now - down_window
    up, down, old = desired, desired, None
    for i, rec in enumerate(recommendations):
        if rec.time > up_cutoff:
            up = min(up, rec.replicas)
        if rec.time > down_cutoff:
            down = max(down, rec.replicas)
        if rec.time < up_cutoff and rec.time < down_cutoff:
            old = i
    stabilized = min(max(current, up), down)
    return stabilized, _remember(recommendations, old, Recommendation(now, desired))


def _remember(recommendations: list[Recommendation], old: int | None,
              new: Recommendation) -> list[Recommendation]:
    out = list(recommendations)
    if old is None:
        out.append(new)
    else:
        out[old] = new
    return out


def _changed_in(events: Sequence[ScaleEvent], period: float, now: float) -> int:
    return sum(e.change for e in events if e.time > now - period)


def _replicas_at_period_start(current: int, ups: Sequence[ScaleEvent],
                              downs: Sequence[ScaleEvent], period: float, now: float) -> int:
    """How many replicas there were ``period`` seconds ago: undo the scale events since."""
    return current - _changed_in(ups, period, now) + _changed_in(downs, period, now)


def scale_up_limit(current: int, ups: Sequence[ScaleEvent], downs: Sequence[ScaleEvent],
                   rules: ScalingRules, now: float) -> int:
    """The most replicas the scale-up policies allow now (Kubernetes'
    calculateScaleUpLimitWithScalingRules)."""
    if rules.select_policy == "Disabled":
        return current
    pick = min if rules.select_policy == "Min" else max
    result = None
    for policy in rules.policies:
        start = _replicas_at_period_start(current, ups, downs, policy.period_seconds, now)
        proposed = (start + policy.value if policy.type == "Pods"
                    else math.ceil(start * (1 + policy.value / 100)))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def scale_down_limit(current: int, ups: Sequence[ScaleEvent], downs: Sequence[ScaleEvent],
                     rules: ScalingRules, now: float) -> int:
    """The fewest replicas the scale-down policies allow now."""
    if rules.select_policy == "Disabled":
        return current
    pick = max if rules.select_policy == "Min" else min
    result = None
    for policy in rules.policies:
        start = _replicas_at_period_start(current, ups, downs, policy.period_seconds, now)
        proposed = (start - policy.value if policy.type == "Pods"
                    else int(start * (1 - policy.value / 100)))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def uses_default_behavior(autoscale: Autoscale) -> bool:
    """True when no ``behavior`` was given (the spec fills in Kubernetes' defaults)."""
    return autoscale.scale_up == SCALE_UP_DEFAULT and autoscale.scale_down == SCALE_DOWN_DEFAULT


# == one sync ===================================================================================

@dataclass
class HPAState:
    """What the autoscaler remembers about one service between syncs."""
    recommendations: list[Recommendation] | None = None
    ups: list[ScaleEvent] = field(default_factory=list)
    downs: list[ScaleEvent] = field(default_factory=list)
    last_hold: tuple | None = None
    last_error: str = ""


@dataclass(frozen=True)
class HPAStatus:
    """The autoscaler's view after its last sync (``kubectl get hpa``)."""
    current_replicas: int
    desired_replicas: int
    current_cpu: int | None         # percent, None: unknown
    target_cpu: int
    min_replicas: int
    max_replicas: int
    time: float
    message: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Decision:
    current: int
    desired: int
    reading: CpuReading | None
    message: str                 # the whole arithmetic, for the event
    recommended: int | None = None     # before stabilisation and limits
    stabilized: int | None = None

    @property
    def rescale(self) -> bool:
        return self.desired != self.current


def decide(autoscale: Autoscale, state: HPAState, current: int, pods: Sequence[PodSample],
           now: float, tolerance: float | Tolerances = TOLERANCE,
           reading: CpuReading | None = None
           ) -> Decision:
    """One HPA sync for one service; ``state`` is updated (recommendations, scale events).
    ``reading`` may be given when ``cpu_replicas`` of the same pods is known already."""
    if state.recommendations is None:
        state.recommendations = [Recommendation(now, current)]
    low, high = autoscale.min_replicas, autoscale.max_replicas
    if current == 0 and low != 0:
        return Decision(current, current, None, "scaling is disabled while replicas are 0")
    if current > high:
        return _remembered(state, autoscale, current,
                           Decision(current, high, None, f"{current} replicas > max {high} → "
                                                         f"scale down to {high}"), now)
    if current < low:
        return _remembered(state, autoscale, current,
                           Decision(current, low, None, f"{current} replicas < min {low} → "
                                                        f"scale up to {low}"), now)
    if reading is None:
        reading = cpu_replicas(current, autoscale.target_cpu, pods, now, tolerance)
    if reading.replicas is None:
        return Decision(current, current, reading, reading.error)
    recommended = max(reading.replicas, 0)
    if uses_default_behavior(autoscale):
        stabilized, state.recommendations = stabilize_default(state.recommendations,
                                                              recommended, now)
        limit = max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM)
        top = min(high, limit)
        desired = min(max(stabilized, low), top)
        why = _limits_text(stabilized, desired, low, high, top, limit,
                           f"max(2 × {current}, 4) = {limit}")
        window = DOWNSCALE_STABILISATION
    else:
        up_rules, down_rules = autoscale.scale_up, autoscale.scale_down
        stabilized, state.recommendations = stabilize_with_behavior(
            state.recommendations, recommended, current, up_rules.stabilization_window_seconds,
            down_rules.stabilization_window_seconds, now)
        desired, why = _behavior_limits(stabilized, current, state, autoscale, now)
        window = down_rules.stabilization_window_seconds
    message = reading.arithmetic
    if stabilized != recommended:
        message += (f"; the highest recommendation of the last {window:g} s is {stabilized}"
                    if stabilized > recommended else
                    f"; the lowest recommendation of the up-window is {stabilized}")
    message += why
    decision = Decision(current, desired, reading, message, recommended, stabilized)
    if decision.rescale and not uses_default_behavior(autoscale):
        _store_scale_event(state, autoscale, current, desired, now)
    return decision


def _remembered(state: HPAState, autoscale: Autoscale, current: int, decision: Decision,
                now: float) -> Decision:
    if decision.rescale and not uses_default_behavior(autoscale):
        _store_scale_event(state, autoscale, current, decision.desired, now)
    return decision


def _limits_text(stabilized: int, desired: int, low: int, high: int, top: int, limit: int,
                 rate_text: str) -> str:
    if desired == stabilized:
        return ""
    if desired == low and stabilized < low:
        return f", raised to min {low}"
    if desired == high and top == high:
        return f", capped at max {high}"
    return f", limited to {rate_text}"


def _behavior_limits(stabilized: int, current: int, state: HPAState, autoscale: Autoscale,
                     now: float) -> tuple[int, str]:
    low, high = autoscale.min_replicas, autoscale.max_replicas
    if stabilized > current:
        limit = max(scale_up_limit(current, state.ups, state.downs, autoscale.scale_up, now),
                    current)
        top = min(high, limit)
        if stabilized > top:
            return top, (f", capped at max {high}" if top == high else
                         f", limited by the scale-up policies to {limit}")
    elif stabilized < current:
        limit = min(scale_down_limit(current, state.ups, state.downs, autoscale.scale_down, now),
                    current)
        bottom = max(low, limit)
        if stabilized < bottom:
            return bottom, (f", raised to min {low}" if bottom == low else
                            f", limited by the scale-down policies to {limit}")
    return stabilized, ""


def _store_scale_event(state: HPAState, autoscale: Autoscale, before: int, after: int,
                       now: float) -> None:
    rules = autoscale.scale_up if after > before else autoscale.scale_down
    longest = max((p.period_seconds for p in rules.policies), default=0)
    events = state.ups if after > before else state.downs
    events[:] = [e for e in events if e.time >= now - longest]
    events.append(ScaleEvent(now, abs(after - before)))


# == the simpy loop =============================================================================

def pod_sample(pod: Pod, cpu_milli: dict[str, int], request_milli: int = 1000) -> PodSample:
    """What the metrics pipeline reports for ``pod``: no sample while its container is not
    running, else its CPU (0 for a Running pod that gets no traffic), and its CPU request."""
    pending = pod.phase is PodPhase.PENDING
    running = pod.container_running
    transition = pod.ready_changed_at if pod.ready_changed_at is not None else pod.created_at
    return PodSample(pod.name, pending, pod.terminating, pod.ready, pod.created_at, transition,
                     cpu_milli.get(pod.name, 0) if running else None, request_milli)


class Autoscaler:
    """Syncs every autoscaled service every ``SYNC_PERIOD`` seconds and applies the result."""

    def __init__(self, cluster: "Cluster", period: float = SYNC_PERIOD):
        self.cluster = cluster
        self.env = cluster.env
        self.period = period
        self._states: dict[str, HPAState] = {}
        self._status: dict[str, HPAStatus] = {}
        #: the last reading per service, reused while nothing it depends on has changed
        self._readings: dict[str, tuple[tuple, float, CpuReading]] = {}
        self._changed: set[str] = set()
        cluster.store.watch(self._changed.add)
        self.env.process(self._loop())

    def status(self, service: str) -> HPAStatus | None:
        """The last sync's view of ``service`` (None: not autoscaled or not synced yet)."""
        return self._status.get(service)

    def keep_replicas(self, old, new):
        """``apply`` of an autoscaled service keeps the replicas the autoscaler chose (as
        ``kubectl apply`` does for a manifest without ``replicas``)."""
        if old is None or new.autoscale is None or old.autoscale is None:
            return new
        return dataclasses.replace(new, replicas=old.replicas)

    def _reading(self, service: str, current: int, autoscale: Autoscale, now: float
                 ) -> tuple[CpuReading, list[PodSample]]:
        """The replica calculator's answer. It depends on the pods, their CPU and, while a
        pod is in its first 300 s, on the time: recomputed only when one of those moved."""
        key = (self.cluster.traffic.generation(service), current, autoscale.target_cpu)
        cached = self._readings.get(service)
        if service not in self._changed and cached is not None and cached[0] == key \
                and cached[1] <= now:
            return cached[2], []
        self._changed.discard(service)
        cpu = self.cluster.traffic.pod_cpu_milli(service)
        replicasets = self.cluster.store.services[service].replicasets
        samples = [pod_sample(p, cpu, replicasets[p.template_hash].spec.cpu_request
                              if p.template_hash in replicasets else 1000)
                   for p in self.cluster.store.pods_of(service)]
        reading = cpu_replicas(current, autoscale.target_cpu, samples, now)
        timeless_from = max((s.start_time + CPU_INITIALIZATION_PERIOD for s in samples),
                            default=now)
        self._readings[service] = (key, timeless_from, reading)
        return reading, samples

    def _loop(self):
        while True:
            yield self.env.timeout(self.period)
            for name in list(self.cluster.store.services):
                if self.cluster.store.services[name].spec.autoscale is not None:
                    self.sync(name)
                else:
                    self._states.pop(name, None)
                    self._status.pop(name, None)

    def sync(self, service: str) -> Decision:
        cluster, now = self.cluster, self.env.now
        state = cluster.store.services[service]
        autoscale = state.spec.autoscale
        hpa = self._states.setdefault(service, HPAState())
        cluster.traffic.flush(service)
        current = state.spec.replicas
        reading, samples = self._reading(service, current, autoscale, now)
        decision = decide(autoscale, hpa, current, samples, now, reading=reading)
        reading = decision.reading
        self._status[service] = HPAStatus(
            current, decision.desired, reading.utilization if reading else None,
            autoscale.target_cpu, autoscale.min_replicas, autoscale.max_replicas, now,
            decision.message)
        if reading is not None and reading.error:
            if reading.error != hpa.last_error:
                hpa.last_error = reading.error
                cluster.log.emit(now, Reason.HPA_FAILED_METRICS, service,
                                 f"Autoscaler cannot compute replicas: {reading.error}",
                                 level=Level.WARNING, window=METRIC_WINDOW)
            return decision
        hpa.last_error = ""
        if decision.rescale:
            hpa.last_hold = None
            direction = "up" if decision.desired > current else "down"
            cluster.log.emit(now, Reason.HPA_RESCALE, service,
                             f"{decision.message} → scale {direction} from {current} to "
                             f"{decision.desired}", tolerance=TOLERANCE)
            state.spec = dataclasses.replace(state.spec, replicas=decision.desired)
            state.progress_since = now
            cluster.store.changed(service)
        elif decision.recommended is not None and decision.recommended < current:
            hold = (decision.recommended, decision.desired)
            if hold != hpa.last_hold:
                hpa.last_hold = hold
                window = (DOWNSCALE_STABILISATION if uses_default_behavior(autoscale)
                          else autoscale.scale_down.stabilization_window_seconds)
                cluster.log.emit(now, Reason.HPA_STABILIZED, service,
                                 f"{decision.message} → stay at {current}", window=window)
        else:
            hpa.last_hold = None
        return decision

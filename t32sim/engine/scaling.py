"""The HPA's normalisation and one sync, pure: stabilisation windows, rate policies, limits.

Without ``behavior`` (the defaults): scale-down is stabilised (the highest recommendation of
the last 300 s wins) and one scale-up goes at most to ``max(2 × current, 4)``. With
``behavior``: stabilisation windows per direction, then the rate policies (``Pods`` /
``Percent`` per ``periodSeconds``, ``selectPolicy``). Finally ``minReplicas`` /
``maxReplicas``. ``decide`` runs one sync over an ``HPAState``.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Sequence

from t32sim.engine.hpa import (DOWNSCALE_STABILISATION, SCALE_UP_LIMIT_FACTOR,
                               SCALE_UP_LIMIT_MINIMUM, TOLERANCE, CpuReading, PodSample,
                               Tolerances, cpu_replicas)
from t32sim.spec import SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Autoscale, ScalingRules


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

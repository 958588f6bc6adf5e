"""RollingUpdate as Kubernetes' Deployment controller does it: pure steps over counts.

``maxSurge`` rounds up and ``maxUnavailable`` rounds down (both 0 makes unavailable 1). One
step either scales the new ReplicaSet up (to at most ``replicas + maxSurge`` pods in all) or
scales old ones down (keeping at least ``replicas - maxUnavailable`` available), exactly as
``rolloutRolling`` does; a change of ``replicas`` mid-rollout is spread proportionally over
the ReplicaSets as ``scale`` does. Nothing here knows simpy or the store.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterable, Sequence

from t32sim.engine.strategy import ReplicaSetView
from t32sim.spec import Rollout

# == arithmetic ================================================================================

def scaled_value(value: int | str, total: int, round_up: bool) -> int:
    """An int-or-percent against ``total`` (Kubernetes' GetScaledValueFromIntOrPercent)."""
    if isinstance(value, int):
        return value
    percent = int(str(value).rstrip("%"))
    return -(-percent * total // 100) if round_up else percent * total // 100


def surge_and_unavailable(rollout: Rollout, replicas: int) -> tuple[int, int]:
    """``(maxSurge, maxUnavailable)`` in pods: surge rounds up, unavailable rounds down, both
    0 makes unavailable 1, and unavailable never exceeds ``replicas``."""
    surge = scaled_value(rollout.max_surge, replicas, True)
    unavailable = scaled_value(rollout.max_unavailable, replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def show_rounding(value: int | str, replicas: int, result: int, up: bool) -> str:
    """``'25% of 10 = 2.5 -> 3'`` or ``'2'`` for students reading an event."""
    if isinstance(value, int):
        return str(value)
    exact = int(str(value).rstrip("%")) * replicas / 100
    return f"{value} of {replicas} = {exact:g} → {result}" + (
        "" if exact == result else (" (rounded up)" if up else " (rounded down)"))


# == RollingUpdate: pure steps ==================================================================

def rolling_update_step(replicas: int, surge: int, unavailable: int, new: ReplicaSetView,
                        olds: Sequence[ReplicaSetView]) -> dict[str, int]:
    """One ``rolloutRolling`` step: scale the new ReplicaSet up if the surge allows, otherwise
    scale old ones down as far as availability allows. Returns ``{hash: replicas}`` changes
    (empty: nothing to do now)."""
    if new.replicas > replicas:
        return {new.key: replicas}
    if new.replicas < replicas:
        total = new.replicas + sum(o.replicas for o in olds)
        max_total = replicas + surge
        if total < max_total:
            return {new.key: new.replicas + min(max_total - total, replicas - new.replicas)}
    old_total = sum(o.replicas for o in olds)
    if old_total == 0:
        return {}
    min_available = replicas - unavailable
    new_unavailable = new.replicas - new.available
    max_scaled_down = old_total + new.replicas - min_available - new_unavailable
    if max_scaled_down <= 0:
        return {}
    changes: dict[str, int] = {}
    cleaned = 0
    after_cleanup = []
    for old in sorted(olds, key=lambda r: r.age_key):        # unhealthy pods go first
        if cleaned < max_scaled_down and old.replicas and old.replicas != old.available:
            down = min(max_scaled_down - cleaned, old.replicas - old.available)
            old = dataclasses.replace(old, replicas=old.replicas - down)
            changes[old.key] = old.replicas
            cleaned += down
        after_cleanup.append(old)
    available = new.available + sum(o.available for o in after_cleanup)
    removed = 0
    if available > min_available:
        to_remove = available - min_available
        for old in after_cleanup:
            if removed >= to_remove:
                break
            if old.replicas == 0:
                continue
            down = min(old.replicas, to_remove - removed)
            changes[old.key] = old.replicas - down
            removed += down
    return changes if cleaned + removed > 0 else {}


def is_scaling_event(replicas: int, rss: Iterable[ReplicaSetView]) -> bool:
    """An active ReplicaSet remembers another desired count: the Deployment was scaled."""
    return any(rs.replicas > 0 and rs.desired_annotation is not None
               and rs.desired_annotation != replicas for rs in rss)


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def proportional_scale(replicas: int, surge: int, new: ReplicaSetView,
                       olds: Sequence[ReplicaSetView], status_replicas: int
                       ) -> tuple[dict[str, int], set[str]]:
    """Kubernetes' ``scale``: a Deployment resized mid-rollout spreads the change over its
    active ReplicaSets in proportion to their size. Returns the new sizes and the
    ReplicaSets whose replica annotations are refreshed."""
    everyone = [new, *sorted(olds, key=lambda r: r.age_key, reverse=True)]
    active = [rs for rs in everyone if rs.replicas > 0]
    if len(active) <= 1:
        target = active[0] if active else new
        if target.replicas == replicas:
            return {}, set()
        return {target.key: replicas}, {target.key}
    if (new.replicas == replicas and new.desired_annotation == replicas
            and new.available == replicas):                  # the new one is saturated
        downs = {rs.key: 0 for rs in olds if rs.replicas > 0}
        return downs, set(downs)
    allowed = replicas + surge if replicas > 0 else 0
    to_add = allowed - sum(rs.replicas for rs in active)
    if to_add > 0:            # bigger first; on a tie the newer one first
        active.sort(key=lambda r: (-r.replicas, -r.created_at, r.name))
    elif to_add < 0:          # bigger first; on a tie the older one first
        active.sort(key=lambda r: (-r.replicas, r.created_at, r.name))
    added = 0
    sizes: dict[str, int] = {}
    for rs in active:
        proportion = 0
        if to_add != 0 and to_add != added:
            if replicas == 0:
                fraction = -rs.replicas
            else:
                before = rs.max_annotation or status_replicas
                fraction = (_round_half_up(rs.replicas * allowed / before) - rs.replicas
                            if before else 0)
            room = to_add - added
            proportion = min(fraction, room) if to_add > 0 else max(fraction, room)
        sizes[rs.key] = rs.replicas + proportion
        added += proportion
    if to_add != 0:
        first = active[0].key
        sizes[first] = max(sizes[first] + to_add - added, 0)
    return ({k: v for k, v in sizes.items()
             if v != next(rs.replicas for rs in active if rs.key == k)}, set(sizes))


def plan_rolling_update(replicas: int, rollout: Rollout, new: ReplicaSetView,
                        olds: Sequence[ReplicaSetView], status_replicas: int, max_steps: int = 100
                        ) -> tuple[dict[str, ReplicaSetView], list[str]]:
    """Run Deployment syncs until nothing changes (they happen within the same instant in a
    real cluster too). The ReplicaSet controller deletes not-ready pods first, so a
    ReplicaSet scaled down keeps ``min(available, replicas)`` available pods.

    Returns every ReplicaSet's new counts (with annotations) and a line per step.
    """
    surge, unavailable = surge_and_unavailable(rollout, replicas)
    state = {rs.key: rs for rs in (new, *olds)}
    if state[new.key].desired_annotation is None:               # a ReplicaSet just created
        state[new.key] = dataclasses.replace(new, desired_annotation=replicas,
                                             max_annotation=replicas + surge)
    lines: list[str] = []
    for _ in range(max_steps):
        current_new = state[new.key]
        current_olds = [state[o.key] for o in olds]
        if is_scaling_event(replicas, state.values()):
            changes, touched = proportional_scale(replicas, surge, current_new, current_olds,
                                                  status_replicas)
            what = "proportional scaling"
        else:
            changes = rolling_update_step(replicas, surge, unavailable, current_new, current_olds)
            touched, what = set(changes), "rolling update"
        stale = {k for k in touched if (state[k].desired_annotation, state[k].max_annotation)
                 != (replicas, replicas + surge)}
        if not changes and not stale:
            break
        for key in sorted(set(changes) | touched):
            rs = state[key]
            size = changes.get(key, rs.replicas)
            state[key] = dataclasses.replace(
                rs, replicas=size, available=min(rs.available, size),
                desired_annotation=replicas, max_annotation=replicas + surge)
        if changes:
            ordered = sorted(changes.items(), key=lambda kv: state[kv[0]].age_key)
            lines.append(what + ": " + ", ".join(f"{state[k].name} → {v}" for k, v in ordered))
    return state, lines

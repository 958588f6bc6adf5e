"""Rollouts: how a new pod template replaces the old one, strategy by strategy.

* **RollingUpdate** (Kubernetes' Deployment controller). ``maxSurge`` rounds up and
  ``maxUnavailable`` rounds down (both 0 makes unavailable 1). One step either scales the
  new ReplicaSet up (to at most ``replicas + maxSurge`` pods in all) or scales old ones
  down (keeping at least ``replicas - maxUnavailable`` available), exactly as
  ``rolloutRolling`` does; a change of ``replicas`` mid-rollout is spread proportionally
  over the ReplicaSets as ``scale`` does.
* **Canary** (Argo Rollouts with traffic routing). Steps ``setWeight`` / ``pause``: the
  canary ReplicaSet gets ``ceil(weight × replicas / 100)`` pods, the stable one keeps all
  of its pods, and the load balancer sends ``weight`` % of requests to the canary once its
  pods are available. A background analysis checks the canary's error rate and readiness
  every ``interval``; more failed runs than ``failureLimit`` (Argo: ``failed >
  failureLimit``, default 0) abort: traffic back to stable, canary
  scaled down after 30 s, phase Degraded. After the last step the canary becomes stable
  and the old stable is scaled down after ``scaleDownDelaySeconds``.
* **BlueGreen** (Argo Rollouts). The new (preview) ReplicaSet comes up at full size
  beside the active one; when every pod is available the active service switches to it in
  one step (automatically, after ``autoPromotionSeconds``, or on ``promote``), and the
  old one is scaled down after ``scaleDownDelaySeconds``.

The decisions are pure: ``rolling_update_step`` / ``plan_rolling_update`` and the two
state machines ``CanaryRollout`` and ``BlueGreenRollout`` work on plain observations and
return notes (events) and wake-up times. ``RolloutController`` is the thin part: it is
called by the Deployment controller through ``Cluster.plan_replicas``, feeds the machines
what it sees, emits their notes and sets timers.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from t32sim.engine.commands import CommandError
from t32sim.engine.events import Level, Reason
from t32sim.engine.status import Phase, RolloutInfo
from t32sim.engine.store import Pod, ReplicaSet, ServiceState
from t32sim.engine.traffic import Backend
from t32sim.spec import Analysis, CanaryStep, Rollout, Strategy

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

#: Argo Rollouts' abortScaleDownDelaySeconds: an aborted canary keeps its pods this long
ABORT_SCALE_DOWN_DELAY = 30.0
DEFAULT_ANALYSIS = Analysis()


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

@dataclass(frozen=True)
class RSCount:
    """What the Deployment controller knows of one ReplicaSet."""
    key: str                        # template hash
    name: str
    created_at: float
    replicas: int                   # spec.replicas
    available: int                  # live pods available (Ready for minReadySeconds)
    desired_annotation: int | None = None   # deployment.kubernetes.io/desired-replicas
    max_annotation: int | None = None       # deployment.kubernetes.io/max-replicas

    @property
    def age_key(self) -> tuple[float, str]:
        return (self.created_at, self.name)


def rolling_update_step(replicas: int, surge: int, unavailable: int, new: RSCount,
                        olds: Sequence[RSCount]) -> dict[str, int]:
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


def is_scaling_event(replicas: int, rss: Iterable[RSCount]) -> bool:
    """An active ReplicaSet remembers another desired count: the Deployment was scaled."""
    return any(rs.replicas > 0 and rs.desired_annotation is not None
               and rs.desired_annotation != replicas for rs in rss)


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def proportional_scale(replicas: int, surge: int, new: RSCount, olds: Sequence[RSCount],
                       status_replicas: int) -> tuple[dict[str, int], set[str]]:
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


def plan_rolling_update(replicas: int, rollout: Rollout, new: RSCount, olds: Sequence[RSCount],
                        status_replicas: int, max_steps: int = 100
                        ) -> tuple[dict[str, RSCount], list[str]]:
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


# == Canary and BlueGreen: state machines ======================================================

@dataclass(frozen=True)
class RSObs:
    """One ReplicaSet as the rollout controller sees it."""
    key: str
    revision: int
    version: str
    replicas: int
    available: int


@dataclass(frozen=True)
class Observation:
    now: float
    current: str                       # hash of the service's pod template
    replicas: int                      # spec.replicas
    rss: dict[str, RSObs]
    progress_deadline: float = 600.0
    progress_since: float = 0.0        # the last time a pod became Ready (or the spec changed)


@dataclass(frozen=True)
class Measurement:
    """What one analysis run saw of the canary since the previous run."""
    requests: float
    errors: float
    unready: int          # canary pods older than the interval and still not Ready
    pods: int


@dataclass(frozen=True)
class Note:
    """An event the controller should emit."""
    reason: Reason
    message: str
    level: str = "Normal"
    facts: dict[str, Any] = field(default_factory=dict)


def canary_replicas(weight: int, replicas: int) -> int:
    """Argo's trafficWeightToReplicas: ``ceil(weight × replicas / 100)``."""
    return -(-weight * replicas // 100)


class _DelayedScaleDown:
    """Argo's scaleDownDelaySeconds, shared by both machines: a replaced ReplicaSet keeps its
    pods for ``scale_down_delay`` seconds (``scale_down``: hash -> when to empty it)."""
    scale_down: dict[str, float]
    scale_down_delay: float

    def _plan_delayed(self, obs: Observation) -> dict[str, int]:
        """Every ReplicaSet at 0, except those still inside their delay: they keep their size."""
        plan = {key: 0 for key in obs.rss}
        for key, until in self.scale_down.items():
            if key in plan and obs.now < until:
                plan[key] = obs.rss[key].replicas
        return plan

    def _expire_delays(self, obs: Observation) -> list[float]:
        """Forget the delays that are over (or whose ReplicaSet is gone); return the times
        still to come, to look again then."""
        wakes = [t for t in self.scale_down.values() if t > obs.now]
        self.scale_down = {k: t for k, t in self.scale_down.items()
                           if t > obs.now and k in obs.rss}
        return wakes

    def _delay_scale_down(self, key: str, obs: Observation, wakes: list[float]) -> None:
        """Empty ``key`` in ``scale_down_delay`` seconds, and look again then."""
        self.scale_down[key] = obs.now + self.scale_down_delay
        wakes.append(obs.now + self.scale_down_delay)


@dataclass
class CanaryRollout(_DelayedScaleDown):
    """Argo Rollouts' canary with traffic routing, one service's state."""
    steps: tuple[CanaryStep, ...]
    analysis: Analysis | None = None
    scale_down_delay: float = 30.0
    stable: str | None = None
    canary: str | None = None
    step: int = 0
    weight: int = 0                     # traffic % the load balancer sends to the canary
    pause_since: float | None = None
    skip_step: bool = False             # promote: leave the current step
    promote_full: bool = False          # promote(full=True): skip all remaining steps
    aborted_at: float | None = None
    abort_message: str = ""
    started_at: float = 0.0
    next_analysis: float | None = None
    analysis_base: tuple[float, float] = (0.0, 0.0)
    failures: int = 0
    scale_down: dict[str, float] = field(default_factory=dict)   # hash -> when to empty it

    # -- what the rest of the engine reads --------------------------------------------------

    @property
    def in_progress(self) -> bool:
        return self.canary is not None and self.aborted_at is None

    @property
    def paused(self) -> bool:
        return self.in_progress and self.pause_since is not None

    def desired_weight(self) -> int:
        """The weight the canary is being scaled for (Argo's GetCurrentSetWeight)."""
        if self.aborted_at is not None:
            return 0
        if self.promote_full or self.step >= len(self.steps):
            return 100
        for step in reversed(self.steps[:self.step + 1]):
            if step.set_weight is not None:
                return step.set_weight
        return 0

    def backends(self) -> list[Backend]:
        if self.stable is None:
            return [Backend("all", 100)]
        if not self.in_progress or self.weight <= 0:
            return [Backend("stable", 100, frozenset({self.stable}))]
        groups = [Backend("stable", 100 - self.weight, frozenset({self.stable})),
                  Backend("canary", self.weight, frozenset({self.canary}))]
        return [b for b in groups if b.weight > 0]

    def replicas(self, obs: Observation) -> dict[str, int]:
        plan = self._plan_delayed(obs)
        if self.stable in plan:
            plan[self.stable] = obs.replicas
        if self.canary is not None and self.canary in plan:
            if self.aborted_at is not None:
                keep = obs.now < self.aborted_at + ABORT_SCALE_DOWN_DELAY
                plan[self.canary] = obs.rss[self.canary].replicas if keep else 0
            else:
                plan[self.canary] = canary_replicas(self.desired_weight(), obs.replicas)
        return plan

    # -- the state machine ------------------------------------------------------------------

    def advance(self, obs: Observation, measure: Callable[[str], Measurement]
                ) -> tuple[list[Note], list[float]]:
        """Move as far as the world allows now; return notes and the times to look again."""
        notes: list[Note] = []
        wakes = self._expire_delays(obs)
        if self.stable is None or self.stable not in obs.rss:
            self.stable = obs.current              # first version: no steps to run
        if obs.current == self.stable:
            if self.canary is not None:
                notes.append(Note(Reason.ROLLOUT_ROLLED_BACK, _rev(obs, self.stable) + " is the "
                                  "stable revision again: steps skipped, the canary "
                                  f"{_rev(obs, self.canary)} is scaled down",
                                  facts={"strategy": "Canary"}))
                self._reset()
            return notes, wakes
        if obs.current != self.canary:
            if self.canary is not None:
                notes.append(Note(Reason.ROLLOUT_STARTED, f"A newer template replaces the canary "
                                  f"{_rev(obs, self.canary)}; its pods are removed"))
            self._start(obs, measure)
            notes.append(Note(Reason.ROLLOUT_STARTED,
                              f"Canary rollout of {_rev(obs, self.canary)} over stable "
                              f"{_rev(obs, self.stable)}: {len(self.steps)} step(s)"
                              + self._analysis_text(),
                              facts={"strategy": "Canary"}))
        if self.aborted_at is not None:
            if obs.now < self.aborted_at + ABORT_SCALE_DOWN_DELAY:
                wakes.append(self.aborted_at + ABORT_SCALE_DOWN_DELAY)
            return notes, wakes
        self._run_analysis(obs, measure, notes)
        if self.aborted_at is not None:
            wakes.append(self.aborted_at + ABORT_SCALE_DOWN_DELAY)
            return notes, wakes
        if self.next_analysis is not None:
            wakes.append(self.next_analysis)
        self._run_steps(obs, notes, wakes)
        return notes, wakes

    def promote(self, full: bool = False) -> str:
        if self.aborted_at is not None:
            raise CommandError("promote: the canary was aborted (" + self.abort_message
                               + "); apply a new version or undo", field="service")
        if self.canary is None:
            raise CommandError("promote: no canary rollout is in progress", field="service")
        if full:
            self.promote_full = True
            return "promoted fully: remaining steps skipped"
        self.skip_step = True
        return "resumed: the current pause ends" if self.paused else "skipped the current step"

    def _start(self, obs: Observation, measure: Callable[[str], Measurement]) -> None:
        self._reset()
        self.canary = obs.current
        self.started_at = obs.now
        if self.analysis is not None:
            self.next_analysis = obs.now + self.analysis.interval
            m = measure(self.canary)
            self.analysis_base = (m.requests, m.errors)

    def _reset(self) -> None:
        self.canary = None
        self.step = self.weight = self.failures = 0
        self.pause_since = self.aborted_at = self.next_analysis = None
        self.skip_step = self.promote_full = False
        self.abort_message = ""

    def _analysis_text(self) -> str:
        a = self.analysis
        if a is None:
            return ""
        return (f", analysis every {a.interval:g} s (max error rate {a.max_error_rate:.1%}, "
                f"abort when failures exceed {a.failure_limit})")

    def _run_analysis(self, obs: Observation, measure, notes: list[Note]) -> None:
        a = self.analysis
        while a is not None and self.next_analysis is not None and self.next_analysis <= obs.now:
            self.next_analysis += a.interval
            m = measure(self.canary)
            requests = m.requests - self.analysis_base[0]
            errors = m.errors - self.analysis_base[1]
            self.analysis_base = (m.requests, m.errors)
            rate = errors / requests if requests > 0 else 0.0
            at = f"at {self.weight} % weight"
            if m.unready:
                failed = (f"{m.unready} of {m.pods} canary pod(s) not Ready after "
                          f"{a.interval:g} s")
            elif requests > 0 and rate > a.max_error_rate:
                failed = (f"canary error rate {rate:.1%} ({errors:.0f} of {requests:.0f} "
                          f"requests) > max {a.max_error_rate:.1%}")
            else:
                failed = ""
            if not failed and requests <= 0:
                notes.append(Note(Reason.ANALYSIS_INCONCLUSIVE,
                                  f"Analysis {at}: no request reached the canary in the last "
                                  f"{a.interval:g} s, nothing to judge", facts={}))
                continue
            if not failed:
                notes.append(Note(Reason.ANALYSIS_PASSED,
                                  f"Analysis {at}: canary error rate {rate:.1%} ({errors:.0f} of "
                                  f"{requests:.0f} requests) ≤ max {a.max_error_rate:.1%}",
                                  facts={"rate": rate, "max": a.max_error_rate}))
                continue
            self.failures += 1
            notes.append(Note(Reason.ANALYSIS_FAILED,
                              f"Analysis {at}: {failed} (failure {self.failures}, limit "
                              f"{a.failure_limit})", level="Warning",
                              facts={"limit": a.failure_limit}))
            if self.failures > a.failure_limit:
                self.aborted_at = obs.now
                self.abort_message = failed
                self.weight = 0
                self.pause_since = None
                notes.append(Note(Reason.ROLLOUT_ABORTED,
                                  f"Rollout of {_rev(obs, self.canary)} aborted: {failed}; 100 % "
                                  f"of traffic back to stable {_rev(obs, self.stable)}, canary "
                                  f"scaled down in {ABORT_SCALE_DOWN_DELAY:g} s",
                                  level="Warning", facts={"delay": ABORT_SCALE_DOWN_DELAY}))
                return

    def _at_desired_counts(self, obs: Observation, weight: int) -> bool:
        """Argo's AtDesiredReplicaCountsForCanary: canary and stable at their sizes and fully
        available, and no other ReplicaSet with available pods."""
        canary, stable = obs.rss.get(self.canary), obs.rss.get(self.stable)
        want = canary_replicas(weight, obs.replicas)
        if canary is None or canary.replicas != want or canary.available != want:
            return False
        if stable is None or stable.replicas != obs.replicas or stable.available != obs.replicas:
            return False
        return all(rs.available == 0 for k, rs in obs.rss.items()
                   if k not in (self.canary, self.stable))

    def _run_steps(self, obs: Observation, notes: list[Note], wakes: list[float]) -> None:
        while self.in_progress:
            if self.promote_full:
                self.step = len(self.steps)
            if self.step < len(self.steps):
                step = self.steps[self.step]
                if self.skip_step:
                    self.skip_step = False
                    self.pause_since = None
                    notes.append(Note(Reason.ROLLOUT_RESUMED, f"Promoted: step "
                                      f"{self.step + 1}/{len(self.steps)} skipped", facts={}))
                    self.step += 1
                    continue
                if step.set_weight is not None:
                    if not self._at_desired_counts(obs, step.set_weight):
                        return
                    before, self.weight = self.weight, step.set_weight
                    pods = canary_replicas(step.set_weight, obs.replicas)
                    notes.append(Note(Reason.SET_WEIGHT,
                                      f"Step {self.step + 1}/{len(self.steps)}: canary "
                                      f"{_rev(obs, self.canary)} has ceil({step.set_weight} × "
                                      f"{obs.replicas} / 100) = {pods} available pod(s): "
                                      f"traffic {before} % → {self.weight} %",
                                      facts={"weight": self.weight}))
                    self.step += 1
                    continue
                if self.pause_since is None:
                    self.pause_since = obs.now
                    how = ("until promote" if step.pause_seconds is None
                           else f"for {step.pause_seconds:g} s")
                    notes.append(Note(Reason.ROLLOUT_PAUSED,
                                      f"Step {self.step + 1}/{len(self.steps)}: paused {how} at "
                                      f"{self.weight} % canary traffic",
                                      facts={"how": how}))
                if step.pause_seconds is not None and \
                        obs.now >= self.pause_since + step.pause_seconds:
                    self.pause_since = None
                    notes.append(Note(Reason.ROLLOUT_RESUMED,
                                      f"Pause of {step.pause_seconds:g} s over", facts={}))
                    self.step += 1
                    continue
                if step.pause_seconds is not None:
                    wakes.append(self.pause_since + step.pause_seconds)
                return
            if not self._at_desired_counts(obs, 100):
                return
            old = self.stable
            self._delay_scale_down(old, obs, wakes)
            notes.append(Note(Reason.ROLLOUT_COMPLETED,
                              f"Canary {_rev(obs, self.canary)} fully promoted: 100 % of traffic, "
                              f"it is the stable revision now; {_rev(obs, old)} is scaled down "
                              f"in {self.scale_down_delay:g} s",
                              facts={"delay": self.scale_down_delay}))
            self.stable = self.canary
            self._reset()
            return


@dataclass
class BlueGreenRollout(_DelayedScaleDown):
    """Argo Rollouts' blue/green: an active and a preview ReplicaSet, one switch."""
    auto_promotion_enabled: bool = True
    auto_promotion_seconds: float | None = None
    scale_down_delay: float = 30.0
    active: str | None = None
    preview: str | None = None
    started_at: float = 0.0
    ready_since: float | None = None
    promote_requested: bool = False
    announced_pause: bool = False
    degraded: bool = False
    scale_down: dict[str, float] = field(default_factory=dict)

    @property
    def in_progress(self) -> bool:
        return self.preview is not None

    @property
    def paused(self) -> bool:
        return self.in_progress and self.ready_since is not None and not self.promote_requested \
            and (not self.auto_promotion_enabled or bool(self.auto_promotion_seconds))

    def backends(self) -> list[Backend]:
        if self.active is None:
            return [Backend("all", 100)]
        return [Backend("active", 100, frozenset({self.active}))]

    def replicas(self, obs: Observation) -> dict[str, int]:
        plan = self._plan_delayed(obs)
        for key in (self.active, self.preview):
            if key in plan:
                plan[key] = obs.replicas
        return plan

    def promote(self, full: bool = False) -> str:
        if self.preview is None:
            raise CommandError("promote: no blue/green rollout is in progress", field="service")
        self.promote_requested = True
        return "switching now" if self.ready_since is not None else \
            "will switch as soon as every preview pod is available"

    def advance(self, obs: Observation, measure=None) -> tuple[list[Note], list[float]]:
        notes: list[Note] = []
        wakes = self._expire_delays(obs)
        if self.active is None or self.active not in obs.rss:
            self.active = obs.current
        if obs.current == self.active:
            if self.preview is not None:
                notes.append(Note(Reason.ROLLOUT_ROLLED_BACK, f"{_rev(obs, self.active)} is active "
                                  f"again: preview {_rev(obs, self.preview)} is scaled down",
                                  facts={"strategy": "BlueGreen"}))
                self.preview = None
            return notes, wakes
        if obs.current != self.preview:
            self.preview, self.started_at = obs.current, obs.now
            self.ready_since, self.promote_requested = None, False
            self.announced_pause = self.degraded = False
            notes.append(Note(Reason.ROLLOUT_STARTED,
                              f"Blue/green: preview {_rev(obs, self.preview)} scales to "
                              f"{obs.replicas} pod(s) beside active {_rev(obs, self.active)}, "
                              "which keeps all the traffic", facts={"strategy": "BlueGreen"}))
        preview = obs.rss[self.preview]
        ready = preview.replicas == obs.replicas and preview.available == obs.replicas
        if not ready:
            self.ready_since = None
            deadline = obs.progress_since + obs.progress_deadline
            if obs.now >= deadline and not self.degraded:
                self.degraded = True
                notes.append(Note(Reason.PROGRESS_DEADLINE_EXCEEDED,
                                  f"Preview {_rev(obs, self.preview)} has {preview.available} of "
                                  f"{obs.replicas} pod(s) available after "
                                  f"{obs.progress_deadline:g} s; active "
                                  f"{_rev(obs, self.active)} keeps serving",
                                  level="Warning", facts={"deadline": obs.progress_deadline}))
            elif not self.degraded:
                wakes.append(deadline)
            return notes, wakes
        if self.ready_since is None:
            self.ready_since = obs.now
        if not self.promote_requested:
            if not self.auto_promotion_enabled:
                if not self.announced_pause:
                    self.announced_pause = True
                    notes.append(Note(Reason.ROLLOUT_PAUSED, f"Preview {_rev(obs, self.preview)} "
                                      f"is ready ({obs.replicas} pod(s)); waiting for promote",
                                      facts={"how": "until promote"}))
                return notes, wakes
            if self.auto_promotion_seconds:
                at = self.ready_since + self.auto_promotion_seconds
                if obs.now < at:
                    if not self.announced_pause:
                        self.announced_pause = True
                        notes.append(Note(Reason.ROLLOUT_PAUSED,
                                          f"Preview {_rev(obs, self.preview)} is ready; it is "
                                          f"promoted in {self.auto_promotion_seconds:g} s",
                                          facts={"how": f"for {self.auto_promotion_seconds:g} s"}))
                    wakes.append(at)
                    return notes, wakes
        old = self.active
        self._delay_scale_down(old, obs, wakes)
        notes.append(Note(Reason.ROLLOUT_SWITCHED,
                          f"All {obs.replicas} pod(s) of {_rev(obs, self.preview)} are available: "
                          f"the active service switches from {_rev(obs, old)} in one step; "
                          f"{_rev(obs, old)} is scaled down in {self.scale_down_delay:g} s",
                          facts={"delay": self.scale_down_delay}))
        self.active, self.preview = self.preview, None
        self.ready_since, self.promote_requested = None, False
        return notes, wakes


def _rev(obs: Observation, key: str | None) -> str:
    rs = obs.rss.get(key) if key else None
    return f"revision {rs.revision} ({rs.version})" if rs else "an old revision"


# == the controller =============================================================================

class RolloutController:
    """Plans ReplicaSet sizes per strategy (through ``Cluster.plan_replicas``), keeps the
    canary / blue-green state per service, tells the load balancer where traffic goes."""

    def __init__(self, cluster: "Cluster"):
        self.cluster = cluster
        self.env = cluster.env
        self._machines: dict[str, CanaryRollout | BlueGreenRollout] = {}
        self._timers: dict[str, set[float]] = {}

    # -- read by traffic, status and metrics ----------------------------------------------------

    def backends(self, service: str) -> list[Backend]:
        machine = self._machines.get(service)
        return machine.backends() if machine is not None else [Backend("all", 100)]

    def canary_weight(self, service: str) -> int | None:
        """Percent of requests sent to the canary (None: not a canary service)."""
        machine = self._machines.get(service)
        if not isinstance(machine, CanaryRollout):
            return None
        return machine.weight if machine.in_progress else 0

    def info(self, service: str) -> RolloutInfo:
        """What the status shows of the rollout: phase override, weight, step, message."""
        state = self.cluster.store.services[service]
        machine = self._machines.get(service)
        revision = {rs.template_hash: rs.revision for rs in state.replicasets.values()}
        if isinstance(machine, CanaryRollout):
            stable = revision.get(machine.stable or "", 0)
            if machine.aborted_at is not None:
                return RolloutInfo(Phase.DEGRADED, 0, None, stable,
                                   "Aborted: " + machine.abort_message)
            if machine.in_progress:
                step = min(machine.step + 1, len(machine.steps))
                text = (f"Canary step {step}/{len(machine.steps)}: {machine.weight} % of traffic "
                        f"to revision {revision.get(machine.canary, 0)}")
                steps = len(machine.steps)
                if machine.paused:
                    return RolloutInfo(Phase.PAUSED, machine.weight, step, stable,
                                       text + ", paused", steps)
                return RolloutInfo(None, machine.weight, step, stable, text, steps)
            return RolloutInfo(None, 0, None, stable, "")
        if isinstance(machine, BlueGreenRollout):
            active = revision.get(machine.active or "", 0)
            if machine.in_progress:
                text = f"Preview revision {revision.get(machine.preview, 0)}, active {active}"
                if machine.paused:
                    return RolloutInfo(Phase.PAUSED, 0, None, active, text + ", paused")
                return RolloutInfo(Phase.DEGRADED if machine.degraded else None, 0, None,
                                   active, text)
            return RolloutInfo(None, 0, None, active, "")
        current = state.current
        return RolloutInfo(None, 0, None, current.revision if current else 0, "")

    # -- commands --------------------------------------------------------------------------------

    def check_promote(self, service, full=False):
        self.cluster._state(service)
        if not isinstance(full, bool):
            raise CommandError(f"full: expected true or false, got {full!r}", field="full")
        machine = self._machines.get(service)
        if machine is None:
            strategy = self.cluster.store.services[service].spec.rollout.strategy
            raise CommandError(f"promote: {service} uses {strategy.value}, which has nothing to "
                               "promote (only Canary and BlueGreen rollouts wait)", field="service")
        if not machine.in_progress:
            raise CommandError(f"promote: {service} has no rollout in progress"
                               + (f" (the canary was aborted: {machine.abort_message})"
                                  if getattr(machine, "aborted_at", None) is not None else ""),
                               field="service")
        args = {"service": service, **({"full": True} if full else {})}

        def promote() -> str:
            result = machine.promote(full)
            self.cluster.log.emit(self.env.now, Reason.PROMOTED, service,
                                  f"Promote requested for {service}: {result}")
            self.cluster.store.changed(service)
            return result

        return args, promote

    def check_undo(self, service, to_revision=None):
        state = self.cluster._state(service)
        current = state.spec.template_hash()
        history = sorted(state.replicasets.values(), key=lambda rs: rs.revision)
        if to_revision is None:
            older = [rs for rs in history if rs.template_hash != current]
            if not older:
                raise CommandError(f"undo: {service} has no previous revision to roll back to",
                                   field="service")
            target = older[-1]
        else:
            if isinstance(to_revision, bool) or not isinstance(to_revision, int) or to_revision < 1:
                raise CommandError(f"to_revision: expected a revision number >= 1, got "
                                   f"{to_revision!r}", field="to_revision")
            known = {rs.revision: rs for rs in history}
            if to_revision not in known:
                names = ", ".join(str(r) for r in sorted(known)) or "none"
                raise CommandError(f"to_revision: {service} has no revision {to_revision} "
                                   f"(known: {names})", field="to_revision")
            target = known[to_revision]
            if target.template_hash == current:
                raise CommandError(f"to_revision: revision {to_revision} is already {service}'s "
                                   "current template", field="to_revision")
        args = {"service": service, **({"to_revision": to_revision} if to_revision else {})}

        def undo() -> int:
            old = target.spec
            state.spec = dataclasses.replace(
                state.spec, image=old.image, env=old.env, readiness_probe=old.readiness_probe,
                liveness_probe=old.liveness_probe, startup_probe=old.startup_probe,
                termination_grace_period_seconds=old.termination_grace_period_seconds)
            state.progress_since = self.env.now
            self.cluster.log.emit(self.env.now, Reason.UNDO, service,
                                  f"Rolling {service} back to revision {target.revision} "
                                  f"({old.image}) with the {state.spec.rollout.strategy.value} "
                                  "strategy", revision=target.revision)
            self.cluster.store.changed(service)
            return target.revision

        return args, undo

    # -- planning (called inside the Deployment controller's sync) -------------------------------

    def plan(self, state: ServiceState) -> dict[str, int]:
        """How many pods each ReplicaSet of ``state`` should have now."""
        service = state.spec.name
        traffic = self.cluster.traffic
        traffic.flush(service)
        pods = [p for p in self.cluster.store.pods_of(service) if not p.terminating]
        machine = self._machine(state)
        if machine is None:
            plan = self._plan_rolling(state, pods)
        else:
            obs = self._observe(state, pods)
            before = _signature(machine)

            def measure(key: str) -> Measurement:
                interval = (machine.analysis or DEFAULT_ANALYSIS).interval
                own = [p for p in pods if p.template_hash == key]
                unready = sum(not p.ready and self.env.now - p.created_at >= interval for p in own)
                requests, errors = traffic.totals(service, key)
                return Measurement(requests, errors, unready, len(own))

            notes, wakes = machine.advance(obs, measure)
            for note in notes:
                self.cluster.log.emit(self.env.now, note.reason, service, note.message,
                                      level=Level(note.level), **note.facts)
            for at in wakes:
                self._wake(service, at)
            plan = machine.replicas(obs)
            if _signature(machine) != before:
                self.cluster.store.changed(service)       # the traffic recomputes its rates
        self._wake_for_availability(state, pods)
        return plan

    def _machine(self, state: ServiceState) -> CanaryRollout | BlueGreenRollout | None:
        """The service's state machine, made (or remade) when its strategy calls for one."""
        service, rollout = state.spec.name, state.spec.rollout
        machine = self._machines.get(service)
        if rollout.strategy is Strategy.ROLLING_UPDATE:
            self._machines.pop(service, None)
            return None
        if rollout.strategy is Strategy.CANARY:
            if not isinstance(machine, CanaryRollout):
                machine = CanaryRollout(rollout.steps, rollout.analysis,
                                        rollout.scale_down_delay_seconds,
                                        stable=self._serving(state))
                self._machines[service] = machine
            machine.steps, machine.analysis = rollout.steps, rollout.analysis
            machine.scale_down_delay = rollout.scale_down_delay_seconds
            return machine
        if not isinstance(machine, BlueGreenRollout):
            machine = BlueGreenRollout(active=self._serving(state))
            self._machines[service] = machine
        machine.auto_promotion_enabled = rollout.auto_promotion_enabled
        machine.auto_promotion_seconds = rollout.auto_promotion_seconds
        machine.scale_down_delay = rollout.scale_down_delay_seconds
        return machine

    def _serving(self, state: ServiceState) -> str | None:
        """When a service changes strategy: the newest ReplicaSet that still has pods."""
        busy = [rs for rs in state.replicasets.values() if rs.replicas > 0]
        return max(busy, key=lambda rs: rs.revision).template_hash if busy else None

    def _observe(self, state: ServiceState, pods: list[Pod]) -> Observation:
        now, min_ready = self.env.now, state.spec.min_ready_seconds
        rss = {}
        for rs in state.replicasets.values():
            available = sum(p.template_hash == rs.template_hash and p.available(now, min_ready)
                            for p in pods)
            rss[rs.template_hash] = RSObs(rs.template_hash, rs.revision, rs.version,
                                          rs.replicas, available)
        return Observation(now, state.spec.template_hash(), state.spec.replicas, rss,
                           state.spec.progress_deadline_seconds, state.progress_since)

    def _plan_rolling(self, state: ServiceState, pods: list[Pod]) -> dict[str, int]:
        spec, now = state.spec, self.env.now
        current = spec.template_hash()
        new_rs = state.replicasets[current]
        surge = surge_and_unavailable(spec.rollout, spec.replicas)[0]
        if new_rs.replicas == spec.replicas and (new_rs.desired_replicas, new_rs.max_replicas) == (
                spec.replicas, spec.replicas + surge) and not any(
                rs.replicas for key, rs in state.replicasets.items() if key != current):
            return {key: rs.replicas for key, rs in state.replicasets.items()}   # settled
        counts = {}
        for rs in state.replicasets.values():
            available = sum(p.template_hash == rs.template_hash
                            and p.available(now, spec.min_ready_seconds) for p in pods)
            counts[rs.template_hash] = RSCount(rs.template_hash, rs.name, rs.created_at,
                                               rs.replicas, available, rs.desired_replicas,
                                               rs.max_replicas)
        new = counts[current]
        olds = [c for key, c in counts.items() if key != current]
        result, lines = plan_rolling_update(spec.replicas, spec.rollout, new, olds, len(pods))
        for key, count in result.items():
            rs = state.replicasets[key]
            rs.desired_replicas, rs.max_replicas = count.desired_annotation, count.max_annotation
        if lines and any(o.replicas > 0 for o in olds):        # a rollout, not a plain scale
            surge, unavailable = surge_and_unavailable(spec.rollout, spec.replicas)
            rule = (f"maxSurge {show_rounding(spec.rollout.max_surge, spec.replicas, surge, True)}"
                    f", maxUnavailable "
                    f"{show_rounding(spec.rollout.max_unavailable, spec.replicas, unavailable, False)}"
                    f": at most {spec.replicas + surge} pods, at least "
                    f"{spec.replicas - unavailable} available")
            moves = [f"{'new' if key == current else 'old'} {count.name} "
                     f"{counts[key].replicas} → {count.replicas}"
                     for key, count in sorted(result.items(), key=lambda kv: kv[1].age_key)
                     if count.replicas != counts[key].replicas]
            self.cluster.log.emit(now, Reason.ROLLING_UPDATE, spec.name,
                                  rule + "; " + ", ".join(moves),
                                  most=spec.replicas + surge,
                                  least=spec.replicas - unavailable)
        return {key: count.replicas for key, count in result.items()}

    def _wake_for_availability(self, state: ServiceState, pods: list[Pod]) -> None:
        """With minReadySeconds a Ready pod turns available later without any event: look
        again at that moment."""
        min_ready = state.spec.min_ready_seconds
        if min_ready <= 0:
            return
        for pod in pods:
            if pod.ready and pod.ready_since is not None:
                self._wake(state.spec.name, pod.ready_since + min_ready)

    def _wake(self, service: str, at: float) -> None:
        timers = self._timers.setdefault(service, set())
        if at <= self.env.now or at in timers:
            return
        timers.add(at)
        self.env.process(self._timer(service, at))

    def _timer(self, service: str, at: float):
        yield self.env.timeout(at - self.env.now)
        self._timers[service].discard(at)
        if service in self.cluster.store.services:
            self.cluster.deployments.enqueue(service)


def _signature(machine) -> tuple:
    """What of a machine's state the traffic and status depend on."""
    if isinstance(machine, CanaryRollout):
        return (machine.stable, machine.canary, machine.weight, machine.step,
                machine.pause_since, machine.aborted_at)
    return (machine.active, machine.preview, machine.ready_since, machine.degraded,
            machine.announced_pause)

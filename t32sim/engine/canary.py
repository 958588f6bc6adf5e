"""Canary as Argo Rollouts does it with traffic routing: one service's state machine.

Steps ``setWeight`` / ``pause``: the canary ReplicaSet gets ``ceil(weight × replicas / 100)``
pods, the stable one keeps all of its pods, and the load balancer sends ``weight`` % of
requests to the canary once its pods are available. A background analysis checks the
canary's error rate and readiness every ``interval``; more failed runs than ``failureLimit``
(Argo: ``failed > failureLimit``, default 0) abort: traffic back to stable, canary scaled
down after 30 s, phase Degraded. After the last step the canary becomes stable and the old
stable is scaled down after ``scaleDownDelaySeconds``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from t32sim.engine.commands import CommandError
from t32sim.engine.events import Reason
from t32sim.engine.strategy import DelayedScaleDown, Measurement, Note, Observation
from t32sim.engine.strategy import rev as _rev
from t32sim.engine.store import Backend
from t32sim.spec import Analysis, CanaryStep

#: Argo Rollouts' abortScaleDownDelaySeconds: an aborted canary keeps its pods this long
ABORT_SCALE_DOWN_DELAY = 30.0


def canary_replicas(weight: int, replicas: int) -> int:
    """Argo's trafficWeightToReplicas: ``ceil(weight × replicas / 100)``."""
    return -(-weight * replicas // 100)



@dataclass
class CanaryRollout(DelayedScaleDown):
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
                notes.append(Note(Reason.ROLLED_BACK_TO_STABLE, _rev(obs, self.stable) + " is the "
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

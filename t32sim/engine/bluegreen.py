"""Blue/green as Argo Rollouts does it: an active and a preview ReplicaSet, one switch.

The new (preview) ReplicaSet comes up at full size beside the active one; when every pod is
available the active service switches to it in one step (automatically, after
``autoPromotionSeconds``, or on ``promote``), and the old one is scaled down after
``scaleDownDelaySeconds``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from t32sim.engine.commands import CommandError
from t32sim.engine.events import Reason
from t32sim.engine.strategy import DelayedScaleDown, Note, Observation
from t32sim.engine.strategy import rev as _rev
from t32sim.engine.store import Backend


@dataclass
class BlueGreenRollout(DelayedScaleDown):
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
                notes.append(Note(Reason.ROLLED_BACK_TO_STABLE,
                                  f"{_rev(obs, self.active)} is active again: preview "
                                  f"{_rev(obs, self.preview)} is scaled down",
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
        notes.append(Note(Reason.ACTIVE_SWITCHED,
                          f"All {obs.replicas} pod(s) of {_rev(obs, self.preview)} are available: "
                          f"the active service switches from {_rev(obs, old)} in one step; "
                          f"{_rev(obs, old)} is scaled down in {self.scale_down_delay:g} s",
                          facts={"delay": self.scale_down_delay}))
        self.active, self.preview = self.preview, None
        self.ready_since, self.promote_requested = None, False
        return notes, wakes

"""A service's status, computed from its desired state and its pods (a pure function)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from t32sim.engine.store import Pod, ServiceState
from t32sim.enums import StrEnum


class Phase(StrEnum):
    PROGRESSING = "Progressing"
    PAUSED = "Paused"
    HEALTHY = "Healthy"
    DEGRADED = "Degraded"


@dataclass(frozen=True)
class ServiceStatus:
    """The numbers ``kubectl get deployment`` shows, plus the rollout phase."""
    desired: int
    current: int
    ready: int
    available: int
    updated: int
    revision: int
    phase: Phase
    weight: int = 0               # percent of requests sent to a canary (0: none running)
    step: int | None = None       # canary step being worked on (1-based), None: no canary
    stable_revision: int = 0      # the revision serving traffic (canary stable / active)
    message: str = ""             # what the rollout is doing, in words

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, in order, the phase as its text (plain values: no deep copy)."""
        d = {name: getattr(self, name) for name in _STATUS_FIELDS}
        d["phase"] = self.phase.value
        return d


_STATUS_FIELDS = tuple(f.name for f in fields(ServiceStatus))


@dataclass(frozen=True)
class RolloutInfo:
    """What the rollout controller adds to a status: a phase it knows better (Paused while
    a rollout waits, Degraded after an abort), the canary weight, step and a message."""
    phase: Phase | None = None
    weight: int = 0
    step: int | None = None
    stable_revision: int = 0
    message: str = ""
    steps: int = 0                # how many canary steps there are (0: no canary running)


def service_status(state: ServiceState, pods: list[Pod], now: float,
                   rollout: RolloutInfo | None = None) -> ServiceStatus:
    """Count the live pods; Healthy when every desired pod is updated and available,
    Degraded when no pod became ready for ``progressDeadlineSeconds`` before that.
    ``rollout`` (from the rollout controller) may override the phase with Paused or
    Degraded and adds the canary weight, step and message."""
    spec = state.spec
    live = [p for p in pods if not p.terminating]
    current_hash = spec.template_hash()
    current_rs = state.replicasets.get(current_hash)
    ready = sum(p.ready for p in live)
    available = sum(p.available(now, spec.min_ready_seconds) for p in live)
    updated = sum(p.template_hash == current_hash for p in live)
    done = updated == spec.replicas == len(live) and available >= spec.replicas
    if done:
        phase = Phase.HEALTHY
    elif now - state.progress_since > spec.progress_deadline_seconds:
        phase = Phase.DEGRADED
    else:
        phase = Phase.PROGRESSING
    revision = current_rs.revision if current_rs else 0
    if rollout is None:
        return ServiceStatus(spec.replicas, len(live), ready, available, updated, revision, phase)
    return ServiceStatus(spec.replicas, len(live), ready, available, updated, revision,
                         rollout.phase or phase, rollout.weight, rollout.step,
                         rollout.stable_revision or revision, rollout.message)


def outdated_by_time(state: ServiceState, ready: int, available: int, phase: Phase,
                     now: float) -> bool:
    """Whether a status worked out earlier (its ``ready``, ``available`` and ``phase``) may
    be out of date at ``now`` although no object changed: a Ready pod becomes available
    ``minReadySeconds`` later (so while fewer are available than Ready), and a Progressing
    rollout is Degraded once it is past its ``progressDeadlineSeconds`` (the comparison of
    ``service_status``)."""
    if available < ready:
        return True
    return phase is Phase.PROGRESSING and \
        now - state.progress_since > state.spec.progress_deadline_seconds

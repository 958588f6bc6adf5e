"""What a rollout strategy machine (canary, blue/green) sees, says and must answer.

A machine is a small state machine over plain data: ``advance(observation, measure)`` moves
it as far as the world allows now and returns notes (events to emit) and the times to look
again; ``replicas(observation)`` says how many pods each ReplicaSet should have;
``backends()`` says where the load balancer sends traffic. The controller (rollout.py) feeds
it what it observes; the machine never touches simpy, the store or the event log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from t32sim.engine.events import Reason
from t32sim.engine.store import Backend

@dataclass(frozen=True)
class ReplicaSetView:
    """What a strategy sees of one ReplicaSet: the RollingUpdate steps (rolling.py) use its
    counts and annotations, the canary and blue/green machines its revision and version."""
    key: str                        # template hash
    name: str
    revision: int
    version: str
    created_at: float
    replicas: int                   # spec.replicas
    available: int                  # live pods available (Ready for minReadySeconds)
    desired_annotation: int | None = None   # deployment.kubernetes.io/desired-replicas
    max_annotation: int | None = None       # deployment.kubernetes.io/max-replicas

    @property
    def age_key(self) -> tuple[float, str]:
        return (self.created_at, self.name)


@dataclass(frozen=True)
class Observation:
    now: float
    current: str                       # hash of the service's pod template
    replicas: int                      # spec.replicas
    rss: dict[str, ReplicaSetView]
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


class RolloutMachine(Protocol):
    """The interface both machines (CanaryRollout, BlueGreenRollout) offer the controller."""
    scale_down_delay: float

    @property
    def in_progress(self) -> bool: ...

    @property
    def paused(self) -> bool: ...

    def backends(self) -> list[Backend]: ...

    def replicas(self, obs: Observation) -> dict[str, int]: ...

    def advance(self, obs: Observation, measure: Callable[[str], Measurement]
                ) -> tuple[list[Note], list[float]]: ...

    def promote(self, full: bool = False) -> str: ...


class DelayedScaleDown:
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


def rev(obs: Observation, key: str | None) -> str:
    rs = obs.rss.get(key) if key else None
    return f"revision {rs.revision} ({rs.version})" if rs else "an old revision"

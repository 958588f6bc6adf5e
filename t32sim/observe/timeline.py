"""Per-pod phase intervals and restarts, derived from the event log alone.

Every change of a pod's phase or readiness is an event (``SuccessfulCreate``,
``Scheduled``, ``Started``, ``Ready``, ``BackOff``, ``Killing``, ``Deleted`` ...), so
the events are enough to rebuild each pod's story as intervals: a pure function of
the events, which a student can check line by line against ``c.events``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from t32sim.engine.events import Event, Reason

__all__ = ["STATES", "Interval", "Restart", "state_of", "pod_intervals", "pod_restarts"]

#: the timeline's states in lifecycle order: the pod phases, with "Running" split by readiness
STATES = ("Pending", "ContainerCreating", "ErrImagePull", "ImagePullBackOff", "Running",
          "Ready", "CrashLoopBackOff", "Terminating")

#: reason -> (phase it puts the pod in or None, readiness it sets or None)
TRANSITIONS: dict[Reason, tuple[str | None, bool | None]] = {
    Reason.SUCCESSFUL_CREATE: ("Pending", False),
    Reason.SCHEDULED: ("ContainerCreating", None),
    Reason.PULLING: ("ContainerCreating", None),
    Reason.ERR_IMAGE_PULL: ("ErrImagePull", None),
    Reason.IMAGE_PULL_BACKOFF: ("ImagePullBackOff", None),
    Reason.STARTED: ("Running", False),
    Reason.READY: (None, True),
    Reason.NOT_READY: (None, False),
    Reason.LIVENESS_PROBE_FAILED: (None, False),
    Reason.STARTUP_PROBE_FAILED: (None, False),
    Reason.CONTAINER_EXITED: (None, False),
    Reason.BACK_OFF: ("CrashLoopBackOff", False),
    Reason.KILLING: ("Terminating", False),
}
_EXITS = (Reason.CONTAINER_EXITED, Reason.LIVENESS_PROBE_FAILED, Reason.STARTUP_PROBE_FAILED)


def state_of(phase: str, ready: bool) -> str:
    """The timeline state: the phase, or "Ready" for a Running pod that is ready."""
    return "Ready" if ready and phase == "Running" else phase


@dataclass(frozen=True)
class Interval:
    service: str
    pod: str
    phase: str
    ready: bool
    start: float
    end: float
    open: bool          # the pod is still in this state at ``end`` (= now)

    @property
    def state(self) -> str:
        return state_of(self.phase, self.ready)


@dataclass(frozen=True)
class Restart:
    service: str
    pod: str
    restart: int          # 1 for the first restart
    exited_at: float      # when the container stopped
    time: float           # when it was started again
    cause: str            # the event reason that stopped it

    @property
    def backoff_seconds(self) -> float:
        return self.time - self.exited_at


def pod_intervals(events: Iterable[Event], now: float) -> list[Interval]:
    """Each pod's consecutive (phase, ready) intervals, zero-length ones dropped except a
    pod's current one; ordered by pod (first event) then time."""
    current: dict[str, tuple[str, str, bool, float]] = {}   # pod -> service, phase, ready, since
    out: dict[str, list[Interval]] = {}
    for event in events:
        if not event.pod:
            continue
        if event.reason is Reason.DELETED:
            if event.pod in current:
                service, phase, ready, since = current.pop(event.pod)
                _close(out[event.pod], service, event.pod, phase, ready, since, event.time)
            continue
        phase, ready = TRANSITIONS.get(event.reason, (None, None))
        if phase is None and ready is None:
            continue
        if event.pod not in current:
            if event.reason is not Reason.SUCCESSFUL_CREATE:
                continue                       # a pod from before the log began
            out[event.pod] = []
            current[event.pod] = (event.service, phase, bool(ready), event.time)
            continue
        service, old_phase, old_ready, since = current[event.pod]
        new_phase = phase if phase is not None else old_phase
        new_ready = ready if ready is not None else old_ready
        if (new_phase, new_ready) == (old_phase, old_ready):
            continue
        _close(out[event.pod], service, event.pod, old_phase, old_ready, since, event.time)
        current[event.pod] = (service, new_phase, new_ready, event.time)
    for pod, (service, phase, ready, since) in current.items():
        out[pod].append(Interval(service, pod, phase, ready, since, max(now, since), True))
    return [interval for intervals in out.values() for interval in intervals]


def _close(into: list[Interval], service, pod, phase, ready, start, end) -> None:
    if end > start:
        into.append(Interval(service, pod, phase, ready, start, end, False))


def pod_restarts(events: Iterable[Event]) -> list[Restart]:
    """Every container restart: when the container stopped, why, and when it started again
    (the gap is the CrashLoopBackOff delay: 0, 10, 20, 40 ... 300 s)."""
    started: dict[str, int] = {}
    stopped: dict[str, tuple[float, str]] = {}
    out = []
    for event in events:
        if not event.pod:
            continue
        if event.reason in _EXITS:
            stopped[event.pod] = (event.time, event.reason.value)
        elif event.reason is Reason.STARTED:
            count = started.get(event.pod, 0)
            started[event.pod] = count + 1
            if count and event.pod in stopped:
                exited_at, cause = stopped.pop(event.pod)
                out.append(Restart(event.service, event.pod, count, exited_at, event.time, cause))
    return out


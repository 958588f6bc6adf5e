"""Per-pod status intervals and restarts, derived from the event log alone.

Every change of a pod's STATUS (the word ``kubectl get pods`` shows) or readiness is an event (``SuccessfulCreate``,
``Scheduled``, ``Started``, ``Ready``, ``BackOff``, ``Killing``, ``Deleted`` ...), so
the events are enough to rebuild each pod's story as intervals: a pure function of
the events, which a student can check line by line against ``c.events``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from t32sim.engine.events import Event, Reason

__all__ = ["STATES", "Interval", "Restart", "state_of", "pod_intervals", "pod_restarts"]

#: the timeline's states in lifecycle order: kubectl's STATUS words, "Running" split by readiness
STATES = ("Pending", "ContainerCreating", "ErrImagePull", "ImagePullBackOff", "Running",
          "Ready", "CrashLoopBackOff", "Terminating")

#: reason -> (STATUS it puts the pod in or None, readiness it sets or None)
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


#: the Kubernetes phase behind each STATUS word (Terminating keeps the phase it had)
PHASE_OF_STATUS = {"Pending": "Pending", "ContainerCreating": "Pending",
                   "ErrImagePull": "Pending", "ImagePullBackOff": "Pending",
                   "Running": "Running", "CrashLoopBackOff": "Running"}


def state_of(status: str, ready: bool) -> str:
    """The timeline state: the STATUS word, or "Ready" for a Running pod that is ready."""
    return "Ready" if ready and status == "Running" else status


@dataclass(frozen=True)
class Interval:
    service: str
    pod: str
    status: str         # kubectl's STATUS word
    ready: bool
    start: float
    end: float
    open: bool          # the pod is still in this state at ``end`` (= now)
    phase: str = ""     # Kubernetes' phase in this interval

    @property
    def state(self) -> str:
        return state_of(self.status, self.ready)


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
    """Each pod's consecutive (status, ready) intervals, zero-length ones dropped except a
    pod's current one; ordered by pod (first event) then time."""
    current: dict[str, tuple[str, str, bool, float]] = {}   # pod -> service, status, ready, since
    phases: dict[str, str] = {}                               # pod -> its Kubernetes phase
    out: dict[str, list[Interval]] = {}

    def close(into, service, pod, status, ready, start, end):
        if end > start:
            into.append(Interval(service, pod, status, ready, start, end, False, phases[pod]))

    for event in events:
        if not event.pod:
            continue
        if event.reason is Reason.DELETED:
            if event.pod in current:
                service, phase, ready, since = current.pop(event.pod)
                close(out[event.pod], service, event.pod, phase, ready, since, event.time)
            continue
        phase, ready = TRANSITIONS.get(event.reason, (None, None))
        if phase is None and ready is None:
            continue
        if event.pod not in current:
            if event.reason is not Reason.SUCCESSFUL_CREATE:
                continue                       # a pod from before the log began
            out[event.pod] = []
            phases[event.pod] = PHASE_OF_STATUS[phase]
            current[event.pod] = (event.service, phase, bool(ready), event.time)
            continue
        service, old_phase, old_ready, since = current[event.pod]
        new_phase = phase if phase is not None else old_phase
        new_ready = ready if ready is not None else old_ready
        if (new_phase, new_ready) == (old_phase, old_ready):
            continue
        close(out[event.pod], service, event.pod, old_phase, old_ready, since, event.time)
        phases[event.pod] = PHASE_OF_STATUS.get(new_phase, phases[event.pod])
        current[event.pod] = (service, new_phase, new_ready, event.time)
    for pod, (service, phase, ready, since) in current.items():
        out[pod].append(Interval(service, pod, phase, ready, since, max(now, since), True,
                                 phases[pod]))
    return [interval for intervals in out.values() for interval in intervals]


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


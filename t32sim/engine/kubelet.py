"""The kubelet: one simpy process per pod runs it from Pending to gone.

Phase Pending (waiting: ContainerCreating while pulling) -> Running (probes decide
``ready``). A container that exits or fails its liveness/startup probe is restarted
(restartPolicy Always) after a CrashLoopBackOff delay (phase Running, waiting
CrashLoopBackOff). Deletion sends SIGTERM: the pod is gone when its container exits
(the image's ``shutdown_seconds``, about 1 s) or, for an image that ignores SIGTERM, when
``terminationGracePeriodSeconds`` ends with a SIGKILL; its last phase is Succeeded or
Failed. The process sleeps until the next moment that changes something, and is woken
early when the world changes (chaos, deletion).
"""
from __future__ import annotations

from typing import Generator

import simpy

from t32sim.engine.context import Context
from t32sim.engine.events import Level, Reason
from t32sim.engine.images import ImageProfile, resolve
from t32sim.engine.probes import INF, ProbeTrack
from t32sim.enums import StrEnum
from t32sim.engine.store import Pod, PodPhase, WaitingReason
from t32sim.spec import ServiceSpec


PULL_ATTEMPT_SECONDS = 1.0      # how long a failing pull takes to give up
BACKOFF_BASE_SECONDS = 10.0
BACKOFF_CAP_SECONDS = 300.0
BACKOFF_RESET_SECONDS = 600.0   # a container that ran this long resets the backoff


def crash_backoff(exits: int) -> float:
    """Delay before restarting after the ``exits``-th consecutive exit (0-based):
    0, 10, 20, 40, ... capped at 300 s."""
    if exits <= 0:
        return 0.0
    return min(BACKOFF_BASE_SECONDS * 2 ** (exits - 1), BACKOFF_CAP_SECONDS)


def image_pull_backoff(failures: int) -> float:
    """Delay after the ``failures``-th failed pull (1-based): 10, 20, 40, ... capped at 300 s."""
    return min(BACKOFF_BASE_SECONDS * 2 ** (max(failures, 1) - 1), BACKOFF_CAP_SECONDS)


class ExitReason(StrEnum):
    """Why a container stopped running."""
    CRASHED = "crashed"
    LIVENESS = "liveness"
    STARTUP = "startup"


def shutdown_after_sigterm(image: ImageProfile | None, running: bool,
                           grace_seconds: float) -> tuple[float, bool]:
    """How long after SIGTERM the pod is gone, and whether it had to be killed.

    ``terminationGracePeriodSeconds`` is an upper bound: a running container exits after its
    image's ``shutdown_seconds``; one that ignores SIGTERM (or needs longer) gets SIGKILL at
    the end of the grace period. A pod with no running container has nothing to stop."""
    if not running or image is None:
        return 0.0, False
    if image.ignores_sigterm or image.shutdown_seconds > grace_seconds:
        return grace_seconds, True
    return image.shutdown_seconds, False


class Kubelet:
    """Starts, wakes and deletes pod processes."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.env = ctx.env
        self._processes: dict[str, simpy.Process] = {}
        self._images: dict[str, ImageProfile | None] = {}

    # -- what controllers call -------------------------------------------------------

    def start(self, pod: Pod, spec: ServiceSpec) -> None:
        self._images[pod.name] = resolve(spec.image)
        self._processes[pod.name] = self.env.process(self._pod(pod, spec))

    def wake(self, pod: Pod) -> None:
        """Make the pod re-read the world (a fault was injected or healed)."""
        process = self._processes.get(pod.name)
        if process is not None and process.is_alive and process is not self.env.active_process:
            process.interrupt("wake")

    def delete(self, pod: Pod, grace_seconds: float) -> None:
        """Start graceful termination: out of the endpoints now, SIGTERM to its container,
        gone when it exits (or is killed at the end of the grace period)."""
        if pod.terminating:
            return
        running = pod.container_running
        pod.deletion_timestamp = self.env.now
        self._set_ready(pod, False)
        self._changed(pod)
        self._emit(Reason.KILLING, pod, f"Stopping pod {pod.name} (grace period {grace_seconds:g} s)",
                   grace=grace_seconds)
        self.wake(pod)
        after, killed = shutdown_after_sigterm(self._images.get(pod.name), running, grace_seconds)
        self.env.process(self._terminate(pod, after, killed, running))

    # -- the processes -----------------------------------------------------------------

    def _terminate(self, pod: Pod, after: float, killed: bool, running: bool) -> Generator:
        yield self.env.timeout(after)
        self._processes.pop(pod.name, None)
        self._images.pop(pod.name, None)
        pod.phase = PodPhase.SUCCEEDED if running and not killed else PodPhase.FAILED
        pod.waiting_reason = None
        self.ctx.store.remove_pod(pod)
        if not running:
            how = "it had no running container to stop"
        elif killed:
            how = f"its container was killed (SIGKILL) when the {after:g} s grace period ended"
        else:
            how = f"its container exited {after:g} s after SIGTERM"
        self._emit(Reason.DELETED, pod, f"Pod {pod.name} is gone: {how} (phase {pod.phase.value})")

    def _pod(self, pod: Pod, spec: ServiceSpec) -> Generator:
        image = self._images.get(pod.name)
        pod.waiting_reason = WaitingReason.CONTAINER_CREATING
        self._emit(Reason.SCHEDULED, pod, f"Assigned {pod.name} to the simulated node")
        self._changed(pod)
        self._emit(Reason.PULLING, pod, f"Pulling image {spec.image}")
        if image is None:
            yield from self._fail_pulling(pod, spec)
            return
        if not (yield from self._wait_until(pod, self.env.now + image.pull_seconds)):
            return
        self._emit(Reason.PULLED, pod, f"Pulled image {spec.image} in {image.pull_seconds:g} s")

        exits = 0
        while True:
            started = self.env.now
            why = yield from self._run_container(pod, spec, image)
            if why is None:
                return
            self._set_ready(pod, False)
            if self.env.now - started >= BACKOFF_RESET_SECONDS:
                exits = 0
            delay = crash_backoff(exits)
            exits += 1
            if delay > 0:
                pod.waiting_reason = WaitingReason.CRASH_LOOP_BACKOFF
                self._emit(Reason.BACK_OFF, pod, f"Back-off {delay:g} s restarting failed container",
                           level=Level.WARNING, delay=delay)
                self._changed(pod)
            if not (yield from self._wait_until(pod, self.env.now + delay)):
                return
            pod.restarts += 1

    def _fail_pulling(self, pod: Pod, spec: ServiceSpec) -> Generator:
        failures = 0
        while True:
            if not (yield from self._wait_until(pod, self.env.now + PULL_ATTEMPT_SECONDS)):
                return
            failures += 1
            pod.waiting_reason = WaitingReason.ERR_IMAGE_PULL
            self._emit(Reason.ERR_IMAGE_PULL, pod, f"Failed to pull image {spec.image}: not found",
                       level=Level.WARNING)
            delay = image_pull_backoff(failures)
            pod.waiting_reason = WaitingReason.IMAGE_PULL_BACKOFF
            self._emit(Reason.IMAGE_PULL_BACKOFF, pod, f"Back-off {delay:g} s pulling image {spec.image}",
                       level=Level.WARNING, delay=delay)
            self._changed(pod)
            if not (yield from self._wait_until(pod, self.env.now + delay)):
                return
            pod.waiting_reason = WaitingReason.CONTAINER_CREATING
            self._emit(Reason.PULLING, pod, f"Pulling image {spec.image}")
            self._changed(pod)

    def _run_container(self, pod: Pod, spec: ServiceSpec, image: ImageProfile) -> Generator:
        """Run one container until it exits; return why (None: the pod is terminating)."""
        now = self.env.now
        pod.phase, pod.waiting_reason, pod.started_at = PodPhase.RUNNING, None, now
        verb = "Restarted" if pod.restarts else "Started"
        self._emit(Reason.STARTED, pod, f"{verb} container (image {spec.image})")
        self._changed(pod)
        container = _Container(pod, spec, image, now)
        if spec.startup_probe is None:
            self._begin_probing(container)
        while True:
            container.set_passing(self.ctx.store, pod)
            woken_early = not (yield from self._sleep(max(container.next_change() - self.env.now, 0.0)))
            if pod.terminating:
                return None
            container.advance(self.env.now)
            if woken_early:
                continue
            why = self._apply_probe_results(container)
            if why is not None:
                return why

    def _apply_probe_results(self, c: "_Container") -> str | None:
        """Act on thresholds the probes have reached; return an exit reason, if any."""
        pod, spec = c.pod, c.spec
        if self.env.now >= c.exits_at:
            self._emit(Reason.CONTAINER_EXITED, pod, "Container exited with code 1", level=Level.WARNING)
            return ExitReason.CRASHED
        if c.liveness and c.liveness.failures >= spec.liveness_probe.failure_threshold:
            self._emit(Reason.LIVENESS_PROBE_FAILED, pod,
                       f"Liveness probe failed: {spec.liveness_probe.describe()}",
                       level=Level.WARNING, failures=c.liveness.failures)
            return ExitReason.LIVENESS
        if c.startup:
            if c.startup.failures >= spec.startup_probe.failure_threshold:
                self._emit(Reason.STARTUP_PROBE_FAILED, pod,
                           f"Startup probe failed: {spec.startup_probe.describe()}",
                           level=Level.WARNING, failures=c.startup.failures)
                return ExitReason.STARTUP
            if c.startup.successes >= spec.startup_probe.success_threshold:
                self._emit(Reason.STARTUP_PROBE_SUCCEEDED, pod, "Startup probe succeeded")
                c.startup = None
                self._begin_probing(c)
        if c.readiness:
            probe = spec.readiness_probe
            failing = c.readiness.failures >= probe.failure_threshold
            if not pod.ready and c.readiness.successes >= probe.success_threshold:
                self._set_ready(pod, True)
                c.warned_unready = False
                self._emit(Reason.READY, pod, f"Readiness probe passed: {probe.describe()}",
                           cause=f"The readiness probe passed {c.readiness.successes} time(s) "
                                 "in a row")
            elif pod.ready and failing:
                self._set_ready(pod, False)
                c.warned_unready = True
                self._emit(Reason.NOT_READY, pod, f"Readiness probe failed: {probe.describe()}",
                           level=Level.WARNING, failures=c.readiness.failures)
            elif not pod.ready and failing and not c.warned_unready:
                c.warned_unready = True
                self._emit(Reason.UNHEALTHY, pod, f"Readiness probe failed: {probe.describe()}",
                           level=Level.WARNING, failures=c.readiness.failures)
        return None

    def _begin_probing(self, c: "_Container") -> None:
        """Start readiness and liveness probing (after the startup probe, if any)."""
        now = self.env.now
        if c.spec.liveness_probe:
            c.liveness = ProbeTrack.for_container(c.spec.liveness_probe, c.started_at, now)
        if c.spec.readiness_probe:
            c.readiness = ProbeTrack.for_container(c.spec.readiness_probe, c.started_at, now)
        elif not c.image.never_ready:
            self._set_ready(c.pod, True)
            self._emit(Reason.READY, c.pod, "No readiness probe: ready once started",
                       cause="Without a readiness probe a pod is Ready as soon as its "
                             "container starts")

    # -- small helpers -----------------------------------------------------------------

    def _sleep(self, delay: float) -> Generator:
        """Sleep ``delay`` seconds (INF: until woken). True when the whole delay passed."""
        try:
            yield self.env.timeout(delay) if delay != INF else self.env.event()
            return True
        except simpy.Interrupt:
            return False

    def _wait_until(self, pod: Pod, until: float) -> Generator:
        """Sleep until ``until`` whatever wakes us; False if the pod began terminating."""
        while self.env.now < until and not pod.terminating:
            yield from self._sleep(until - self.env.now)
        return not pod.terminating

    def _set_ready(self, pod: Pod, ready: bool) -> None:
        if pod.ready == ready:
            return
        pod.ready = ready
        pod.ready_since = self.env.now if ready else None
        pod.ready_changed_at = self.env.now
        if ready:
            self.ctx.store.progressed(pod.service, self.env.now)
        self._changed(pod)

    def _changed(self, pod: Pod) -> None:
        self.ctx.store.pod_changed(pod)

    def _emit(self, reason: Reason, pod: Pod, message: str, *, level: Level = Level.NORMAL, **facts):
        self.ctx.log.emit(self.env.now, reason, pod.service, message, pod=pod.name,
                              level=level, **facts)


class _Container:
    """One run of a pod's container: when it started, its probes, when it will crash."""

    def __init__(self, pod: Pod, spec: ServiceSpec, image: ImageProfile, started_at: float):
        self.pod, self.spec, self.image, self.started_at = pod, spec, image, started_at
        self.healthy_at = started_at + image.startup_seconds
        self.exits_at = started_at + image.crash_after if image.crash_after is not None else INF
        self.startup = (ProbeTrack.for_container(spec.startup_probe, started_at, started_at)
                        if spec.startup_probe else None)
        self.readiness: ProbeTrack | None = None
        self.liveness: ProbeTrack | None = None
        self.warned_unready = False   # an Unhealthy warning was given since the last Ready

    def tracks(self) -> list[ProbeTrack]:
        return [t for t in (self.startup, self.readiness, self.liveness) if t is not None]

    def set_passing(self, store, pod: Pod) -> None:
        """Tell each probe from when it passes, given the app and the injected faults."""
        app_down = self.spec.env_value("HEALTHY", "1") == "0"

        def passing_from(kind: str, fails_anyway: bool = False) -> float:
            if app_down or fails_anyway or store.probe_broken(pod, kind):
                return INF
            return self.healthy_at

        if self.startup:
            self.startup.passing_from = passing_from("liveness")
        if self.liveness:
            self.liveness.passing_from = passing_from("liveness")
        if self.readiness:
            self.readiness.passing_from = passing_from("readiness", self.image.never_ready)

    def next_change(self) -> float:
        """The earliest moment a probe crosses a threshold or the process exits."""
        times = [self.exits_at]
        spec, pod = self.spec, self.pod
        if self.startup:
            times.append(self.startup.when_successes_reach(spec.startup_probe.success_threshold))
            times.append(self.startup.when_failures_reach(spec.startup_probe.failure_threshold))
        if self.liveness:
            times.append(self.liveness.when_failures_reach(spec.liveness_probe.failure_threshold))
        if self.readiness:
            probe = spec.readiness_probe
            if pod.ready or not self.warned_unready:
                times.append(self.readiness.when_failures_reach(probe.failure_threshold))
            if not pod.ready:
                times.append(self.readiness.when_successes_reach(probe.success_threshold))
        return min(times)

    def advance(self, now: float) -> None:
        for track in self.tracks():
            track.advance(now)


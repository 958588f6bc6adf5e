"""The HorizontalPodAutoscaler's loop: every 15 s it syncs each autoscaled service.

Every ``SYNC_PERIOD`` seconds it decides each autoscaled service's replicas and applies them.

The arithmetic is pure and lives apart: the replica calculator in hpa.py (``cpu_replicas``),
the stabilisation windows, rate policies and one sync in scaling.py (``decide``). Their
names are re-exported here, where chapter 04 and the tests find them.
"""
from __future__ import annotations

import dataclasses
from typing import Protocol

from t32sim.engine.context import Context
from t32sim.engine.events import Level, Reason
from t32sim.engine.hpa import (CPU_INITIALIZATION_PERIOD, DOWNSCALE_STABILISATION,
                               INITIAL_READINESS_DELAY, METRIC_WINDOW, SCALE_UP_LIMIT_FACTOR,
                               SCALE_UP_LIMIT_MINIMUM, SYNC_PERIOD, TOLERANCE, CpuReading,
                               PodSample, Tolerances, cpu_replicas, group_pods, utilization)
from t32sim.engine.scaling import (Decision, HPAState, HPAStatus, Recommendation, ScaleEvent,
                                   decide, scale_down_limit, scale_up_limit, stabilize_default,
                                   stabilize_with_behavior, uses_default_behavior)
from t32sim.engine.store import Pod, PodPhase
from t32sim.spec import Autoscale


__all__ = ["Autoscaler", "pod_sample", "CPU_INITIALIZATION_PERIOD", "DOWNSCALE_STABILISATION",
           "INITIAL_READINESS_DELAY", "METRIC_WINDOW", "SCALE_UP_LIMIT_FACTOR",
           "SCALE_UP_LIMIT_MINIMUM", "SYNC_PERIOD", "TOLERANCE", "CpuReading", "PodSample",
           "Tolerances", "cpu_replicas", "group_pods", "utilization", "Decision", "HPAState",
           "HPAStatus", "Recommendation", "ScaleEvent", "decide", "scale_down_limit",
           "scale_up_limit", "stabilize_default", "stabilize_with_behavior",
           "uses_default_behavior"]


class CpuSource(Protocol):
    """What the autoscaler needs of the traffic model (the metrics pipeline)."""

    def flush(self, service: str) -> None: ...

    def generation(self, service: str) -> int: ...

    def pod_cpu_milli(self, service: str) -> dict[str, int]: ...


def pod_sample(pod: Pod, cpu_milli: dict[str, int], request_milli: int = 1000) -> PodSample:
    """What the metrics pipeline reports for ``pod``: no sample while its container is not
    running, else its CPU (0 for a Running pod that gets no traffic), and its CPU request."""
    pending = pod.phase is PodPhase.PENDING
    running = pod.container_running
    transition = pod.ready_changed_at if pod.ready_changed_at is not None else pod.created_at
    return PodSample(pod.name, pending, pod.terminating, pod.ready, pod.created_at, transition,
                     cpu_milli.get(pod.name, 0) if running else None, request_milli)


class Autoscaler:
    """Syncs every autoscaled service every ``SYNC_PERIOD`` seconds and applies the result."""

    def __init__(self, ctx: Context, traffic: CpuSource, period: float = SYNC_PERIOD):
        self.ctx, self.traffic = ctx, traffic
        self.env = ctx.env
        self.period = period
        self._states: dict[str, HPAState] = {}
        #: each autoscaled service's last HPAStatus lives in the store, where others read it
        self._status: dict[str, HPAStatus] = ctx.store.hpa_status
        #: the last reading per service, reused while nothing it depends on has changed
        self._readings: dict[str, tuple[tuple, float, CpuReading]] = {}
        self._changed: set[str] = set()
        ctx.store.watch(self._changed.add)
        self.env.process(self._loop())

    def status(self, service: str) -> HPAStatus | None:
        """The last sync's view of ``service`` (None: not autoscaled or not synced yet)."""
        return self._status.get(service)

    def _reading(self, service: str, current: int, autoscale: Autoscale, now: float
                 ) -> tuple[CpuReading, list[PodSample]]:
        """The replica calculator's answer. It depends on the pods, their CPU and, while a
        pod is in its first 300 s, on the time: recomputed only when one of those moved."""
        key = (self.traffic.generation(service), current, autoscale.target_cpu)
        cached = self._readings.get(service)
        if service not in self._changed and cached is not None and cached[0] == key \
                and cached[1] <= now:
            return cached[2], []
        self._changed.discard(service)
        cpu = self.traffic.pod_cpu_milli(service)
        replicasets = self.ctx.store.services[service].replicasets
        samples = [pod_sample(p, cpu, replicasets[p.template_hash].spec.cpu_request
                              if p.template_hash in replicasets else 1000)
                   for p in self.ctx.store.pods_of(service)]
        reading = cpu_replicas(current, autoscale.target_cpu, samples, now)
        timeless_from = max((s.start_time + CPU_INITIALIZATION_PERIOD for s in samples),
                            default=now)
        self._readings[service] = (key, timeless_from, reading)
        return reading, samples

    def _loop(self):
        while True:
            yield self.env.timeout(self.period)
            for name in list(self.ctx.store.services):
                if self.ctx.store.services[name].spec.autoscale is not None:
                    self.sync(name)
                else:
                    self._states.pop(name, None)
                    self._status.pop(name, None)

    def sync(self, service: str) -> Decision:
        ctx, now = self.ctx, self.env.now
        state = ctx.store.services[service]
        autoscale = state.spec.autoscale
        hpa = self._states.setdefault(service, HPAState())
        self.traffic.flush(service)
        current = state.spec.replicas
        reading, samples = self._reading(service, current, autoscale, now)
        decision = decide(autoscale, hpa, current, samples, now, reading=reading)
        reading = decision.reading
        self._status[service] = HPAStatus(
            current, decision.desired, reading.utilization if reading else None,
            autoscale.target_cpu, autoscale.min_replicas, autoscale.max_replicas, now,
            decision.message)
        if reading is not None and reading.error:
            if reading.error != hpa.last_error:
                hpa.last_error = reading.error
                ctx.emit(Reason.FAILED_GET_RESOURCE_METRIC, service,
                         f"Autoscaler cannot compute replicas: {reading.error}",
                         level=Level.WARNING, window=METRIC_WINDOW)
            return decision
        hpa.last_error = ""
        if decision.rescale:
            hpa.last_hold = None
            direction = "up" if decision.desired > current else "down"
            ctx.emit(Reason.SUCCESSFUL_RESCALE, service,
                     f"{decision.message} → scale {direction} from {current} to "
                     f"{decision.desired}", tolerance=TOLERANCE)
            ctx.store.write_spec(dataclasses.replace(state.spec, replicas=decision.desired), now)
        elif decision.recommended is not None and decision.recommended < current:
            hold = (decision.recommended, decision.desired)
            if hold != hpa.last_hold:
                hpa.last_hold = hold
                window = (DOWNSCALE_STABILISATION if uses_default_behavior(autoscale)
                          else autoscale.scale_down.stabilization_window_seconds)
                ctx.emit(Reason.SCALE_DOWN_STABILIZED, service,
                         f"{decision.message} → stay at {current}", window=window)
        else:
            hpa.last_hold = None
        return decision

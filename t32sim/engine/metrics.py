"""Prometheus metrics for one Cluster, read from the store at scrape time.

Every Cluster gets its own ``CollectorRegistry`` (never the process-global one), so
two clusters in one process never collide. ``ClusterCollector.collect`` builds the
metric families from the store, the event log, the alert manager and, where they
exist, the autoscaler, load balancer and rollout controller. Names follow the
Prometheus conventions: ``t32sim_`` prefix, base units (seconds, ratios 0..1) and
``_total`` on counters.

Scrape from the thread that runs the engine (the live server's loop): the collector
reads the engine's objects without locks.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

from prometheus_client import generate_latest
from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily, Metric)
from prometheus_client.registry import Collector, CollectorRegistry

from t32sim.engine.alerts import Health, health_of
from t32sim.engine.status import Phase
from t32sim.engine.store import PodPhase

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["PREFIX", "LATENCY_BUCKETS", "ClusterCollector", "cluster_registry", "exposition"]

PREFIX = "t32sim_"
#: request latency buckets in simulated seconds (Prometheus' defaults)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                   7.5, 10.0)
_PHASES = tuple(PodPhase)
_ROLLOUT_PHASES = tuple(Phase)


class _LatencyHistogram:
    """Cumulative bucket counts of request latencies, fed incrementally."""

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, seconds: float, count: int = 1) -> None:
        """Count ``count`` requests that took ``seconds`` each."""
        for index, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.counts[index] += count
                break
        else:
            self.counts[-1] += count
        self.sum += seconds * count

    def buckets(self) -> list[tuple[str, float]]:
        total, rows = 0, []
        for bound, count in zip(LATENCY_BUCKETS + (float("inf"),), self.counts):
            total += count
            rows.append(("+Inf" if bound == float("inf") else repr(float(bound)), total))
        return rows


class ClusterCollector(Collector):
    """Reads one cluster on every scrape. Counters fed by logs are kept incrementally."""

    def __init__(self, cluster: "Cluster"):
        self.cluster = cluster
        self._events_seen = 0
        self._event_counts: dict[tuple[str, str, str], int] = {}
        self._requests_seen = 0
        self._latency: dict[tuple[str, str], _LatencyHistogram] = {}

    def describe(self) -> Iterable[Metric]:
        return []      # names are fixed by the prefix; nothing to check against

    def collect(self) -> Iterator[Metric]:
        cluster = self.cluster
        store = cluster.store
        services = list(store.services)
        yield _gauge("simulated_time_seconds", "Simulated seconds since the cluster was created.",
                     [], [([], float(cluster.now))])
        yield from self._service_metrics(services)
        yield from self._pod_metrics(services)
        yield self._events()
        yield from self._alert_metrics(services)
        yield from self._autoscaler_metrics(services)
        yield from self._traffic_metrics()
        yield from self._rollout_metrics(services)

    # -- families ----------------------------------------------------------------------

    def _service_metrics(self, services: list[str]) -> Iterator[Metric]:
        cluster = self.cluster
        rows = {key: [] for key in ("desired", "current", "ready", "available", "updated",
                                    "revision", "up")}
        for name in services:
            status = cluster._status(name)
            for key in ("desired", "current", "ready", "available", "updated", "revision"):
                rows[key].append(([name], float(getattr(status, key))))
            rows["up"].append(([name], float(health_of(status.ready, status.desired) is Health.UP)))
        help_text = {
            "desired": "Replicas the service should have (spec.replicas).",
            "current": "Live (non-terminating) pods of the service.",
            "ready": "Live pods that pass their readiness probe.",
            "available": "Pods Ready for at least minReadySeconds.",
            "updated": "Live pods of the current revision.",
        }
        for key, text in help_text.items():
            yield _gauge(f"service_{key}_replicas", text, ["service"], rows[key])
        yield _gauge("service_revision", "The current revision number of the service.",
                     ["service"], rows["revision"])
        yield _gauge("service_up", "1 when Ready >= desired > 0, else 0.", ["service"], rows["up"])

    def _pod_metrics(self, services: list[str]) -> Iterator[Metric]:
        store = self.cluster.store
        phases, restarts, per_pod = [], [], []
        for name in services:
            counts = dict.fromkeys(_PHASES, 0)
            live_restarts = 0
            for pod in store.pods_of(name):
                counts[pod.phase] += 1
                live_restarts += pod.restarts
                per_pod.append(([name, pod.name, str(pod.revision), pod.version],
                                float(pod.restarts)))
            phases.extend(([name, phase.value], float(count)) for phase, count in counts.items())
            restarts.append(([name], float(live_restarts + store.restarts_of_removed.get(name, 0))))
        yield _gauge("pods", "Pods by phase (the STATUS column of kubectl get pods).",
                     ["service", "phase"], phases)
        yield _counter("container_restarts", "Container restarts of the service's pods, "
                       "including pods that are gone.", ["service"], restarts)
        yield _counter("pod_container_restarts", "Container restarts of one live pod.",
                       ["service", "pod", "revision", "version"], per_pod)

    def _events(self) -> Metric:
        log = self.cluster.log
        counts = self._event_counts
        for event in log.since(self._events_seen):
            key = (event.service, event.level.value, event.reason.value)
            counts[key] = counts.get(key, 0) + 1
        self._events_seen = len(log)
        return _counter("events", "Events recorded, by service, level and reason.",
                        ["service", "level", "reason"],
                        [(list(key), float(n)) for key, n in sorted(counts.items())])

    def _alert_metrics(self, services: list[str]) -> Iterator[Metric]:
        manager = getattr(self.cluster, "alerts", None)
        if manager is None:
            return
        states, totals = [], {}
        for name in services:
            confirmed = manager.health(name)
            states.extend(([name, h.value], float(confirmed is h)) for h in Health)
        for alert in manager.alerts:
            key = (alert.service, alert.kind.value)
            totals[key] = totals.get(key, 0) + 1
        yield _gauge("alert_state", "The alert manager's confirmed state of the service "
                     "(1 for the current one of UP, DOWN, SCALED).", ["service", "state"], states)
        yield _counter("alerts", "Alerts raised, by service and kind.", ["service", "kind"],
                       [(list(k), float(n)) for k, n in sorted(totals.items())])

    def _autoscaler_metrics(self, services: list[str]) -> Iterator[Metric]:
        rows = {key: [] for key in ("current", "desired", "min", "max", "cpu", "target")}
        for name in services:
            info = _hpa_info(self.cluster, name)
            if info is None:
                continue
            for key in rows:
                value = info.get(key)
                if value is not None:
                    rows[key].append(([name], float(value)))
        if not any(rows.values()):
            return
        yield _gauge("hpa_current_replicas", "Replicas the autoscaler last saw.",
                     ["service"], rows["current"])
        yield _gauge("hpa_desired_replicas", "Replicas the autoscaler last asked for.",
                     ["service"], rows["desired"])
        yield _gauge("hpa_min_replicas", "The autoscaler's lower bound.", ["service"], rows["min"])
        yield _gauge("hpa_max_replicas", "The autoscaler's upper bound.", ["service"], rows["max"])
        yield _gauge("hpa_cpu_utilization_ratio", "Average CPU utilisation of the Ready pods "
                     "(1.0 = 100 % of a pod's capacity).", ["service"], rows["cpu"])
        yield _gauge("hpa_target_cpu_utilization_ratio", "The autoscaler's CPU target.",
                     ["service"], rows["target"])

    def _traffic_metrics(self) -> Iterator[Metric]:
        traffic = getattr(self.cluster, "traffic", None)
        if traffic is not None and hasattr(traffic, "offered_rps") and hasattr(traffic, "cpu"):
            names = list(self.cluster.store.services)
            yield _gauge("service_offered_load_requests_per_second", "Offered load (set_load) "
                         "in requests per second.", ["service"],
                         [([s], float(traffic.offered_rps(s))) for s in names])
            yield _gauge("service_cpu_utilization_ratio", "Average CPU utilisation of the Ready "
                         "pods under the offered load (1.0 = 100 %).", ["service"],
                         [([s], float(traffic.cpu(s)) / 100.0) for s in names])
        counts = _request_counts(self.cluster)
        if counts is not None:
            yield _counter("lb_requests", "Requests the load balancer routed, by pod, version "
                           "and HTTP status code.", ["service", "pod", "version", "code"],
                           [([s, p, v, str(c)], float(n)) for (s, p, v, c), n in sorted(counts.items())])
        latencies = self._latencies()
        if latencies is not None:
            family = HistogramMetricFamily(PREFIX + "request_duration_seconds",
                                           "Request latency in simulated seconds.",
                                           labels=["service", "version"])
            for (service, version), hist in sorted(latencies.items()):
                family.add_metric([service, version], hist.buckets(), hist.sum)
            yield family

    def _latencies(self) -> dict[tuple[str, str], _LatencyHistogram] | None:
        records = _request_records(self.cluster)
        if records is None:
            return None
        for record in records[self._requests_seen:]:
            if record.pod is None:
                continue                    # answered by the load balancer itself (503)
            key = (record.service, record.version or "")
            hist = self._latency.get(key)
            if hist is None:
                hist = self._latency[key] = _LatencyHistogram()
            # a batch of ``count`` requests is recorded with its mean latency
            hist.observe(float(record.latency), int(getattr(record, "count", 1)))
        self._requests_seen = len(records)
        return self._latency

    def _rollout_metrics(self, services: list[str]) -> Iterator[Metric]:
        phases, weights = [], []
        for name in services:
            status = self.cluster._status(name)
            phases.extend(([name, p.value], float(status.phase is p)) for p in _ROLLOUT_PHASES)
            weight = _canary_weight(self.cluster, name)
            if weight is not None:
                weights.append(([name], weight))
        yield _gauge("rollout_phase", "1 for the service's current rollout phase.",
                     ["service", "phase"], phases)
        yield _gauge("rollout_canary_weight_ratio", "Share of traffic sent to the canary "
                     "(0..1; 0 when no canary is running).", ["service"], weights)


# -- helpers -------------------------------------------------------------------------------

def _gauge(name: str, text: str, labels: list[str], rows) -> GaugeMetricFamily:
    family = GaugeMetricFamily(PREFIX + name, text, labels=labels)
    for values, value in rows:
        family.add_metric(values, value)
    return family


def _counter(name: str, text: str, labels: list[str], rows) -> CounterMetricFamily:
    family = CounterMetricFamily(PREFIX + name, text, labels=labels)
    for values, value in rows:
        family.add_metric(values, value)
    return family


# The autoscaler, load balancer and rollout controller are read through these guards so
# that metrics work with whichever of them a cluster has.

def _hpa_info(cluster: "Cluster", service: str) -> dict[str, Any] | None:
    autoscaler = getattr(cluster, "autoscaler", None)
    spec = cluster.store.services[service].spec
    if autoscaler is None or spec.autoscale is None:
        return None
    info = {"min": spec.autoscale.min_replicas, "max": spec.autoscale.max_replicas,
            "target": spec.autoscale.target_cpu / 100.0}
    status = None
    for attribute in ("status", "state"):
        getter = getattr(autoscaler, attribute, None)
        if callable(getter):
            try:
                status = getter(service)
            except (KeyError, LookupError):
                status = None
            break
    if status is not None:
        for key, names in (("current", ("current_replicas", "current")),
                           ("desired", ("desired_replicas", "desired")),
                           ("cpu", ("current_cpu", "cpu"))):
            for attr in names:
                value = getattr(status, attr, None)
                if value is not None:
                    info[key] = value / 100.0 if key == "cpu" else value
                    break
    return info


def _request_counts(cluster: "Cluster") -> dict[tuple[str, str, str, int], int] | None:
    lb = getattr(cluster, "lb", None)
    counts = getattr(lb, "counts", None) if lb is not None else None
    if counts is None:
        return None
    return dict(counts() if callable(counts) else counts)


def _request_records(cluster: "Cluster"):
    """The load balancer's request records, without copying them when it can be avoided
    (the list only grows, so the collector reads just the new tail each scrape)."""
    lb = getattr(cluster, "lb", None)
    if lb is None:
        return None
    records = getattr(lb, "_records", None)
    if isinstance(records, list):
        return records
    records = getattr(lb, "records", None)
    if records is None:
        return None
    return records() if callable(records) else records


def _canary_weight(cluster: "Cluster", service: str) -> float | None:
    rollouts = getattr(cluster, "rollouts", None)
    if rollouts is None:
        return None
    weight = getattr(rollouts, "canary_weight", None)
    if not callable(weight):
        return None
    value = weight(service)
    return None if value is None else float(value) / 100.0


def cluster_registry(cluster: "Cluster") -> CollectorRegistry:
    """A fresh registry holding one collector over ``cluster``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClusterCollector(cluster))
    return registry


def exposition(registry: CollectorRegistry) -> str:
    """The registry in the Prometheus text format (version 0.0.4)."""
    return generate_latest(registry).decode("utf-8")

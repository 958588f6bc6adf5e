"""Prometheus metrics for one cluster, read from its controllers at scrape time.

Every Cluster gets its own ``ClusterRegistry`` (a ``prometheus_client.CollectorRegistry``,
never the process-global one), so two clusters in one process never collide.
``ClusterCollector`` reads the store, the event log, the alert manager, the HPA status, the
load balancer and the rollout controller into metric families. Names follow the
Prometheus conventions: ``t32sim_`` prefix, base units (seconds, ratios 0..1) and
``_total`` on counters; the pods also come in kube-state-metrics' shape (``kube_pods``).

Two ways out, with the same content: ``registry.collect()`` yields ordinary
``prometheus_client`` families, for anything that speaks to a registry
(``generate_latest``, ``make_asgi_app``, a push gateway); ``registry.text()`` (what
``Cluster.metrics_text`` returns) writes the text format directly (``exposition``).

Scrape from the thread that runs the engine (the live server's loop): the collector
reads the engine's objects without locks. Counters fed by logs (events, request
latencies) are kept incrementally, so a scrape costs what changed since the last one.
"""
from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Iterable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from t32sim.engine.alerts import Health, health_of
from t32sim.engine.exposition import PREFIX, ClusterRegistry, Family, counter, gauge
from t32sim.engine.histogram import LATENCY_BUCKETS
from t32sim.engine.kube_pods import KubePodSeries
from t32sim.engine.status import Phase, ServiceStatus
from t32sim.engine.store import PodPhase

if TYPE_CHECKING:
    from t32sim.engine.controllers import Controllers

__all__ = ["LATENCY_BUCKETS", "ClusterCollector", "cluster_registry"]

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

    def add(self, counts, seconds: float) -> None:
        """Count a batch given per bucket (``counts``, +Inf last) that took ``seconds``."""
        self.counts[:] = map(operator.add, self.counts, counts)
        self.sum += seconds

    def buckets(self) -> list[tuple[str, float]]:
        total, rows = 0, []
        for bound, count in zip(LATENCY_BUCKETS + (math.inf,), self.counts):
            total += count
            rows.append(("+Inf" if bound == math.inf else repr(float(bound)), total))
        return rows


class ClusterCollector(Collector):
    """Reads one cluster's controllers on every scrape."""

    def __init__(self, parts: "Controllers"):
        """Keeps what it reads of ``parts``: the store, statuses, alerts, traffic, rollouts."""
        self.ctx, self.store, self.statuses = parts.ctx, parts.ctx.store, parts.statuses
        self.alerts, self.traffic, self.lb, self.rollouts = (parts.alerts, parts.traffic,
                                                             parts.lb, parts.rollouts)
        self._events_seen = 0
        self._event_counts: dict[tuple[str, str, str], int] = {}
        self._requests_seen = 0
        self._latency: dict[tuple[str, str], _LatencyHistogram] = {}
        self._kube_pods = KubePodSeries()

    def describe(self) -> Iterable[Metric]:
        return []      # names are fixed by the prefix; nothing to check against

    def collect(self) -> Iterator[Metric]:
        for family in self.families():
            yield family.to_metric()

    def families(self) -> list[Family]:
        """Every metric of the cluster as it is now."""
        services = list(self.store.services)
        statuses = {name: self.statuses(name) for name in services}
        out = [gauge("simulated_time_seconds", "Simulated seconds since the cluster was created.",
                     (), [((), float(self.ctx.now))])]
        out += self._service_metrics(statuses)
        out += self._pod_metrics(services)
        out.append(self._events())
        out += self._alert_metrics(services)
        out += self._autoscaler_metrics(services)
        out += self._traffic_metrics(services)
        out += self._rollout_metrics(statuses)
        return out

    # -- one group each ----------------------------------------------------------------

    def _service_metrics(self, statuses: dict[str, ServiceStatus]) -> list[Family]:
        help_text = {
            "desired": "Replicas the service should have (spec.replicas).",
            "current": "Live (non-terminating) pods of the service.",
            "ready": "Live pods that pass their readiness probe.",
            "available": "Pods Ready for at least minReadySeconds.",
            "updated": "Live pods of the current revision.",
        }
        out = [gauge(f"service_{key}_replicas", text, ("service",),
                     [((name,), float(getattr(s, key))) for name, s in statuses.items()])
               for key, text in help_text.items()]
        out.append(gauge("service_revision", "The current revision number of the service.",
                         ("service",), [((n,), float(s.revision)) for n, s in statuses.items()]))
        out.append(gauge("service_up", "1 when Ready >= desired > 0, else 0.", ("service",),
                         [((n,), float(health_of(s.ready, s.desired) is Health.UP))
                          for n, s in statuses.items()]))
        return out

    def _pod_metrics(self, services: list[str]) -> list[Family]:
        store = self.store
        phases, restarts, per_pod = [], [], []
        for name in services:
            counts = dict.fromkeys(_PHASES, 0)
            live_restarts = 0
            for pod in store.pods_of(name):
                counts[pod.phase] += 1
                live_restarts += pod.restarts
                per_pod.append(((name, pod.name, str(pod.revision), pod.version),
                                float(pod.restarts)))
            phases.extend(((name, phase.value), float(n)) for phase, n in counts.items())
            restarts.append(((name,), float(live_restarts + store.restarts_of_removed.get(name, 0))))
        return [
            gauge("pods", "Pods by phase (Kubernetes' five; kubectl's STATUS words are "
                  "waiting reasons and the deletion timestamp, see kube_pod_*).",
                  ("service", "phase"), phases),
            counter("container_restarts", "Container restarts of the service's pods, "
                    "including pods that are gone.", ("service",), restarts),
            counter("pod_container_restarts", "Container restarts of one live pod.",
                    ("service", "pod", "revision", "version"), per_pod),
            *self._kube_pods.families(store.pods.values()),
        ]

    def _events(self) -> Family:
        log = self.ctx.log
        counts = self._event_counts
        for event in log.since(self._events_seen):
            key = (event.service, event.level.value, event.reason.value)
            counts[key] = counts.get(key, 0) + 1
        self._events_seen = len(log)
        return counter("events", "Events recorded, by service, level and reason.",
                       ("service", "level", "reason"),
                       [(key, float(n)) for key, n in sorted(counts.items())])

    def _alert_metrics(self, services: list[str]) -> list[Family]:
        manager = self.alerts
        states, totals = [], {}
        for name in services:
            confirmed = manager.health(name)
            states.extend(((name, h.value), float(confirmed is h)) for h in Health)
        for alert in manager.alerts:
            key = (alert.service, str(getattr(alert.kind, "value", alert.kind)))
            totals[key] = totals.get(key, 0) + 1
        firing = [((name, rule.name, rule.severity), float(rule.name in manager.firing(name)))
                  for name in services for rule in manager.rules.values()
                  if rule.applies_to(name)]
        return [
            gauge("alert_state", "The alert manager's confirmed state of the service "
                  "(1 for the current one of UP, DEGRADED, DOWN, SCALED).",
                  ("service", "state"), states),
            counter("alerts", "Alerts raised, by service and kind (FIRING and RESOLVED for "
                    "the symptom rules).", ("service", "kind"),
                    [(k, float(n)) for k, n in sorted(totals.items())]),
            gauge("alert_rule_firing", "1 while a symptom rule fires for the service "
                  "(Prometheus' ALERTS{alertstate=\"firing\"}).",
                  ("service", "alertname", "severity"), firing),
        ]

    def _autoscaler_metrics(self, services: list[str]) -> list[Family]:
        rows: dict[str, list] = {k: [] for k in ("current", "desired", "min", "max", "cpu", "target")}
        for name in services:
            autoscale = self.store.services[name].spec.autoscale
            if autoscale is None:
                continue
            rows["min"].append(((name,), float(autoscale.min_replicas)))
            rows["max"].append(((name,), float(autoscale.max_replicas)))
            rows["target"].append(((name,), autoscale.target_cpu / 100.0))
            status = self.store.hpa_status.get(name)     # None until its first sync
            if status is not None:
                rows["current"].append(((name,), float(status.current_replicas)))
                rows["desired"].append(((name,), float(status.desired_replicas)))
                if status.current_cpu is not None:
                    rows["cpu"].append(((name,), status.current_cpu / 100.0))
        return [
            gauge("hpa_current_replicas", "Replicas the autoscaler saw at its last sync.",
                  ("service",), rows["current"]),
            gauge("hpa_desired_replicas", "Replicas the autoscaler asked for at its last sync.",
                  ("service",), rows["desired"]),
            gauge("hpa_min_replicas", "The autoscaler's lower bound.", ("service",), rows["min"]),
            gauge("hpa_max_replicas", "The autoscaler's upper bound.", ("service",), rows["max"]),
            gauge("hpa_cpu_utilization_ratio", "Average CPU utilisation the autoscaler measured "
                  "(1.0 = 100 % of a pod's request).", ("service",), rows["cpu"]),
            gauge("hpa_target_cpu_utilization_ratio", "The autoscaler's CPU target.",
                  ("service",), rows["target"]),
        ]

    def _traffic_metrics(self, services: list[str]) -> list[Family]:
        traffic, lb, out = self.traffic, self.lb, []
        out.append(gauge("service_offered_load_requests_per_second", "Offered load "
                         "(set_load) in requests per second.", ("service",),
                         [((s,), float(traffic.offered_rps(s))) for s in services]))
        out.append(gauge("service_cpu_utilization_ratio", "Average CPU utilisation of the "
                         "Ready pods under the offered load (1.0 = 100 %).", ("service",),
                         [((s,), float(traffic.cpu(s)) / 100.0) for s in services]))
        out.append(counter("lb_requests", "Requests the load balancer routed, by pod, version "
                           "and HTTP status code (pod and version empty: no endpoint).",
                           ("service", "pod", "version", "code"),
                           [((s, p, v, str(c)), float(n))
                             for (s, p, v, c), n in sorted(lb.counts().items())]))
        histogram = Family(PREFIX + "request_duration_seconds", "histogram",
                           "Latency of routed requests in simulated seconds.",
                           ("service", "version"))
        for (service, version), hist in sorted(self._latencies(lb).items()):
            histogram.rows.append(((service, version), hist.buckets(), hist.sum))
        out.append(histogram)
        return out

    def _latencies(self, lb) -> dict[tuple[str, str], _LatencyHistogram]:
        # The samples only grow: read the new ones, not a copy of all of them.
        new = lb.latency_samples(since=self._requests_seen)
        for sample in new:
            key = (sample.service, sample.version or "")
            hist = self._latency.get(key)
            if hist is None:
                hist = self._latency[key] = _LatencyHistogram()
            if sample.buckets is not None:      # a ``send`` batch: its drawn buckets
                hist.add(sample.buckets, float(sample.seconds))
            else:
                hist.observe(float(sample.seconds), int(sample.count))
        self._requests_seen += len(new)
        return self._latency

    def _rollout_metrics(self, statuses: dict[str, ServiceStatus]) -> list[Family]:
        rollouts = self.rollouts
        phases, weights = [], []
        for name, status in statuses.items():
            phases.extend(((name, p.value), float(status.phase is p)) for p in _ROLLOUT_PHASES)
            weight = rollouts.canary_weight(name)
            if weight is not None:
                weights.append(((name,), weight / 100.0))
        return [
            gauge("rollout_phase", "1 for the service's current rollout phase.",
                  ("service", "phase"), phases),
            gauge("rollout_canary_weight_ratio", "Share of requests sent to the canary of a "
                  "Canary service (0..1; 0 when no canary is running).", ("service",), weights),
        ]



def cluster_registry(parts: "Controllers") -> ClusterRegistry:
    """A fresh registry holding one collector over a cluster's controllers."""
    return ClusterRegistry(ClusterCollector(parts))

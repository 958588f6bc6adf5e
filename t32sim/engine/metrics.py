"""Prometheus metrics for one Cluster, read from the cluster at scrape time.

Every Cluster gets its own ``ClusterRegistry`` (a ``prometheus_client.CollectorRegistry``,
never the process-global one), so two clusters in one process never collide.
``ClusterCollector`` reads the store, the event log, the alert manager, the autoscaler,
the load balancer and the rollout controller into metric families. Names follow the
Prometheus conventions: ``t32sim_`` prefix, base units (seconds, ratios 0..1) and
``_total`` on counters.

Two ways out, with the same content:

* ``registry.collect()`` yields ordinary ``prometheus_client`` families, for anything
  that speaks to a registry (``generate_latest``, ``make_asgi_app``, a push gateway);
* ``registry.text()`` (what ``Cluster.metrics_text`` returns) writes the text format
  0.0.4 directly. It gives byte-for-byte what ``generate_latest`` gives (a test checks
  this), several times faster, because it skips building a ``Sample`` object and
  re-validating every label name for each of thousands of series.

Scrape from the thread that runs the engine (the live server's loop): the collector
reads the engine's objects without locks. Counters fed by logs (events, request
latencies) are kept incrementally, so a scrape costs what changed since the last one.
"""
from __future__ import annotations

import math
import operator
from operator import itemgetter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from prometheus_client import generate_latest
from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily, Metric)
from prometheus_client.registry import Collector, CollectorRegistry

from t32sim.engine.alerts import Health, health_of
from t32sim.engine.histogram import LATENCY_BUCKETS
from t32sim.engine.status import Phase, ServiceStatus
from t32sim.engine.store import PodPhase

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["PREFIX", "LATENCY_BUCKETS", "Family", "ClusterCollector", "ClusterRegistry",
           "cluster_registry", "exposition", "format_text", "go_float", "KubePodSeries",
           "kube_pod_rows"]

PREFIX = "t32sim_"
_PHASES = tuple(PodPhase)
_ROLLOUT_PHASES = tuple(Phase)


# -- families ------------------------------------------------------------------------------

@dataclass
class Family:
    """One metric: ``rows`` are ``(label values, value)``; for a histogram
    ``(label values, [(le, cumulative count)], sum)``."""
    name: str                      # with the prefix; counters without "_total"
    kind: str                      # "gauge", "counter" or "histogram"
    help: str
    labels: tuple[str, ...]
    rows: list = field(default_factory=list)
    text: str | None = None        # the rows' exposition lines, when already written

    def to_metric(self) -> Metric:
        """The same family as a ``prometheus_client`` object."""
        if self.kind == "histogram":
            metric = HistogramMetricFamily(self.name, self.help, labels=list(self.labels))
            for values, buckets, total in self.rows:
                metric.add_metric(list(values), buckets, total)
            return metric
        cls = GaugeMetricFamily if self.kind == "gauge" else CounterMetricFamily
        metric = cls(self.name, self.help, labels=list(self.labels))
        for values, value in self.rows:
            metric.add_metric(list(values), value)
        return metric


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
    """Reads one cluster on every scrape."""

    def __init__(self, cluster: "Cluster"):
        self.cluster = cluster
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
        cluster = self.cluster
        services = list(cluster.store.services)
        statuses = {name: cluster._status(name) for name in services}
        out = [_gauge("simulated_time_seconds", "Simulated seconds since the cluster was created.",
                      (), [((), float(cluster.now))])]
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
        out = [_gauge(f"service_{key}_replicas", text, ("service",),
                      [((name,), float(getattr(s, key))) for name, s in statuses.items()])
               for key, text in help_text.items()]
        out.append(_gauge("service_revision", "The current revision number of the service.",
                          ("service",), [((n,), float(s.revision)) for n, s in statuses.items()]))
        out.append(_gauge("service_up", "1 when Ready >= desired > 0, else 0.", ("service",),
                          [((n,), float(health_of(s.ready, s.desired) is Health.UP))
                           for n, s in statuses.items()]))
        return out

    def _pod_metrics(self, services: list[str]) -> list[Family]:
        store = self.cluster.store
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
            _gauge("pods", "Pods by phase (Kubernetes' five; kubectl's STATUS words are "
                   "waiting reasons and the deletion timestamp, see kube_pod_*).",
                   ("service", "phase"), phases),
            _counter("container_restarts", "Container restarts of the service's pods, "
                     "including pods that are gone.", ("service",), restarts),
            _counter("pod_container_restarts", "Container restarts of one live pod.",
                     ("service", "pod", "revision", "version"), per_pod),
            *self._kube_pods.families(store.pods.values()),
        ]

    def _events(self) -> Family:
        log = self.cluster.log
        counts = self._event_counts
        for event in log.since(self._events_seen):
            key = (event.service, event.level.value, event.reason.value)
            counts[key] = counts.get(key, 0) + 1
        self._events_seen = len(log)
        return _counter("events", "Events recorded, by service, level and reason.",
                        ("service", "level", "reason"),
                        [(key, float(n)) for key, n in sorted(counts.items())])

    def _alert_metrics(self, services: list[str]) -> list[Family]:
        manager = getattr(self.cluster, "alerts", None)
        if manager is None:
            return []
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
            _gauge("alert_state", "The alert manager's confirmed state of the service "
                   "(1 for the current one of UP, DEGRADED, DOWN, SCALED).",
                   ("service", "state"), states),
            _counter("alerts", "Alerts raised, by service and kind (FIRING and RESOLVED for "
                     "the symptom rules).", ("service", "kind"),
                     [(k, float(n)) for k, n in sorted(totals.items())]),
            _gauge("alert_rule_firing", "1 while a symptom rule fires for the service "
                   "(Prometheus' ALERTS{alertstate=\"firing\"}).",
                   ("service", "alertname", "severity"), firing),
        ]

    def _autoscaler_metrics(self, services: list[str]) -> list[Family]:
        autoscaler = getattr(self.cluster, "autoscaler", None)
        if autoscaler is None:
            return []
        rows: dict[str, list] = {k: [] for k in ("current", "desired", "min", "max", "cpu", "target")}
        for name in services:
            autoscale = self.cluster.store.services[name].spec.autoscale
            if autoscale is None:
                continue
            rows["min"].append(((name,), float(autoscale.min_replicas)))
            rows["max"].append(((name,), float(autoscale.max_replicas)))
            rows["target"].append(((name,), autoscale.target_cpu / 100.0))
            status = autoscaler.status(name)       # None until its first sync
            if status is not None:
                rows["current"].append(((name,), float(status.current_replicas)))
                rows["desired"].append(((name,), float(status.desired_replicas)))
                if status.current_cpu is not None:
                    rows["cpu"].append(((name,), status.current_cpu / 100.0))
        return [
            _gauge("hpa_current_replicas", "Replicas the autoscaler saw at its last sync.",
                   ("service",), rows["current"]),
            _gauge("hpa_desired_replicas", "Replicas the autoscaler asked for at its last sync.",
                   ("service",), rows["desired"]),
            _gauge("hpa_min_replicas", "The autoscaler's lower bound.", ("service",), rows["min"]),
            _gauge("hpa_max_replicas", "The autoscaler's upper bound.", ("service",), rows["max"]),
            _gauge("hpa_cpu_utilization_ratio", "Average CPU utilisation the autoscaler measured "
                   "(1.0 = 100 % of a pod's request).", ("service",), rows["cpu"]),
            _gauge("hpa_target_cpu_utilization_ratio", "The autoscaler's CPU target.",
                   ("service",), rows["target"]),
        ]

    def _traffic_metrics(self, services: list[str]) -> list[Family]:
        cluster, out = self.cluster, []
        traffic = getattr(cluster, "traffic", None)
        if traffic is not None:
            out.append(_gauge("service_offered_load_requests_per_second", "Offered load "
                              "(set_load) in requests per second.", ("service",),
                              [((s,), float(traffic.offered_rps(s))) for s in services]))
            out.append(_gauge("service_cpu_utilization_ratio", "Average CPU utilisation of the "
                              "Ready pods under the offered load (1.0 = 100 %).", ("service",),
                              [((s,), float(traffic.cpu(s)) / 100.0) for s in services]))
        lb = getattr(cluster, "lb", None)
        if lb is None:
            return out
        out.append(_counter("lb_requests", "Requests the load balancer routed, by pod, version "
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
        rollouts = getattr(self.cluster, "rollouts", None)
        phases, weights = [], []
        for name, status in statuses.items():
            phases.extend(((name, p.value), float(status.phase is p)) for p in _ROLLOUT_PHASES)
            weight = rollouts.canary_weight(name) if rollouts is not None else None
            if weight is not None:
                weights.append(((name,), weight / 100.0))
        return [
            _gauge("rollout_phase", "1 for the service's current rollout phase.",
                   ("service", "phase"), phases),
            _gauge("rollout_canary_weight_ratio", "Share of requests sent to the canary of a "
                   "Canary service (0..1; 0 when no canary is running).", ("service",), weights),
        ]


#: the namespace of every simulated pod (one namespace, as a fresh cluster's ``default``)
NAMESPACE = "default"
_READY_CONDITIONS = ("true", "false", "unknown")


_POD, _CONTAINER = ("namespace", "pod"), ("namespace", "pod", "container")
#: kube-state-metrics' pod families: name, type, help, labels
KUBE_POD_FAMILIES = (
    ("kube_pod_status_phase", "gauge", "The pods current phase.", _POD + ("phase",)),
    ("kube_pod_status_ready", "gauge", "Describes whether the pod is ready to serve requests.",
     _POD + ("condition",)),
    ("kube_pod_container_status_waiting", "gauge", "Describes whether the container is "
     "currently in waiting state.", _CONTAINER),
    ("kube_pod_container_status_waiting_reason", "gauge", "Describes the reason the container "
     "is currently in waiting state.", _CONTAINER + ("reason",)),
    ("kube_pod_deletion_timestamp", "gauge", "Deletion timestamp in simulated seconds.", _POD),
    ("kube_pod_container_status_restarts", "counter", "The number of container restarts per "
     "container.", _CONTAINER),
    ("kube_pod_created", "gauge", "Creation timestamp in simulated seconds.", _POD),
    ("kube_pod_owner", "gauge", "Information about the Pod's owner.",
     _POD + ("owner_kind", "owner_name", "owner_is_controller")),
)


def kube_pod_rows(pod) -> list[list]:
    """One pod's rows for each of ``KUBE_POD_FAMILIES`` (``container`` is the service's
    name; times are simulated seconds). ``kube_pod_status_phase`` has a row for each of
    the five phases (1 for the pod's); a waiting reason only while the container waits;
    a deletion timestamp only while the pod is being deleted."""
    who = (NAMESPACE, pod.name)
    container = who + (pod.service,)
    condition = "true" if pod.ready else "false"
    waiting = pod.waiting_reason
    return [
        [(who + (p.value,), float(pod.phase is p)) for p in _PHASES],
        [(who + (c,), float(c == condition)) for c in _READY_CONDITIONS],
        [(container, float(waiting is not None))],
        [(container + (waiting.value,), 1.0)] if waiting is not None else [],
        [(who, float(pod.deletion_timestamp))] if pod.deletion_timestamp is not None else [],
        [(container, float(pod.restarts))],
        [(who, float(pod.created_at))],
        [(who + ("ReplicaSet", f"{pod.service}-{pod.template_hash}", "true"), 1.0)],
    ]


class KubePodSeries:
    """The pods in kube-state-metrics' shape, one series per pod (and container).

    A pod's rows and exposition lines are kept until something they show changes (phase,
    readiness, waiting reason, deletion, restarts), so a scrape costs what changed."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple, list[list], list[str]]] = {}

    def families(self, pods: Iterable) -> list[Family]:
        count = len(KUBE_POD_FAMILIES)
        rows: list[list] = [[] for _ in range(count)]
        texts: list[list[str]] = [[] for _ in range(count)]
        fresh: dict[str, tuple[tuple, list[list], list[str]]] = {}
        for pod in pods:
            key = (pod.phase, pod.ready, pod.waiting_reason, pod.deletion_timestamp,
                   pod.restarts)
            cached = self._cache.get(pod.name)
            if cached is None or cached[0] != key:
                own = kube_pod_rows(pod)
                cached = (key, own, [_sample_lines(_exposed(name, kind), labels, part)
                                     for (name, kind, _, labels), part
                                     in zip(KUBE_POD_FAMILIES, own)])
            fresh[pod.name] = cached
            for index in range(count):
                rows[index].extend(cached[1][index])
                texts[index].append(cached[2][index])
        self._cache = fresh
        return [Family(name, kind, text, labels, part, "".join(lines))
                for (name, kind, text, labels), part, lines
                in zip(KUBE_POD_FAMILIES, rows, texts)]


def _gauge(name: str, text: str, labels: tuple[str, ...], rows) -> Family:
    return Family(PREFIX + name, "gauge", text, labels, list(rows))


def _counter(name: str, text: str, labels: tuple[str, ...], rows) -> Family:
    return Family(PREFIX + name, "counter", text, labels, list(rows))


# -- the text format 0.0.4 -----------------------------------------------------------------

def go_float(value: float) -> str:
    """A sample value as Prometheus (Go) writes it: ``3.0``, ``+Inf``, ``1.234567e+06``."""
    value = float(value)
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    dot = text.find(".")
    if value > 0 and dot > 6:          # Go uses an exponent from 1e+07 on (>7 integer digits)
        digits = text[:dot] + text[dot + 1:]
        mantissa = (digits[0] + "." + digits[1:]).rstrip("0").rstrip(".")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


def _label_value(text: str) -> str:
    if "\\" in text or '"' in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return text


#: the text of the sample values that occur most (0 and 1 of every gauge of a state)
_VALUE_TEXT = {0.0: "0.0", 1.0: "1.0"}


def _label_sets(names: tuple[str, ...], rows_values) -> list[str]:
    """``{a="x",b="y"}`` per row, labels sorted by name as the exposition requires."""
    if not names:
        return ["" for _ in rows_values]
    order = sorted(range(len(names)), key=lambda i: names[i])
    template = "{" + ",".join(f'{names[i]}="%s"' for i in order) + "}"
    pick = itemgetter(*order) if len(order) > 1 else (lambda values: (values[order[0]],))
    out = []
    for values in rows_values:
        picked = pick(values)
        joined = "".join(picked)
        if "\\" in joined or '"' in joined or "\n" in joined:
            picked = tuple(_label_value(v) for v in picked)
        out.append(template % picked)
    return out


def _exposed(name: str, kind: str) -> str:
    return name + ("_total" if kind == "counter" else "")


def _sample_lines(name: str, labels: tuple[str, ...], rows) -> str:
    """The exposition lines of a gauge's or counter's ``rows``."""
    known = _VALUE_TEXT.get
    label_sets = _label_sets(labels, [values for values, _ in rows])
    return "".join([f"{name}{label} {known(value) or go_float(value)}\n"
                    for label, (_, value) in zip(label_sets, rows)])


def format_text(families: Iterable[Family]) -> str:
    """Families in the Prometheus text format 0.0.4 (what ``generate_latest`` writes)."""
    lines: list[str] = []
    for family in families:
        name = _exposed(family.name, family.kind)
        help_text = family.help.replace("\\", "\\\\").replace("\n", "\\n")
        lines.append(f"# HELP {name} {help_text}\n# TYPE {name} {family.kind}\n")
        if family.kind == "histogram":
            _histogram_lines(family, lines)
        elif family.text is not None:
            lines.append(family.text)
        else:
            lines.append(_sample_lines(name, family.labels, family.rows))
    return "".join(lines)


def _histogram_lines(family: Family, lines: list[str]) -> None:
    names = family.labels + ("le",)
    for values, buckets, total in family.rows:
        bucket_labels = _label_sets(names, [tuple(values) + (le,) for le, _ in buckets])
        plain = _label_sets(family.labels, [values])[0]
        lines.extend(f"{family.name}_bucket{label} {go_float(count)}\n"
                     for label, (_, count) in zip(bucket_labels, buckets))
        lines.append(f"{family.name}_count{plain} {go_float(buckets[-1][1])}\n")
        lines.append(f"{family.name}_sum{plain} {go_float(total)}\n")


# -- the registry --------------------------------------------------------------------------

class ClusterRegistry(CollectorRegistry):
    """A registry holding the cluster's collector (and whatever else is registered)."""

    def __init__(self, cluster: "Cluster"):
        super().__init__(auto_describe=False)
        self.collector = ClusterCollector(cluster)
        self._others: list[Collector] = []
        super().register(self.collector)

    def register(self, collector: Collector) -> None:
        super().register(collector)
        self._others.append(collector)

    def unregister(self, collector: Collector) -> None:
        super().unregister(collector)
        if collector in self._others:
            self._others.remove(collector)

    def text(self) -> str:
        """The exposition text: the fast writer for the cluster's own metrics, then
        ``generate_latest`` for any other collector registered here."""
        text = format_text(self.collector.families())
        if self._others:
            extra = CollectorRegistry(auto_describe=False)
            for collector in self._others:
                extra.register(collector)
            text += generate_latest(extra).decode("utf-8")
        return text


def cluster_registry(cluster: "Cluster") -> ClusterRegistry:
    """A fresh registry holding one collector over ``cluster``."""
    return ClusterRegistry(cluster)


def exposition(registry: CollectorRegistry) -> str:
    """The registry in the Prometheus text format (version 0.0.4)."""
    if isinstance(registry, ClusterRegistry):
        return registry.text()
    return generate_latest(registry).decode("utf-8")

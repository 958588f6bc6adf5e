"""Routed requests: one at a time through the load balancer, answered and counted.

``request`` sends requests one by one: each goes to the pod the ``Router`` picks and is
answered with the image's error model and a latency drawn from its distribution
(``engine/latency.py``: log-normal around the pod's mean). ``send`` routes a batch exactly
like that many requests but draws the batch's latency histogram at once. ``select`` only
asks which pod is next. All three move the round robin and draw from the cluster's rng, so
they are journaled commands.

The ``LoadBalancer`` is what a user sees: it routes through its ``Router`` and keeps the
counts (per pod and status, per service, per latency bucket) and the requests frame,
column by column.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

from t32sim.engine.columns import typed_frame
from t32sim.engine.commands import CommandError, service_state
from t32sim.engine.histogram import LATENCY_BUCKETS, bucket_index
from t32sim.engine.latency import draw_buckets, draw_one
from t32sim.engine.routing import ROUND_ROBIN, Router
from t32sim.engine.store import Pod

if TYPE_CHECKING:
    from t32sim.engine.controllers import Controllers
    from t32sim.engine.store import Store
    from t32sim.rng import Random

#: a request that reaches no pod is answered by the load balancer itself
NO_ENDPOINT_STATUS = 503
SERVER_ERROR_STATUS = 500
OK_STATUS = 200
MAX_BATCH = 10_000_000
#: the requests frame's columns and the dtypes of its numeric ones (the rest are strings)
COLUMNS = ["time", "service", "path", "pod", "version", "status", "latency", "count"]
NUMERIC = {"time": "float64", "status": "int64", "latency": "float64", "count": "int64"}


@dataclass(frozen=True)
class Response:
    """What one request got back: the pod that answered (None: no endpoint), its version,
    the HTTP status and the latency in simulated seconds."""
    pod: str | None
    version: str | None
    status: int
    latency: float

    @property
    def ok(self) -> bool:
        return self.status < 500

    def to_dict(self) -> dict[str, Any]:
        return {"pod": self.pod, "version": self.version, "status": self.status,
                "latency": self.latency}


@dataclass(frozen=True)
class LatencySample:
    """What the latency histogram counts: one request (``buckets`` None, ``seconds`` its
    latency) or a ``send`` batch of one version (``buckets`` the requests per latency
    bucket, ``seconds`` their total)."""
    service: str
    version: str
    count: int
    seconds: float
    buckets: tuple[int, ...] | None = None


class LoadBalancer:
    """Routes requests (through a ``Router``) and counts what they got back."""

    def __init__(self, store: "Store", rng: "Random", journaled_select: Callable[[str], Any],
                 balancer: str = ROUND_ROBIN):
        """``journaled_select(service)``: ``select`` as the journaled command it is."""
        self.router = Router(store, rng, balancer)
        self._select = journaled_select
        self._counts: dict[tuple[str, str, str, int], int] = {}
        self._columns: dict[str, list] = {name: [] for name in COLUMNS}
        self._totals: dict[str, list[int]] = {}       # service -> [requests, errors]
        #: service -> routed requests per latency bucket (LATENCY_BUCKETS, then +Inf)
        self._latency: dict[str, list[int]] = {}
        self._samples: list[LatencySample] = []

    @property
    def balancer(self) -> str:
        return self.router.balancer

    def select(self, service: str) -> Pod | None:
        """The pod the next request goes to (a copy), or None when none is Ready.

        Choosing moves the round robin on, so it is a journaled command."""
        return self._select(service)

    def counts(self) -> dict[tuple[str, str, str, int], int]:
        """Routed requests by (service, pod, version, status code)."""
        return dict(self._counts)

    def latency_samples(self, since: int = 0) -> list[LatencySample]:
        """Latencies from number ``since`` on (only ever appended, so a reader can keep its
        place)."""
        return self._samples[since:]

    def observe_latency(self, sample: LatencySample) -> None:
        """Count routed requests' latencies (the histogram's input)."""
        self._samples.append(sample)
        counts = self._latency.get(sample.service)
        if counts is None:
            counts = self._latency[sample.service] = [0] * (len(LATENCY_BUCKETS) + 1)
        if sample.buckets is not None:
            counts[:] = map(operator.add, counts, sample.buckets)
        else:
            counts[bucket_index(sample.seconds)] += sample.count

    def latency_counts(self, service: str) -> tuple[int, ...]:
        """Routed requests answered by a pod, per latency bucket (not cumulative)."""
        return tuple(self._latency.get(service, ()))

    def requests_total(self, service: str) -> tuple[int, int]:
        """Routed requests and those answered with a 5xx, for one service."""
        total = self._totals.get(service)
        return (total[0], total[1]) if total else (0, 0)

    def record(self, time: float, service: str, path: str, pod: Pod | None, status: int,
               latency: float, count: int) -> None:
        """A row of the requests frame: ``count`` requests with the same outcome at ``time``
        (1 for ``request``; ``send`` aggregates per pod and status, latency is then the
        mean of the batch the pod's requests were drawn in)."""
        name, version = (pod.name, pod.version) if pod is not None else (None, None)
        for column, value in zip(self._columns.values(),
                                 (time, service, path, name, version, status, latency, count)):
            column.append(value)
        key = (service, name or "", version or "", status)
        self._counts[key] = self._counts.get(key, 0) + count
        total = self._totals.setdefault(service, [0, 0])
        total[0] += count
        if status >= 500:
            total[1] += count

    def frame(self):
        """The requests as a pandas DataFrame (one row per ``request``, per pod and status
        for a ``send`` batch), built from whole columns."""
        return typed_frame(self._columns, COLUMNS, NUMERIC)


# -- commands (checked by the verbs table, journaled and applied by the Cluster) --------------------------------

def check_number(name: str, value: Any, low: float, high: float) -> float:
    """``value`` as a finite float in ``low..high`` or a CommandError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise CommandError(f"{name}: expected a number {low:g}..{high:g}, got {value!r}",
                           field=name)
    return value


def check_count(value: Any, high: int = MAX_BATCH) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise CommandError(f"count: expected an integer 1..{high}, got {value!r}", field="count")
    return value


def check_path(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 2048:
        raise CommandError(f"path: expected an HTTP path starting with '/', got {path!r}",
                           field="path")
    return path


def _answer(parts: "Controllers", service: str, path: str, pod: Pod | None) -> Response:
    """One request's outcome, drawn from the cluster's rng: errors, then latency (one uniform
    draw each, turned into the image's log-normal latency)."""
    if pod is None:
        response = Response(None, None, NO_ENDPOINT_STATUS, 0.0)
    else:
        traffic, rng = parts.traffic, parts.ctx.rng
        rate = traffic.error_rate(pod)
        status = SERVER_ERROR_STATUS if rate > 0 and rng.random() < rate else OK_STATUS
        latency = draw_one(rng.random(), traffic.mean_latency(pod), traffic.latency_sigma(pod))
        response = Response(pod.name, pod.version, status, latency)
    _count(parts, service, path, pod, response.status, response.latency, 1)
    return response


def _count(parts: "Controllers", service: str, path: str, pod: Pod | None, status: int,
           latency: float, count: int, sampled: bool = False) -> None:
    """Count requests; ``sampled``: their latency is in the histogram already (a batch)."""
    parts.lb.record(parts.ctx.now, service, path, pod, status, latency, count)
    if pod is not None and not sampled:
        parts.lb.observe_latency(LatencySample(service, pod.version, count, latency))
    if pod is not None:
        routed = parts.traffic.routed.setdefault((service, pod.template_hash), [0, 0])
        routed[0] += count
        if status >= 500:
            routed[1] += count


def check_request(parts: "Controllers", service, path="/", count=1):
    """``request``: ``count`` requests one by one (each its own error and latency draw)."""
    service_state(parts.ctx.store, service)
    path, count = check_path(path), check_count(count)

    def request() -> Response:
        response = None
        for _ in range(count):
            response = _answer(parts, service, path, parts.lb.router.pick(service))
        return response

    return {"service": service, "path": path, "count": count}, request


def check_send(parts: "Controllers", service, count=1, path="/"):
    """``send``: ``count`` requests at once, the fast way: the same pods as ``count``
    requests, one error draw per request, and one draw of how many requests fall in each
    latency bucket (``latency.draw_buckets``) per status and group of pods that share a
    latency distribution (a revision at one load: under round robin, all its pods)."""
    service_state(parts.ctx.store, service)
    path, count = check_path(path), check_count(count)

    def send() -> dict[str, Any]:
        per_pod, unserved, pods = parts.lb.router.pick_many(service, count)
        rng, traffic = parts.ctx.rng, parts.traffic
        by_version: dict[str, int] = {}
        errors = unserved
        known: dict[str, tuple[float, float]] = {}        # hash -> error rate, sigma
        groups: dict[tuple, list] = {}        # (hash, pod's rps, status) -> [n, pod, mean]
        rows = []
        for name, n in per_pod.items():
            pod = pods[name]
            if pod.template_hash not in known:
                known[pod.template_hash] = (traffic.error_rate(pod), traffic.latency_sigma(pod))
            rate = known[pod.template_hash][0]
            failed = sum(1 for _ in range(n) if rng.random() < rate) if rate > 0 else 0
            for status, batch in ((OK_STATUS, n - failed), (SERVER_ERROR_STATUS, failed)):
                if batch:
                    key = (pod.template_hash, traffic.pod_rate(pod), status)
                    group = groups.setdefault(key, [0, pod, 0.0])
                    group[0] += batch
                    rows.append((pod, status, batch, key))
            errors += failed
            by_version[pod.version] = by_version.get(pod.version, 0) + n
        for (template_hash, pod_rps, _), group in groups.items():
            total, pod = group[0], group[1]
            buckets, seconds = draw_buckets(traffic.draws, total,
                                            traffic.mean_latency(pod, pod_rps),
                                            known[template_hash][1])
            group[2] = seconds / total
            parts.lb.observe_latency(LatencySample(service, pod.version, total, seconds,
                                                     buckets))
        for pod, status, batch, key in rows:
            _count(parts, service, path, pod, status, groups[key][2], batch, sampled=True)
        if unserved:
            _count(parts, service, path, None, NO_ENDPOINT_STATUS, 0.0, unserved)
        return {"requests": count, "errors": errors, "unserved": unserved,
                "by_version": dict(sorted(by_version.items())),
                "by_pod": dict(sorted(per_pod.items()))}

    return {"service": service, "count": count, "path": path}, send


def check_select(parts: "Controllers", service, count=1):
    """``select``: move the round robin on ``count`` times; return the last pod (a copy)."""
    service_state(parts.ctx.store, service)
    count = check_count(count)

    def select() -> Pod | None:
        pod = None
        for _ in range(count):
            pod = parts.lb.router.pick(service)
        return replace(pod) if pod is not None else None

    return {"service": service, "count": count}, select

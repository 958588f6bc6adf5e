"""Traffic: offered load, the CPU it causes, and the load balancer that routes requests.

Two kinds of traffic flow through a service:

* **Offered load** (``set_load``): a steady stream of ``rps`` requests per second, spread
  over the Ready pods like the load balancer would spread them. It is a fluid: it costs
  nothing per request, makes each pod busy (``CPU % = the pod's requests per second /
  its capacity``), and is counted per revision so a canary analysis can measure its
  error rate. ``set_load(cpu=80)`` means "80 % average utilisation at the current number
  of Ready pods" and is turned into requests per second, so scaling out lowers CPU.
* **Routed requests** (``request``, ``send``): one request at a time through the load
  balancer, answered with the image's error model and a latency drawn from its
  distribution (``engine/latency.py``: log-normal around the pod's mean; ``send`` draws a
  batch's latency histogram at once).

Routing is two-level. The rollout controller says which *backends* a service has (all
pods; or stable and canary with weights; or the active colour of a blue/green pair). A
request picks a backend by **smooth weighted round robin** (nginx's algorithm), then a
pod inside it by **round robin** over its Ready, non-terminating pods in name order.
With no Ready pod behind the chosen backend the answer is a 503, not an exception.

Round robin is a teaching simplification that makes traffic shares exact. Real
clusters draw at random: kube-proxy picks one endpoint per connection at random
(iptables ``statistic`` rules, IPVS), and the ingress-nginx canary sends each request
to the canary with probability ``weight / 100``. ``Cluster(balancer="random")`` does
that: per request a weighted random backend, then a uniformly random pod, both drawn
from the cluster's seeded ``rng`` (so it is still deterministic).

The decisions are pure functions at the top; ``Traffic`` and ``LoadBalancer`` hold the
state (rates, counters, round-robin positions) and are driven by the cluster.
"""
from __future__ import annotations

import math
import operator
from fractions import Fraction
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from t32sim.engine.commands import CommandError
from t32sim.engine.events import Reason
from t32sim.engine.histogram import LATENCY_BUCKETS, bucket_index
from t32sim.engine.images import resolve
from t32sim.engine.latency import DEFAULT_SIGMA, draw_buckets, draw_one
from t32sim.rng import derived
from t32sim.engine.store import Pod

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

#: a request that reaches no pod is answered by the load balancer itself
NO_ENDPOINT_STATUS = 503
SERVER_ERROR_STATUS = 500
OK_STATUS = 200
#: the millicores a pod uses at its image's ``capacity_rps`` (and its CPU request when the
#: spec gives none): CPU % is relative to ``resources.requests.cpu``, as the HPA measures it
CPU_REQUEST_MILLI = 1000
DEFAULT_CAPACITY_RPS = 100.0
DEFAULT_LATENCY = 0.020
MAX_RPS = 10_000_000
MAX_CPU_PERCENT = 1000
MAX_BATCH = 10_000_000
#: the load balancer's ways of choosing a pod (``Cluster(balancer=...)``)
ROUND_ROBIN, RANDOM = "round-robin", "random"
BALANCERS = (ROUND_ROBIN, RANDOM)


# -- plain data ------------------------------------------------------------------------------

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
class RequestRecord:
    """A row of the requests frame: ``count`` requests with the same outcome at ``time``
    (1 for ``request``; ``send`` aggregates per pod and status, latency is then the mean of
    the batch the pod's requests were drawn in)."""
    time: float
    service: str
    path: str
    pod: str | None
    version: str | None
    status: int
    latency: float
    count: int = 1


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


@dataclass(frozen=True)
class Backend:
    """A group of pods that receives ``weight`` parts of a service's traffic.

    ``hashes`` are the template hashes (ReplicaSets) it selects; None selects every pod.
    """
    name: str
    weight: int
    hashes: frozenset[str] | None = None

    def selects(self, pod: Pod) -> bool:
        return self.hashes is None or pod.template_hash in self.hashes


@dataclass(frozen=True)
class Fault:
    """Injected trouble for one service (or one version of it): extra errors and latency."""
    error_rate: float = 0.0
    latency: float = 0.0


# -- pure decisions --------------------------------------------------------------------------

def endpoints(pods: Iterable[Pod]) -> list[Pod]:
    """The pods a Service sends traffic to: Ready and not terminating, in name order."""
    return sorted((p for p in pods if p.ready and not p.terminating), key=lambda p: p.name)


def smooth_weighted_pick(weights: Sequence[int], current: list[int]) -> int:
    """nginx's smooth weighted round robin: add every weight to its running value, pick the
    largest (the first on a tie), subtract the total from the winner. ``current`` is updated
    in place; after ``sum(weights)`` picks it is back where it started."""
    best = -1
    for i, weight in enumerate(weights):
        current[i] += weight
        if best < 0 or current[i] > current[best]:
            best = i
    current[best] -= sum(weights)
    return best


def reduce_weights(weights: Sequence[int]) -> list[int]:
    """Weights divided by their greatest common divisor (75/25 -> 3/1): same order, shorter
    period."""
    divisor = 0
    for weight in weights:
        divisor = math.gcd(divisor, weight)
    return [w // divisor for w in weights] if divisor > 1 else list(weights)


def random_pick(weights: Sequence[int], sizes: Sequence[int], rng) -> tuple[int, int | None]:
    """A random backend (probability ``weight / sum(weights)``) and a uniformly random pod
    index inside it (None when it has no pod): one ``rng.random()`` for the backend when
    there is a choice, one ``rng.randrange`` for the pod when there is more than one."""
    index = 0
    if len(weights) > 1:
        point = rng.random() * sum(weights)
        while index < len(weights) - 1 and point >= weights[index]:
            point -= weights[index]
            index += 1
    size = sizes[index]
    if size == 0:
        return index, None
    return index, (rng.randrange(size) if size > 1 else 0)


def round_robin_next(names: Sequence[str], last: str | None) -> int:
    """Index of the first name after ``last`` in sorted ``names`` (wrapping around), so the
    rotation survives pods joining and leaving."""
    if last is not None:
        for i, name in enumerate(names):
            if name > last:
                return i
    return 0


def round_robin_counts(names: Sequence[str], last: str | None, count: int
                       ) -> tuple[dict[str, int], str | None]:
    """How many of ``count`` round-robin picks each name gets, and the last name picked."""
    if not names or count <= 0:
        return {}, last
    start = round_robin_next(names, last)
    full, rest = divmod(count, len(names))
    counts = {}
    for offset in range(len(names)):
        name = names[(start + offset) % len(names)]
        counts[name] = full + (1 if offset < rest else 0)
    return counts, names[(start + count - 1) % len(names)]


def split_rate(rps: float, backends: Sequence[Backend], members: Mapping[str, Sequence[Pod]]
               ) -> tuple[dict[str, float], float]:
    """Requests per second reaching each pod, and the part that finds no pod (503s).

    A backend gets ``rps * weight / total weight``, shared equally by its endpoints.
    """
    total = sum(b.weight for b in backends if b.weight > 0)
    rates: dict[str, float] = {}
    unserved = 0.0 if total else float(rps)
    for backend in backends:
        if backend.weight <= 0 or not total:
            continue
        share = rps * backend.weight / total
        pods = members.get(backend.name, ())
        if not pods:
            unserved += share
            continue
        for pod in pods:
            rates[pod.name] = rates.get(pod.name, 0.0) + share / len(pods)
    return rates, unserved


def _serving(backends: Sequence[Backend], members: Mapping[str, Sequence[Pod]]) -> list[Pod]:
    """The endpoints of the backends that get traffic (weight > 0), each once, by name."""
    pods = {p.name: p for b in backends if b.weight > 0 for p in members.get(b.name, ())}
    return [pods[name] for name in sorted(pods)]


def rps_for_cpu(cpu_percent: float, capacities: Mapping[str, float],
                shares: Mapping[str, float]) -> float:
    """Offered rps that makes the *average* CPU of the pods in ``shares`` equal ``cpu_percent``.

    ``shares[pod]`` is the fraction of the service's traffic the pod gets; a pod's CPU is
    ``rps * share / capacity * 100``, so the average is linear in rps.
    """
    per_rps = sum(Fraction(shares[p]) / Fraction(capacities[p]) for p in shares)
    return float(Fraction(cpu_percent) * len(shares) / (100 * per_rps)) if per_rps else 0.0


def _at_request(capacity: float, request_milli: int) -> float:
    """rps at 100 % of a CPU request: a pod uses CPU_REQUEST_MILLI at its full capacity."""
    if request_milli == CPU_REQUEST_MILLI:
        return capacity
    return capacity * request_milli / CPU_REQUEST_MILLI


def combined_error_rate(*rates: float) -> float:
    """Independent failure sources: 1 - (1 - a)(1 - b)..."""
    ok = 1.0
    for rate in rates:
        ok *= 1.0 - min(max(rate, 0.0), 1.0)
    return 1.0 - ok


# -- the state -------------------------------------------------------------------------------

@dataclass
class _Flow:
    """One service's offered load and what it caused so far."""
    rps: float = 0.0
    since: float = 0.0                                   # accounted up to here
    pod_rates: dict[str, float] = field(default_factory=dict)
    hash_rates: dict[str, tuple[float, float]] = field(default_factory=dict)  # rps, errors/s
    unserved: float = 0.0
    cpu: float = 0.0                                     # average % over Ready endpoints
    pod_cpu: dict[str, int] = field(default_factory=dict)          # pod -> millicores
    dirty: bool = True                                   # rates must be recomputed
    generation: int = 0                                  # how many times they were
    totals: dict[str, list[float]] = field(default_factory=dict)   # hash -> [requests, errors]
    unserved_total: float = 0.0


class Traffic:
    """Offered load per service, the CPU it causes per pod, and counters per revision."""

    def __init__(self, cluster: "Cluster"):
        self.cluster = cluster
        self._flows: dict[str, _Flow] = {}
        #: explicit requests per (service, template hash): [requests, errors]
        self.routed: dict[tuple[str, str], list[int]] = {}
        #: chaos: (service, version or None) -> Fault
        self.faults: dict[tuple[str, str | None], Fault] = {}
        #: request latencies are drawn from their own stream, apart from ``cluster.rng``
        self.draws = derived(cluster.seed, "latency")
        cluster.store.watch(self.changed)

    # -- what the cluster asks -----------------------------------------------------------

    def offered_rps(self, service: str) -> float:
        flow = self._flows.get(service)
        return flow.rps if flow else 0.0

    def cpu(self, service: str) -> float:
        """Average CPU % of the service's Ready endpoints under the offered load."""
        flow = self._flows.get(service)
        return flow.cpu if flow else 0.0

    def pod_cpu_milli(self, service: str) -> dict[str, int]:
        """CPU use of each serving pod in millicores (a pod's request is 1000 m)."""
        flow = self._flows.get(service)
        return dict(flow.pod_cpu) if flow else {}

    def totals(self, service: str, template_hash: str) -> tuple[float, float]:
        """Requests and errors one revision has served so far: offered load plus routed
        requests (the numbers a canary analysis looks at)."""
        self.flush(service)
        flow = self._flows.get(service)
        fluid = flow.totals.get(template_hash, [0.0, 0.0]) if flow else [0.0, 0.0]
        routed = self.routed.get((service, template_hash), [0, 0])
        return fluid[0] + routed[0], fluid[1] + routed[1]

    def offered_totals(self, service: str) -> tuple[float, float]:
        """Requests and 5xx answers of the offered load so far, all revisions (the part
        that found no endpoint counts as 503s)."""
        flow = self._flows.get(service)
        requests = errors = 0.0
        if flow is not None:       # read, not flushed: an observer changes no sum
            elapsed = max(self.cluster.now - flow.since, 0.0)
            for served, failed in flow.totals.values():
                requests, errors = requests + served, errors + failed
            for rps, failing in flow.hash_rates.values():
                requests, errors = requests + rps * elapsed, errors + failing * elapsed
            unserved = flow.unserved_total + flow.unserved * elapsed
            requests, errors = requests + unserved, errors + unserved
        return requests, errors

    def rps_for_cpu(self, service: str, cpu_percent: float) -> float:
        """The offered rps that puts the Ready endpoints at ``cpu_percent`` average CPU now
        (with no Ready pod: the desired replicas of the current image)."""
        state = self.cluster.store.services[service]
        backends = self.cluster.rollouts.backends(service)
        members = self.members(service, backends)
        total = sum(b.weight for b in backends if b.weight > 0)
        shares: dict[str, Fraction] = {}
        capacities: dict[str, float] = {}
        for backend in backends:
            pods = members[backend.name]
            for pod in pods if backend.weight > 0 else ():
                shares[pod.name] = shares.get(pod.name, 0) + Fraction(backend.weight,
                                                                      total * len(pods))
                capacities[pod.name] = self.request_capacity(pod)
        if shares:
            return rps_for_cpu(cpu_percent, capacities, shares)
        replicas = state.spec.replicas
        image = resolve(state.spec.image)
        capacity = image.capacity_rps if image else DEFAULT_CAPACITY_RPS
        return cpu_percent / 100.0 * replicas * _at_request(capacity, state.spec.cpu_request)

    def set_rps(self, service: str, rps: float) -> None:
        self.flush(service)
        self._flows.setdefault(service, _Flow(since=self.cluster.now)).rps = float(rps)
        self.changed(service)

    def changed(self, service: str) -> None:
        """Something the rates depend on changed (pods, weights, load, faults): account the
        time so far at the old rates, then recompute them."""
        flow = self._flows.get(service)
        if flow is not None:
            flow.dirty = True
            self.flush(service)

    # -- the model -----------------------------------------------------------------------

    def members(self, service: str, backends: Sequence[Backend]) -> dict[str, list[Pod]]:
        """The endpoints behind each backend."""
        ready = endpoints(self.cluster.store.pods_of(service))
        return {b.name: [p for p in ready if b.selects(p)] for b in backends}

    def serving(self, service: str) -> list[str]:
        """The pods the load balancer sends traffic to now (Ready endpoints of a backend
        with weight > 0), in name order: during a Blue/Green switch only the active ones."""
        backends = self.cluster.rollouts.backends(service)
        return [p.name for p in _serving(backends, self.members(service, backends))]

    def served_rps(self, service: str) -> dict[str, float]:
        """The offered load each revision (by pod-template hash) serves now, in rps."""
        flow = self._flows.get(service)
        return {h: rate for h, (rate, _) in sorted(flow.hash_rates.items())} if flow else {}

    def routed_totals(self, service: str) -> dict[str, int]:
        """Requests routed one by one so far (``send``, ``request``), by pod-template hash."""
        return {h: counts[0] for (name, h), counts in sorted(self.routed.items())
                if name == service}

    def capacity(self, pod: Pod) -> float:
        rs = self._replicaset(pod)
        image = resolve(rs.spec.image) if rs else None
        return image.capacity_rps if image else DEFAULT_CAPACITY_RPS

    def request_capacity(self, pod: Pod) -> float:
        """The requests per second at which ``pod`` uses exactly its CPU request (100 %
        utilisation, what the HPA measures); the capacity itself without a request."""
        rs = self._replicaset(pod)
        return _at_request(self.capacity(pod), rs.spec.cpu_request if rs else CPU_REQUEST_MILLI)

    def error_rate(self, pod: Pod) -> float:
        rs = self._replicaset(pod)
        image = resolve(rs.spec.image) if rs else None
        return combined_error_rate(image.error_rate if image else 0.0,
                                   *(f.error_rate for f in self._faults_for(pod)))

    def pod_rates(self, service: str) -> dict[str, float]:
        """The offered rps each serving pod gets now (not a copy: do not change it)."""
        flow = self._flows.get(service)
        return flow.pod_rates if flow else {}

    def latency_sigma(self, pod: Pod) -> float:
        """The spread of ``log(latency)`` of the pod's image."""
        rs = self._replicaset(pod)
        image = resolve(rs.spec.image) if rs else None
        return image.latency_sigma if image else DEFAULT_SIGMA

    def mean_latency(self, pod: Pod, pod_rps: float | None = None) -> float:
        """The pod's mean response time: the image's latency plus injected latency, slower
        in proportion when the pod is over 100 % CPU."""
        rs = self._replicaset(pod)
        image = resolve(rs.spec.image) if rs else None
        base = (image.latency if image else DEFAULT_LATENCY) + sum(
            f.latency for f in self._faults_for(pod))
        if pod_rps is None:
            flow = self._flows.get(pod.service)
            pod_rps = flow.pod_rates.get(pod.name, 0.0) if flow else 0.0
        load = pod_rps / self.capacity(pod)
        return base * max(1.0, load)

    def flush(self, service: str) -> None:
        """Account the load since the last change at the current rates (and recompute the
        rates if something changed since)."""
        flow = self._flows.get(service)
        if flow is None or service not in self.cluster.store.services:
            return
        now = self.cluster.now
        elapsed = now - flow.since
        if elapsed > 0:
            for template_hash, (rps, errors) in flow.hash_rates.items():
                total = flow.totals.setdefault(template_hash, [0.0, 0.0])
                total[0] += rps * elapsed
                total[1] += errors * elapsed
            flow.unserved_total += flow.unserved * elapsed
        flow.since = now
        if flow.dirty:
            self._recompute(service, flow)

    def generation(self, service: str) -> int:
        """Changes whenever the rates (and so the pods' CPU) of ``service`` are recomputed."""
        flow = self._flows.get(service)
        return flow.generation if flow else 0

    def _recompute(self, service: str, flow: _Flow) -> None:
        flow.dirty = False
        flow.generation += 1
        backends = self.cluster.rollouts.backends(service)
        members = self.members(service, backends)
        rates, unserved = split_rate(flow.rps, backends, members)
        pods = {p.name: p for group in members.values() for p in group}
        flow.pod_rates, flow.unserved = rates, unserved
        facts: dict[str, tuple[float, float]] = {}         # hash -> (capacity, error rate)
        hash_rates: dict[str, tuple[float, float]] = {}
        flow.pod_cpu = {}
        for name, rate in rates.items():
            pod = pods[name]
            if pod.template_hash not in facts:
                facts[pod.template_hash] = (self.capacity(pod), self.error_rate(pod))
            capacity, error_rate = facts[pod.template_hash]
            rps, errors = hash_rates.get(pod.template_hash, (0.0, 0.0))
            hash_rates[pod.template_hash] = (rps + rate, errors + rate * error_rate)
            flow.pod_cpu[name] = round(rate / capacity * CPU_REQUEST_MILLI)
        flow.hash_rates = hash_rates
        serving = _serving(backends, members)
        at_request: dict[str, float] = {}    # hash -> request capacity (the template's)

        def request_capacity(pod: Pod) -> float:
            if pod.template_hash not in at_request:
                at_request[pod.template_hash] = self.request_capacity(pod)
            return at_request[pod.template_hash]

        flow.cpu = (sum(rates.get(p.name, 0.0) / request_capacity(p) for p in serving)
                    / len(serving) * 100.0) if serving else 0.0

    def _faults_for(self, pod: Pod) -> list[Fault]:
        return [f for key in ((pod.service, None), (pod.service, pod.version))
                if (f := self.faults.get(key)) is not None]

    def _replicaset(self, pod: Pod):
        state = self.cluster.store.services.get(pod.service)
        return state.replicasets.get(pod.template_hash) if state else None


class LoadBalancer:
    """Routes requests: smooth weighted round robin over backends, round robin inside one
    (``balancer="round-robin"``), or a weighted random backend and a random pod in it
    (``balancer="random"``)."""

    def __init__(self, cluster: "Cluster", balancer: str = ROUND_ROBIN):
        if balancer not in BALANCERS:
            raise CommandError(f"balancer: expected one of {', '.join(map(repr, BALANCERS))}, "
                               f"got {balancer!r}", field="balancer")
        self.cluster = cluster
        self.balancer = balancer
        self._signature: dict[str, tuple] = {}        # service -> ((name, weight), ...)
        self._current: dict[str, list[int]] = {}      # service -> SWRR running values
        self._last: dict[tuple[str, str], str] = {}   # (service, backend) -> last pod name
        self._counts: dict[tuple[str, str, str, int], int] = {}
        self._records: list[RequestRecord] = []
        self._totals: dict[str, list[int]] = {}       # service -> [requests, errors]
        #: service -> routed requests per latency bucket (LATENCY_BUCKETS, then +Inf)
        self._latency: dict[str, list[int]] = {}
        self._samples: list[LatencySample] = []

    # -- public --------------------------------------------------------------------------

    def select(self, service: str) -> Pod | None:
        """The pod the next request goes to (a copy), or None when none is Ready.

        Choosing moves the round robin on, so it is a journaled command."""
        return self.cluster._command("user", "select", service=service, count=1)

    def counts(self) -> dict[tuple[str, str, str, int], int]:
        """Routed requests by (service, pod, version, status code)."""
        return dict(self._counts)

    def records(self, since: int = 0) -> list[RequestRecord]:
        """Routed requests from number ``since`` on (``send`` batches as one row per pod
        and status). Records are only ever appended, so a reader can keep its place."""
        return self._records[since:]

    def latency_samples(self, since: int = 0) -> list[LatencySample]:
        """Latencies from number ``since`` on (only ever appended, like ``records``)."""
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

    # -- used by the cluster's commands -----------------------------------------------------

    def pick(self, service: str) -> Pod | None:
        """Choose the next pod (the round robin moves on)."""
        backends, members = self._routing(service)
        if not backends:
            return None
        if self.balancer == RANDOM:
            index, pod = random_pick([b.weight for b in backends],
                                     [len(members[b.name]) for b in backends], self.cluster.rng)
            return members[backends[index].name][pod] if pod is not None else None
        index = smooth_weighted_pick([b.weight for b in backends], self._current[service])
        backend = backends[index]
        pods = members[backend.name]
        if not pods:
            return None
        names = [p.name for p in pods]
        chosen = pods[round_robin_next(names, self._last.get((service, backend.name)))]
        self._last[(service, backend.name)] = chosen.name
        return chosen

    def pick_many(self, service: str, count: int) -> tuple[dict[str, int], int, dict[str, Pod]]:
        """``count`` picks at once: requests per pod name, requests with no endpoint, and the
        pods by name. Exactly what ``count`` calls of ``pick`` would have chosen."""
        if self.balancer == RANDOM:
            return self._pick_many_at_random(service, count)
        backends, members = self._routing(service)
        if not backends:
            return {}, count, {}
        weights = [b.weight for b in backends]
        period = sum(weights)
        full, rest = divmod(count, period)
        per_backend = [w * full for w in weights]
        current = self._current[service]
        for _ in range(rest):
            per_backend[smooth_weighted_pick(weights, current)] += 1
        per_pod: dict[str, int] = {}
        pods_by_name: dict[str, Pod] = {}
        unserved = 0
        for backend, picks in zip(backends, per_backend):
            pods = members[backend.name]
            if not pods:
                unserved += picks
                continue
            key = (service, backend.name)
            counts, last = round_robin_counts([p.name for p in pods], self._last.get(key), picks)
            if last is not None and picks:
                self._last[key] = last
            for pod in pods:
                pods_by_name[pod.name] = pod
                if counts.get(pod.name):
                    per_pod[pod.name] = per_pod.get(pod.name, 0) + counts[pod.name]
        return per_pod, unserved, pods_by_name

    def _pick_many_at_random(self, service: str, count: int
                             ) -> tuple[dict[str, int], int, dict[str, Pod]]:
        """``count`` random picks, one after the other (each its own draws)."""
        per_pod: dict[str, int] = {}
        pods_by_name: dict[str, Pod] = {}
        unserved = 0
        for _ in range(count):
            pod = self.pick(service)
            if pod is None:
                unserved += 1
                continue
            pods_by_name[pod.name] = pod
            per_pod[pod.name] = per_pod.get(pod.name, 0) + 1
        return per_pod, unserved, pods_by_name

    def record(self, record: RequestRecord) -> None:
        self._records.append(record)
        key = (record.service, record.pod or "", record.version or "", record.status)
        self._counts[key] = self._counts.get(key, 0) + record.count
        total = self._totals.setdefault(record.service, [0, 0])
        total[0] += record.count
        if record.status >= 500:
            total[1] += record.count

    def frame(self):
        """The requests as a pandas DataFrame (one row per ``request``, per pod and status
        for a ``send`` batch)."""
        import pandas as pd

        columns = ["time", "service", "path", "pod", "version", "status", "latency", "count"]
        rows = [(r.time, r.service, r.path, r.pod, r.version, r.status, r.latency, r.count)
                for r in self._records]
        frame = pd.DataFrame(rows, columns=columns)
        return frame.astype({"time": "float64", "service": "string", "path": "string",
                             "pod": "string", "version": "string", "status": "int64",
                             "latency": "float64", "count": "int64"})

    # -- internals -----------------------------------------------------------------------

    def _routing(self, service: str) -> tuple[list[Backend], dict[str, list[Pod]]]:
        backends = [b for b in self.cluster.rollouts.backends(service) if b.weight > 0]
        weights = reduce_weights([b.weight for b in backends])
        backends = [Backend(b.name, w, b.hashes) for b, w in zip(backends, weights)]
        signature = tuple((b.name, b.weight) for b in backends)
        if self._signature.get(service) != signature:
            self._signature[service] = signature
            self._current[service] = [0] * len(backends)
        return backends, self.cluster.traffic.members(service, backends)


# -- commands (checked, journaled and applied by the Cluster) --------------------------------

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


def check_set_load(cluster: "Cluster", service, cpu=None, rps=None):
    """``set_load``: exactly one of ``cpu`` (average % at the current Ready pods) or ``rps``."""
    cluster._state(service)
    if (cpu is None) == (rps is None):
        raise CommandError("set_load: give exactly one of cpu or rps", field="cpu")
    if cpu is not None:
        cpu = check_number("cpu", cpu, 0, MAX_CPU_PERCENT)
        if cpu and not cluster.traffic.rps_for_cpu(service, cpu):
            raise CommandError(f"cpu: {service} has no pods to measure {cpu:g} % against; "
                               "give rps instead", field="cpu")
        args = {"service": service, "cpu": cpu}
    else:
        args = {"service": service, "rps": check_number("rps", rps, 0, MAX_RPS)}

    def set_load() -> float:
        traffic = cluster.traffic
        target = traffic.rps_for_cpu(service, cpu) if cpu is not None else float(rps)
        traffic.set_rps(service, target)
        serving = len(traffic.serving(service))
        how = (f"{cpu:g} % average CPU on {serving} serving pod(s)" if cpu is not None
               else f"{traffic.cpu(service):.1f} % average CPU on {serving} serving pod(s)")
        note = "" if cluster.autoscaler.status(service) else (
            f"; {service} has no autoscaler, so only CPU changes, not the replica count")
        cluster.log.emit(cluster.now, Reason.LOAD_SET, service,
                         f"Offered load on {service}: {target:g} rps ({how}){note}",
                         rps=target, cpu=traffic.cpu(service))
        return target

    return args, set_load


def _answer(cluster: "Cluster", service: str, path: str, pod: Pod | None) -> Response:
    """One request's outcome, drawn from ``cluster.rng``: errors, then latency (one uniform
    draw each, turned into the image's log-normal latency)."""
    if pod is None:
        response = Response(None, None, NO_ENDPOINT_STATUS, 0.0)
    else:
        traffic, rng = cluster.traffic, cluster.rng
        rate = traffic.error_rate(pod)
        status = SERVER_ERROR_STATUS if rate > 0 and rng.random() < rate else OK_STATUS
        latency = draw_one(rng.random(), traffic.mean_latency(pod), traffic.latency_sigma(pod))
        response = Response(pod.name, pod.version, status, latency)
    _count(cluster, service, path, pod, response.status, response.latency, 1)
    return response


def _count(cluster: "Cluster", service: str, path: str, pod: Pod | None, status: int,
           latency: float, count: int, sampled: bool = False) -> None:
    """Count requests; ``sampled``: their latency is in the histogram already (a batch)."""
    cluster.lb.record(RequestRecord(cluster.now, service, path, pod.name if pod else None,
                                    pod.version if pod else None, status, latency, count))
    if pod is not None and not sampled:
        cluster.lb.observe_latency(LatencySample(service, pod.version, count, latency))
    if pod is not None:
        routed = cluster.traffic.routed.setdefault((service, pod.template_hash), [0, 0])
        routed[0] += count
        if status >= 500:
            routed[1] += count


def check_request(cluster: "Cluster", service, path="/", count=1):
    """``request``: ``count`` requests one by one (each its own error and latency draw)."""
    cluster._state(service)
    path, count = check_path(path), check_count(count)

    def request() -> Response:
        response = None
        for _ in range(count):
            response = _answer(cluster, service, path, cluster.lb.pick(service))
        return response

    return {"service": service, "path": path, "count": count}, request


def check_send(cluster: "Cluster", service, count=1, path="/"):
    """``send``: ``count`` requests at once, the fast way: the same pods as ``count``
    requests, one error draw per request, and one draw of how many requests fall in each
    latency bucket (``latency.draw_buckets``) per status and group of pods that share a
    latency distribution (a revision at one load: under round robin, all its pods)."""
    cluster._state(service)
    path, count = check_path(path), check_count(count)

    def send() -> dict[str, Any]:
        per_pod, unserved, pods = cluster.lb.pick_many(service, count)
        rng, traffic = cluster.rng, cluster.traffic
        by_version: dict[str, int] = {}
        errors = unserved
        known: dict[str, tuple[float, float]] = {}        # hash -> error rate, sigma
        groups: dict[tuple, list] = {}        # (hash, pod's rps, status) -> [n, pod, mean]
        rates = traffic.pod_rates(service)
        rows = []
        for name, n in per_pod.items():
            pod = pods[name]
            if pod.template_hash not in known:
                known[pod.template_hash] = (traffic.error_rate(pod), traffic.latency_sigma(pod))
            rate = known[pod.template_hash][0]
            failed = sum(1 for _ in range(n) if rng.random() < rate) if rate > 0 else 0
            for status, batch in ((OK_STATUS, n - failed), (SERVER_ERROR_STATUS, failed)):
                if batch:
                    key = (pod.template_hash, rates.get(name, 0.0), status)
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
            cluster.lb.observe_latency(LatencySample(service, pod.version, total, seconds,
                                                     buckets))
        for pod, status, batch, key in rows:
            _count(cluster, service, path, pod, status, groups[key][2], batch, sampled=True)
        if unserved:
            _count(cluster, service, path, None, NO_ENDPOINT_STATUS, 0.0, unserved)
        return {"requests": count, "errors": errors, "unserved": unserved,
                "by_version": dict(sorted(by_version.items())),
                "by_pod": dict(sorted(per_pod.items()))}

    return {"service": service, "count": count, "path": path}, send


def check_select(cluster: "Cluster", service, count=1):
    """``select``: move the round robin on ``count`` times; return the last pod (a copy)."""
    cluster._state(service)
    count = check_count(count)

    def select() -> Pod | None:
        pod = None
        for _ in range(count):
            pod = cluster.lb.pick(service)
        return replace(pod) if pod is not None else None

    return {"service": service, "count": count}, select

"""Offered load: a steady stream of requests per second and the CPU it causes.

``set_load(rps=...)`` offers ``rps`` requests per second to a service, spread over its
endpoints like the load balancer spreads them. It is a fluid: it costs nothing per request,
makes each pod busy (``CPU % = the pod's requests per second / its capacity``), and is
counted per revision so a canary analysis can measure its error rate. ``set_load(cpu=80)``
means "80 % average utilisation at the current number of Ready pods" and is turned into
requests per second, so scaling out lowers CPU.

Cost follows change. Every pod of one ReplicaSet behind one backend gets the same share, so
the rates are worked out per template hash from the store's endpoint counts, never per pod:
a pod joining or leaving costs O(1). A change marks the service; its rates are recomputed
once, at the end of the simulated instant (or when read before that), and the time so far
is accounted at the old rates first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from t32sim.engine.commands import CommandError, service_state
from t32sim.engine.context import Context
from t32sim.engine.events import Reason
from t32sim.engine.history import LateTimeout
from t32sim.engine.images import resolve
from t32sim.engine.latency import DEFAULT_SIGMA
from t32sim.engine.store import Backend, Fault, Pod, ReplicaSet
from t32sim.rng import derived

if TYPE_CHECKING:
    from t32sim.engine.controllers import Controllers

#: the millicores a pod uses at its image's ``capacity_rps`` (and its CPU request when the
#: spec gives none): CPU % is relative to ``resources.requests.cpu``, as the HPA measures it
CPU_REQUEST_MILLI = 1000
DEFAULT_CAPACITY_RPS = 100.0
DEFAULT_LATENCY = 0.020
MAX_RPS = 10_000_000
MAX_CPU_PERCENT = 1000


# -- pure decisions --------------------------------------------------------------------------

def split_by_hash(rps: float, backends: Sequence[Backend], counts: Mapping[str, int]
                  ) -> tuple[dict[str, float], float]:
    """Requests per second each endpoint of a template hash gets, and the part that finds
    no endpoint (503s). ``counts``: endpoints per template hash.

    A backend gets ``rps * weight / total weight``, shared equally by its endpoints; a hash
    selected by several backends gets each one's share.
    """
    total = sum(b.weight for b in backends if b.weight > 0)
    rates: dict[str, float] = {}
    unserved = 0.0 if total else float(rps)
    for backend in backends:
        if backend.weight <= 0 or not total:
            continue
        share = rps * backend.weight / total
        members = [h for h in counts if backend.hashes is None or h in backend.hashes]
        size = sum(counts[h] for h in members)
        if not size:
            unserved += share
            continue
        for template_hash in members:
            rates[template_hash] = rates.get(template_hash, 0.0) + share / size
    return rates, unserved


def rps_for_cpu(cpu_percent: float, groups: Sequence[tuple[int, Fraction, float]]) -> float:
    """Offered rps that makes the *average* CPU of the pods in ``groups`` equal ``cpu_percent``.

    Each group is ``(pods, share, capacity)``: that many pods, each getting ``share`` of the
    service's traffic at ``capacity`` rps per 100 % CPU. A pod's CPU is
    ``rps * share / capacity * 100``, so the average is linear in rps (exact fractions).
    """
    pods = sum(count for count, _, _ in groups)
    per_rps = sum(count * Fraction(share) / Fraction(capacity) for count, share, capacity in groups)
    return float(Fraction(cpu_percent) * pods / (100 * per_rps)) if per_rps else 0.0


def at_request(capacity: float, request_milli: int) -> float:
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
    hash_pod_rates: dict[str, float] = field(default_factory=dict)   # hash -> rps per pod
    hash_rates: dict[str, tuple[float, float]] = field(default_factory=dict)  # rps, errors/s
    unserved: float = 0.0
    cpu: float = 0.0                                     # average % over serving endpoints
    serving: int = 0                                     # endpoints of weighted backends
    dirty: bool = True                                   # rates must be recomputed
    generation: int = 0                                  # how many times they were
    totals: dict[str, list[float]] = field(default_factory=dict)   # hash -> [requests, errors]
    unserved_total: float = 0.0


class Traffic:
    """Offered load per service, the CPU it causes per pod, and counters per revision."""

    def __init__(self, ctx: Context, seed: int):
        self.ctx, self.store = ctx, ctx.store
        self._flows: dict[str, _Flow] = {}
        self._dirty: set[str] = set()
        #: explicit requests per (service, template hash): [requests, errors]
        self.routed: dict[tuple[str, str], list[int]] = {}
        #: request latencies are drawn from their own stream, apart from ``cluster.rng``
        self.draws = derived(seed, "latency")
        ctx.store.watch(self.changed)

    # -- what the cluster asks -----------------------------------------------------------

    def offered_rps(self, service: str) -> float:
        flow = self._flows.get(service)
        return flow.rps if flow else 0.0

    def cpu(self, service: str) -> float:
        """Average CPU % of the service's serving endpoints under the offered load."""
        flow = self._settled(service)
        return flow.cpu if flow else 0.0

    def pod_rate(self, pod: Pod) -> float:
        """The offered rps ``pod`` gets now (0 unless it is an endpoint of a weighted
        backend)."""
        flow = self._settled(pod.service)
        if flow is None or not self.store.is_endpoint(pod):
            return 0.0
        return flow.hash_pod_rates.get(pod.template_hash, 0.0)

    def pod_cpu_milli(self, service: str) -> dict[str, int]:
        """CPU use of each serving pod in millicores (a pod's request is 1000 m)."""
        flow = self._settled(service)
        if flow is None:
            return {}
        milli = {h: round(rate / self.capacity_of(service, h) * CPU_REQUEST_MILLI)
                 for h, rate in flow.hash_pod_rates.items()}
        return {p.name: milli[p.template_hash] for p in self.store.endpoints_of(service)
                if p.template_hash in milli}

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
        flow = self._settled(service)
        requests = errors = 0.0
        if flow is not None:       # read, not flushed: an observer changes no sum
            elapsed = max(self.ctx.now - flow.since, 0.0)
            for served, failed in flow.totals.values():
                requests, errors = requests + served, errors + failed
            for rps, failing in flow.hash_rates.values():
                requests, errors = requests + rps * elapsed, errors + failing * elapsed
            unserved = flow.unserved_total + flow.unserved * elapsed
            requests, errors = requests + unserved, errors + unserved
        return requests, errors

    def rps_for_cpu(self, service: str, cpu_percent: float) -> float:
        """The offered rps that puts the serving endpoints at ``cpu_percent`` average CPU
        now (with no Ready pod: the desired replicas of the current image)."""
        state = self.store.services[service]
        backends = [b for b in self.store.backends_of(service) if b.weight > 0]
        counts = self.store.endpoint_counts(service)
        total = sum(b.weight for b in backends)
        shares: dict[str, Fraction] = {}
        for backend in backends:
            members = [h for h in counts if backend.hashes is None or h in backend.hashes]
            size = sum(counts[h] for h in members)
            for template_hash in members:
                shares[template_hash] = (shares.get(template_hash, Fraction(0))
                                         + Fraction(backend.weight, total * size))
        if shares:
            return rps_for_cpu(cpu_percent, [(counts[h], share, self.request_capacity_of(
                service, h)) for h, share in sorted(shares.items())])
        image = resolve(state.spec.image)
        capacity = image.capacity_rps if image else DEFAULT_CAPACITY_RPS
        return cpu_percent / 100.0 * state.spec.replicas * at_request(capacity,
                                                                      state.spec.cpu_request)

    def set_rps(self, service: str, rps: float) -> None:
        self.flush(service)
        self._flows.setdefault(service, _Flow(since=self.ctx.now)).rps = float(rps)
        self.changed(service)

    def changed(self, service: str) -> None:
        """Something the rates depend on changed (pods, weights, load, faults): account the
        time so far at the old rates; the new ones are worked out at the end of the instant
        (or when read first)."""
        flow = self._flows.get(service)
        if flow is None:
            return
        self.flush(service)
        flow.dirty = True
        if not self._dirty:
            LateTimeout(self.ctx.env, 0).callbacks.append(self._settle_all)
        self._dirty.add(service)

    def serving(self, service: str) -> list[str]:
        """The pods the load balancer sends traffic to now (endpoints of a backend with
        weight > 0), in name order: during a Blue/Green switch only the active ones."""
        hashes = self._weighted_hashes(service)
        return [p.name for p in self.store.endpoints_of(service) if p.template_hash in hashes]

    def serving_count(self, service: str) -> int:
        """How many pods ``serving`` lists, without listing them."""
        counts = self.store.endpoint_counts(service)
        return sum(counts[h] for h in self._weighted_hashes(service) if h in counts)

    def served_rps(self, service: str) -> dict[str, float]:
        """The offered load each revision (by pod-template hash) serves now, in rps."""
        flow = self._settled(service)
        return {h: rate for h, (rate, _) in sorted(flow.hash_rates.items())} if flow else {}

    def routed_totals(self, service: str) -> dict[str, int]:
        """Requests routed one by one so far (``send``, ``request``), by pod-template hash."""
        return {h: counts[0] for (name, h), counts in sorted(self.routed.items())
                if name == service}

    def generation(self, service: str) -> int:
        """Changes whenever the rates (and so the pods' CPU) of ``service`` are recomputed."""
        flow = self._settled(service)
        return flow.generation if flow else 0

    # -- what a pod's template gives -----------------------------------------------------

    def capacity(self, pod: Pod) -> float:
        return self.capacity_of(pod.service, pod.template_hash)

    def capacity_of(self, service: str, template_hash: str) -> float:
        image = self._image(service, template_hash)
        return image.capacity_rps if image else DEFAULT_CAPACITY_RPS

    def request_capacity_of(self, service: str, template_hash: str) -> float:
        """The requests per second at which a pod of this template uses exactly its CPU
        request (100 % utilisation, what the HPA measures)."""
        rs = self._replicaset(service, template_hash)
        return at_request(self.capacity_of(service, template_hash),
                          rs.spec.cpu_request if rs else CPU_REQUEST_MILLI)

    def error_rate(self, pod: Pod) -> float:
        return self._error_rate(pod.service, pod.template_hash, pod.version)

    def latency_sigma(self, pod: Pod) -> float:
        """The spread of ``log(latency)`` of the pod's image."""
        image = self._image(pod.service, pod.template_hash)
        return image.latency_sigma if image else DEFAULT_SIGMA

    def mean_latency(self, pod: Pod, pod_rps: float | None = None) -> float:
        """The pod's mean response time: the image's latency plus injected latency, slower
        in proportion when the pod is over 100 % CPU."""
        image = self._image(pod.service, pod.template_hash)
        base = (image.latency if image else DEFAULT_LATENCY) + sum(
            f.latency for f in self._faults_for(pod.service, pod.version))
        if pod_rps is None:
            pod_rps = self.pod_rate(pod)
        return base * max(1.0, pod_rps / self.capacity(pod))

    # -- accounting ----------------------------------------------------------------------

    def flush(self, service: str) -> None:
        """Account the load since the last change at the current rates (those of the end of
        the last instant with a change: a change is settled before time moves on)."""
        flow = self._flows.get(service)
        if flow is None or service not in self.store.services:
            return
        now = self.ctx.now
        elapsed = now - flow.since
        if elapsed > 0:
            for template_hash, (rps, errors) in flow.hash_rates.items():
                total = flow.totals.setdefault(template_hash, [0.0, 0.0])
                total[0] += rps * elapsed
                total[1] += errors * elapsed
            flow.unserved_total += flow.unserved * elapsed
        flow.since = now

    def _settled(self, service: str) -> _Flow | None:
        flow = self._flows.get(service)
        if flow is not None and flow.dirty and service in self.store.services:
            self._recompute(service, flow)
        return flow

    def _settle_all(self, _event: Any = None) -> None:
        """The end of an instant: work out the new rates of every service that changed."""
        dirty, self._dirty = self._dirty, set()
        for service in sorted(dirty):
            self._settled(service)

    def _recompute(self, service: str, flow: _Flow) -> None:
        """The rates from the endpoint counts: O(backends x ReplicaSets), not O(pods)."""
        flow.dirty = False
        flow.generation += 1
        counts = self.store.endpoint_counts(service)
        backends = self.store.backends_of(service)
        rates, unserved = split_by_hash(flow.rps, backends, counts)
        flow.hash_pod_rates, flow.unserved = rates, unserved
        hash_rates: dict[str, tuple[float, float]] = {}
        usage = 0.0
        for template_hash, rate in rates.items():
            pods = counts[template_hash]
            rps = rate * pods
            version = self._version(service, template_hash)
            hash_rates[template_hash] = (rps, rps * self._error_rate(service, template_hash,
                                                                     version))
            usage += pods * (rate / self.request_capacity_of(service, template_hash))
        flow.hash_rates = hash_rates
        flow.serving = sum(counts[h] for h in self._weighted_hashes(service) if h in counts)
        flow.cpu = usage / flow.serving * 100.0 if flow.serving else 0.0

    # -- internals -----------------------------------------------------------------------

    def _weighted_hashes(self, service: str) -> set[str]:
        counts = self.store.endpoint_counts(service)
        return {h for b in self.store.backends_of(service) if b.weight > 0
                for h in counts if b.hashes is None or h in b.hashes}

    def _error_rate(self, service: str, template_hash: str, version: str) -> float:
        image = self._image(service, template_hash)
        return combined_error_rate(image.error_rate if image else 0.0,
                                   *(f.error_rate for f in self._faults_for(service, version)))

    def _faults_for(self, service: str, version: str) -> list[Fault]:
        return [f for key in ((service, None), (service, version))
                if (f := self.store.faults.get(key)) is not None]

    def _replicaset(self, service: str, template_hash: str) -> ReplicaSet | None:
        state = self.store.services.get(service)
        return state.replicasets.get(template_hash) if state else None

    def _image(self, service: str, template_hash: str):
        rs = self._replicaset(service, template_hash)
        return resolve(rs.spec.image) if rs else None

    def _version(self, service: str, template_hash: str) -> str:
        rs = self._replicaset(service, template_hash)
        return rs.version if rs else ""


# -- the command (checked by the verbs table, journaled and applied by the Cluster) -----------------------------

def check_set_load(parts: "Controllers", service, cpu=None, rps=None):
    """``set_load``: exactly one of ``cpu`` (average % at the current Ready pods) or ``rps``."""
    from t32sim.engine.requests import check_number

    service_state(parts.ctx.store, service)
    if (cpu is None) == (rps is None):
        raise CommandError("set_load: give exactly one of cpu or rps", field="cpu")
    if cpu is not None:
        cpu = check_number("cpu", cpu, 0, MAX_CPU_PERCENT)
        if cpu and not parts.traffic.rps_for_cpu(service, cpu):
            raise CommandError(f"cpu: {service} has no pods to measure {cpu:g} % against; "
                               "give rps instead", field="cpu")
        args = {"service": service, "cpu": cpu}
    else:
        args = {"service": service, "rps": check_number("rps", rps, 0, MAX_RPS)}

    def set_load() -> float:
        traffic = parts.traffic
        target = traffic.rps_for_cpu(service, cpu) if cpu is not None else float(rps)
        traffic.set_rps(service, target)
        serving = traffic.serving_count(service)
        how = (f"{cpu:g} % average CPU on {serving} serving pod(s)" if cpu is not None
               else f"{traffic.cpu(service):.1f} % average CPU on {serving} serving pod(s)")
        note = "" if service in parts.ctx.store.hpa_status else (
            f"; {service} has no autoscaler, so only CPU changes, not the replica count")
        parts.ctx.emit(Reason.LOAD_SET, service,
                       f"Offered load on {service}: {target:g} rps ({how}){note}",
                       rps=target, cpu=traffic.cpu(service))
        return target

    return args, set_load

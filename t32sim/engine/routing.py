"""Routing: which pod the next request goes to.

Routing is two-level. The rollout controller writes a service's *backends* into the store
(all pods; or stable and canary with weights; or the active colour of a blue/green pair). A
request picks a backend by **smooth weighted round robin** (nginx's algorithm), then a
pod inside it by **round robin** over its Ready, non-terminating pods in name order.
With no Ready pod behind the chosen backend there is no pod (the load balancer answers 503).

Round robin is a teaching simplification that makes traffic shares exact. Real
clusters draw at random: kube-proxy picks one endpoint per connection at random
(iptables ``statistic`` rules, IPVS), and the ingress-nginx canary sends each request
to the canary with probability ``weight / 100``. ``Cluster(balancer="random")`` does
that: per request a weighted random backend, then a uniformly random pod, both drawn
from the cluster's seeded ``rng`` (so it is still deterministic).

The decisions are pure functions at the top; ``Router`` keeps the positions (the running
values of the weighted round robin, the last pod of each backend) and reads the store.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterable, Sequence

from t32sim.engine.commands import CommandError
from t32sim.engine.store import ALL_PODS, Backend, Pod, Store

if TYPE_CHECKING:
    from t32sim.rng import Random

#: the load balancer's ways of choosing a pod (``Cluster(balancer=...)``)
ROUND_ROBIN, RANDOM = "round-robin", "random"
BALANCERS = (ROUND_ROBIN, RANDOM)

__all__ = ["ALL_PODS", "BALANCERS", "Backend", "RANDOM", "ROUND_ROBIN", "Router", "endpoints",
           "random_pick", "reduce_weights", "round_robin_counts", "round_robin_next",
           "smooth_weighted_pick"]


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


def random_pick(weights: Sequence[int], sizes: Sequence[int], rng: "Random"
                ) -> tuple[int, int | None]:
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


# -- the state -------------------------------------------------------------------------------

class Router:
    """Picks pods for requests: smooth weighted round robin over backends, round robin
    inside one (``balancer="round-robin"``), or a weighted random backend and a random pod
    in it (``balancer="random"``), over the endpoints and backends in the store."""

    def __init__(self, store: Store, rng: "Random", balancer: str = ROUND_ROBIN):
        if balancer not in BALANCERS:
            raise CommandError(f"balancer: expected one of {', '.join(map(repr, BALANCERS))}, "
                               f"got {balancer!r}", field="balancer")
        self.store, self.rng, self.balancer = store, rng, balancer
        self._signature: dict[str, tuple] = {}        # service -> ((name, weight), ...)
        self._current: dict[str, list[int]] = {}      # service -> SWRR running values
        self._last: dict[tuple[str, str], str] = {}   # (service, backend) -> last pod name

    def members(self, service: str, backends: Sequence[Backend] | None = None
                ) -> dict[str, list[Pod]]:
        """The endpoints behind each backend (all of the service's backends by default)."""
        ready = self.store.endpoints_of(service)
        if backends is None:
            backends = self.store.backends_of(service)
        return {b.name: ready if b.hashes is None else [p for p in ready if b.selects(p)]
                for b in backends}

    def pick(self, service: str) -> Pod | None:
        """Choose the next pod (the round robin moves on); None: no endpoint."""
        backends, members = self._routing(service)
        if not backends:
            return None
        if self.balancer == RANDOM:
            index, pod = random_pick([b.weight for b in backends],
                                     [len(members[b.name]) for b in backends], self.rng)
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

    def _routing(self, service: str) -> tuple[list[Backend], dict[str, list[Pod]]]:
        backends = [b for b in self.store.backends_of(service) if b.weight > 0]
        weights = reduce_weights([b.weight for b in backends])
        backends = [Backend(b.name, w, b.hashes) for b, w in zip(backends, weights)]
        signature = tuple((b.name, b.weight) for b in backends)
        if self._signature.get(service) != signature:
            self._signature[service] = signature
            self._current[service] = [0] * len(backends)
        return backends, self.members(service, backends)

"""Routing: smooth weighted round robin, round robin inside a backend, the random balancer."""
from __future__ import annotations

import dataclasses

import pytest

import t32sim as t3
from t32sim.engine.routing import (random_pick, reduce_weights, round_robin_counts,
                                   round_robin_next, smooth_weighted_pick)
from t32sim.spec import CanaryStep, Rollout, Strategy
from tests.engine.serving import ready_cluster, service



@pytest.mark.parametrize("weights, picks, expected", [
    ([5, 1, 1], 7, [0, 0, 1, 0, 2, 0, 0]),          # nginx's own example: a a b a c a a
    ([1, 1, 1, 1], 8, [0, 1, 2, 3, 0, 1, 2, 3]),    # equal weights: plain round robin
    ([3, 1], 8, [0, 0, 1, 0, 0, 0, 1, 0]),          # 75/25: one in four to the second
    ([1, 3], 4, [1, 0, 1, 1]),
    ([100], 3, [0, 0, 0]),
])
def test_smooth_weighted_round_robin_sequences(weights, picks, expected):
    current = [0] * len(weights)
    assert [smooth_weighted_pick(weights, current) for _ in range(picks)] == expected


def test_smooth_weighted_round_robin_returns_to_its_start_after_one_period():
    weights, current = [5, 1, 1], [0, 0, 0]
    for _ in range(sum(weights)):
        smooth_weighted_pick(weights, current)
    assert current == [0, 0, 0]


@pytest.mark.parametrize("weights, expected", [
    ([75, 25], [3, 1]), ([50, 50], [1, 1]), ([100], [1]), ([3, 7], [3, 7]), ([0, 40], [0, 1]),
])
def test_reduce_weights(weights, expected):
    assert reduce_weights(weights) == expected


@pytest.mark.parametrize("names, last, expected", [
    (["a", "b", "c"], None, 0), (["a", "b", "c"], "a", 1), (["a", "b", "c"], "c", 0),
    (["a", "c"], "b", 1),            # "b" left the endpoints: the rotation goes on with "c"
    (["b", "c"], "a", 0),
])
def test_round_robin_next_survives_endpoint_changes(names, last, expected):
    assert round_robin_next(names, last) == expected


@pytest.mark.parametrize("last, count, expected, new_last", [
    (None, 1000, {"a": 250, "b": 250, "c": 250, "d": 250}, "d"),
    ("b", 6, {"c": 2, "d": 2, "a": 1, "b": 1}, "d"),
    ("d", 3, {"a": 1, "b": 1, "c": 1, "d": 0}, "c"),
])
def test_round_robin_counts(last, count, expected, new_last):
    assert round_robin_counts(["a", "b", "c", "d"], last, count) == (expected, new_last)


# -- the load balancer in a cluster ---------------------------------------------------------------

def test_round_robin_over_four_equal_pods_splits_1000_requests_250_each():
    c = ready_cluster()
    answers = [c.request("api") for _ in range(1000)]
    per_pod: dict[str, int] = {}
    for answer in answers:
        per_pod[answer.pod] = per_pod.get(answer.pod, 0) + 1
    assert sorted(per_pod.values()) == [250, 250, 250, 250]
    names = sorted(per_pod)
    assert [a.pod for a in answers[:8]] == names + names        # in name order, round and round
    assert {a.status for a in answers} == {200} and {a.version for a in answers} == {"v1"}


def test_a_25_percent_canary_weight_sends_exactly_one_in_four_to_the_canary():
    steps = (CanaryStep(set_weight=25), CanaryStep(pause=True))
    spec = service(rollout=Rollout(Strategy.CANARY, steps=steps))
    c = ready_cluster(spec)
    c.apply(dataclasses.replace(spec, image="local://demo@v2"))
    c.run(until=30)
    assert c.service("api").status.weight == 25
    assert len(c.pods("api")) == 5                     # stable keeps 4, canary ceil(25% × 4) = 1
    versions = [c.request("api").version for _ in range(1000)]
    assert versions.count("v2") == 250
    assert all(versions[i:i + 4].count("v2") == 1 for i in range(0, 1000, 4))
    assert versions[:4] == ["v1", "v1", "v2", "v1"]    # smooth: stable, stable, canary, stable


def test_send_routes_exactly_like_the_same_number_of_requests():
    steps = (CanaryStep(set_weight=30), CanaryStep(pause=True))
    spec = service(replicas=5, rollout=Rollout(Strategy.CANARY, steps=steps))
    one_by_one, batch = ready_cluster(spec), ready_cluster(spec)
    for c in (one_by_one, batch):
        c.apply(dataclasses.replace(spec, image="local://demo@v2"))
        c.run(until=30)
        c.send("api", 3)                                # start mid-period
    counts: dict[str, int] = {}
    for _ in range(997):
        pod = one_by_one.lb.select("api").name
        counts[pod] = counts.get(pod, 0) + 1
    summary = batch.send("api", 997)
    assert summary["by_pod"] == dict(sorted(counts.items()))
    assert summary["by_version"] == {"v1": 698, "v2": 299}
    assert batch.lb.select("api").name == one_by_one.lb.select("api").name


def test_readiness_decides_who_gets_traffic():
    c = ready_cluster()
    victim = sorted(p.name for p in c.pods("api"))[0]
    c.break_probe(victim, "readiness")
    c.run(until=15)            # probes at 11, 13, 15 fail: the third failure at 15 takes it out
    assert not next(p for p in c.pods("api") if p.name == victim).ready
    pods = {c.request("api").pod for _ in range(30)}
    assert victim not in pods and len(pods) == 3
    assert c.service("api").status.current == 4        # out of the load balancer, not restarted


# -- the random balancer (kube-proxy / ingress-nginx canary) -------------------------------------

class ScriptedRng:
    """Hands out the given random() values and records randrange calls."""

    def __init__(self, *values: float):
        self.values, self.ranges = list(values), []

    def random(self) -> float:
        return self.values.pop(0)

    def randrange(self, n: int) -> int:
        self.ranges.append(n)
        return n - 1


@pytest.mark.parametrize("weights, sizes, draws, expected, ranges", [
    ([75, 25], [3, 1], [0.0], (0, 2), [3]),        # 0 × 100 = 0 < 75: stable, a random pod
    ([75, 25], [3, 1], [0.7499], (0, 2), [3]),
    ([75, 25], [3, 1], [0.75], (1, 0), []),        # 75 ≥ 75: canary; one pod, no draw
    ([75, 25], [3, 0], [0.9], (1, None), []),      # the canary has no endpoint: a 503
    ([100], [4], [], (0, 3), [4]),                 # one backend: no draw for it
    ([100], [1], [], (0, 0), []),
])
def test_random_pick_is_a_weighted_backend_then_a_uniform_pod(weights, sizes, draws, expected,
                                                              ranges):
    rng = ScriptedRng(*draws)
    assert random_pick(weights, sizes, rng) == expected
    assert (rng.ranges, rng.values) == (ranges, [])


def test_random_balancer_draws_from_the_seed_and_is_not_round_robin():
    def picks(seed):
        c = t3.Cluster(seed=seed, balancer="random")
        c.apply(service())
        c.run(until=10)
        return [c.request("api").pod for _ in range(1000)]

    first = picks(5)
    assert first == picks(5)                                  # seeded: the same picks again
    counts = sorted(first.count(name) for name in set(first))
    assert len(counts) == 4 and counts != [250, 250, 250, 250]
    assert counts == [233, 247, 253, 267]                     # seed 5's draws
    assert ready_cluster().lb.balancer == "round-robin"       # the default stays


def test_random_canary_split_is_a_weighted_coin_per_request_and_send_matches_requests():
    steps = (CanaryStep(set_weight=25), CanaryStep(pause=True))
    spec = service(rollout=Rollout(Strategy.CANARY, steps=steps))
    clusters = []
    for _ in range(2):
        c = t3.Cluster(seed=5, balancer="random")
        c.apply(spec)
        c.run(until=10)
        c.apply(dataclasses.replace(spec, image="local://demo@v2"))
        c.run(until=30)
        clusters.append(c)
    one_by_one, batch = clusters
    versions = [one_by_one.lb.select("api").version for _ in range(1000)]
    assert versions.count("v2") == 240                        # about 25 %, not exactly
    assert versions[:8] != ["v1", "v1", "v2", "v1"] * 2         # not the smooth 1-in-4 pattern
    assert batch.send("api", 1000)["by_version"] == {"v1": 760, "v2": 240}


def test_an_unknown_balancer_is_an_error_naming_the_field():
    with pytest.raises(t3.CommandError, match="balancer: expected one of 'round-robin', "
                                              "'random', got 'least-conn'") as error:
        t3.Cluster(seed=1, balancer="least-conn")
    assert error.value.field == "balancer"

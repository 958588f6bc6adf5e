"""Traffic: smooth weighted round robin, offered load and CPU, requests and the 503 path."""
from __future__ import annotations

import dataclasses
import json

import pytest

import t32sim as t3
from fractions import Fraction

from t32sim.engine.load import combined_error_rate, rps_for_cpu, split_by_hash
from t32sim.engine.requests import MAX_BATCH, Response, check_request, check_select
from t32sim.engine.routing import (Backend, reduce_weights, round_robin_counts, round_robin_next,
                                   smooth_weighted_pick)
from t32sim.engine.commands import MAX_COALESCED_COUNT, Command, coalesce
from t32sim.engine.store import Pod
from t32sim.spec import CanaryStep, Probe, Rollout, Strategy

PROBE = Probe(path="/healthz", initial_delay_seconds=1, period_seconds=2)


def service(replicas=4, image="local://demo@v1", **kwargs) -> t3.ServiceSpec:
    return t3.ServiceSpec(name="api", image=image, replicas=replicas, readiness_probe=PROBE,
                          **kwargs)


def ready_cluster(spec=None, until=10, seed=5) -> t3.Cluster:
    c = t3.Cluster(seed=seed)
    c.apply(spec or service())
    c.run(until=until)
    return c


# -- pure decisions ------------------------------------------------------------------------------

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



def test_split_by_hash_shares_by_weight_then_equally_and_counts_empty_backends_as_503():
    backends = [Backend("stable", 75, frozenset({"h1"})), Backend("canary", 25, frozenset({"h2"}))]
    # 3 stable endpoints share 90 rps, the one canary endpoint gets 30
    assert split_by_hash(120.0, backends, {"h1": 3, "h2": 1}) == ({"h1": 30.0, "h2": 30.0}, 0.0)
    assert split_by_hash(120.0, backends, {"h1": 3}) == ({"h1": 30.0}, 30.0)   # canary: 503s
    assert split_by_hash(50.0, [], {}) == ({}, 50.0)
    # one backend over every pod: two ReplicaSets share it pod by pod
    assert split_by_hash(60.0, [Backend("all", 100)], {"h1": 1, "h2": 2}) == (
        {"h1": 20.0, "h2": 20.0}, 0.0)
    # a weight of 0 gets nothing, and its share is not a 503
    assert split_by_hash(40.0, [Backend("active", 100, frozenset({"h1"})),
                                Backend("preview", 0, frozenset({"h2"}))], {"h1": 2, "h2": 2}) == (
        {"h1": 20.0}, 0.0)


def test_rps_for_cpu_inverts_the_cpu_model():
    # 3 pods of 100 rps capacity, a third of the traffic each: 80 % average = 240 rps
    assert rps_for_cpu(80, [(3, Fraction(1, 3), 100)]) == 240
    # a canary pod of capacity 120 taking 25 %: average CPU is linear in rps
    rps = rps_for_cpu(50, [(1, Fraction(3, 4), 100), (1, Fraction(1, 4), 120)])
    assert (rps * 0.75 / 100 + rps * 0.25 / 120) / 2 * 100 == pytest.approx(50)
    assert rps_for_cpu(50, []) == 0.0


@pytest.mark.parametrize("rates, expected", [((0.0,), 0.0), ((0.3,), 0.3), ((0.3, 0.5), 0.65),
                                             ((1.0, 0.2), 1.0), ((0.0, 0.0), 0.0)])
def test_independent_error_sources_combine(rates, expected):
    assert combined_error_rate(*rates) == pytest.approx(expected)


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


def test_no_ready_pod_is_a_503_response_not_an_exception():
    c = ready_cluster(service(image="local://demo@never-ready"), until=30)
    assert c.lb.select("api") is None
    assert c.request("api", "/orders") == Response(None, None, 503, 0.0)
    assert c.send("api", 10) == {"requests": 10, "errors": 10, "unserved": 10, "by_version": {},
                                 "by_pod": {}}
    frame = c.requests
    assert list(frame["status"]) == [503, 503] and list(frame["count"]) == [1, 10]
    assert c.lb.counts() == {("api", "", "", 503): 11}


def test_readiness_decides_who_gets_traffic():
    c = ready_cluster()
    victim = sorted(p.name for p in c.pods("api"))[0]
    c.break_probe(victim, "readiness")
    c.run(until=15)            # probes at 11, 13, 15 fail: the third failure at 15 takes it out
    assert not next(p for p in c.pods("api") if p.name == victim).ready
    pods = {c.request("api").pod for _ in range(30)}
    assert victim not in pods and len(pods) == 3
    assert c.service("api").status.current == 4        # out of the load balancer, not restarted


def test_set_load_cpu_means_average_utilisation_now_and_scaling_out_lowers_it():
    c = ready_cluster(service(replicas=3))
    assert c.set_load("api", cpu=80) == pytest.approx(240.0)     # 80 % of 3 × 100 rps
    assert c.traffic.cpu("api") == pytest.approx(80.0)
    assert c.traffic.pod_cpu_milli("api") == {p.name: 800 for p in c.pods("api")}
    c.scale("api", replicas=4)
    c.run(until=20)
    assert c.traffic.offered_rps("api") == 240.0
    assert c.traffic.cpu("api") == pytest.approx(60.0)           # 240 rps over 4 pods
    c.set_load("api", rps=100)
    assert c.traffic.cpu("api") == pytest.approx(25.0)
    row = c.history[c.history.time == 20.0].iloc[0]
    assert (row["rps"], row["cpu"]) == (240.0, 60.0)


def test_set_load_before_any_pod_is_ready_uses_the_desired_replicas():
    c = t3.Cluster(seed=1)
    c.apply(service(replicas=2, image="local://demo@v2"))       # v2: 120 rps per pod
    assert c.set_load("api", cpu=50) == pytest.approx(120.0)


@pytest.mark.parametrize("args, field, text", [
    ({}, "cpu", "exactly one of cpu or rps"),
    ({"cpu": 50, "rps": 10}, "cpu", "exactly one of cpu or rps"),
    ({"cpu": -1}, "cpu", "expected a number 0..1000, got -1"),
    ({"cpu": True}, "cpu", "got True"),
    ({"rps": "lots"}, "rps", "got 'lots'"),
    ({"rps": float("nan")}, "rps", "got nan"),
])
def test_set_load_refuses_bad_arguments_and_changes_nothing(args, field, text):
    c = ready_cluster()
    before = len(c.journal)
    with pytest.raises(t3.CommandError) as error:
        c.set_load("api", **args)
    assert error.value.field == field and text in str(error.value)
    assert len(c.journal) == before


def test_unknown_service_is_not_found_for_traffic_commands():
    c = ready_cluster()
    for call in (lambda: c.request("web"), lambda: c.send("web", 3), lambda: c.lb.select("web"),
                 lambda: c.set_load("web", rps=1)):
        with pytest.raises(t3.CommandError) as error:
            call()
        assert error.value.not_found and error.value.field == "service"
    with pytest.raises(t3.CommandError) as error:
        c.request("api", "no-slash")
    assert error.value.field == "path"
    with pytest.raises(t3.CommandError) as error:
        c.send("api", 0)
    assert error.value.field == "count"


def test_errors_and_latency_follow_the_image_and_are_counted():
    c = ready_cluster(service(image="local://demo@flaky"))
    answers = [c.request("api") for _ in range(400)]
    errors = sum(a.status == 500 for a in answers)
    assert 0 < errors < 400 and {a.status for a in answers} == {200, 500}
    latencies = sorted(a.latency for a in answers)                  # log-normal, 20 ms mean
    assert sum(latencies) / 400 == pytest.approx(0.020, rel=0.1)
    assert latencies[200] < 0.020 < latencies[396]                  # skewed: median < mean
    assert latencies[396] > 2 * latencies[200]                      # ... with a tail
    assert c.lb.requests_total("api") == (400, errors)
    assert c.history.iloc[-1]["requests"] == 0                      # sampled before the requests
    c.run_for(1)
    assert (c.history.iloc[-1]["requests"], c.history.iloc[-1]["errors"]) == (400, errors)


def test_requests_are_journaled_and_replay_reproduces_them():
    c = ready_cluster(service(image="local://demo@flaky"))
    c.set_load("api", cpu=150)                       # overloaded pods answer slower
    answers = [c.request("api", "/a") for _ in range(20)]
    c.send("api", 500, "/b")
    c.run(until=20)
    again = t3.replay(json.loads(json.dumps([cmd.to_dict() for cmd in c.journal])), seed=5)
    assert again.requests.equals(c.requests)
    assert json.dumps(again.snapshot()) == json.dumps(c.snapshot())
    assert again.events.equals(c.events) and again.history.equals(c.history)
    # 20 identical requests at the same instant: one journal entry that says 20
    assert [cmd.to_dict() for cmd in c.journal if cmd.verb == "request"] == [
        {"time": 10.0, "actor": "user", "verb": "request",
         "args": {"service": "api", "path": "/a", "count": 20}}]
    assert again.requests["count"].sum() == c.requests["count"].sum() == 20 + 500
    assert (c.requests["path"] == "/a").sum() == 20             # still a row per request
    assert answers[0].latency == pytest.approx(again.requests.iloc[0]["latency"])
    mean = sum(a.latency for a in answers) / 20                   # 150 % CPU: 1.5 × slower
    assert mean == pytest.approx(0.020 * 1.5, rel=0.25)
    batch = c.requests[c.requests["path"] == "/b"]
    assert (batch["latency"] * batch["count"]).sum() / 500 == pytest.approx(0.030, rel=0.1)


# -- journal coalescing of traffic commands ----------------------------------------------------

def entries(cluster) -> list[tuple]:
    return [(cmd.time, cmd.actor, cmd.verb, cmd.args) for cmd in cluster.journal
            if cmd.verb != "apply"]


def test_identical_traffic_commands_at_one_instant_are_one_journal_entry_with_a_count():
    c = ready_cluster(service(image="local://demo@flaky"))
    picks = [c.lb.select("api").name for _ in range(500)]
    for _ in range(300):
        c.request("api", "/a")
    c.request("api", "/b")                                  # another argument: a new entry
    c.request("api", "/a", actor="ann")                      # another actor: a new entry
    c.request("api", "/a", actor="ann")
    c.run(until=12)
    c.lb.select("api")                                       # another instant: a new entry
    c.lb.select("api")
    c.send("api", 5)                                         # send batches never coalesce
    c.send("api", 5)
    assert entries(c) == [
        (0.0, "user", "run", {"until": 10.0}),
        (10.0, "user", "select", {"service": "api", "count": 500}),
        (10.0, "user", "request", {"service": "api", "path": "/a", "count": 300}),
        (10.0, "user", "request", {"service": "api", "path": "/b", "count": 1}),
        (10.0, "ann", "request", {"service": "api", "path": "/a", "count": 2}),
        (10.0, "user", "run", {"until": 12.0}),
        (12.0, "user", "select", {"service": "api", "count": 2}),
        (12.0, "user", "send", {"service": "api", "count": 5, "path": "/"}),
        (12.0, "user", "send", {"service": "api", "count": 5, "path": "/"})]
    assert (c.requests["path"] != "/").sum() == 300 + 1 + 2   # still a row per request
    assert picks[:8] == sorted(picks[:4]) * 2                 # and the rotation is unchanged


def test_replay_executes_a_coalesced_entry_count_times_and_gives_the_same_journal():
    c = ready_cluster(service(image="local://demo@flaky"))
    c.set_load("api", cpu=120)
    answers = [c.request("api", "/orders") for _ in range(200)]
    last = [c.lb.select("api") for _ in range(7)][-1]
    c.run(until=30)
    saved = json.loads(json.dumps([cmd.to_dict() for cmd in c.journal]))
    again = t3.replay(saved, seed=5)
    assert [cmd.to_dict() for cmd in again.journal] == saved
    assert json.dumps(again.snapshot()) == json.dumps(c.snapshot())
    assert again.requests.equals(c.requests) and again.events.equals(c.events)
    assert again.history.equals(c.history)
    replayed = again.requests
    assert list(replayed["status"]) == [a.status for a in answers]
    assert list(replayed["latency"]) == [a.latency for a in answers]
    assert again.lb.select("api").name == c.lb.select("api").name != last.name


def test_a_journal_of_single_commands_replays_like_the_coalesced_one():
    c = ready_cluster(service(image="local://demo@flaky"))
    for _ in range(6):
        c.request("api", "/x")
    c.run(until=15)
    saved = [cmd.to_dict() for cmd in c.journal]
    [coalesced] = [entry for entry in saved if entry["verb"] == "request"]
    position = saved.index(coalesced)
    one_by_one = (saved[:position] + [{**coalesced, "args": {**coalesced["args"], "count": 1}}] * 6
                  + saved[position + 1:])
    again = t3.replay(one_by_one, seed=5)
    assert [cmd.to_dict() for cmd in again.journal] == saved      # and it coalesces them again
    assert json.dumps(again.snapshot()) == json.dumps(c.snapshot())
    assert again.requests.equals(c.requests)


@pytest.mark.parametrize("last, new, expected", [
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "select", {"service": "api", "count": 2})),
    (Command(5.0, "u", "request", {"service": "api", "path": "/", "count": 7}),
     Command(5.0, "u", "request", {"service": "api", "path": "/", "count": 3}),
     Command(5.0, "u", "request", {"service": "api", "path": "/", "count": 10})),
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.5, "u", "select", {"service": "api", "count": 1}), None),           # time
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "v", "select", {"service": "api", "count": 1}), None),           # actor
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "select", {"service": "web", "count": 1}), None),           # args
    (Command(5.0, "u", "request", {"service": "api", "path": "/a", "count": 1}),
     Command(5.0, "u", "request", {"service": "api", "path": "/b", "count": 1}), None),
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "request", {"service": "api", "count": 1}), None),          # verb
    (Command(5.0, "u", "send", {"service": "api", "count": 5, "path": "/"}),
     Command(5.0, "u", "send", {"service": "api", "count": 5, "path": "/"}), None),  # not send
    (Command(5.0, "u", "kill", {"service": "api", "count": 1}),
     Command(5.0, "u", "kill", {"service": "api", "count": 1}), None),             # nor chaos
    (Command(5.0, "u", "select", {"service": "api", "count": MAX_COALESCED_COUNT - 1}),
     Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "select", {"service": "api", "count": MAX_COALESCED_COUNT})),
    (Command(5.0, "u", "select", {"service": "api", "count": MAX_COALESCED_COUNT}),
     Command(5.0, "u", "select", {"service": "api", "count": 1}), None),           # too many
    (None, Command(5.0, "u", "select", {"service": "api", "count": 1}), None),
])
def test_coalesce_decides_when_two_journal_entries_are_one(last, new, expected):
    assert coalesce(last, new) == expected


def test_a_coalesced_count_never_exceeds_what_a_replay_accepts():
    assert MAX_COALESCED_COUNT == MAX_BATCH
    c = ready_cluster()
    for check in (check_select, check_request):          # checked only, not carried out
        args, _action = check(c, "api", count=MAX_COALESCED_COUNT)
        assert args["count"] == MAX_COALESCED_COUNT
        with pytest.raises(t3.CommandError) as error:
            check(c, "api", count=MAX_COALESCED_COUNT + 1)
        assert error.value.field == "count"


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
    from t32sim.engine.routing import random_pick
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

"""The load model: offered load split per ReplicaSet, the CPU it causes, set_load."""
from __future__ import annotations

from fractions import Fraction

import pytest

import t32sim as t3
from t32sim.engine.load import combined_error_rate, rps_for_cpu, split_by_hash
from t32sim.engine.routing import Backend
from tests.engine.serving import ready_cluster, service


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


# -- in a cluster --------------------------------------------------------------------------------

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


# -- cost follows change -----------------------------------------------------------------------

def test_a_kill_wave_is_one_recompute_at_the_end_of_its_instant():
    c = ready_cluster(service(replicas=8))
    c.set_load("api", rps=400)
    c.run(until=20)
    before = c.traffic.generation("api")
    c.kill("api", count=3)        # 3 pods leave the endpoints, then 3 replacements are made
    c.run_for(0)
    assert c.traffic.generation("api") == before + 1
    assert c.traffic.pod_cpu_milli("api") == {p.name: 800 for p in c.pods("api") if p.ready}
    assert c.traffic.cpu("api") == 80.0 and c.traffic.serving_count("api") == 5


def test_a_read_in_the_middle_of_an_instant_sees_the_change_at_once():
    c = ready_cluster()
    c.set_load("api", rps=240)                      # 4 pods at 60 rps: 60 %
    assert c.traffic.cpu("api") == 60.0
    c.kill("api")                                   # no run: the controllers have not moved
    assert set(c.traffic.pod_cpu_milli("api").values()) == {800}   # 80 rps each
    assert len(c.traffic.pod_cpu_milli("api")) == 3 and c.traffic.cpu("api") == pytest.approx(80)


def test_the_rates_are_worked_out_from_endpoint_counts_without_walking_pods(monkeypatch):
    c = ready_cluster(service(replicas=6))
    c.set_load("api", rps=600)
    c.run(until=20)
    walks = []
    for name in ("pods_of", "endpoints_of"):
        original = getattr(c.store, name)
        monkeypatch.setattr(c.store, name, lambda *a, _f=original, _n=name: walks.append(_n)
                            or _f(*a))
    victim = c.pods("api")[0]
    walks.clear()
    c.kubelet.delete(victim, 30)                    # one pod leaves the endpoints
    c.traffic.flush("api")
    assert c.traffic.cpu("api") == 120.0 and c.traffic.served_rps("api") == {
        victim.template_hash: 600.0}
    assert walks == []                              # no list of pods was asked for


def test_the_store_keeps_the_endpoints_pod_by_pod_through_churn():
    from collections import Counter

    from t32sim.engine.routing import endpoints

    c = t3.Cluster(seed=2)
    c.apply(service(replicas=6))
    seen = []

    def check(service_name):
        pods = c.store.pods_of(service_name)
        want = endpoints(pods)
        seen.append(len(want))
        assert c.store.endpoints_of(service_name) == want
        assert c.store.endpoint_counts(service_name) == dict(Counter(p.template_hash
                                                                     for p in want))

    c.store.watch(check)
    c.run(until=20)
    c.kill("api", count=2)
    c.break_probe(c.pods("api")[0].name)
    c.run(until=40)
    c.apply(service(replicas=6, image="local://demo@v2"))
    c.run(until=120)
    assert max(seen) >= 6 and 0 in seen and len(seen) > 50


def test_time_after_a_change_is_accounted_at_the_new_rates_even_when_nobody_reads():
    c = t3.Cluster(seed=5, sample_interval=1000)    # no history sample reads the rates
    c.apply(service(replicas=2))
    c.run(until=10)
    c.set_load("api", rps=100)
    c.run(until=20)
    c.kill("api", count=2)                          # nothing serves until a replacement is Ready
    c.run(until=60)
    [ready_at] = [e.time for e in c.event_log if e.reason is t3.Reason.READY and e.time > 20][:1]
    requests, errors = c.traffic.offered_totals("api")
    assert requests == pytest.approx(100 * 50)
    assert errors == pytest.approx(100 * (ready_at - 20))      # 503s while no pod was Ready

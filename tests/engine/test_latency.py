"""Request latency drawn from the image's log-normal distribution (t32sim/engine/latency.py)."""
from __future__ import annotations

import math

import pytest

import t32sim as t3
from t32sim.engine import latency
from t32sim.engine.histogram import LATENCY_BUCKETS, histogram_quantile
from t32sim.rng import derived


def test_bucket_shares_sum_to_one_and_their_means_give_the_mean():
    probs, means = latency.bucket_shares(0.020, 0.5)
    assert len(probs) == len(LATENCY_BUCKETS) + 1 and sum(probs) == pytest.approx(1.0)
    assert sum(p * m for p, m in zip(probs, means)) == pytest.approx(0.020)
    assert probs[2] == pytest.approx(0.629, abs=0.001)        # (10 ms, 25 ms]: the most
    for index, (p, m) in enumerate(zip(probs, means)):       # each mean inside its bucket
        low = 0 if index == 0 else LATENCY_BUCKETS[index - 1]
        if p > 1e-9:
            assert low <= m <= (LATENCY_BUCKETS + (math.inf,))[index]


def test_draw_one_inverts_the_distribution():
    assert latency.draw_one(0.5, 0.020, 0.5) == pytest.approx(0.020 * math.exp(-0.125))
    assert latency.draw_one(0.99, 0.020, 0.5) == pytest.approx(latency.quantile(0.99, 0.020, 0.5))
    assert latency.draw_one(0.0, 0.020, 0.5) > 0 and latency.draw_one(0.3, 0.020, 0) == 0.020
    assert latency.quantile(0.99, 0.020, 0.5) == pytest.approx(0.0565, abs=0.0001)


def test_draw_buckets_is_one_multinomial_draw_of_the_batch():
    counts, seconds = latency.draw_buckets(derived(7, "latency"), 10_000, 0.020, 0.5)
    again = latency.draw_buckets(derived(7, "latency"), 10_000, 0.020, 0.5)
    assert (counts, seconds) == again                         # the seed decides
    assert sum(counts) == 10_000 and seconds / 10_000 == pytest.approx(0.020, rel=0.02)
    assert histogram_quantile(0.5, counts) == pytest.approx(0.019, abs=0.001)
    assert latency.draw_buckets(derived(7, "latency"), 0, 0.02, 0.5) == ((0,) * 15, 0.0)


def test_derived_streams_depend_on_seed_and_name_only():
    a, b = derived(7, "latency").random(3).tolist(), derived(7, "latency").random(3).tolist()
    assert a == b != derived(8, "latency").random(3).tolist()
    assert a != derived(7, "other").random(3).tolist()


def test_the_slow_image_has_a_longer_tail_than_v1(examples):
    c = t3.Cluster(seed=3)
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
             "spec": {"replicas": 2, "image": "local://demo@slow"}})
    c.apply(examples / "api-v1.yaml")
    c.run(until=30)
    c.send("s", 5000)
    c.send("api", 5000)
    ratio = {name: histogram_quantile(0.99, c.lb.latency_counts(name)) /
             histogram_quantile(0.5, c.lb.latency_counts(name)) for name in ("s", "api")}
    assert ratio["s"] > ratio["api"] > 2


def test_send_draws_leave_the_main_rng_alone(examples):
    """A send's latency draws come from their own stream: the pods created after it are
    named as they were before latencies were drawn."""
    def names(count):
        c = t3.Cluster(seed=7)
        c.apply(examples / "api-v1.yaml")
        c.run(until=30)
        if count:
            c.send("api", count)
        c.kill("api", count=1)
        c.run(until=40)
        return sorted(p.name for p in c.pods("api"))

    assert names(0) == names(10_000)

"""A known scenario shared by the observe tests."""
from __future__ import annotations

import pytest

import t32sim as t3
from tests.conftest import EXAMPLES

CRASHING = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"replicas": 1, "image": "local://demo@crash"}}


@pytest.fixture
def scenario(examples):
    """api-v1 (3 pods Ready at 5 s) with 2 pods killed at 20 s; a crash-looping web."""
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.apply(CRASHING)
    c.run(until=20)
    c.kill("api", count=2)
    c.run(until=100)
    return c


def canary_rollout() -> t3.Cluster:
    """api-v1, then the example canary to v2 from 30 s with 20 requests sent every second."""
    c = t3.Cluster(seed=7)
    c.apply(EXAMPLES / "api-v1.yaml")
    c.run(until=30)
    c.apply(EXAMPLES / "api-canary.yaml")
    for t in range(31, 70):
        c.run(until=t)
        c.send("api", count=20)
    return c


@pytest.fixture(scope="module")
def canary():
    """The canary rollout (built once per test module)."""
    return canary_rollout()

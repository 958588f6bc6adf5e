"""A known scenario shared by the observe tests."""
from __future__ import annotations

import pytest

import t32sim as t3

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

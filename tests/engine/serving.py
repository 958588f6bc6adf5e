"""What the traffic tests share: a four-pod service with a fast readiness probe."""
from __future__ import annotations

import t32sim as t3
from t32sim.spec import Probe

PROBE = Probe(path="/healthz", initial_delay_seconds=1, period_seconds=2)


def service(replicas=4, image="local://demo@v1", **kwargs) -> t3.ServiceSpec:
    return t3.ServiceSpec(name="api", image=image, replicas=replicas, readiness_probe=PROBE,
                          **kwargs)


def ready_cluster(spec=None, until=10, seed=5) -> t3.Cluster:
    c = t3.Cluster(seed=seed)
    c.apply(spec or service())
    c.run(until=until)
    return c

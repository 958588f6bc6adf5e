"""Scale benchmark: 100,000 pods (100 services x 1,000) for one simulated hour, steady state
and with churn (a kill wave of 10 % and a load change), with wall time and peak memory
(goals: <= 30 s steady, <= 60 s with churn, <= 2 GiB, on a 2-core machine).

    .venv/bin/python benchmarks/scale.py [services] [pods] [steady|churn]
"""
from __future__ import annotations

import resource
import sys
import time

import t32sim as t3

SECONDS, PROBE_PERIOD = 3600.0, 10.0


def spec(name: str, pods: int) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"image": "local://demo@v1", "replicas": pods,
                     "readinessProbe": {"httpGet": {"path": "/healthz"},
                                        "periodSeconds": PROBE_PERIOD},
                     "livenessProbe": {"httpGet": {"path": "/livez"},
                                       "periodSeconds": PROBE_PERIOD}}}


def run(services: int, pods: int, churn: bool) -> None:
    start = time.perf_counter()
    c = t3.Cluster(seed=1, sample_interval=60.0)
    names = [f"svc{i}" for i in range(services)]
    for name in names:
        c.apply(spec(name, pods))
    c.run(until=60)
    ready = time.perf_counter()
    if churn:
        c.run(until=1200)
        for name in names:
            c.kill(name, count=pods // 10)
            c.set_load(name, rps=100)
    c.run(until=SECONDS)
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scale ({'churn' if churn else 'steady'}): {services} x {pods} = "
          f"{len(c.store.pods):,} pods, {SECONDS:g} simulated s: wall {end - start:.1f} s "
          f"(start-up to all Ready {ready - start:.1f} s), {len(c.event_log):,} events, "
          f"peak {peak:,.0f} MiB")


def main() -> None:
    services = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    pods = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    modes = sys.argv[3:] or ["steady", "churn"]
    for mode in modes:
        run(services, pods, mode == "churn")


if __name__ == "__main__":
    main()

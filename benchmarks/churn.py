"""Churn benchmark: >= 10,000 pods under the HPA through one simulated hour of change, against
the naive floor, in one run.

20 services x 500 pods (HPA min 500, max 1000, target 60 % CPU). Load moves (75 % CPU at
10 min, the HPA scales up; 40 % at 30 min, it scales down after its 300 s window), a kill
wave at 20 min (10 % of every service's pods), a rolling update of every service to v2 at
40 min; at the end the events, history and requests frames are built. The floor is the
naive design: one simpy process per pod waking every 10 s, for the same pod count. Prints
wall time, simpy events and peak memory of both and the ratio (goal: <= 1.0).

    .venv/bin/python benchmarks/churn.py [services] [pods]
"""
from __future__ import annotations

import gc
import resource
import sys
import time

import simpy

import t32sim as t3

SECONDS, PROBE_PERIOD = 3600.0, 10.0


def service(name: str, pods: int, image: str = "local://demo@v1") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"image": image, "replicas": pods,
                     "readinessProbe": {"httpGet": {"path": "/healthz"},
                                        "periodSeconds": PROBE_PERIOD},
                     "livenessProbe": {"httpGet": {"path": "/livez"},
                                       "periodSeconds": PROBE_PERIOD},
                     "rollout": {"strategy": "RollingUpdate", "maxSurge": "25%",
                                 "maxUnavailable": "25%"},
                     "autoscale": {"min": pods, "max": 2 * pods, "targetCPU": 60}}}


def churn(services: int, pods: int) -> dict:
    """The hour of churn; returns wall time, events and pod counts (setup included)."""
    start = time.perf_counter()
    c = t3.Cluster(seed=1, sample_interval=10.0)
    names = [f"svc{i}" for i in range(services)]
    for name in names:
        c.apply(service(name, pods))
    plan = [(0.0, lambda: [c.set_load(n, cpu=60) for n in names]),
            (600.0, lambda: [c.set_load(n, cpu=75) for n in names]),
            (1200.0, lambda: [c.kill(n, count=pods // 10) for n in names]),
            (1800.0, lambda: [c.set_load(n, cpu=40) for n in names]),
            (2400.0, lambda: [c.apply(service(n, pods, "local://demo@v2")) for n in names])]
    most = 0
    for at, act in plan:
        c.run(until=at)
        act()
        most = max(most, len(c.store.pods))
    for t in range(int(plan[-1][0]) + 60, int(SECONDS) + 1, 60):
        c.run(until=float(t))
        most = max(most, len(c.store.pods))
    frames = time.perf_counter()
    sizes = (len(c.events), len(c.history), len(c.requests))
    end = time.perf_counter()
    return {"wall": end - start, "frames": end - frames, "rows": sizes, "most_pods": most,
            "pods_end": len(c.store.pods), "events_logged": len(c.event_log)}


def floor(pods: int) -> float:
    """The naive simulator: one process per pod, waking every probe period, for an hour."""
    start = time.perf_counter()
    env = simpy.Environment()
    healthy = [True] * pods

    def pod(index):
        failures = 0
        while True:
            yield env.timeout(PROBE_PERIOD)
            failures = 0 if healthy[index] else failures + 1

    for index in range(pods):
        env.process(pod(index))
    env.run(until=SECONDS)
    return time.perf_counter() - start


def main() -> None:
    services = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    pods = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    gc.collect()
    ours = churn(services, pods)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bare = floor(ours["most_pods"])
    print(f"churn: {services} services x {pods} pods (up to {ours['most_pods']:,} pods), "
          f"{SECONDS:g} simulated seconds")
    print(f"  t32sim  wall {ours['wall']:7.2f} s (frames {ours['frames']:.2f} s: "
          f"{ours['rows'][0]:,} events, {ours['rows'][1]:,} history rows)  "
          f"peak {peak:,.0f} MiB (max RSS)")
    print(f"  floor   wall {bare:7.2f} s  (1 process per pod, {ours['most_pods']:,} pods, "
          f"10 s ticks)")
    print(f"  ratio t32sim/floor: {ours['wall'] / bare:.2f}x (goal <= 1.0)")


if __name__ == "__main__":
    main()

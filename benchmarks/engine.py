"""Engine benchmark: t32sim in steady state against a bare simpy baseline, in one run.

10 services x 100 pods for 3,600 simulated seconds. The baseline is the naive design:
one simpy process per pod waking every 10 s to look at its probes. t32sim's cost
follows changes, not probe ticks, so in steady state it should be no slower.
Prints wall time, simpy events processed and peak memory for both, and the ratios.

    .venv/bin/python benchmarks/engine.py
"""
from __future__ import annotations

import gc
import time
import tracemalloc

import simpy

import t32sim as t3

SERVICES, PODS, SECONDS, PROBE_PERIOD = 10, 100, 3600.0, 10.0


def steady_cluster() -> t3.Cluster:
    """A cluster with every pod ready (setup is not measured)."""
    cluster = t3.Cluster(seed=1)
    for i in range(SERVICES):
        cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc{i}"},
                       "spec": {"image": "local://demo@v1", "replicas": PODS,
                                "readinessProbe": {"httpGet": {"path": "/healthz"},
                                                   "periodSeconds": PROBE_PERIOD},
                                "livenessProbe": {"httpGet": {"path": "/livez"},
                                                  "periodSeconds": PROBE_PERIOD}}})
    cluster.run(until=60)
    assert all(cluster.service(f"svc{i}").status.ready == PODS for i in range(SERVICES))
    return cluster


def bare_baseline() -> simpy.Environment:
    """One process per pod that wakes every probe period and checks a flag."""
    env = simpy.Environment()
    healthy = [True] * (SERVICES * PODS)

    def pod(index):
        failures = 0
        while True:
            yield env.timeout(PROBE_PERIOD)
            failures = 0 if healthy[index] else failures + 1

    for index in range(SERVICES * PODS):
        env.process(pod(index))
    env.run(until=60)
    return env


def step_for(env: simpy.Environment, seconds: float) -> int:
    """Process every event in the next ``seconds``; return how many there were."""
    until, events = env.now + seconds, 0
    while env.peek() <= until:
        env.step()
        events += 1
    return events


def measure(name: str, make_env) -> dict:
    env = make_env()
    gc.collect()
    start = time.perf_counter()
    events = step_for(env, SECONDS)
    wall = time.perf_counter() - start
    env = make_env()
    gc.collect()
    tracemalloc.start()
    step_for(env, SECONDS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"name": name, "wall": wall, "events": events, "peak_mib": peak / 2**20}


def main() -> None:
    bare = measure("bare simpy (1 process/pod, 10 s ticks)", bare_baseline)
    ours = measure("t32sim steady state", lambda: steady_cluster().env)
    print(f"{SERVICES} services x {PODS} pods, {SECONDS:g} simulated seconds")
    for row in (bare, ours):
        print(f"  {row['name']:<42} wall {row['wall']:7.3f} s   events {row['events']:>8,}"
              f"   peak {row['peak_mib']:6.2f} MiB")
    print(f"  ratio t32sim/bare: wall {ours['wall'] / bare['wall']:.2f}x, "
          f"events {ours['events'] / bare['events']:.3f}x, "
          f"peak memory {ours['peak_mib'] / bare['peak_mib']:.2f}x")


if __name__ == "__main__":
    main()

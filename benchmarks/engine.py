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


# -- traffic, autoscaling (issue 3) -----------------------------------------------------------

DAY, MINUTE, LOAD_EVERY, REQUESTS_PER_MINUTE = 86_400.0, 60.0, 300.0, 10_000


def daily_rps(service: int, t: float) -> float:
    """A daily load curve per service: a quiet night, a busy afternoon, shifted per service."""
    import math

    base = 150.0 + 30.0 * service
    return base * (1.0 + 0.8 * math.sin(2 * math.pi * (t / DAY - 0.25 - service / 40)))


def autoscaled_cluster() -> t3.Cluster:
    """10 services under the HPA (min 2, max 20, target 60 %), all Ready (not measured)."""
    cluster = t3.Cluster(seed=1, sample_interval=MINUTE)
    for i in range(SERVICES):
        cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc{i}"},
                       "spec": {"image": "local://demo@v1", "replicas": 4,
                                "readinessProbe": {"httpGet": {"path": "/healthz"},
                                                   "periodSeconds": PROBE_PERIOD},
                                "livenessProbe": {"httpGet": {"path": "/livez"},
                                                  "periodSeconds": PROBE_PERIOD},
                                "autoscale": {"min": 2, "max": 20, "targetCPU": 60}}})
    cluster.run(until=60)
    return cluster


def traffic_day(cluster: t3.Cluster) -> int:
    """24 h: the load follows ``daily_rps`` (updated every 5 min) and 10,000 requests a minute
    are routed through the load balancer; returns the simpy events processed."""
    events, start = 0, cluster.now
    per_service = REQUESTS_PER_MINUTE // SERVICES
    for minute in range(int(DAY // MINUTE)):
        t = start + minute * MINUTE
        if minute % int(LOAD_EVERY // MINUTE) == 0:
            for i in range(SERVICES):
                cluster.set_load(f"svc{i}", rps=round(daily_rps(i, t - start), 3))
        for i in range(SERVICES):
            cluster.send(f"svc{i}", per_service)
        events += step_for(cluster.env, MINUTE)
    return events


def bare_traffic_baseline(pods: int) -> tuple[simpy.Environment, list]:
    """The naive design for the same day: one process per pod waking every probe period, and
    one process per service routing its requests one by one each minute (round robin plus a
    random draw per request)."""
    import random

    env, rng, served = simpy.Environment(), random.Random(1), [0]
    per_service = REQUESTS_PER_MINUTE // SERVICES

    def pod():
        while True:
            yield env.timeout(PROBE_PERIOD)

    def router(size):
        position = 0
        while True:
            yield env.timeout(MINUTE)
            for _ in range(per_service):
                position = (position + 1) % size
                served[0] += rng.random() >= 0.0
    for _ in range(pods):
        env.process(pod())
    for _ in range(SERVICES):
        env.process(router(max(pods // SERVICES, 1)))
    return env, served


def traffic_main() -> None:
    cluster = autoscaled_cluster()
    gc.collect()
    start = time.perf_counter()
    ours_events = traffic_day(cluster)
    ours_wall = time.perf_counter() - start
    history = cluster.history
    pods = round(history.groupby("time")["current"].sum().mean())
    routed = sum(cluster.lb.requests_total(f"svc{i}")[0] for i in range(SERVICES))
    rescales = sum(e.reason is t3.Reason.SUCCESSFUL_RESCALE for e in cluster.event_log)
    replicas = history.groupby("time")["desired"].sum()
    env, _ = bare_traffic_baseline(pods)
    gc.collect()
    start = time.perf_counter()
    bare_events = step_for(env, DAY)
    bare_wall = time.perf_counter() - start
    print(f"{SERVICES} services under the HPA, daily load curve, {REQUESTS_PER_MINUTE:,} routed "
          f"requests per simulated minute, {DAY:g} simulated seconds")
    print(f"  {'bare simpy (' + str(pods) + ' pod processes, per-request loop)':<42} wall "
          f"{bare_wall:7.3f} s   events {bare_events:>8,}")
    print(f"  {'t32sim (HPA, load balancer, send)':<42} wall {ours_wall:7.3f} s   events "
          f"{ours_events:>8,}")
    print(f"  ratio t32sim/bare: wall {ours_wall / bare_wall:.2f}x, "
          f"events {ours_events / bare_events:.3f}x")
    print(f"  routed {routed:,} requests; {rescales} HPA rescales; total replicas "
          f"{replicas.min()}..{replicas.max()} (mean {pods}); {len(cluster.event_log):,} "
          "cluster events")


if __name__ == "__main__":
    main()
    traffic_main()

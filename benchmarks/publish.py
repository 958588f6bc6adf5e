"""Publish benchmark: the live server's cost per pacer tick with 50 services x 100 pods,
following the store's changes against reading the whole snapshot, in one run.

Two clusters with the same seed get the same commands. The baseline publishes as the
server did before it followed changes: ``cluster.snapshot()`` (every service, every
pod), the chart samples, and the hub's diff of the whole state against the last one. The
live server's ``LiveCluster.publish()`` reads again only what the store said changed.
Both hand their update to an SSE hub, which serialises it once; every tick the two
updates are checked to be byte-identical.

Each tick is one simulated second (speed 10 at the pacer's 10 ticks a second). In the
churn phase every tick kills one pod of the next service, so each tick one service
changes and a few more are still replacing a pod; in the quiet phase only time moves
(each tick still carries every service's chart samples, sent whole as the dashboard
expects); idle is quiet at speed 1, a new sample every tenth tick. Only the publish is
timed, not the engine.

    .venv/bin/python benchmarks/publish.py [--ticks 200]
"""
from __future__ import annotations

import argparse
import statistics
import time

import t32sim as t3
from t32sim.server.broadcast import Hub
from t32sim.server.journal import CommandJournal
from t32sim.server.live import LiveCluster, offered_by_template, routed_by_template
from t32sim.server.pacer import Pacer
from t32sim.server.samples import TAIL, Samples

SERVICES, PODS, SEED = 50, 100, 1
SERVER = {"speed": 10.0, "paused": False, "api_key": False}


def big_cluster() -> t3.Cluster:
    cluster = t3.Cluster(seed=SEED)
    for i in range(SERVICES):
        cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc{i:02d}"},
                       "spec": {"image": "local://demo@v1", "replicas": PODS,
                                "readinessProbe": {"httpGet": {"path": "/healthz"},
                                                   "periodSeconds": 10}}})
    cluster.run(until=60)
    assert sum(cluster.service(name).status.ready for name in cluster.services()) == \
        SERVICES * PODS
    return cluster


class WholeSnapshot:
    """The publish before it followed changes: the whole snapshot, diffed whole."""

    def __init__(self, cluster: t3.Cluster):
        self.cluster, self.hub, self.samples = cluster, Hub(), Samples()
        self.cursor = len(cluster.event_log)
        self.hub.reset(self.state(), [], SERVER)

    def state(self) -> dict:
        snapshot = self.cluster.snapshot()
        self.samples.record(snapshot, offered_by_template(self.cluster),
                            routed_by_template(self.cluster))
        return {**snapshot, "samples": self.samples.tail(TAIL)}

    def publish(self):
        events = self.cluster.event_log.since(self.cursor)
        self.cursor += len(events)
        return self.hub.publish(self.state(), [e.to_dict() for e in events], SERVER)


class Following:
    """The live server's own publish, around a cluster it does not pace."""

    def __init__(self, cluster: t3.Cluster):
        clock = time.monotonic
        self.live = LiveCluster(cluster, CommandJournal(None),
                                Pacer(clock, cluster.now, 10.0, False), Hub(), clock)
        self.cluster = cluster

    def publish(self):
        seq = self.live.hub.seq
        self.live.publish()
        return self.live.hub.history[-1] if self.live.hub.seq != seq else None


def run(ticks: int, churn: bool, old: WholeSnapshot, new: Following, seconds: float = 1.0
        ) -> tuple[list, list]:
    spent_old, spent_new = [], []
    for tick in range(ticks):
        for side in (old, new):
            if churn:
                side.cluster.kill(f"svc{tick % SERVICES:02d}", count=1)
            side.cluster.run(until=side.cluster.now + seconds)
        order = (old, new) if tick % 2 else (new, old)   # take turns: the same noise
        sent = {}
        for side in order:
            started = time.perf_counter()
            sent[side] = side.publish()
            spent = (time.perf_counter() - started) * 1000
            (spent_old if side is old else spent_new).append(spent)
        a, b = sent[old], sent[new]
        assert (a is None) == (b is None), f"tick {tick}: one side sent nothing"
        assert a is None or a.data == b.data, f"tick {tick}: the updates differ"
    return spent_old, spent_new


def report(name: str, old: list, new: list) -> float:
    a, b = statistics.median(old), statistics.median(new)
    print(f"{name:6s} whole snapshot {a:7.2f} ms   following changes {b:6.2f} ms   "
          f"ratio {a / b:6.1f}x   (median per tick of {len(old)})")
    return a / b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=200)
    args = parser.parse_args()
    old, new = WholeSnapshot(big_cluster()), Following(big_cluster())
    print(f"{SERVICES} services x {PODS} pods = {len(old.cluster.pods())} pods, "
          f"state {len(old.hub.snapshot_message().data) / 1024:.0f} KiB of JSON")
    run(10, True, old, new)                                        # warm up
    report("churn", *run(args.ticks, True, old, new))
    run(30, False, old, new)                                       # the last kills settle
    report("quiet", *run(args.ticks // 2, False, old, new))
    report("idle", *run(args.ticks // 2, False, old, new, seconds=0.1))


if __name__ == "__main__":
    main()

"""The golden scenario: one cluster through every strategy, the HPA, chaos and rollouts.

``python -m tests.engine.golden.scenario`` prints the trace as JSON (events, snapshot and
digests of the frames, the metrics and the journal); ``--write`` stores it as the golden file
``trace.json`` beside this module. Run only in a fresh interpreter (see test_golden_trace).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import yaml

import t32sim as t3

GOLDEN = Path(__file__).with_name("trace.json")


def scenario(seed: int = 7) -> t3.Cluster:
    """Rolling, canary and blue/green rollouts, an HPA under changing load, chaos, undo."""
    c = t3.Cluster(seed=seed)
    c.apply("examples/api-v1.yaml")                                   # rolling: api
    canary = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
              "spec": {"image": "local://demo@v1", "replicas": 4,
                       "rollout": {"strategy": "Canary",
                                   "steps": [{"setWeight": 25}, {"pause": {}}, {"setWeight": 50},
                                             {"pause": {"duration": 10}}]}}}
    c.apply(canary)
    c.apply("examples/rollout-bluegreen.yaml")                        # blue/green + Services
    autoscaled = yaml.safe_load(Path("examples/api-autoscale.yaml").read_text())
    c.apply({**autoscaled, "metadata": {"name": "auto"}})             # an HPA
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "crashy"},
             "spec": {"image": "local://demo@crash", "replicas": 2}})
    c.run(until=20)
    c.set_load("web", rps=40)
    c.send("web", 25)
    c.kill("api", 2)
    c.scale("api", delta=2)
    c.run(until=40)
    c.apply("examples/api-rolling.yaml")                              # api -> v3, rolling
    c.apply({**canary, "spec": {**canary["spec"], "image": "local://demo@v2"}})
    c.run(until=50)
    c.request("web", "/")
    c.promote("web")
    c.set_load("auto", cpu=90)                                         # the HPA scales up
    c.break_probe("crashy", "liveness")
    c.inject("web", error_rate=0.2, latency=0.05)
    c.run(until=120)
    c.send("web", 50)
    c.heal()
    c.apply({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
             "metadata": {"name": "rollout-bluegreen"},
             "spec": {"replicas": 2, "revisionHistoryLimit": 2,
                      "selector": {"matchLabels": {"app": "rollout-bluegreen"}},
                      "template": {"metadata": {"labels": {"app": "rollout-bluegreen"}},
                                   "spec": {"containers": [{
                                       "name": "rollouts-demo",
                                       "image": "argoproj/rollouts-demo:green"}]}},
                      "strategy": {"blueGreen": {
                          "activeService": "rollout-bluegreen-active",
                          "previewService": "rollout-bluegreen-preview",
                          "autoPromotionEnabled": False}}}})
    c.run(until=180)
    c.promote("rollout-bluegreen")
    c.kill("web", 3)
    c.set_load("auto", cpu=10)                                         # ... and down after 300 s
    c.run(until=300)
    c.undo("api")
    c.apply({**canary, "spec": {**canary["spec"], "image": "local://demo@v3"}})
    c.run(until=310)
    c.promote("web", full=True)                                       # skip every step
    c.run(until=700)
    c.send("api", 10)
    c.run(until=720)
    return c


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def trace(c: t3.Cluster) -> dict:
    """What must not change: every event, the snapshot, digests of the rest."""
    return {
        "events": [" | ".join(str(value) for value in event.to_dict().values())
                   for event in c.event_log],
        "snapshot": c.snapshot(),
        "history": digest(c.history.to_dict("list")),
        "requests": digest(c.requests.to_dict("list")),
        "metrics": digest(c.metrics_text()),
        "journal": [command.to_dict() for command in c.journal],
    }


def main(argv: list[str]) -> None:
    text = json.dumps(trace(scenario()), sort_keys=True, indent=0, default=str)
    if "--write" in argv:
        GOLDEN.write_text(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main(sys.argv[1:])

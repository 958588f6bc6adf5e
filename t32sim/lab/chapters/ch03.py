"""Chapter 03 · Load balancing: the exercises and the closing quiz.

The checks route real requests through a simulated cluster's load balancer, or ask the
balancer's own pick function."""
from __future__ import annotations

from typing import Any

import t32sim as t3
from t32sim.engine.routing import smooth_weighted_pick
from t32sim.lab.exercise import choice, exercise, right, wrong
from t32sim.spec import SpecError, load_spec

__all__ = ["API", "one_pod_unready", "swrr_versions", "cpu_at", "BROKEN_API"]

API = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
       "spec": {"image": "local://demo@v1", "replicas": 4,
                "readinessProbe": {"httpGet": {"path": "/healthz"},
                                   "initialDelaySeconds": 1, "periodSeconds": 2}}}


def one_pod_unready(requests: int = 999, seed: int = 3) -> dict[str, int]:
    """Four Ready pods; one pod's readiness probe is broken until it leaves the load
    balancer; then ``requests`` requests. Returns requests per pod."""
    cluster = t3.Cluster(seed=seed)
    cluster.apply(API)
    cluster.run(until=10)
    cluster.break_probe(sorted(p.name for p in cluster.pods("api"))[0], "readiness")
    cluster.run(until=20)
    return cluster.send("api", requests)["by_pod"]


@exercise("03.1", "Four v1 pods; one pod's readiness probe fails until it leaves the load "
                  "balancer. How many of the next 999 requests does each remaining pod get?",
          accepts=int)
def share_after_unready(answer: int):
    per_pod = one_pod_unready()
    counts = sorted(set(per_pod.values()))
    if counts == [answer]:
        return right(f"{len(per_pod)} Ready pods share 999 requests in turn: {answer} each; the "
                     "unready pod gets none, and nobody restarted it.")
    if answer == 250 or answer == 249:
        return wrong("that would be four pods: does a pod that is not Ready stay behind the "
                     "load balancer?")
    return wrong("count the pods that are still Ready, and remember that round robin gives "
                 "equal pods exactly equal shares.")


def swrr_versions(weights: dict[str, int], count: int) -> list[str]:
    """The versions of the first ``count`` picks of smooth weighted round robin."""
    names, current = list(weights), [0] * len(weights)
    return [names[smooth_weighted_pick(list(weights.values()), current)] for _ in range(count)]


@exercise("03.2", "Smooth weighted round robin with weights v1: 60 and v2: 40. Which versions "
                  "answer the first five requests? (a list like ['v1', ...])",
          accepts=(list, tuple, str))
def predict_the_pattern(answer: Any):
    expected = swrr_versions({"v1": 60, "v2": 40}, 5)
    given = answer.replace(",", " ").split() if isinstance(answer, str) else list(answer)
    if [str(v).strip() for v in given] == expected:
        return right(f"{' '.join(expected)}: 60/40 is 3/2, so 3 of every 5 go to v1 and the "
                     "2 to v2 are spread out, never bunched.")
    if len(given) != 5:
        return wrong(f"give exactly five versions, got {len(given)}.")
    if given.count("v2") != 2:
        return wrong("60/40 reduces to 3/2: in five picks v2 answers exactly twice.")
    return wrong("right counts, wrong order: run the running values by hand (add each weight, "
                 "pick the largest, subtract the total from the winner).")


def cpu_at(replicas: int, rps: float = 320, seed: int = 3) -> dict[str, int]:
    """CPU use (millicores) of each Ready v1 pod with ``replicas`` pods and ``rps`` offered."""
    cluster = t3.Cluster(seed=seed)
    cluster.apply({**API, "spec": {**API["spec"], "replicas": replicas}})
    cluster.run(until=10)
    cluster.set_load("api", rps=rps)
    cluster.run_for(1)
    return cluster.traffic.pod_cpu_milli("api")


@exercise("03.3", "320 requests/s reach a v1 service (100 requests/s per pod use its whole "
                  "1000m request). Fewest replicas that keep every pod at or below 50 % CPU?",
          accepts=int)
def fewest_replicas(answer: int):
    if not 1 <= answer <= 100:
        return wrong("try a number of replicas between 1 and 100.")
    busiest = max(cpu_at(answer).values())
    if busiest > 500:
        return wrong(f"with {answer} replicas the busiest pod uses {busiest}m of its 1000m "
                     f"request: {busiest / 10:g} %, above 50 %.")
    fewer = max(cpu_at(answer - 1).values()) if answer > 1 else None
    if fewer is not None and fewer <= 500:
        return wrong(f"{answer} replicas work, but {answer - 1} do too: look for the fewest.")
    return right(f"{answer} pods get {320 / answer:.1f} requests/s each: {busiest}m of a 1000m "
                 f"request, {busiest / 10:g} %; with {answer - 1} it would be {fewer / 10:g} %.")


BROKEN_API = """\
apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  image: local://demo@v1
  replicas: 3
  env:
    - { name: HEALTHY, value: "0" }
  readinessProbe: { httpGet: { path: /healthz }, initialDelaySeconds: 1, periodSeconds: 2 }
"""


def answered_within(spec: Any, seconds: float = 10, requests: int = 100) -> dict[int, int]:
    """Status codes of ``requests`` requests sent ``seconds`` after ``spec`` is applied."""
    cluster = t3.Cluster(seed=3)
    cluster.apply(spec)
    cluster.run(until=seconds)
    cluster.send("api", requests)
    data = cluster.requests
    return {int(status): int(n) for status, n in data.groupby("status")["count"].sum().items()}


@exercise("03.4", "Every request to this api gets a 503. Fix the spec so 100 requests sent 10 s "
                  "after apply are all answered with 200 (keep the readiness probe).",
          accepts=(str, dict))
def fix_the_503s(answer: Any):
    try:
        spec = load_spec(answer)
    except SpecError as error:
        return wrong(f"the spec does not load: {error}")
    if spec.name != "api":
        return wrong("keep the service named api.")
    if spec.readiness_probe is None:
        return wrong("keep the readiness probe: without it a pod gets traffic before it can "
                     "answer.")
    statuses = answered_within(spec)
    if statuses == {200: 100}:
        return right("all 100 answered: the pods pass their readiness probe, so the load "
                     "balancer has endpoints to send to.")
    if 503 in statuses:
        return wrong(f"{statuses[503]} of 100 requests still found no Ready pod (503): why "
                     "does the readiness probe fail?")
    return wrong(f"the answers were {statuses}: every request should get a 200.")


choice("03.q1", "In its default iptables mode, how does kube-proxy pick the pod for a new "
                "connection to a Service?",
       {"a": "Round robin, in name order",
        "b": "At random, each Ready endpoint equally likely",
        "c": "The pod with the least CPU"},
       "b", because="kube-proxy's iptables rules choose a backend at random (the statistic "
                    "module); t32sim's round robin is a teaching simplification that makes "
                    "every share exact.",
       feedback={"a": "that is what t32sim does by default, to keep the numbers exact; "
                      "kube-proxy's iptables mode does not.",
                 "c": "kube-proxy does not look at the pods' load at all."})
choice("03.q2", "A 25 % canary behind t32sim's smooth weighted round robin: how many of the "
                "first 8 requests reach the canary?",
       {"a": "Exactly 2", "b": "About 2, anywhere from 0 to 8", "c": "None until the "
                                                                   "canary is promoted"},
       "a", because="smooth weighted round robin is exact over every period of 4 (25/75 is "
                    "1/3), and spreads the canary's turns out.",
       feedback={"b": "that is what a random pick per request (balancer='random', or the "
                      "ingress-nginx canary) gives.",
                 "c": "the canary gets its weight from the moment its pods are available."})
choice("03.q3", "A pod's readiness probe fails failureThreshold times in a row. What happens "
                "to it?",
       {"a": "The kubelet restarts its container",
        "b": "It leaves the load balancer and keeps running",
        "c": "The ReplicaSet deletes it and makes a new one"},
       "b", because="readiness only decides traffic; the pod comes back as soon as the probe "
                    "passes again.",
       feedback={"a": "restarting is what a failing liveness probe does.",
                 "c": "the ReplicaSet only replaces pods that are gone."})
choice("03.q4", "A pod requests 500m of CPU and uses 250m. What is its CPU utilisation, as the "
                "HPA counts it?",
       {"a": "25 %", "b": "50 %", "c": "250 %"},
       "b", because="utilisation is usage over the pod's request: 250m / 500m = 50 % (1000m "
                    "is one whole CPU).",
       feedback={"a": "250m is a quarter of one CPU core, but utilisation is measured against "
                      "the pod's request.",
                 "c": "250m is a quarter of a core, not two and a half."})

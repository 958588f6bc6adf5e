"""Chapter 04 · Autoscaling: the exercises and the closing quiz.

Every check asks the engine: the replica calculator for the arithmetic, a simulated
cluster for the window and the spec."""
from __future__ import annotations

from typing import Any, Callable

import t32sim as t3
from t32sim.engine.autoscaler import PodSample, cpu_replicas
from t32sim.lab.exercise import choice, exercise, right, wrong
from t32sim.spec import SpecError, load_spec

__all__ = ["made_up_pods", "hpa_answer", "swinging", "scale_downs", "overloaded",
           "BROKEN_SHOP"]


def made_up_pods(count: int, cpu_percent: float) -> list[PodSample]:
    """``count`` Ready pods (long since started) each using ``cpu_percent`` % of the one CPU
    (1000 m) they request."""
    return [PodSample(f"p{i}", pending=False, terminating=False, ready=True, start_time=0.0,
                      ready_transition=0.0, cpu_milli=round(cpu_percent * 10))
            for i in range(count)]


def hpa_answer(ready_pods: int, cpu_percent: float, target: int) -> int:
    """What the engine's replica calculator asks for (before min/max and the windows)."""
    return cpu_replicas(ready_pods, target, made_up_pods(ready_pods, cpu_percent),
                        now=1000.0).replicas


@exercise("04.1", "Four Ready pods each use 750 m of their 1000 m CPU request; the target is "
                  "50 %. How many replicas does the HPA ask for?", accepts=int)
def by_hand(answer: int):
    expected = hpa_answer(4, 75, 50)
    if answer == expected:
        return right(f"ceil(4 × 75 / 50) = ceil(6.0) = {expected}: 750 m of a 1000 m request "
                     "is 75 % utilisation, 1.5 times the target.")
    if answer == 4:
        return wrong("75 % is well outside the 10 % tolerance around 50 %: the HPA does change "
                     "the count.")
    return wrong("utilisation is usage over request (750 m / 1000 m); then "
                 "ceil(ready pods × utilisation / target).")


@exercise("04.2", "Ten Ready pods, target 80 %: what is the lowest whole CPU % at which the "
                  "HPA scales up?", accepts=int)
def tolerance_edge(answer: int):
    scales = hpa_answer(10, answer, 80) > 10
    below = hpa_answer(10, answer - 1, 80) > 10
    if scales and not below:
        return right(f"{answer}/80 = {answer / 80:.4f} is above 1 + 0.1; at {answer - 1} % the "
                     f"ratio {(answer - 1) / 80:g} is still inside 0.9 ≤ ratio ≤ 1.1, so "
                     "nothing changes.")
    if not scales:
        return wrong(f"at {answer} % the ratio {answer / 80:.4f} is still inside the tolerance "
                     "band 0.9 ≤ ratio ≤ 1.1: nothing changes yet.")
    return wrong(f"the HPA scales up at {answer} %, but already one percent lower too: look "
                 "for the lowest one.")


GRID = [(pods, cpu, target) for target in (50, 60, 80) for pods in (1, 2, 3, 5, 8)
        for cpu in range(0, 201, 3)]


@exercise("04.3", "Write desired_replicas(ready_pods, cpu, target): the HPA's answer for Ready "
                  "pods at an average CPU % (tolerance included).")
def write_the_formula(answer: Callable[[int, int, int], Any]):
    if not callable(answer):
        return wrong("answer with the function itself: answer = desired_replicas")
    for pods, cpu, target in GRID:
        expected = hpa_answer(pods, cpu, target)
        got = answer(pods, cpu, target)
        if got != expected:
            return wrong(f"for {pods} Ready pod(s) at {cpu} % with target {target} % the HPA "
                         f"asks for {expected}, your function says {got!r}.")
    return right(f"your function agrees with the engine's replica calculator on all "
                 f"{len(GRID)} cases.")


SPEC_BASE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
             "spec": {"image": "local://demo@v1", "replicas": 4,
                      "readinessProbe": {"httpGet": {"path": "/healthz"},
                                         "initialDelaySeconds": 1, "periodSeconds": 2}}}


def swinging(window: float | None = None, minutes: int = 12) -> "t3.Cluster":
    """The load swings between 320 and 200 requests/s every minute on an autoscaled api
    (target 60 %, 2..10 replicas); ``window``: scaleDown.stabilizationWindowSeconds."""
    autoscale: dict[str, Any] = {"minReplicas": 2, "maxReplicas": 10,
                                 "targetCPUUtilizationPercentage": 60}
    if window is not None:
        autoscale["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": window}}
    cluster = t3.Cluster(seed=4)
    cluster.apply({**SPEC_BASE, "spec": {**SPEC_BASE["spec"], "autoscale": autoscale}})
    cluster.run(until=20)
    for minute in range(minutes):
        cluster.set_load("api", rps=320 if minute % 2 == 0 else 200)
        cluster.run_for(60)
    return cluster


def scale_downs(cluster: "t3.Cluster") -> int:
    """How many times the HPA scaled down."""
    return sum(e.reason is t3.Reason.SUCCESSFUL_RESCALE and "scale down" in e.message
               for e in cluster.event_log)


@exercise("04.4", "Under the swinging load, what is the shortest scale-down stabilisation "
                  "window (whole seconds) with which the HPA never scales down?", accepts=int)
def shortest_window(answer: int):
    if not 0 <= answer <= 3600:
        return wrong("a stabilisation window is 0..3600 seconds.")
    downs = scale_downs(swinging(answer))
    if downs:
        return wrong(f"with a {answer} s window the HPA still scales down {downs} times: the "
                     "window must still remember the last high recommendation when the load "
                     "drops.")
    if answer > 0 and not scale_downs(swinging(answer - 1)):
        return wrong(f"{answer} s works, but so does {answer - 1} s: look for the shortest.")
    return right(f"{answer} s: the high recommendation of the busy minute is at most 60 s old "
                 "when the load drops, so a window just longer than that keeps it.")


BROKEN_SHOP = """\
apiVersion: v1
kind: Service
metadata: { name: shop }
spec:
  image: local://demo@v1
  replicas: 2
  readinessProbe: { httpGet: { path: /healthz }, initialDelaySeconds: 1, periodSeconds: 2 }
  autoscale: { targetCPU: 60, min: 2, max: 3 }
"""


def overloaded(spec: Any, rps: float = 360, until: float = 130) -> "t3.Cluster":
    """``spec`` under ``rps`` requests per second from t = 10 s until ``until``."""
    cluster = t3.Cluster(seed=6)
    cluster.apply(spec)
    cluster.run(until=10)
    cluster.set_load("shop", rps=rps)
    cluster.run(until=until)
    return cluster


@exercise("04.5", "Fix the shop spec so that two minutes at 360 requests/s end at or below "
                  "its 60 % CPU target (keep the target and min 2).", accepts=(str, dict))
def fix_the_shop(answer: Any):
    try:
        spec = load_spec(answer)
    except SpecError as error:
        return wrong(f"the spec does not load: {error}")
    if spec.name != "shop" or spec.autoscale is None:
        return wrong("keep the service named shop, with its autoscale section.")
    if spec.autoscale.target_cpu != 60 or spec.autoscale.min_replicas != 2:
        return wrong("keep targetCPU 60 and min 2: the goal is to reach the target, not to "
                     "move it.")
    cluster = overloaded(spec)
    cpu = cluster.traffic.cpu("shop")
    if cpu > 60:
        status = cluster.service("shop").status
        return wrong(f"after two minutes the shop runs {status.ready} Ready pods at "
                     f"{cpu:g} % CPU: the HPA wants more pods than it may have.")
    return right(f"the HPA settled at {cluster.service('shop').status.ready} pods and "
                 f"{cpu:g} % CPU: 360 requests/s need 6 pods of 100 requests/s at 60 %.")


choice("04.q1", "Why does the HPA round the replica count up, never down?",
       {"a": "Because Kubernetes stores replicas as unsigned integers",
        "b": "Because one pod too many costs less than one pod too few",
        "c": "Because the tolerance needs a whole number"},
       "b", because="ceil keeps the average CPU at or below the target: too few pods means "
                    "slow or failed requests, one extra pod only costs a little.",
       feedback={"a": "the type would allow rounding either way; think of what each mistake "
                      "costs.",
                 "c": "the tolerance is applied to the ratio before any rounding."})
choice("04.q2", "Load drops from 90 % to 20 % CPU. When does the HPA (default behaviour) "
                "scale down?",
       {"a": "At the next 15 s sync",
        "b": "After 300 s, once the higher recommendations have left the window",
        "c": "Never: it only scales up"},
       "b", because="a scale-down goes only to the highest recommendation of the last 300 s, "
                    "so a busy moment keeps the pods for five minutes.",
       feedback={"a": "that is what happens to a scale-up; a scale-down is stabilised.",
                 "c": "it does scale down, as section 3 showed; the question is when."})
choice("04.q3", "During a scale-up, how does the HPA count a pod that became Ready 5 s ago?",
       {"a": "At its measured CPU", "b": "At 0 % CPU", "c": "At 100 % CPU"},
       "b", because="its sample would mostly describe its start; counting it as idle keeps "
                    "the HPA from overshooting while new pods warm up.",
       feedback={"a": "a sample that young is not trusted yet.",
                 "c": "100 % is what a missing pod counts as on a scale-down."})
choice("04.q4", "Five Ready pods at 66 % CPU, target 60 %. What does a current (1.33 or "
                "later) Kubernetes HPA do?",
       {"a": "Scale to 6, because 66/60 is a hair above 1.1 in floating point",
        "b": "Stay at 5, because 0.9 ≤ 66/60 ≤ 1.1",
        "c": "Scale to 4"},
       "b", because="since 1.33 the check is (1 - tol) ≤ ratio ≤ (1 + tol), and 66/60 and "
                    "1 + 0.1 are the same double; the older |1 - ratio| ≤ tol scaled it to 6.",
       feedback={"a": "that was true of the older check |1 − ratio| ≤ 0.1, before 1.33.",
                 "c": "66 % is above the target: if anything it would scale up."})

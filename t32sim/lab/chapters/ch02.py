"""Chapter 02 · Probes and self-healing: the exercises and the closing quiz.

Every check runs a fresh simulated cluster: a readiness probe broken and healed for the
predicted thresholds, an hour of CrashLoopBackOff, a slow starter's spec, and startup
budgets."""
from __future__ import annotations

from typing import Any

import t32sim as t3
from t32sim.lab.chapters._compare import compare_predictions
from t32sim.lab.exercise import choice, exercise, right, wrong
from t32sim.spec import SpecError, load_spec

__all__ = ["probe", "service", "FLAKY_READINESS", "readiness_story", "crash_loop",
           "BROKEN_SLOW", "slow_start", "startup_trial", "BUDGET_PERIOD"]


def probe(path: str, initial_delay: float = 1, period: float = 2, failures: int = 3,
          successes: int | None = None) -> dict:
    """A probe as a dict (an HTTP GET of ``path``)."""
    found = {"httpGet": {"path": path}, "initialDelaySeconds": initial_delay,
             "periodSeconds": period, "failureThreshold": failures}
    if successes is not None:
        found["successThreshold"] = successes
    return found


def service(name: str, image: str = "local://demo@v1", healthy: bool = True,
            readiness: bool = True, liveness: bool = True, startup: dict | None = None) -> dict:
    """A one-replica Service spec as a dict; ``startup`` is a probe dict or None."""
    spec: dict[str, Any] = {"image": image, "replicas": 1,
                            "env": [{"name": "HEALTHY", "value": "1" if healthy else "0"}]}
    if readiness:
        spec["readinessProbe"] = probe("/healthz")
    if liveness:
        spec["livenessProbe"] = probe("/livez")
    if startup:
        spec["startupProbe"] = startup
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


#: one v1 pod whose readiness probe needs 2 passes in a row (and 3 failures) to change
FLAKY_READINESS = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
                   "spec": {"image": "local://demo@v1", "replicas": 1,
                            "readinessProbe": probe("/healthz", 1, 2, failures=3, successes=2)}}


def readiness_story(seed: int = 2) -> "t3.Cluster":
    """``FLAKY_READINESS``; its readiness probe broken at t = 20 and healed at t = 40."""
    cluster = t3.Cluster(seed=seed)
    cluster.apply(FLAKY_READINESS)
    cluster.run(until=20)
    pod = cluster.pods("api")[0].name
    cluster.break_probe(pod, "readiness")
    cluster.run(until=40)
    cluster.heal(pod)
    cluster.run(until=60)
    return cluster


def _times(cluster: "t3.Cluster", reason: "t3.Reason") -> list[float]:
    return [e.time for e in cluster.event_log if e.reason is reason]


@exercise("02.1", "One v1 pod, readiness probe 1 s after start then every 2 s, "
                  "successThreshold 2, failureThreshold 3; the probe breaks at t = 20 and is "
                  "healed at t = 40. When is the pod Ready, not Ready, Ready again? "
                  "({'ready': ..., 'not_ready': ..., 'ready_again': ...})", accepts=dict)
def predict_the_thresholds(answer: dict):
    cluster = readiness_story()
    ready = _times(cluster, t3.Reason.READY)
    truth = {"ready": ready[0], "not_ready": _times(cluster, t3.Reason.NOT_READY)[0],
             "ready_again": ready[1]}
    return compare_predictions(
        answer, truth,
        hint="List the probe times (start + 1, + 3, ...). Ready needs 2 passes in a row, "
             "not Ready 3 failures in a row.",
        praise=f"Ready at {truth['ready']:g} (passes at 5 and 7), not Ready at "
               f"{truth['not_ready']:g} (failures at 21, 23, 25), Ready again at "
               f"{truth['ready_again']:g} (passes at 41 and 43).")


def crash_loop(until: float = 3600, seed: int = 3) -> "t3.Cluster":
    """One pod of ``local://demo@crash`` (exits 1 s after every start), no probes."""
    cluster = t3.Cluster(seed=seed)
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "crashy"},
                   "spec": {"image": "local://demo@crash", "replicas": 1}})
    cluster.run(until=until)
    return cluster


@exercise("02.2", "local://demo@crash exits 1 s after every start. What is its pod's restart "
                  "count after one hour (t = 3600)?", accepts=int)
def predict_an_hour(answer: int):
    truth = crash_loop().pods("crashy")[0].restarts
    if answer == truth:
        return right(f"{truth}: the starts at 2, 3, 14, 35, 76, 157, 318, 619 s, then one every "
                     "301 s (300 s of back-off + 1 s of running) up to 3328 s; 17 starts are "
                     f"{truth} restarts.")
    if answer == truth + 1:
        return wrong("close: that is the number of starts. The first start is not a restart.")
    if answer in (12, 11):
        return wrong("the cap is 300 s, but the waits only reach it after 10, 20, 40, 80, 160 "
                     "s, and each run adds 1 s: add them up from t = 2.")
    return wrong("list the starts: 2 s, then 1 s of running plus the wait (0, 10, 20, 40, 80, "
                 "160, then 300 s each time) before the next; count them up to 3600 s.")


BROKEN_SLOW = """\
apiVersion: v1
kind: Service
metadata: { name: slow }
spec:
  image: local://demo@slow
  replicas: 1
  readinessProbe: { httpGet: { path: /healthz }, initialDelaySeconds: 1, periodSeconds: 2 }
  livenessProbe: { httpGet: { path: /livez }, initialDelaySeconds: 1, periodSeconds: 2, failureThreshold: 3 }
"""
_LIVENESS = (1, 2, 3)     # the liveness probe's initialDelaySeconds, periodSeconds, failureThreshold


def slow_start(spec: Any, seed: int = 4) -> tuple["t3.Cluster", Any]:
    """``spec`` for 120 s; returns the cluster and its (only) pod at t = 120."""
    cluster = t3.Cluster(seed=seed)
    cluster.apply(spec)
    cluster.run(until=120)
    return cluster, cluster.pods("slow")[0]


@exercise("02.3", "local://demo@slow is restarted again and again by its liveness probe. Fix "
                  "the spec so that it starts without a restart, keeping the liveness probe "
                  "as it is.", accepts=(str, dict))
def fix_the_slow_starter(answer: Any):
    try:
        spec = load_spec(answer)
    except SpecError as error:
        return wrong(f"the spec does not load: {error}")
    if spec.name != "slow" or spec.image != "local://demo@slow":
        return wrong("keep the service named slow, with the image local://demo@slow.")
    live = spec.liveness_probe
    if live is None or (live.initial_delay_seconds, live.period_seconds,
                        live.failure_threshold) != _LIVENESS:
        return wrong("keep the liveness probe as it is (1 s delay, every 2 s, 3 failures): it "
                     "is what catches a hang within seconds later. Protect the start instead.")
    cluster, pod = slow_start(spec)
    if (pod.restarts or not pod.ready) and spec.startup_probe is not None:
        return wrong(f"after 2 minutes the pod has {pod.restarts} restart(s): your startup probe "
                     "gives up before the app answers; its budget (failureThreshold × "
                     "periodSeconds) must cover the 8 s start.")
    if pod.restarts or not pod.ready:
        return wrong(f"after 2 minutes the pod has {pod.restarts} restart(s) and is "
                     f"{'' if pod.ready else 'not '}Ready: the app needs 8 s to start; what "
                     "can hold the liveness probe back until then?")
    cluster.break_probe(pod.name, "liveness")
    cluster.run(until=140)
    if cluster.pods("slow")[0].restarts == 0:
        return wrong("it starts, but a hang afterwards is no longer caught: the liveness probe "
                     "must still run once the app is up.")
    return right("no restart at start, and a hang afterwards is still restarted within "
                 "seconds: the startup probe holds liveness back only until the app is up.")


def startup_trial(failure_threshold: int, period: float = 2, seed: int = 5):
    """The slow image with a startup probe (no initial delay, ``period``,
    ``failure_threshold``) for 120 s; its pod."""
    startup = {"httpGet": {"path": "/livez"}, "initialDelaySeconds": 0,
               "periodSeconds": period, "failureThreshold": failure_threshold}
    cluster = t3.Cluster(seed=seed)
    cluster.apply(service("slow", image="local://demo@slow", startup=startup))
    cluster.run(until=120)
    return cluster.pods("slow")[0]


#: the startup probe period of exercise 02.4
BUDGET_PERIOD = 3


@exercise("02.4", "A startup probe with periodSeconds 3 and no initial delay protects "
                  "local://demo@slow (8 s to start). Smallest failureThreshold that lets it "
                  "start without a restart?", accepts=int)
def smallest_budget(answer: int):
    if not 1 <= answer <= 100:
        return wrong("a failureThreshold from 1 to 100, please.")
    enough = startup_trial(answer, BUDGET_PERIOD)
    if enough.restarts or not enough.ready:
        return wrong(f"with failureThreshold {answer} the startup probe gives up before the "
                     f"app answers ({enough.restarts} restarts): count the probes that fail "
                     "first.")
    if answer > 1 and startup_trial(answer - 1, BUDGET_PERIOD).restarts == 0:
        return wrong(f"{answer} works, but {answer - 1} does too: look for the smallest.")
    failing = ", ".join(f"{BUDGET_PERIOD * k:g}" for k in range(answer - 1))
    return right(f"{answer}: the probes at start + {failing} fail and the one at start + "
                 f"{BUDGET_PERIOD * (answer - 1):g} is the first after the 8 s start, so "
                 f"{answer - 1} failures must be allowed without giving up.")


choice("02.q1", "A pod's readiness probe fails failureThreshold times in a row. What happens?",
       {"a": "The kubelet restarts its container",
        "b": "The pod leaves the Service's endpoints and is not restarted",
        "c": "The ReplicaSet deletes the pod and creates a new one"},
       "b", because="readiness decides traffic only: the pod stops getting requests and comes "
                    "back as soon as the probe passes again (successThreshold times).",
       feedback={"a": "that is what a failing liveness probe does.",
                 "c": "no controller deletes a pod for a failing probe."})
choice("02.q2", "kubectl get pods shows a pod as CrashLoopBackOff. What is its phase?",
       {"a": "CrashLoopBackOff",
        "b": "Running: CrashLoopBackOff is why its container is waiting, which kubectl shows "
             "as STATUS",
        "c": "Failed"},
       "b", because="with restartPolicy Always a restarting container keeps the pod Running; "
                    "CrashLoopBackOff is the container's waiting reason.",
       feedback={"a": "it is not one of the five phases (Pending, Running, Succeeded, Failed, "
                      "Unknown).",
                 "c": "Failed is for a pod whose containers have all stopped for good; this "
                      "one will be restarted."})
choice("02.q3", "Why a startup probe rather than a large initialDelaySeconds on the liveness "
                "probe?",
       {"a": "A startup probe checks more often than a liveness probe can",
        "b": "It ends as soon as the app is up, and the fast liveness probe then takes over; "
             "a fixed delay is a guess that also delays liveness after every restart",
        "c": "A liveness probe cannot have an initial delay"},
       "b", because="the startup probe states the intent (up to N s to start, then watch "
                    "closely) and adapts to how long the start really takes.",
       feedback={"a": "both can use any periodSeconds.",
                 "c": "it can; the question is why the delay is the weaker tool."})
choice("02.q4", "A container has exited 7 times in a row. How long does the kubelet wait "
                "before it restarts it again?",
       {"a": "640 s", "b": "300 s", "c": "70 s"},
       "b", because="the waits double from 10 s (0, 10, 20, 40, 80, 160, ...) and are capped "
                    "at 300 s (5 minutes).",
       feedback={"a": "the doubling stops at a cap.",
                 "c": "the wait doubles; it does not grow by 10 s each time."})

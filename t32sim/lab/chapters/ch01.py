"""Chapter 01 · Desired state and the reconcile loop: the exercises and the closing quiz.

Every check runs a fresh simulated cluster on the student's answer: the outage for a
predicted time, the three shutdowns for predicted durations, the scale-down for a deletion
ranking, and the spec for a fix."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import t32sim as t3
from t32sim.engine.store import Pod, PodStatus
from t32sim.lab.chapters._compare import compare_predictions
from t32sim.lab.exercise import choice, exercise, right, wrong
from t32sim.spec import SpecError, load_spec

__all__ = ["API", "OUTAGE_API", "outage", "healed_at", "SHUTDOWNS", "shutdowns", "gone_after",
           "scale_down_with", "BROKEN_API", "ready_after"]

#: the chapter's Service: three v1 pods with a readiness probe and a 30 s grace period
API = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
       "spec": {"image": "local://demo@v1", "replicas": 3, "terminationGracePeriodSeconds": 30,
                "readinessProbe": {"httpGet": {"path": "/healthz"},
                                   "initialDelaySeconds": 1, "periodSeconds": 2}}}


#: the outage exercise's Service: three v2 pods (pull 3 s, answer 3 s after start), probed
#: 1 s after the start and then every 3 s
OUTAGE_API = {**API, "spec": {**API["spec"], "image": "local://demo@v2",
                              "readinessProbe": {"httpGet": {"path": "/healthz"},
                                                 "initialDelaySeconds": 1, "periodSeconds": 3}}}


def outage(kill_at: float = 30, seed: int = 11) -> "t3.Cluster":
    """Three healthy pods of ``OUTAGE_API``; at ``kill_at`` all three are killed; 30 s later."""
    cluster = t3.Cluster(seed=seed)
    cluster.apply(OUTAGE_API)
    cluster.run(until=kill_at)
    cluster.kill("api", count=3)
    cluster.run(until=kill_at + 30)
    return cluster


def healed_at(cluster: "t3.Cluster", since: float = 30) -> float:
    """When the last replacement became Ready (the time of the last Ready event)."""
    ready = [e.time for e in cluster.event_log if e.reason is t3.Reason.READY and e.time >= since]
    return max(ready)


@exercise("01.1", "Three v2 pods (pull 3 s, the app answers 3 s after its start, readiness "
                  "probe 1 s after the start, then every 3 s) are all killed at t = 30. At "
                  "what time are three pods Ready again?", accepts=(int, float))
def predict_the_outage(answer: float):
    truth = healed_at(outage())
    if answer == truth:
        return right(f"t = {truth:g}: the replacements are created at once (t = 30) and start "
                     "after the 3 s pull (t = 33); the app answers from t = 36, the probes run "
                     f"at 34, 37, ...: the one at {truth:g} is the first to see it.")
    if answer == 36:
        return wrong("the app answers at t = 36, but nobody knows until a readiness probe asks: "
                     "when does the next probe run?")
    if answer >= 60:
        return wrong("the replacements do not wait for the killed pods to be gone: the "
                     "ReplicaSet counts only live pods and creates new ones at once.")
    return wrong("start at the kill (the replacements are created at once), add the 3 s pull, "
                 "then find the first readiness probe (start + 1, + 4, ...) after the app "
                 "answers (3 s after the start).")


def _one_pod(name: str, image: str, grace: float) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"image": image, "replicas": 1, "terminationGracePeriodSeconds": grace,
                     "readinessProbe": {"httpGet": {"path": "/healthz"},
                                        "initialDelaySeconds": 1, "periodSeconds": 2}}}


#: the three shutdowns: (image, terminationGracePeriodSeconds) per service
SHUTDOWNS = {"quick": ("local://demo@v1", 30), "stubborn": ("local://demo@ignores-sigterm", 30),
             "slow": ("local://demo@slow", 2)}


def shutdowns(kill_at: float = 20, seed: int = 3) -> "t3.Cluster":
    """One pod each of ``SHUTDOWNS``, all killed at ``kill_at``; run until every one is gone."""
    cluster = t3.Cluster(seed=seed)
    for name, (image, grace) in SHUTDOWNS.items():
        cluster.apply(_one_pod(name, image, grace))
    cluster.run(until=kill_at)
    for name in SHUTDOWNS:
        cluster.kill(name)
    cluster.run(until=kill_at + 40)
    return cluster


def gone_after(cluster: "t3.Cluster") -> dict[str, float]:
    """Seconds from each service's Killing event to its Deleted event."""
    killing, deleted = {}, {}
    for event in cluster.event_log:
        if event.reason is t3.Reason.KILLING:
            killing.setdefault(event.service, event.time)
        elif event.reason is t3.Reason.DELETED:
            deleted.setdefault(event.service, event.time)
    return {name: deleted[name] - killing[name] for name in killing}


@exercise("01.2", "Three pods are deleted at once: quick (v1, grace 30 s), stubborn "
                  "(ignores-sigterm, grace 30 s), slow (needs 3 s to shut down, grace 2 s). "
                  "How many seconds until each is gone? ({'quick': ..., ...})", accepts=dict)
def predict_the_shutdowns(answer: dict):
    truth = gone_after(shutdowns())
    return compare_predictions(
        answer, truth,
        hint="The grace period is an upper bound: a pod is gone when its container exits "
             "after SIGTERM, or at the end of the grace period if it has not exited by then.",
        praise=f"quick {truth['quick']:g} s (it exits on SIGTERM), stubborn "
               f"{truth['stubborn']:g} s (SIGKILL when the grace period ends), slow "
               f"{truth['slow']:g} s (its 3 s shutdown does not fit in 2 s: SIGKILL).")


def scale_down_with(ranking: Callable[[Pod, float], Any], seed: int = 5) -> tuple[list, list]:
    """Three pods from t = 0, two more from t = 20, one more at t = 40; at t = 41 (the newest
    not Ready yet) scale to 3 with ``ranking``. Returns (deleted pods, kept pods), as they
    were just before the scale-down."""
    cluster = t3.Cluster(seed=seed, deletion_ranking=ranking)
    cluster.apply(API)
    cluster.run(until=20)
    cluster.scale("api", replicas=5)
    cluster.run(until=40)
    cluster.scale("api", replicas=6)
    cluster.run(until=41)
    before = {p.name: dataclasses.replace(p) for p in cluster.pods("api")}
    cluster.scale("api", replicas=3)
    cluster.run_for(0)
    kept = {p.name for p in cluster.pods("api") if not p.terminating}
    return ([p for n, p in before.items() if n not in kept],
            [p for n, p in before.items() if n in kept])


@exercise("01.3", "Write oldest_first(pod, now) -> sort key: on a scale-down, delete pods that "
                  "are not Ready first, then the Ready pods that were created first.")
def write_a_ranking(answer: Callable[[Pod, float], Any]):
    if not callable(answer):
        return wrong("answer with the function itself: answer = oldest_first")
    gave_none = []

    def ranking(pod: Pod, now: float) -> Any:
        key = answer(pod, now)
        if key is None:
            gave_none.append(pod.name)
        return key

    try:
        deleted, kept = scale_down_with(ranking)
    except TypeError:
        if not gave_none:
            raise
    if gave_none:
        return wrong("your function returns None for some pods: return a sort key, such as a "
                     "tuple of the pod's fields.")
    unready_kept = [p for p in kept if not p.ready]
    if unready_kept:
        return wrong("a pod that is not Ready yet was kept while Ready pods were deleted: "
                     "it serves nothing, so it should go first (sort on pod.ready first).")
    kept_ready = [p.created_at for p in kept if p.ready]
    too_young = [p for p in deleted if p.ready and p.created_at > min(kept_ready, default=0)]
    if too_young:
        return wrong(f"your ranking deleted a Ready pod created at t = {too_young[0].created_at:g} "
                     f"and kept one created at t = {min(kept_ready):g}: the oldest should go "
                     "first (small keys are deleted first).")
    ages = ", ".join(f"{p.created_at:g}" + ("" if p.ready else " (not Ready)") for p in deleted)
    return right(f"the pods created at t = {ages} went: first the one that serves nothing yet, "
                 "then the oldest Ready pods.")


BROKEN_API = """\
apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  image: local://demo@1
  replicas: 3
  readinessProbe: { httpGet: { path: /healthz }, initialDelaySeconds: 1, periodSeconds: 2 }
"""


def ready_after(spec: Any, seconds: float = 30, seed: int = 2) -> "t3.Cluster":
    """``spec`` applied to a fresh cluster and run for ``seconds``."""
    cluster = t3.Cluster(seed=seed)
    cluster.apply(spec)
    cluster.run(until=seconds)
    return cluster


@exercise("01.4", "The api below never gets a Ready pod. Fix the spec so that its three "
                  "replicas are Ready 30 s after apply.", accepts=(str, dict))
def fix_the_spec(answer: Any):
    try:
        spec = load_spec(answer)
    except SpecError as error:
        return wrong(f"the spec does not load: {error}")
    if spec.name != "api" or spec.replicas != 3:
        return wrong("keep the service named api, with 3 replicas.")
    cluster = ready_after(spec)
    status = cluster.service("api").status
    if status.ready == 3:
        return right("three Ready pods: the image exists now, so the kubelet could pull it "
                     "and start the containers.")
    words = sorted({p.status.value for p in cluster.pods("api")})
    if {PodStatus.ERR_IMAGE_PULL.value, PodStatus.IMAGE_PULL_BACKOFF.value} & set(words):
        return wrong(f"the pods are still {' / '.join(words)}: the kubelet cannot pull that "
                     "image. Which images exist? (read the ErrImagePull events, and the "
                     "image of the example in section 1)")
    return wrong(f"after 30 s {status.ready} of 3 pods are Ready (STATUS: {', '.join(words)}): "
                 "read the pods' events to see why.")


choice("01.q1", "What does c.apply(spec) do at the moment you call it?",
       {"a": "It starts the pods' containers",
        "b": "It stores the desired state; the controllers act on it when simulated time runs",
        "c": "It restarts every pod whose spec differs"},
       "b", because="apply only records the wish (desired 3, current 0); the Deployment "
                    "controller creates the pods at the next step of simulated time.",
       feedback={"a": "look at the status right after apply: how many pods exist?",
                 "c": "apply never touches a pod itself; controllers compare and act."})
choice("01.q2", "You delete a Running pod and kubectl get pods shows it as Terminating. What is its phase?",
       {"a": "Terminating",
        "b": "Still Running: Terminating is the STATUS kubectl shows once the pod has a "
             "deletion timestamp",
        "c": "Unknown"},
       "b", because="Kubernetes has five phases (Pending, Running, Succeeded, Failed, "
                    "Unknown); Terminating is kubectl's word for a pod whose "
                    "deletionTimestamp is set. Its last phase is Succeeded or Failed.",
       feedback={"a": "Terminating is not one of the five phases.",
                 "c": "Unknown means the node cannot be asked; this node answers fine."})
choice("01.q3", "Two of three pods are killed. What does the ReplicaSet do?",
       {"a": "It restarts the two killed pods under their old names",
        "b": "It creates two new pods with new names",
        "c": "It waits until the killed pods are gone, then creates two"},
       "b", because="a ReplicaSet never resurrects a pod: it counts live pods (terminating "
                    "ones do not count) and creates new ones for the difference, at once.",
       feedback={"a": "compare the names in the events before and after the kill.",
                 "c": "look at when the SuccessfulCreate events come, and when Deleted."})
choice("01.q4", "Why does one reconcile pass heal a kill of any number of pods?",
       {"a": "It replays every kill event it has missed",
        "b": "It compares the whole desired state with the whole observed state",
        "c": "The kubelet tells it how many pods died"},
       "b", because="reconciliation is level-triggered: it looks at what is, not at what "
                    "changed, so one pass closes any gap.",
       feedback={"a": "that would be edge-triggered: a missed event would be a lost pod.",
                 "c": "the kubelet runs pods; it never counts them for the ReplicaSet."})

"""Chapter 05 · Rollouts: the exercises, the closing quiz, and the experiment the chapter and
the checks share (one service, a new version applied at t = 10 s, watched every second)."""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

import t32sim as t3
from t32sim.engine.rollout import surge_and_unavailable
from t32sim.lab.exercise import choice, exercise, right, wrong
from t32sim.spec import SpecError, load_spec

__all__ = ["BASE", "STRATEGIES", "with_rollout", "experiment", "aborted_at", "LENIENT"]

BASE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
        "spec": {"image": "local://demo@v1", "replicas": 6,
                 "readinessProbe": {"httpGet": {"path": "/healthz"},
                                    "initialDelaySeconds": 1, "periodSeconds": 2}}}

STRATEGIES = {
    "RollingUpdate": {"strategy": "RollingUpdate", "maxSurge": "25%", "maxUnavailable": "25%"},
    "BlueGreen": {"strategy": "BlueGreen"},
    "Canary": {"strategy": "Canary", "steps": [{"setWeight": 20}, {"pause": {"duration": 10}},
                                               {"setWeight": 50}, {"pause": {"duration": 10}}]},
}


def with_rollout(strategy: Mapping[str, Any], image: str = "local://demo@v1") -> dict:
    """The experiment's service with ``strategy`` and ``image``."""
    return {**BASE, "spec": {**BASE["spec"], "image": image, "rollout": dict(strategy)}}


def experiment(strategy: Mapping[str, Any], new_image: str = "local://demo@v2",
               until: float = 100, seed: int = 5) -> tuple["t3.Cluster", pd.DataFrame]:
    """Run v1 under 300 requests/s, apply ``new_image`` at t = 10 s, and every second send 100
    requests and count the live pods of the old (v1) and the new version. Returns the cluster
    and the watch table (one row a second)."""
    c = t3.Cluster(seed=seed)
    c.apply(with_rollout(strategy))
    c.run(until=10)
    c.set_load("api", rps=300)
    c.apply(with_rollout(strategy, new_image))
    rows = []
    while c.now < until:
        c.send("api", 100)
        live = [p for p in c.pods("api") if not p.terminating]
        rows.append({"time": c.now, "pods": len(live), "ready": sum(p.ready for p in live),
                     "old pods": sum(p.version == "v1" for p in live),
                     "new pods": sum(p.version != "v1" for p in live)})
        c.run_for(1)
    requests = c.requests.assign(new=c.requests["version"] != "v1")
    served = requests.groupby(["time", "new"])["count"].sum().unstack(fill_value=0)
    watch = pd.DataFrame(rows).set_index("time")
    watch["% served by new"] = (served.get(True, 0) / served.sum(axis=1) * 100).round(1)
    return c, watch


@exercise("05.1", "Ten replicas, maxSurge 25 % and maxUnavailable 25 %: at most how many pods "
                  "exist during a rolling update, and at least how many are available? "
                  "(a pair: (most, fewest))", accepts=(tuple, list))
def surge_by_hand(answer: Any):
    spec = load_spec({**BASE, "spec": {**BASE["spec"], "replicas": 10,
                                       "rollout": STRATEGIES["RollingUpdate"]}})
    surge, unavailable = surge_and_unavailable(spec.rollout, 10)
    expected = (10 + surge, 10 - unavailable)
    if len(answer) != 2:
        return wrong("answer with two numbers: (most pods, fewest available).")
    if tuple(answer) == expected:
        return right(f"25 % of 10 is 2.5: maxSurge rounds up to {surge} (at most {expected[0]} "
                     f"pods), maxUnavailable rounds down to {unavailable} (at least "
                     f"{expected[1]} available).")
    if tuple(answer) in ((12, 8), (13, 7), (12, 7)):
        return wrong("25 % of 10 is 2.5, and the two limits round it in different directions: "
                     "which one may round up?")
    return wrong("maxSurge is how many pods above replicas may exist, maxUnavailable how many "
                 "below replicas may be unavailable.")


GUARDED = {**STRATEGIES["Canary"], "analysis": {"maxErrorRate": 0.05, "interval": 10,
                                               "failureLimit": 1}}


def aborted_at(strategy: Mapping[str, Any], image: str = "local://demo@flaky",
               until: float = 100) -> float | None:
    """When the rollout of ``image`` under ``strategy`` was aborted (None: it was not)."""
    cluster, _ = experiment(strategy, new_image=image, until=until)
    times = [e.time for e in cluster.event_log if e.reason is t3.Reason.ROLLOUT_ABORTED]
    return times[0] if times else None


@exercise("05.2", "The guarded canary of the flaky image, with failureLimit: 2 instead of 1. At "
                  "what time is the rollout aborted?", accepts=(int, float))
def predict_the_abort(answer: float):
    at = aborted_at({**GUARDED, "analysis": {**GUARDED["analysis"], "failureLimit": 2}})
    if answer == at:
        return right(f"runs at 20, 30 and {at:g} s all fail; the third failure exceeds the limit "
                     f"of 2, so the rollout aborts at {at:g} s.")
    if answer == at - 10:
        return wrong("that run makes two failures; does failureLimit: 2 abort when failures "
                     "reach the limit, or when they exceed it?")
    return wrong("the analysis runs every 10 s once the canary has traffic, and each run of the "
                 "flaky image fails; count the failures the limit tolerates.")


def rollout_watch(strategy: Mapping[str, Any]) -> tuple["t3.Cluster", pd.DataFrame]:
    """The rolling-update experiment for a student's ``{maxSurge, maxUnavailable}``."""
    return experiment({"strategy": "RollingUpdate", **strategy}, until=120)


@exercise("05.3", "Choose maxSurge and maxUnavailable so that replacing 6 pods never leaves "
                  "fewer than 6 Ready pods and never runs more than 7 pods.", accepts=dict)
def tune_the_rolling_update(answer: dict):
    unknown = sorted(set(answer) - {"maxSurge", "maxUnavailable"})
    if unknown:
        return wrong(f"only maxSurge and maxUnavailable, got {', '.join(unknown)}.")
    try:
        load_spec(with_rollout({"strategy": "RollingUpdate", **answer}))
    except SpecError as error:
        return wrong(f"the spec does not load: {error}")
    cluster, watch = rollout_watch(answer)
    most, fewest = int(watch["pods"].max()), int(watch["ready"].min())
    done = {p.version for p in cluster.pods("api") if not p.terminating} == {"v2"}
    if most > 7:
        return wrong(f"at one moment {most} pods ran: the surge is too large.")
    if fewest < 6:
        return wrong(f"at one moment only {fewest} pods were Ready: the update took pods "
                     "away before their replacements were Ready.")
    if not done:
        return wrong("the rollout never finished.")
    took = int(watch.index[watch["old pods"] == 0][0] - 10)
    return right(f"never more than {most} pods and never fewer than {fewest} Ready; one pod at a "
                 f"time, so the update took {took} s.")


LENIENT = {**STRATEGIES["Canary"], "analysis": {"maxErrorRate": 0.5, "interval": 10,
                                               "failureLimit": 1}}


@exercise("05.4", "This canary's analysis lets the flaky image (30 % errors) through. Fix the "
                  "strategy: flaky aborted, v2 (no errors) still rolled out.", accepts=dict)
def fix_the_analysis(answer: dict):
    try:
        spec = load_spec(with_rollout(answer))
    except SpecError as error:
        return wrong(f"the strategy does not load: {error}")
    if spec.rollout.strategy.value != "Canary" or spec.rollout.analysis is None:
        return wrong("keep a Canary with an analysis: the point is that it decides by itself.")
    if aborted_at(answer) is None:
        return wrong("the flaky image still goes through: its 30 % errors have to fail the "
                     "analysis.")
    good, _ = experiment(answer, new_image="local://demo@v2", until=100)
    status = good.service("api").status
    if status.phase.value != "Healthy" or status.stable_revision != 2:
        return wrong(f"now v2 does not make it either (phase {status.phase.value}): the "
                     "analysis fails a version that has no errors.")
    return right("the analysis aborts the flaky canary and lets the clean v2 through.")


choice("05.q1", "A BlueGreen rollout of a 6-replica service: how many pods run at most during "
                "the switch?",
       {"a": "6", "b": "8", "c": "12"},
       "c", because="blue/green brings up the whole new version beside the old one before it "
                    "switches all traffic in one step: twice the pods for a while.",
       feedback={"a": "where would the new version run while the old one still serves?",
                 "b": "that is a rolling update with maxSurge 25 %."})
choice("05.q2", "An Argo canary analysis has failureLimit: 1. When does it abort?",
       {"a": "At the first failed run",
        "b": "At the second failed run: failures must exceed the limit",
        "c": "Never: the limit only pauses it"},
       "b", because="Argo fails the analysis when failed runs > failureLimit, so a limit of 1 "
                    "tolerates one failure.",
       feedback={"a": "that is failureLimit: 0, Argo's default.",
                 "c": "a failed analysis aborts the rollout and sends traffic back to stable."})
choice("05.q3", "What does undo do?",
       {"a": "Rewinds the cluster to how it was before the last rollout",
        "b": "Rolls the previous pod template out again, as a new revision, under the same "
             "strategy",
        "c": "Deletes the newest ReplicaSet at once"},
       "b", because="undo copies the old template back into the spec; the strategy rolls it "
                    "out like any new version, and the revision number moves forward.",
       feedback={"a": "nothing in Kubernetes rewinds time; think of what undo changes.",
                 "c": "the old pods have to come up first: it is a rollout like any other."})
choice("05.q4", "maxSurge: 25% with 6 replicas allows how many extra pods?",
       {"a": "1: 1.5 rounded down", "b": "2: 1.5 rounded up", "c": "1.5"},
       "b", because="maxSurge rounds up (and maxUnavailable rounds down), so a percentage never "
                    "blocks a rollout.",
       feedback={"a": "rounding down is what maxUnavailable does.",
                 "c": "pods come in whole numbers."})

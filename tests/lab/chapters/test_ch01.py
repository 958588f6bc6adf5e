"""Worked and plausible wrong answers for chapter 01 (t32sim/lab/chapters/ch01.py); the
solution notebook notebooks/solutions/01-desired-state.ipynb uses the same answers."""
from __future__ import annotations

from t32sim.engine.deployment import kubernetes_ranking
from t32sim.lab.chapters.ch01 import BROKEN_API


def oldest_first(pod, now):
    return (pod.ready, pod.created_at)


def no_key(pod, now):
    """The unfinished function of the chapter cell."""


def none_for_unready(pod, now):
    """Returns None for a pod that is not Ready (sorting may never compare it)."""
    return pod.created_at if pod.ready else None


def oldest_only(pod, now):
    """Forgets that a pod that is not Ready serves nothing."""
    return pod.created_at


def newest_first(pod, now):
    return (pod.ready, -pod.created_at)


def longest_ready_first(pod, now):
    """Ready time is not creation time, but here it ranks the same as newest-first."""
    return (pod.ready, pod.ready_since or 0.0)


RIGHT = {
    "01.1": 37,
    "01.2": {"quick": 1, "stubborn": 30, "slow": 2},
    "01.3": oldest_first,
    "01.4": BROKEN_API.replace("local://demo@1", "local://demo@v1"),
    "01.q1": "b",
    "01.q2": "b",
    "01.q3": "b",
    "01.q4": "b",
}

WRONG = {
    "01.1": [36, 35, 34, 40, 60, 67],
    "01.2": [{"quick": 30, "stubborn": 30, "slow": 2}, {"quick": 1, "stubborn": 30, "slow": 3},
             {"quick": 0, "stubborn": 30, "slow": 2}, {"quick": 1, "stubborn": 30},
             {"quick": 1, "stubborn": ..., "slow": 2}],
    "01.3": [oldest_only, newest_first, kubernetes_ranking, 3, no_key, none_for_unready],
    "01.4": [BROKEN_API, BROKEN_API.replace("replicas: 3", "replicas: 0"),
             BROKEN_API.replace("local://demo@1", "local://demo@crash"),
             BROKEN_API.replace("local://demo@1", "local://demo@v9"),
             BROKEN_API.replace("replicas: 3", "replica: 3")],
    "01.q1": ["a", "c", "z"],
    "01.q2": ["a", "c"],
    "01.q3": ["a", "c"],
    "01.q4": ["a", "c"],
}

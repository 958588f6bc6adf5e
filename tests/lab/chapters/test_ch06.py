"""Worked and plausible wrong answers for chapter 06 (t32sim/lab/chapters/ch06.py); the
solution notebook notebooks/solutions/06-observability.ipynb uses the same answers."""
from __future__ import annotations

from t32sim.lab.chapters.ch06 import BROKEN_API


def error_budget_burn(obs):
    return obs.error_rate > 0.05


def any_error(obs):
    return obs.errors > 0


def pods_missing(obs):
    return obs.ready < obs.desired


def half_failing(obs):
    return obs.error_rate > 0.5


FIXED = BROKEN_API.replace("maxSurge: 0, maxUnavailable: 100%", "maxSurge: 1, maxUnavailable: 0")

RIGHT = {
    "06.1": 6,
    "06.2": 2,
    "06.3": error_budget_burn,
    "06.4": 64.4,
    "06.5": FIXED,
    "06.q1": "c",
    "06.q2": "b",
    "06.q3": "a",
    "06.q4": "b",
}

WRONG = {
    "06.1": [8, 7, 2, 4],
    "06.2": [0, 1, 16],
    "06.3": [any_error, pods_missing, half_failing, "error_rate > 0.05"],
    "06.4": [75, 50, 20, 56.5],
    "06.5": [BROKEN_API, BROKEN_API.replace("maxUnavailable: 100%", "maxUnavailable: 50%"),
             BROKEN_API.replace("maxUnavailable: 100%", "maxUnavailable: 0"),
             BROKEN_API.replace("replicas: 4", "replicas: 8")],
    "06.q1": ["a", "b"],
    "06.q2": ["a", "c"],
    "06.q3": ["b", "c"],
    "06.q4": ["a", "c"],
}

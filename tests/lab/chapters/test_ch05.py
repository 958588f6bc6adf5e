"""Worked and plausible wrong answers for chapter 05 (t32sim/lab/chapters/ch05.py); the
solution notebook notebooks/solutions/05-rollouts.ipynb uses the same answers."""
from __future__ import annotations

from t32sim.lab.chapters.ch05 import LENIENT, STRATEGIES


def with_error_rate(rate):
    return {**LENIENT, "analysis": {**LENIENT["analysis"], "maxErrorRate": rate}}


RIGHT = {
    "05.1": (13, 8),
    "05.2": 40,
    "05.3": {"maxSurge": 1, "maxUnavailable": 0},
    "05.4": with_error_rate(0.05),
    "05.q1": "c",
    "05.q2": "b",
    "05.q3": "b",
    "05.q4": "b",
}

WRONG = {
    "05.1": [(12, 8), (13, 7), (12, 7), (8, 13), (13,)],
    "05.2": [30, 20, 50],
    "05.3": [{"maxSurge": "25%", "maxUnavailable": "25%"}, {"maxSurge": 0, "maxUnavailable": 1},
             {"maxSurge": 2, "maxUnavailable": 0}, {"maxSurge": 1, "maxUnavailable": 0,
                                                   "replicas": 6}],
    "05.4": [LENIENT, with_error_rate(0.4), STRATEGIES["Canary"], STRATEGIES["BlueGreen"],
             {**LENIENT, "analysis": {**LENIENT["analysis"], "maxErrorRate": 2}}],
    "05.q1": ["a", "b"],
    "05.q2": ["a", "c"],
    "05.q3": ["a", "c"],
    "05.q4": ["a", "c"],
}

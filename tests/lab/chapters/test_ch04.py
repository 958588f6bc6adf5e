"""Worked and plausible wrong answers for chapter 04 (t32sim/lab/chapters/ch04.py); the
solution notebook notebooks/solutions/04-autoscaling.ipynb uses the same answers."""
from __future__ import annotations

import math

from t32sim.lab.chapters.ch04 import BROKEN_SHOP


def desired_replicas(ready_pods, cpu, target):
    ratio = cpu / target
    if 0.9 <= ratio <= 1.1:
        return ready_pods
    return math.ceil(ratio * ready_pods)


def before_133(ready_pods, cpu, target):
    """The tolerance as Kubernetes tested it before 1.33."""
    ratio = cpu / target
    if abs(1 - ratio) <= 0.1:
        return ready_pods
    return math.ceil(ratio * ready_pods)


def no_tolerance(ready_pods, cpu, target):
    return math.ceil(ready_pods * cpu / target)


def rounds_down(ready_pods, cpu, target):
    ratio = cpu / target
    return ready_pods if 0.9 <= ratio <= 1.1 else int(ratio * ready_pods)


RIGHT = {
    "04.1": 6,
    "04.2": 89,
    "04.3": desired_replicas,
    "04.4": 61,
    "04.5": BROKEN_SHOP.replace("max: 3", "max: 6"),
    "04.q1": "b",
    "04.q2": "b",
    "04.q3": "b",
    "04.q4": "b",
}

WRONG = {
    "04.1": [4, 5, 3, 8],
    "04.2": [88, 90, 80],
    "04.3": [before_133, no_tolerance, rounds_down, 6],
    "04.4": [60, 0, 300, 90],
    "04.5": [BROKEN_SHOP, BROKEN_SHOP.replace("max: 3", "max: 5"),
             BROKEN_SHOP.replace("targetCPU: 60", "targetCPU: 90"),
             BROKEN_SHOP.replace("min: 2", "min: 6").replace("max: 3", "max: 6"),
             BROKEN_SHOP.replace("max: 3", "max: three")],
    "04.q1": ["a", "c", "z"],
    "04.q2": ["a", "c"],
    "04.q3": ["a", "c"],
    "04.q4": ["a", "c"],
}

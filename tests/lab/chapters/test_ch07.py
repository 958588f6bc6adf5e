"""Worked and plausible wrong answers for chapter 07 (t32sim/lab/chapters/ch07.py); the
solution notebook notebooks/solutions/07-failover-monitor.ipynb uses the same answers."""
from __future__ import annotations

from t32sim.failover import FailoverConfig
from t32sim.lab.chapters.ch07 import BROKEN_CONFIG


def first_failover(observations, threshold, window):
    failures = []
    for time, ok in observations:
        failures = [f for f in failures if time - f < window]
        if not ok:
            failures.append(time)
            if len(failures) >= threshold:
                return time
    return None


def in_a_row(observations, threshold, window):
    """Kubernetes' failureThreshold: a success resets the count."""
    count = 0
    for time, ok in observations:
        count = 0 if ok else count + 1
        if count >= threshold:
            return time
    return None


def window_inclusive(observations, threshold, window):
    """Off by one: a failure exactly one window old still counts."""
    failures = []
    for time, ok in observations:
        failures = [f for f in failures if time - f <= window]
        if not ok:
            failures.append(time)
            if len(failures) >= threshold:
                return time
    return None


def successes_erase(observations, threshold, window):
    """A success clears the window."""
    failures = []
    for time, ok in observations:
        if ok:
            failures = []
            continue
        failures = [f for f in failures if time - f < window] + [time]
        if len(failures) >= threshold:
            return time
    return None


RIGHT = {
    "07.1": 26,
    "07.2": 5,
    "07.3": FailoverConfig(threshold=5, window=10, cooldown=15),
    "07.4": first_failover,
    "07.q1": "b",
    "07.q2": "b",
    "07.q3": "a",
    "07.q4": "b",
}

WRONG = {
    "07.1": [24, 23, 25, 30],
    "07.2": [4, 6, 3, 0],
    "07.3": [BROKEN_CONFIG, FailoverConfig(threshold=3), FailoverConfig(threshold=5, window=2),
             FailoverConfig(threshold=20, window=60), {"threshold": 0},
             FailoverConfig(versions=("v1", "v2"))],
    "07.4": [in_a_row, window_inclusive, successes_erase, 5],
    "07.q1": ["a", "c"],
    "07.q2": ["a", "c"],
    "07.q3": ["b", "c"],
    "07.q4": ["a", "c"],
}

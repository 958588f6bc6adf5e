"""Worked and plausible wrong answers for chapter 03 (t32sim/lab/chapters/ch03.py); the
solution notebook notebooks/solutions/03-load-balancing.ipynb uses the same answers."""
from __future__ import annotations

from t32sim.lab.chapters.ch03 import BROKEN_API

FIXED = BROKEN_API.replace('value: "0"', 'value: "1"')

RIGHT = {
    "03.1": 333,
    "03.2": ["v1", "v2", "v1", "v2", "v1"],
    "03.3": 7,
    "03.4": FIXED,
    "03.q1": "b",
    "03.q2": "a",
    "03.q3": "b",
    "03.q4": "b",
}

WRONG = {
    "03.1": [250, 249, 334, 0],
    "03.2": [["v1", "v1", "v1", "v2", "v2"], ["v1", "v1", "v2", "v1", "v2"],
             "v2 v1 v2 v1 v1", ["v1", "v2"]],
    "03.3": [6, 8, 4, 0],
    "03.4": [BROKEN_API,
             "\n".join(line for line in FIXED.splitlines() if "readinessProbe" not in line),
             FIXED.replace("initialDelaySeconds: 1", "initialDelaySeconds: 30"),
             FIXED.replace("name: api", "name: web")],
    "03.q1": ["a", "c"],
    "03.q2": ["b", "c"],
    "03.q3": ["a", "c"],
    "03.q4": ["a", "c"],
}

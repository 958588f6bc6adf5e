"""Worked and plausible wrong answers for chapter 02 (t32sim/lab/chapters/ch02.py); the
solution notebook notebooks/solutions/02-probes-and-self-healing.ipynb uses the same answers."""
from __future__ import annotations

from t32sim.lab.chapters.ch02 import BROKEN_SLOW

LIVENESS = ("  livenessProbe: { httpGet: { path: /livez }, initialDelaySeconds: 1, "
            "periodSeconds: 2, failureThreshold: 3 }\n")
STARTUP = "  startupProbe: { httpGet: { path: /livez }, periodSeconds: 2, failureThreshold: 10 }\n"

RIGHT = {
    "02.1": {"ready": 7, "not_ready": 25, "ready_again": 43},
    "02.2": 16,
    "02.3": BROKEN_SLOW + STARTUP,
    "02.4": 4,
    "02.q1": "b",
    "02.q2": "b",
    "02.q3": "b",
    "02.q4": "b",
}

WRONG = {
    "02.1": [{"ready": 5, "not_ready": 25, "ready_again": 43},      # successThreshold forgotten
             {"ready": 7, "not_ready": 21, "ready_again": 41},      # the first failure / pass
             {"ready": 7, "not_ready": 26, "ready_again": 43},      # 20 + 3 × 2
             {"ready": 7, "not_ready": 25}],
    "02.2": [17, 12, 8, 15, 11],
    "02.3": [BROKEN_SLOW,
             BROKEN_SLOW.replace(LIVENESS, ""),                                  # no liveness
             BROKEN_SLOW.replace("initialDelaySeconds: 1, periodSeconds: 2, failureThreshold: 3",
                                 "initialDelaySeconds: 10, periodSeconds: 2, failureThreshold: 3"),
             BROKEN_SLOW + STARTUP.replace("failureThreshold: 10", "failureThreshold: 2"),
             BROKEN_SLOW.replace("local://demo@slow", "local://demo@v1"),
             BROKEN_SLOW + "  startupProbe: { httpGet: { path: /livez }, periodSeconds: -2 }\n"],
    "02.4": [3, 5, 10, 7],
    "02.q1": ["a", "c", "z"],
    "02.q2": ["a", "c"],
    "02.q3": ["a", "c"],
    "02.q4": ["a", "c"],
}

"""Frames benchmark: c.events for 600,000 events, built column-wise (goal: well under 1 s).

    .venv/bin/python benchmarks/frames.py
"""
from __future__ import annotations

import time

import pandas  # noqa: F401  (imported before timing: the import is not the frame)

from t32sim.engine.events import EventLog, Reason

EVENTS = 600_000


def main() -> None:
    log = EventLog()
    for i in range(EVENTS):
        log.emit(i * 0.01, Reason.SUCCESSFUL_CREATE if i % 2 else Reason.SCALED, f"svc{i % 100}",
                 f"Created pod: svc-{i}", pod=f"svc-{i}")
    walls = []
    for _ in range(3):
        start = time.perf_counter()
        frame = log.frame()
        walls.append(time.perf_counter() - start)
    assert len(frame) == EVENTS
    print(f"events frame: {EVENTS:,} events in {min(walls):.3f} s (best of 3; "
          f"{', '.join(f'{w:.3f}' for w in walls)})")


if __name__ == "__main__":
    main()

"""Wall-clock pacing: which simulated time the cluster should have reached now.

``target() = t0 + (clock() - w0) * speed``. Every change of speed, pause or an
explicit jump re-anchors ``(t0, w0)`` so simulated time never jumps backwards
or forwards by itself. The pacer only *computes*; ``LiveCluster`` runs the engine.
"""
from __future__ import annotations

from typing import Callable

__all__ = ["Pacer", "MIN_SPEED", "MAX_SPEED"]

MIN_SPEED = 0.01
MAX_SPEED = 1000.0


class Pacer:
    def __init__(self, clock: Callable[[], float], sim_now: float = 0.0,
                 speed: float = 1.0, paused: bool = False):
        self._clock = clock
        self.speed = _checked(speed)
        self.paused = paused
        self.t0 = float(sim_now)
        self.w0 = clock()

    def target(self) -> float:
        """The simulated time the cluster should be at, right now."""
        if self.paused:
            return self.t0
        return self.t0 + (self._clock() - self.w0) * self.speed

    def rebase(self, sim_now: float) -> None:
        """Re-anchor at ``sim_now``: used after a jump or when the engine fell behind."""
        self.t0 = float(sim_now)
        self.w0 = self._clock()

    def set_speed(self, speed: float, sim_now: float) -> None:
        self.speed = _checked(speed)
        self.rebase(sim_now)

    def pause(self, sim_now: float) -> None:
        self.paused = True
        self.rebase(sim_now)

    def resume(self, sim_now: float) -> None:
        self.paused = False
        self.rebase(sim_now)


def _checked(speed: float) -> float:
    speed = float(speed)
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}")
    return speed

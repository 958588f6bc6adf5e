"""Probe arithmetic: when will a probe's run of successes or failures cross a threshold?

A probe fires at ``origin + k * period`` (k = 0, 1, ...). Between two changes of the
world its results are fixed: it fails before ``passing_from`` and passes from then on.
So instead of simulating every probe, the kubelet asks this module for the one moment
that matters (the probe that crosses ``successThreshold`` or ``failureThreshold``) and
sleeps until then. Cost follows change, not time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from t32sim.spec import Probe

INF = math.inf
_EPS = 1e-9


@dataclass
class ProbeTrack:
    """The consecutive results of one probe on one container, evaluated lazily."""
    probe: Probe
    origin: float              # time of probe number 0
    index: int = 0             # the next probe not yet evaluated
    successes: int = 0         # consecutive successes so far
    failures: int = 0          # consecutive failures so far
    passing_from: float = INF  # probes at or after this time pass; INF: every probe fails

    @classmethod
    def for_container(cls, probe: Probe, started_at: float, not_before: float) -> "ProbeTrack":
        """A track for a container started at ``started_at`` whose first probe runs no
        earlier than ``not_before`` (a startup probe holds the others back)."""
        track = cls(probe, started_at + probe.initial_delay_seconds)
        track.index = track.first_index_at(not_before)
        return track

    @property
    def period(self) -> float:
        return self.probe.period_seconds

    def time_of(self, k: float) -> float:
        return self.origin + k * self.period

    def first_index_at(self, t: float) -> float:
        """The index of the first probe at or after time ``t`` (INF for t = INF)."""
        if t == INF:
            return INF
        if t <= self.origin:
            return 0
        return math.ceil((t - self.origin) / self.period - _EPS)

    def advance(self, now: float) -> None:
        """Count the results of every probe at or before ``now``."""
        if now < self.origin:
            return
        last = math.floor((now - self.origin) / self.period + _EPS)
        if last < self.index:
            return
        split = min(max(self.first_index_at(self.passing_from), self.index), last + 1)
        failed, passed = split - self.index, last + 1 - split
        if failed:
            self.failures = self.failures + failed if self.successes == 0 else failed
            self.successes = 0
        if passed:
            self.successes = self.successes + passed if not failed else passed
            self.failures = 0
        self.index = last + 1

    def when_successes_reach(self, threshold: int) -> float:
        """The time of the probe that makes ``threshold`` successes in a row (INF: never)."""
        if self.successes >= threshold:
            return INF
        first_pass = max(self.first_index_at(self.passing_from), self.index)
        if first_pass == INF:
            return INF
        streak = self.successes if first_pass == self.index else 0
        return self.time_of(first_pass + threshold - streak - 1)

    def when_failures_reach(self, threshold: int) -> float:
        """The time of the probe that makes ``threshold`` failures in a row (INF: never)."""
        if self.failures >= threshold:
            return INF
        crossing = self.index + threshold - self.failures - 1
        if crossing >= self.first_index_at(self.passing_from):
            return INF
        return self.time_of(crossing)

"""Symptom-based alert rules: a condition over what users see, held for ``for_seconds``.

The built-in rule (``engine/health.py``) alerts on a cause: how many pods are Ready.
Users feel symptoms instead: errors and slow answers. ``Cluster.alerts.add_rule(name,
condition, for_seconds, severity)`` adds a rule in the shape of a Prometheus alerting
rule (``expr`` / ``for`` / ``labels: {severity}``): every ``evaluation_seconds`` the alert
manager builds an :class:`Observation` of each service and calls ``condition(obs)``.

* The condition holds: the rule is **pending**; once it has held at every evaluation for
  ``for_seconds`` it **fires** (an ``AlertFiring`` event, the notifiers are called).
* It no longer holds: a pending rule is forgotten, a firing one is **resolved**
  (``AlertResolved``, saying how long it fired).
* It raises: an ``AlertRuleFailed`` warning, and it counts as not holding.

An observation is measured over the last ``window_seconds`` (PromQL's ``rate(...[30s])``):
requests per second, the share of them answered 5xx (offered load, routed requests and
503s for no endpoint all count), and the latency histogram of the routed requests, read
with ``histogram_quantile``. ``RuleTracker`` is the pure state machine of one rule and one
service; ``Window`` keeps the counter snapshots a rate is taken from.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from t32sim.engine.health import Health
from t32sim.engine.histogram import LATENCY_BUCKETS, histogram_quantile
from t32sim.enums import StrEnum

__all__ = ["SEVERITIES", "Observation", "AlertRule", "RuleState", "RuleAlert",
           "RuleTracker", "Counters", "Window"]

SEVERITIES = ("critical", "warning", "info")
_EPS = 1e-9


@dataclass(frozen=True)
class Observation:
    """What a rule's condition sees of one service at one evaluation."""
    time: float
    service: str
    desired: int              # spec.replicas
    ready: int                # Ready, non-terminating pods
    serving: int              # Ready pods the load balancer sends traffic to
    min_available: int        # desired - maxUnavailable (the rollout's budget)
    health: Health            # the built-in rule's view right now (not yet confirmed)
    rps: float                # requests per second over the window
    error_rate: float         # share of those answered 5xx (0.0 without requests)
    cpu: float                # average CPU of the serving pods, percent of their request
    requests: float = 0.0     # requests answered in the window
    errors: float = 0.0       # ... of them 5xx
    latency_counts: tuple[float, ...] = ()   # routed requests per latency bucket, in window

    def latency_quantile(self, q: float) -> float | None:
        """The ``q`` quantile of routed requests' latency in the window, in seconds
        (PromQL's ``histogram_quantile``); None when no request was routed."""
        return histogram_quantile(q, self.latency_counts, LATENCY_BUCKETS)

    @property
    def p50(self) -> float | None:
        return self.latency_quantile(0.5)

    @property
    def p90(self) -> float | None:
        return self.latency_quantile(0.9)

    @property
    def p99(self) -> float | None:
        return self.latency_quantile(0.99)

    @property
    def ready_ratio(self) -> float:
        """Ready / desired (1.0 when scaled to zero)."""
        return self.ready / self.desired if self.desired > 0 else 1.0


Condition = Callable[[Observation], Any]


@dataclass(frozen=True)
class AlertRule:
    """A named condition that must hold ``for_seconds`` before it fires."""
    name: str
    condition: Condition
    for_seconds: float = 0.0
    severity: str = "warning"
    service: str | None = None          # None: every service

    def applies_to(self, service: str) -> bool:
        return self.service is None or self.service == service


class RuleState(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


@dataclass(frozen=True)
class RuleAlert:
    """A rule firing or resolved; ``kind``/``subject``/``body`` suit a mail notifier."""
    time: float
    service: str
    rule: str
    severity: str
    kind: str                          # "FIRING" or "RESOLVED"
    since: float                       # when the condition started to hold
    observation: Observation
    firing_seconds: float | None = None   # on RESOLVED: how long it fired

    @property
    def subject(self) -> str:
        return f"[t32sim] {self.service}: {self.rule} {self.kind.lower()} ({self.severity})"

    @property
    def body(self) -> str:
        return self.message + "\n"

    @property
    def message(self) -> str:
        o = self.observation
        facts = (f"error rate {o.error_rate:.1%} at {o.rps:.0f} rps" +
                 (f", p99 latency {o.p99 * 1000:.0f} ms" if o.p99 is not None else "") +
                 f", {o.ready} of {o.desired} pods Ready")
        if self.kind == "FIRING":
            return (f"{self.rule} is firing for {self.service} at t={self.time:g} s "
                    f"(it has held since t={self.since:g} s): {facts}.")
        return (f"{self.rule} is resolved for {self.service} at t={self.time:g} s after "
                f"firing for {self.firing_seconds:g} s: {facts}.")

    def to_dict(self) -> dict[str, Any]:
        o = self.observation
        return {"time": self.time, "service": self.service, "kind": self.kind,
                "since": self.since, "previous": None, "ready": o.ready, "desired": o.desired,
                "down_seconds": self.firing_seconds, "subject": self.subject,
                "message": self.message, "rule": self.rule, "severity": self.severity}


@dataclass
class RuleTracker:
    """Pending / firing / resolved for one rule and one service (pure)."""
    rule: AlertRule
    service: str
    state: RuleState = RuleState.INACTIVE
    since: float = 0.0                  # when the condition started to hold
    fired_at: float = 0.0

    def observe(self, time: float, holds: bool, observation: Observation) -> RuleAlert | None:
        """Feed one evaluation; returns the alert it leads to (FIRING / RESOLVED) or None."""
        if not holds:
            was_firing = self.state is RuleState.FIRING
            self.state = RuleState.INACTIVE
            if was_firing:
                return RuleAlert(time, self.service, self.rule.name, self.rule.severity,
                                 "RESOLVED", self.since, observation, time - self.fired_at)
            return None
        if self.state is RuleState.INACTIVE:
            self.state, self.since = RuleState.PENDING, time
        if self.state is RuleState.PENDING and time + _EPS >= self.since + self.rule.for_seconds:
            self.state, self.fired_at = RuleState.FIRING, time
            return RuleAlert(time, self.service, self.rule.name, self.rule.severity,
                             "FIRING", self.since, observation)
        return None


@dataclass(frozen=True)
class Counters:
    """Cumulative counters of one service at one moment."""
    time: float
    requests: float
    errors: float
    latency: tuple[float, ...]          # routed requests per bucket (not cumulative)


@dataclass
class Window:
    """Snapshots of one service's counters, enough to take a rate over ``seconds``."""
    seconds: float
    snapshots: deque = field(default_factory=deque)

    def add(self, counters: Counters) -> tuple[float, float, float, tuple[float, ...]]:
        """Record ``counters``; return (seconds covered, requests, errors, latency counts)
        since the latest snapshot at least ``seconds`` old (or the oldest one)."""
        snaps = self.snapshots
        snaps.append(counters)
        while len(snaps) > 1 and snaps[1].time <= counters.time - self.seconds + _EPS:
            snaps.popleft()
        base = snaps[0]
        return (counters.time - base.time, counters.requests - base.requests,
                counters.errors - base.errors, _minus(counters.latency, base.latency))


def _minus(now: Sequence[float], then: Sequence[float]) -> tuple[float, ...]:
    if not then:
        return tuple(now)
    return tuple(a - b for a, b in zip(now, then))

"""The pure part of the service alerts: windows, alert texts and one service's state machine.

``AlertTracker`` is fed observations ``(time, health)`` (see ``engine/health.py`` for
UP / DEGRADED / DOWN / SCALED) and answers with :class:`Transition` s. Its rules:

1. **Confirmation.** A new state counts only once it has held for its window
   (``confirm_down_seconds`` for DOWN, ``confirm_degraded_seconds`` for DEGRADED,
   ``confirm_up_seconds`` for UP and SCALED): a pod restarting for three seconds is not an
   outage, and a scale-up whose new pods are Ready within the window is not trouble.
2. **Start-up grace.** No DOWN or DEGRADED is confirmed within ``grace_seconds`` of the
   service first being seen (or scaled up from zero): new pods need time to start.
3. **Baseline.** The first confirmed state is the baseline and gets no alert, when it is
   UP or SCALED. A service still DOWN or DEGRADED when the grace period ends *is* alerted:
   a service that never came up is an outage.
4. **Cooldown.** Two alerts of the same kind for one service are at least
   ``cooldown_seconds`` apart. A transition confirmed inside the cooldown is held (a
   ``HELD`` transition, so a student sees why no alert came); when the cooldown ends it is
   alerted only if the service is still in that state. A flapping service therefore sends
   one DOWN and one UP per cooldown, not a storm.
5. **Downtime.** An UP (or SCALED) alert after trouble says how long the trouble lasted:
   from the moment the service went DOWN or DEGRADED to the moment it was UP again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from t32sim.engine.health import BAD, BUDGET, RULES, Health
from t32sim.enums import StrEnum

__all__ = ["AlertConfig", "Alert", "Outcome", "Transition", "AlertTracker", "SEVERITY"]

_EPS = 1e-9
_SECONDS = ("grace_seconds", "confirm_down_seconds", "confirm_degraded_seconds",
            "confirm_up_seconds", "cooldown_seconds", "evaluation_seconds", "window_seconds")
#: the severity label of each kind of health alert (Prometheus' usual three)
SEVERITY = {Health.DOWN: "critical", Health.DEGRADED: "warning", Health.UP: "info",
            Health.SCALED: "info"}


@dataclass(frozen=True)
class AlertConfig:
    """Windows in simulated seconds, and the health rule ("budget" or "original").

    ``evaluation_seconds`` and ``window_seconds`` are for the symptom rules
    (``add_rule``): how often they are evaluated, and over how many seconds their error
    rate and latency are measured.
    """
    grace_seconds: float = 30.0
    confirm_down_seconds: float = 10.0
    confirm_degraded_seconds: float = 30.0
    confirm_up_seconds: float = 10.0
    cooldown_seconds: float = 60.0
    rule: str = BUDGET
    evaluation_seconds: float = 5.0
    window_seconds: float = 30.0

    def __post_init__(self) -> None:
        for name in _SECONDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value < float("inf"):
                raise ValueError(f"{name}: expected a number of seconds >= 0, got {value!r}")
        for name in ("evaluation_seconds", "window_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: expected a number of seconds > 0, "
                                 f"got {getattr(self, name)!r}")
        if self.rule not in RULES:
            raise ValueError(f"rule: expected one of {', '.join(map(repr, RULES))}, "
                             f"got {self.rule!r}")

    def confirm_seconds(self, health: Health) -> float:
        if health is Health.DOWN:
            return self.confirm_down_seconds
        if health is Health.DEGRADED:
            return self.confirm_degraded_seconds
        return self.confirm_up_seconds


@dataclass(frozen=True)
class Alert:
    """One alert about one service. ``kind``/``subject``/``body`` suit a mail notifier."""
    time: float                    # when the alert was raised
    service: str
    kind: Health                   # the state the service is now in
    since: float                   # when the service entered that state
    previous: Health | None        # the state last alerted (None: it never came up)
    ready: int
    desired: int
    down_seconds: float | None = None   # on UP / SCALED after trouble: how long it lasted
    min_available: int | None = None    # DEGRADED: the Ready pods the rollout keeps at least
    trouble: tuple[Health, ...] = ()    # on UP / SCALED: the kinds of trouble, in order
    serving: int | None = None          # Ready pods that get traffic (None: not measured)

    rule = "ServiceHealth"             # the built-in rule (symptom rules have their names)

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]

    @property
    def subject(self) -> str:
        words = {Health.UP: "is UP", Health.DOWN: "is DOWN", Health.DEGRADED: "is DEGRADED",
                 Health.SCALED: "is scaled to zero"}
        return f"[t32sim] {self.service} {words[self.kind]}"

    @property
    def body(self) -> str:
        return self.message + "\n"

    @property
    def message(self) -> str:
        """One or two sentences for the event log and the mail body."""
        counts = f"{self.ready} of {self.desired} pods Ready"
        if self.kind in BAD:
            head = f"{self.service} is {self.kind.value} at t={self.time:g} s: {counts}"
            if self.kind is Health.DEGRADED and self.min_available is not None:
                head += f" (the rollout keeps at least {self.min_available})"
            elif self.kind is Health.DOWN and self.ready > 0 and self.serving == 0:
                head += ", none of them serving traffic"
            head += f" since t={self.since:g} s"
            if self.previous is None:
                return head + "; it has not stayed UP since it started."
            return head + "."
        head = (f"{self.service} is UP at t={self.time:g} s: {counts}."
                if self.kind is Health.UP else
                f"{self.service} is scaled to zero at t={self.time:g} s.")
        if self.down_seconds is not None:
            kinds = self.trouble or ((self.previous,) if self.previous else (Health.DOWN,))
            head += (f" It was {' then '.join(k.value for k in kinds)} for "
                     f"{self.down_seconds:g} s "
                     f"(t={self.since - self.down_seconds:g} s to t={self.since:g} s).")
        return head

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "service": self.service, "kind": self.kind.value,
                "since": self.since, "previous": self.previous.value if self.previous else None,
                "ready": self.ready, "desired": self.desired, "down_seconds": self.down_seconds,
                "subject": self.subject, "message": self.message, "rule": self.rule,
                "severity": self.severity}


class Outcome(StrEnum):
    BASELINE = "baseline"    # the first confirmed state: recorded, not alerted
    ALERT = "alert"          # tell someone
    HELD = "held"            # confirmed inside the cooldown of the last alert of its kind


@dataclass(frozen=True)
class Transition:
    """What an observation led to; ``alert`` is what would be (or was) sent."""
    outcome: Outcome
    alert: Alert
    cooldown_until: float | None = None   # for HELD: when the cooldown ends


@dataclass
class AlertTracker:
    """The pure alert state machine of one service (module rules 1-5)."""
    service: str
    first_seen: float                     # start of the grace period
    config: AlertConfig = field(default_factory=AlertConfig)
    observed: Health | None = None        # the latest observation ...
    observed_since: float = 0.0           # ... and since when it has held
    confirmed: Health | None = None       # the latest state that held its window
    confirmed_since: float = 0.0
    reported: Health | None = None        # the latest state alerted (or the baseline)
    outage_since: float | None = None     # start of the trouble the last bad alert reported
    outage_kinds: tuple[Health, ...] = ()  # the bad kinds alerted during that trouble
    last_alert: dict[Health, float] = field(default_factory=dict)
    ready: int = 0
    desired: int = 0
    min_available: int | None = None
    serving: int | None = None
    _held: tuple[Health, float] | None = None

    def observe(self, time: float, health: Health, ready: int = 0, desired: int = 0,
                min_available: int | None = None, serving: int | None = None
                ) -> list[Transition]:
        """Feed the service's state at ``time``; returns what that leads to (often nothing)."""
        self.ready, self.desired, self.min_available = ready, desired, min_available
        self.serving = serving
        if health is not self.observed:
            if self.observed is Health.SCALED:
                self.first_seen = time      # scaled up from zero: a new start-up grace
            self.observed, self.observed_since = health, time
        if self.observed is not self.confirmed and time + _EPS >= self.confirm_at():
            self.confirmed, self.confirmed_since = self.observed, self.observed_since
        return self._report(time)

    def confirm_at(self) -> float:
        """When the current observation will count as confirmed, if it keeps holding."""
        at = self.observed_since + self.config.confirm_seconds(self.observed)
        if self.observed in BAD:
            at = max(at, self.first_seen + self.config.grace_seconds)
        return at

    def next_deadline(self) -> float | None:
        """The next time something will happen without a new observation (None: never)."""
        times = []
        if self.observed is not None and self.observed is not self.confirmed:
            times.append(self.confirm_at())
        if self._pending():
            last = self.last_alert.get(self.confirmed)
            if last is not None:
                times.append(last + self.config.cooldown_seconds)
        return min(times) if times else None

    # -- internals ---------------------------------------------------------------------

    def _pending(self) -> bool:
        """A confirmed state not yet reported (a first DOWN or a later change)."""
        if self.confirmed is None or self.confirmed is self.reported:
            return False
        return self.reported is not None or self.confirmed in BAD

    def _report(self, time: float) -> list[Transition]:
        state = self.confirmed
        if state is None or state is self.reported:
            return []
        alert = self._alert(time)
        if self.reported is None and state not in BAD:
            self.reported = state
            return [Transition(Outcome.BASELINE, alert)]
        last = self.last_alert.get(state)
        if last is not None and time + _EPS < last + self.config.cooldown_seconds:
            if self._held == (state, self.confirmed_since):
                return []
            self._held = (state, self.confirmed_since)
            return [Transition(Outcome.HELD, alert, last + self.config.cooldown_seconds)]
        self._held = None
        self.reported = state
        self.last_alert[state] = time
        if state in BAD:
            if self.outage_since is None:
                self.outage_since = self.confirmed_since
            if state not in self.outage_kinds:
                self.outage_kinds += (state,)
        else:
            self.outage_since, self.outage_kinds = None, ()
        return [Transition(Outcome.ALERT, alert)]

    def _alert(self, time: float) -> Alert:
        state = self.confirmed
        down, kinds = None, ()
        if state not in BAD and self.reported in BAD and self.outage_since is not None:
            down, kinds = self.confirmed_since - self.outage_since, self.outage_kinds
        return Alert(time, self.service, state, self.confirmed_since, self.reported,
                     self.ready, self.desired, down,
                     self.min_available if state is Health.DEGRADED else None, kinds,
                     self.serving)

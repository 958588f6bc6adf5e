"""Service alerts: UP / DOWN / SCALED transitions, confirmed in simulated time.

A service is **UP** when Ready >= desired > 0, **DOWN** when fewer pods are Ready than
desired, and **SCALED** when it is scaled to zero on purpose (``health_of``).

``AlertTracker`` is the pure part, one per service. It is fed observations
``(time, health)`` and answers with :class:`Transition` s. Its rules:

1. **Confirmation.** A new state counts only once it has held for its window
   (``confirm_down_seconds`` for DOWN, ``confirm_up_seconds`` for UP and SCALED):
   a pod restarting for three seconds is not an outage.
2. **Start-up grace.** No DOWN is confirmed within ``grace_seconds`` of the
   service first being seen (or scaled up from zero): new pods need time to start.
3. **Baseline.** The first confirmed state is the baseline and gets no alert, when
   it is UP or SCALED. A service still DOWN when the grace period ends *is*
   alerted: a service that never came up is an outage.
4. **Cooldown.** Two alerts of the same kind for one service are at least
   ``cooldown_seconds`` apart. A transition confirmed inside the cooldown is held
   (a ``HELD`` transition, so a student sees why no alert came); when the cooldown
   ends it is alerted only if the service is still in that state. A service
   flapping DOWN/UP therefore sends one DOWN and one UP per cooldown, not a storm.
5. **Downtime.** An UP (or SCALED) alert after a DOWN alert says how long the
   service was down: from the moment it went DOWN to the moment it came back.

``AlertManager`` is the thin simpy part: woken by store watches and by the
deadlines the trackers ask for, it feeds them and turns their transitions into
events and notifier calls. It uses simulated time only. A notifier is any callable
taking an :class:`Alert`; an :class:`Alert` has ``kind``, ``subject``, ``body`` and
``service``, so ``t32sim.notify.EmailNotifier.send`` can be subscribed directly.
"""
from __future__ import annotations

import queue
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Generator

from t32sim.engine.commands import CommandError
from t32sim.engine.events import Level, Reason
from t32sim.enums import StrEnum

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["Health", "health_of", "AlertConfig", "Alert", "Outcome", "Transition",
           "AlertTracker", "AlertManager", "Notifier"]

_EPS = 1e-9


class Health(StrEnum):
    """What a service looks like from the outside."""
    UP = "UP"            # Ready >= desired > 0
    DOWN = "DOWN"        # fewer pods Ready than desired
    SCALED = "SCALED"    # desired is 0: switched off on purpose


def health_of(ready: int, desired: int) -> Health:
    """UP when ``ready >= desired > 0``, SCALED when ``desired == 0``, DOWN otherwise."""
    if desired <= 0:
        return Health.SCALED
    return Health.UP if ready >= desired else Health.DOWN


@dataclass(frozen=True)
class AlertConfig:
    """Windows in simulated seconds."""
    grace_seconds: float = 30.0
    confirm_down_seconds: float = 10.0
    confirm_up_seconds: float = 10.0
    cooldown_seconds: float = 60.0

    def __post_init__(self) -> None:
        for name in ("grace_seconds", "confirm_down_seconds", "confirm_up_seconds",
                     "cooldown_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value < float("inf"):
                raise ValueError(f"{name}: expected a number of seconds >= 0, got {value!r}")

    def confirm_seconds(self, health: Health) -> float:
        return self.confirm_down_seconds if health is Health.DOWN else self.confirm_up_seconds


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
    down_seconds: float | None = None   # on UP / SCALED after a DOWN: how long it was down

    @property
    def subject(self) -> str:
        words = {Health.UP: "is UP", Health.DOWN: "is DOWN", Health.SCALED: "is scaled to zero"}
        return f"[t32sim] {self.service} {words[self.kind]}"

    @property
    def body(self) -> str:
        return self.message + "\n"

    @property
    def message(self) -> str:
        """One or two sentences for the event log and the mail body."""
        counts = f"{self.ready} of {self.desired} pods Ready"
        if self.kind is Health.DOWN:
            if self.previous is None:
                return (f"{self.service} is DOWN at t={self.time:g} s: {counts} since "
                        f"t={self.since:g} s; it has not stayed UP since it started.")
            return f"{self.service} is DOWN at t={self.time:g} s: {counts} since t={self.since:g} s."
        head = (f"{self.service} is UP at t={self.time:g} s: {counts}."
                if self.kind is Health.UP else
                f"{self.service} is scaled to zero at t={self.time:g} s.")
        if self.down_seconds is not None:
            head += (f" It was DOWN for {self.down_seconds:g} s "
                     f"(t={self.since - self.down_seconds:g} s to t={self.since:g} s).")
        return head

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "service": self.service, "kind": self.kind.value,
                "since": self.since, "previous": self.previous.value if self.previous else None,
                "ready": self.ready, "desired": self.desired, "down_seconds": self.down_seconds,
                "subject": self.subject, "message": self.message}


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
    outage_since: float | None = None     # start of the outage the last DOWN alert reported
    last_alert: dict[Health, float] = field(default_factory=dict)
    ready: int = 0
    desired: int = 0
    _held: tuple[Health, float] | None = None

    def observe(self, time: float, health: Health, ready: int = 0,
                desired: int = 0) -> list[Transition]:
        """Feed the service's state at ``time``; returns what that leads to (often nothing)."""
        self.ready, self.desired = ready, desired
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
        if self.observed is Health.DOWN:
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
        return self.reported is not None or self.confirmed is Health.DOWN

    def _report(self, time: float) -> list[Transition]:
        state = self.confirmed
        if state is None or state is self.reported:
            return []
        alert = self._alert(time)
        if self.reported is None and state is not Health.DOWN:
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
        if state is Health.DOWN:
            self.outage_since = self.confirmed_since
        else:
            self.outage_since = None
        return [Transition(Outcome.ALERT, alert)]

    def _alert(self, time: float) -> Alert:
        state = self.confirmed
        down = None
        if state is not Health.DOWN and self.reported is Health.DOWN and self.outage_since is not None:
            down = self.confirmed_since - self.outage_since
        return Alert(time, self.service, state, self.confirmed_since, self.reported,
                     self.ready, self.desired, down)


Notifier = Callable[[Alert], Any]

_REASONS = {Health.DOWN: Reason.SERVICE_DOWN, Health.UP: Reason.SERVICE_UP,
            Health.SCALED: Reason.SERVICE_SCALED_TO_ZERO}


class AlertManager:
    """Watches every service's health and raises alerts as events and notifier calls."""

    def __init__(self, cluster: "Cluster", config: AlertConfig | None = None,
                 notifier: Notifier | None = None):
        self.cluster = cluster
        self.env = cluster.env
        self.config = config or AlertConfig()
        self.trackers: dict[str, AlertTracker] = {}
        self.alerts: list[Alert] = []
        self._subscribers: list[Notifier] = [notifier] if notifier is not None else []
        self._dirty: dict[str, None] = {}
        self._timers: set[float] = set()
        self._failures: queue.SimpleQueue = queue.SimpleQueue()
        self._wakeup = self.env.event()
        cluster.store.watch(self._changed)
        self.env.process(self._watcher())

    # -- public ------------------------------------------------------------------------

    def subscribe(self, notifier: Notifier) -> Callable[[], None]:
        """Call ``notifier(alert)`` for every alert from now on; returns an unsubscribe."""
        if not callable(notifier):
            raise TypeError(f"notifier: expected a callable taking an Alert, got {notifier!r}")
        self._subscribers.append(notifier)
        return lambda: self._subscribers.remove(notifier) if notifier in self._subscribers else None

    def configure(self, *, actor: str = "user", **windows: float) -> AlertConfig:
        """Change the windows (``grace_seconds=...``) for every service, now and later.

        A journaled command (``configure_alerts``): the windows shape the event log, so a
        replay must set them at the same moment.
        """
        return self.cluster._command(actor, "configure_alerts", **windows)

    def check_configure(self, **windows: Any) -> tuple[dict[str, Any], Callable[[], AlertConfig]]:
        """Check new windows; return their journal form and the action that sets them."""
        fields = tuple(self.config.__dict__)
        for name in windows:
            if name not in fields:
                raise CommandError(f"{name}: not an alert setting (expected one of "
                                   f"{', '.join(fields)})", field=name)
        try:
            config = AlertConfig(**{**self.config.__dict__, **windows})
        except ValueError as error:
            raise CommandError(str(error), field=str(error).split(":")[0]) from None

        def configure() -> AlertConfig:
            self.config = config
            for tracker in self.trackers.values():
                tracker.config = config
            self._wake()
            return config

        return {name: windows[name] for name in fields if name in windows}, configure

    def health(self, service: str) -> Health | None:
        """The confirmed state of ``service`` (None before its first confirmation)."""
        tracker = self.trackers.get(service)
        return tracker.confirmed if tracker else None

    def delivery_failed(self, alert: Any, error: BaseException) -> None:
        """Report that a notifier could not deliver ``alert`` (safe from any thread).

        The failure becomes an ``AlertNotSent`` event at the manager's next check or at
        the end of the next ``Cluster.run``; pass this as ``EmailNotifier(on_error=...)``.
        """
        self._failures.put((alert, error))

    @property
    def failures_waiting(self) -> int:
        """Delivery failures reported but not yet turned into events."""
        return self._failures.qsize()

    def frame(self):
        """The alerts raised so far as a pandas DataFrame."""
        import pandas as pd

        columns = ["time", "service", "kind", "since", "previous", "ready", "desired",
                   "down_seconds", "subject", "message"]
        frame = pd.DataFrame([a.to_dict() for a in self.alerts], columns=columns)
        return frame.astype({"time": "float64", "service": "string", "kind": "string",
                             "since": "float64", "previous": "string", "ready": "int64",
                             "desired": "int64", "down_seconds": "float64",
                             "subject": "string", "message": "string"})

    # -- the process -------------------------------------------------------------------

    def _changed(self, service: str) -> None:
        self._dirty[service] = None
        self._wake()

    def _wake(self) -> None:
        if not self._wakeup.triggered:
            self._wakeup.succeed()

    def _watcher(self) -> Generator:
        while True:
            yield self._wakeup
            self._wakeup = self.env.event()
            self.check()

    def check(self) -> None:
        """Feed every service that changed or has a deadline due; act on the results."""
        now = self.env.now
        self.report_failures()
        store = self.cluster.store
        for name in store.services:
            tracker = self.trackers.get(name)
            if tracker is None:
                tracker = self.trackers[name] = AlertTracker(name, now, self.config)
            elif name not in self._dirty:
                deadline = tracker.next_deadline()
                if deadline is None or deadline > now + _EPS:
                    continue
            state = store.services[name]
            ready = sum(p.ready and not p.terminating for p in store.pods_of(name))
            desired = state.spec.replicas
            for transition in tracker.observe(now, health_of(ready, desired), ready, desired):
                self._act(transition)
            deadline = tracker.next_deadline()
            if deadline is not None:
                self._schedule(deadline)
        self._dirty.clear()

    def _schedule(self, at: float) -> None:
        if at in self._timers:
            return
        self._timers.add(at)
        timer = self.env.timeout(max(at - self.env.now, 0.0))
        timer.callbacks.append(lambda _event, at=at: (self._timers.discard(at), self._wake()))

    def _act(self, transition: Transition) -> None:
        alert = transition.alert
        log, now = self.cluster.log, self.env.now
        if transition.outcome is Outcome.BASELINE:
            return
        if transition.outcome is Outcome.HELD:
            last = transition.cooldown_until - self.config.cooldown_seconds
            log.emit(now, Reason.ALERT_HELD, alert.service,
                     f"{alert.service} is {alert.kind.value} again, but a {alert.kind.value} alert "
                     f"was sent {now - last:g} s ago: held until t={transition.cooldown_until:g} s",
                     cooldown=self.config.cooldown_seconds)
            return
        self.alerts.append(alert)
        level = Level.WARNING if alert.kind is Health.DOWN else Level.NORMAL
        log.emit(now, _REASONS[alert.kind], alert.service, alert.message, level=level,
                 confirm=self.config.confirm_seconds(alert.kind))
        for notifier in list(self._subscribers):
            try:
                notifier(alert)
            except Exception as error:      # a broken notifier is an event, never a crash
                self._not_sent(alert, error)

    def report_failures(self) -> None:
        """Turn failures reported by ``delivery_failed`` into ``AlertNotSent`` events now."""
        while True:
            try:
                alert, error = self._failures.get_nowait()
            except queue.Empty:
                return
            self._not_sent(alert, error)

    def _not_sent(self, alert: Any, error: BaseException) -> None:
        service = getattr(alert, "service", "") or ""
        subject = getattr(alert, "subject", str(alert))
        self.cluster.log.emit(self.env.now, Reason.ALERT_NOT_SENT, service,
                              f"Could not send {subject!r}: {type(error).__name__}: {error}",
                              level=Level.WARNING)

"""Service alerts: the alert manager, in simulated time.

Two kinds of rules feed it:

* the built-in **health** rule (``engine/health.py``): UP / DEGRADED / DOWN / SCALED per
  service, confirmed, graced and cooled down by one ``AlertTracker`` each
  (``engine/alert_tracker.py``). ``configure(rule="original")`` brings back the original
  system's stricter rule (DOWN whenever fewer pods are Ready than desired);
* **symptom** rules a student adds with ``add_rule`` (``engine/alert_rules.py``): a
  condition over an ``Observation`` (error rate, latency quantiles, Ready / desired ...)
  that must hold for ``for_seconds``.

``AlertManager`` is the thin simpy part: woken by store watches and by the deadlines the
trackers ask for (and every ``evaluation_seconds`` while there are symptom rules), it
feeds them and turns their transitions into events and notifier calls. A notifier is any
callable taking an alert; an alert has ``kind``, ``subject``, ``body`` and ``service``, so
``t32sim.notify.EmailNotifier.send`` can be subscribed directly.
"""
from __future__ import annotations

import math
import queue
from typing import TYPE_CHECKING, Any, Callable, Generator

from t32sim.engine.alert_rules import (SEVERITIES, AlertRule, Counters, Observation,
                                       RuleAlert, RuleTracker, Window)
from t32sim.engine.alert_tracker import (SEVERITY, Alert, AlertConfig, AlertTracker,
                                         Outcome, Transition)
from t32sim.engine.commands import CommandError
from t32sim.engine.events import Level, Reason
from t32sim.engine.health import BAD, BUDGET, Health, health_of, min_available

if TYPE_CHECKING:
    from t32sim.engine.context import Context
    from t32sim.engine.load import Traffic
    from t32sim.engine.requests import LoadBalancer

__all__ = ["Health", "health_of", "AlertConfig", "Alert", "Outcome", "Transition",
           "AlertTracker", "AlertManager", "Notifier", "AlertRule", "Observation",
           "RuleAlert", "SEVERITY"]

_EPS = 1e-9

Notifier = Callable[[Any], Any]

_REASONS = {Health.DOWN: Reason.SERVICE_DOWN, Health.DEGRADED: Reason.SERVICE_DEGRADED,
            Health.UP: Reason.SERVICE_UP, Health.SCALED: Reason.SERVICE_SCALED_TO_ZERO}
_WHY = {(BUDGET, Health.DOWN): "No Ready pod serves the service (every request gets a 503)",
        ("original", Health.DOWN): "Fewer pods are Ready than desired (the original "
                                   "system's rule)",
        (BUDGET, Health.UP): "The Ready pods have been within the rollout's budget "
                             "(desired - maxUnavailable)",
        ("original", Health.UP): "Every desired pod has been Ready"}


class AlertManager:
    """Watches every service's health and rules and raises alerts as events and calls."""

    def __init__(self, ctx: "Context", traffic: "Traffic", lb: "LoadBalancer",
                 command: Callable[..., Any], config: AlertConfig | None = None,
                 notifier: Notifier | None = None):
        """``command(actor, verb, **args)``: the Cluster's way to check, journal and apply
        a command (``configure`` and ``add_rule`` are journaled commands)."""
        self.ctx, self.traffic, self.lb, self._command = ctx, traffic, lb, command
        self.env = ctx.env
        self.config = config or AlertConfig()
        self.trackers: dict[str, AlertTracker] = {}
        #: every alert sent: health alerts (``Alert``) and rule alerts (``RuleAlert``)
        self.alerts: list[Alert | RuleAlert] = []
        self.rules: dict[str, AlertRule] = {}
        #: conditions by rule name for a replayed ``add_alert_rule`` (the journal holds
        #: only the function's name): ``t3.replay(journal, seed, conditions={...})``
        self.conditions: dict[str, Callable] = {}
        self._rule_trackers: dict[tuple[str, str], RuleTracker] = {}
        self._windows: dict[str, Window] = {}
        self._evaluating = False
        self._subscribers: list[Notifier] = [notifier] if notifier is not None else []
        self._dirty: dict[str, None] = {}
        self._timers: set[float] = set()
        self._failures: queue.SimpleQueue = queue.SimpleQueue()
        self._wakeup = self.env.event()
        ctx.store.watch(self._changed)
        self.env.process(self._watcher())

    # -- public ------------------------------------------------------------------------

    def subscribe(self, notifier: Notifier) -> Callable[[], None]:
        """Call ``notifier(alert)`` for every alert from now on; returns an unsubscribe."""
        if not callable(notifier):
            raise TypeError(f"notifier: expected a callable taking an Alert, got {notifier!r}")
        self._subscribers.append(notifier)
        return lambda: self._subscribers.remove(notifier) if notifier in self._subscribers else None

    def configure(self, *, actor: str = "user", **settings: Any) -> AlertConfig:
        """Change the windows (``grace_seconds=...``) or the health ``rule`` ("budget", the
        default, or "original") for every service, now and later.

        A journaled command (``configure_alerts``): the settings shape the event log, so a
        replay must set them at the same moment.
        """
        return self._command(actor, "configure_alerts", **settings)

    def check_configure(self, **settings: Any) -> tuple[dict[str, Any], Callable[[], AlertConfig]]:
        """Check new settings; return their journal form and the action that sets them."""
        fields = tuple(self.config.__dict__)
        for name in settings:
            if name not in fields:
                raise CommandError(f"{name}: not an alert setting (expected one of "
                                   f"{', '.join(fields)})", field=name)
        try:
            config = AlertConfig(**{**self.config.__dict__, **settings})
        except ValueError as error:
            raise CommandError(str(error), field=str(error).split(":")[0]) from None

        def configure() -> AlertConfig:
            self.config = config
            for tracker in self.trackers.values():
                tracker.config = config
            for window in self._windows.values():
                window.seconds = config.window_seconds
            self._dirty.update(dict.fromkeys(self.ctx.store.services))
            self._wake()
            return config

        return {name: settings[name] for name in fields if name in settings}, configure

    def add_rule(self, name: str, condition: Callable[[Observation], Any],
                 for_seconds: float = 0.0, severity: str = "warning", *,
                 service: str | None = None, actor: str = "user") -> AlertRule:
        """Alert when ``condition(observation)`` has held for ``for_seconds``.

        ``condition`` gets an :class:`Observation` of one service every
        ``evaluation_seconds`` (``obs.error_rate``, ``obs.p99``, ``obs.ready`` ...);
        ``severity`` is "critical", "warning" or "info"; ``service`` limits the rule to
        one service. A journaled command (``add_alert_rule``, with the function's name).
        """
        return self._command(actor, "add_alert_rule", name=name, condition=condition,
                             for_seconds=for_seconds, severity=severity, service=service)

    def check_add_rule(self, name, condition, for_seconds=0.0, severity="warning",
                       service=None) -> tuple[dict[str, Any], Callable[[], AlertRule]]:
        """Check a rule; return its journal form and the action that adds it."""
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise CommandError(f"name: expected a rule name (1-100 characters), got {name!r}",
                               field="name")
        if name in self.rules:
            raise CommandError(f"name: a rule named {name!r} exists already", field="name")
        if isinstance(condition, str):
            condition = self.conditions.get(name, condition)
        if not callable(condition):
            raise CommandError(f"condition: expected a function of an Observation, got "
                               f"{condition!r} (a replay needs conditions={{{name!r}: fn}})",
                               field="condition")
        if isinstance(for_seconds, bool) or not isinstance(for_seconds, (int, float)) \
                or not 0 <= for_seconds < math.inf:
            raise CommandError(f"for_seconds: expected a number of seconds >= 0, got "
                               f"{for_seconds!r}", field="for_seconds")
        if severity not in SEVERITIES:
            raise CommandError(f"severity: expected one of {', '.join(SEVERITIES)}, got "
                               f"{severity!r}", field="severity")
        if service is not None and service not in self.ctx.store.services:
            raise CommandError(f"service: no service named {service!r}", field="service")
        rule = AlertRule(name, condition, float(for_seconds), severity, service)
        label = getattr(condition, "__qualname__", type(condition).__name__)
        journal = {"name": name, "condition": label, "for_seconds": for_seconds,
                   "severity": severity, "service": service}

        def add() -> AlertRule:
            self.rules[name] = rule
            if not self._evaluating:
                self._evaluating = True
                self.env.process(self._evaluator())
            return rule

        return journal, add

    def health(self, service: str) -> Health | None:
        """The confirmed state of ``service`` (None before its first confirmation)."""
        tracker = self.trackers.get(service)
        return tracker.confirmed if tracker else None

    def firing(self, service: str | None = None) -> list[str]:
        """The names of the rules firing now (for one service, or any)."""
        return sorted({rule for (rule, name), t in self._rule_trackers.items()
                       if t.state.value == "firing" and service in (None, name)})

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
        """The alerts raised so far as a pandas DataFrame (health and rule alerts)."""
        import pandas as pd

        columns = ["time", "service", "kind", "since", "previous", "ready", "desired",
                   "down_seconds", "subject", "message", "rule", "severity"]
        frame = pd.DataFrame([a.to_dict() for a in self.alerts], columns=columns)
        return frame.astype({"time": "float64", "service": "string", "kind": "string",
                             "since": "float64", "previous": "string", "ready": "int64",
                             "desired": "int64", "down_seconds": "float64",
                             "subject": "string", "message": "string", "rule": "string",
                             "severity": "string"})

    def observe(self, service: str) -> dict[str, Any]:
        """The health inputs of ``service`` now: ready, serving, desired, min_available and
        the health they give under the current rule (not yet confirmed)."""
        store = self.ctx.store
        spec = store.services[service].spec
        ready = sum(p.ready and not p.terminating for p in store.pods_of(service))
        serving = self.traffic.serving_count(service) if ready else 0
        floor = min_available(spec.replicas, spec.rollout)
        return {"ready": ready, "serving": serving, "desired": spec.replicas,
                "min_available": floor,
                "health": health_of(ready, spec.replicas, floor, serving, self.config.rule)}

    # -- the health process ----------------------------------------------------------

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
        for name in self.ctx.store.services:
            tracker = self.trackers.get(name)
            if tracker is None:
                tracker = self.trackers[name] = AlertTracker(name, now, self.config)
            elif name not in self._dirty:
                deadline = tracker.next_deadline()
                if deadline is None or deadline > now + _EPS:
                    continue
            seen = self.observe(name)
            for transition in tracker.observe(now, seen["health"], seen["ready"],
                                              seen["desired"], seen["min_available"],
                                              seen["serving"]):
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
        log, now = self.ctx.log, self.env.now
        if transition.outcome is Outcome.BASELINE:
            return
        if transition.outcome is Outcome.HELD:
            last = transition.cooldown_until - self.config.cooldown_seconds
            log.emit(now, Reason.ALERT_HELD, alert.service,
                     f"{alert.service} is {alert.kind.value} again, but a {alert.kind.value} alert "
                     f"was sent {now - last:g} s ago: held until t={transition.cooldown_until:g} s",
                     cooldown=self.config.cooldown_seconds)
            return
        level = Level.WARNING if alert.kind in BAD else Level.NORMAL
        why = _WHY.get((self.config.rule, alert.kind), "")
        self._send(alert, _REASONS[alert.kind], level,
                   confirm=self.config.confirm_seconds(alert.kind), why=why)

    def _send(self, alert: Any, reason: Reason, level: Level, **facts: Any) -> None:
        self.alerts.append(alert)
        self.ctx.log.emit(self.env.now, reason, alert.service, alert.message, level=level,
                              **facts)
        for notifier in list(self._subscribers):
            try:
                notifier(alert)
            except Exception as error:      # a broken notifier is an event, never a crash
                self._not_sent(alert, error)

    # -- the symptom rules -----------------------------------------------------------

    def _evaluator(self) -> Generator:
        """Evaluate every rule at each multiple of ``evaluation_seconds``."""
        while True:
            step = self.config.evaluation_seconds
            next_at = (math.floor(self.env.now / step + _EPS) + 1) * step
            self.evaluate()
            yield self.env.timeout(next_at - self.env.now)

    def evaluate(self) -> None:
        """Build one observation per service and feed it to every rule that applies."""
        now = self.env.now
        for name in self.ctx.store.services:
            rules = [r for r in self.rules.values() if r.applies_to(name)]
            if not rules:
                continue
            observation = self._observation(name)
            for rule in rules:
                tracker = self._rule_trackers.get((rule.name, name))
                if tracker is None:
                    tracker = self._rule_trackers[(rule.name, name)] = RuleTracker(rule, name)
                try:
                    holds = bool(rule.condition(observation))
                except Exception as error:          # a student's bug is an event, not a crash
                    self.ctx.log.emit(
                        now, Reason.ALERT_RULE_FAILED, name,
                        f"Rule {rule.name} raised {type(error).__name__}: {error}",
                        level=Level.WARNING)
                    holds = False
                alert = tracker.observe(now, holds, observation)
                if alert is None:
                    continue
                if alert.kind == "FIRING":
                    level = Level.WARNING if rule.severity != "info" else Level.NORMAL
                    self._send(alert, Reason.ALERT_FIRING, level, for_seconds=rule.for_seconds)
                else:
                    self._send(alert, Reason.ALERT_RESOLVED, Level.NORMAL)

    def _observation(self, service: str) -> Observation:
        now, traffic = self.env.now, self.traffic
        offered, failed = traffic.offered_totals(service)
        routed, routed_failed = self.lb.requests_total(service)
        requests, errors = offered + routed, failed + routed_failed
        window = self._windows.get(service)
        if window is None:
            window = self._windows[service] = Window(self.config.window_seconds)
        covered, requests, errors, latency = window.add(
            Counters(now, requests, errors, self.lb.latency_counts(service)))
        seen = self.observe(service)
        return Observation(now, service, seen["desired"], seen["ready"], seen["serving"],
                           seen["min_available"], seen["health"],
                           rps=requests / covered if covered > 0 else 0.0,
                           error_rate=errors / requests if requests > 0 else 0.0,
                           cpu=traffic.cpu(service), requests=requests, errors=errors,
                           latency_counts=latency)

    # -- delivery failures -----------------------------------------------------------

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
        self.ctx.log.emit(self.env.now, Reason.ALERT_NOT_SENT, service,
                              f"Could not send {subject!r}: {type(error).__name__}: {error}",
                              level=Level.WARNING)

"""The failover monitor, simulated: the real :class:`~t32sim.failover.FailoverPolicy` over
simulated v1/v2/v3 services, checked by a simpy process on simulated time.

The live monitor (``t32sim.monitor``) asks a real HTTP service for ``/health``
every second; here a process asks the cluster whether the active version's
service has a Ready pod every ``interval`` simulated seconds, and feeds the
answer to the same policy with ``env.now`` as its time. Same rules, same
decisions, no wall clock: a notebook chapter gets exactly the same trace on
every run.

The watch has the live monitor's chaos toggles too, with the timing of
:mod:`t32sim.demo_chaos`: ``set_cpu`` (above 50 % a check takes 2 s, longer than the
1 s timeout), ``corrupt`` (503), ``crash`` (the process is back after the supervisor's
restart delay and a start, or after ``down_for`` s) and ``reset``. As under the live
supervisor, the restart delay doubles for each crash within 30 s of the last start (1, 2,
4 ... s): one crash is a blip, a crash loop is an outage.

    watch = watch_failover(cluster, {"v1": "api-v1", "v2": "api-v2", "v3": "api-v3"})
    cluster.run(60)
    watch.switches      # [Outcome(time=25.0, decision=FAILOVER, previous='v1', active='v2', ...)]
    watch.frame()       # one row per check: time, active, ok, decision, failures, reason, error
    watch.notes         # [(time, "v2 crashed and was restarted in 1.5 s: ... no failover"), ...]
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol

import simpy

from t32sim.demo_chaos import (
    CHECK_TIMEOUT, REFUSED, STABLE_AFTER, START_SECONDS, DemoState, check_state, explain,
    failure_cause, restart_after, restart_backoff,
)
from t32sim.failover import (
    Decision, FailoverConfig, FailoverPolicy, Incident, IncidentTracker, Outcome, ridden_out,
)

__all__ = ["FailoverWatch", "watch_failover", "has_ready_pod", "decisions", "FRAME_COLUMNS"]



class Watched(Protocol):
    """What a watch needs of the cluster it watches, all public API: its simpy clock and
    ``service(name)``, whose ``status.ready`` the default probe reads."""
    env: simpy.Environment

    @property
    def now(self) -> float: ...

    def service(self, name: str) -> Any: ...


Probe = Callable[[Watched, str], bool]
FRAME_COLUMNS = ["time", "active", "service", "ok", "decision", "failures", "previous", "reason",
                 "error"]


def has_ready_pod(cluster: Watched, service: str) -> bool:
    """The default health check: the service has at least one Ready pod to answer."""
    return cluster.service(service).status.ready > 0


def _seconds(name: str, value: object, *, positive: bool = False) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value \
            or not (value > 0 if positive else value >= 0):
        raise ValueError(f"{name}: expected a number of seconds {'> 0' if positive else '>= 0'}, "
                         f"got {value!r}")
    return float(value)


class FailoverWatch:
    """Checks the active version every ``interval`` simulated seconds and fails over by policy.

    ``services`` maps each version, in failover order, to the cluster service
    that runs it; the last one is the stable release, which cannot be corrupted.
    ``probe(cluster, service)`` decides whether the cluster side of a check passes
    (default: :func:`has_ready_pod`); the chaos toggles decide the rest.
    """

    def __init__(self, cluster: Watched, services: Mapping[str, str],
                 config: FailoverConfig | None = None, *, interval: float = 1.0,
                 probe: Probe | None = None, start_after: float = 0.0,
                 timeout: float = CHECK_TIMEOUT):
        self.services = dict(services)
        if not self.services:
            raise ValueError("services: expected at least one version -> service name")
        versions = tuple(self.services)
        if config is None:
            config = FailoverConfig(versions=versions)
        elif tuple(config.versions) != versions:
            raise ValueError(f"config.versions: expected the services' versions {list(versions)}, "
                             f"got {list(config.versions)}")
        self.interval = _seconds("interval", interval, positive=True)
        self.start_after = _seconds("start_after", start_after)
        self.timeout = _seconds("timeout", timeout, positive=True)
        for service in self.services.values():
            cluster.service(service)            # a CommandError now names a missing service
        self.cluster = cluster
        self.config = config
        self.probe = probe or has_ready_pod
        self.policy = FailoverPolicy(config)
        self.outcomes: list[Outcome] = []
        self.errors: list[str] = []             # why each check failed ("" when it passed)
        self.demo = {v: DemoState(v, stable=(v == versions[-1])) for v in versions}
        self.down: dict[str, tuple[float, float]] = {}     # version -> (crashed at, back at)
        self.crashes_in_a_row: dict[str, int] = {v: 0 for v in versions}
        self._started: dict[str, float] = {}                # version -> its process's last start
        self.incidents: list[Incident] = []
        self.notes: list[tuple[float, str]] = []
        self._tracker = IncidentTracker()
        self.process = cluster.env.process(self._watch())

    @property
    def active(self) -> str:
        """The active version."""
        return self.policy.active

    @property
    def active_service(self) -> str:
        """The cluster service of the active version."""
        return self.services[self.policy.active]

    @property
    def switches(self) -> list[Outcome]:
        """Every automatic and manual switch so far."""
        return [o for o in self.outcomes if o.switched]

    # -- the toggles of the live monitor -------------------------------------------
    def _state(self, version: str) -> DemoState:
        if version not in self.demo:
            raise ValueError(f"version: expected one of {list(self.demo)}, got {version!r}")
        return self.demo[version]

    def set_cpu(self, version: str, level: float) -> None:
        """Chaos: ``version`` runs at ``level`` % CPU (above 50 % its checks time out)."""
        if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0 <= level <= 100:
            raise ValueError(f"level: expected a CPU load 0-100, got {level!r}")
        self._state(version).cpu_load = float(level)

    def corrupt(self, version: str) -> None:
        """Chaos: ``version``'s data is corrupted (its checks answer 503)."""
        state = self._state(version)
        if state.stable:
            raise ValueError(f"version: {version} is the stable release and cannot be corrupted")
        state.is_corrupted = True

    def crash(self, version: str, down_for: float = 0.0) -> float:
        """Chaos: ``version``'s process dies now; returns when it answers again.

        The supervisor restarts it after its restart delay: 1 s, doubled for each crash
        within :data:`~t32sim.demo_chaos.STABLE_AFTER` s of the last start (a crash loop), or
        after ``down_for`` s if longer; it answers
        :data:`~t32sim.demo_chaos.START_SECONDS` after the restart. A process that is
        already down cannot crash again: its return time stays.
        """
        self._state(version)
        down_for = _seconds("down_for", down_for)
        now = self.cluster.now
        crashed = self.down.get(version)
        if crashed is not None and crashed[1] - START_SECONDS > now:
            return crashed[1]
        started = self._started.get(version)
        again = started is not None and now - started < STABLE_AFTER
        self.crashes_in_a_row[version] = self.crashes_in_a_row[version] + 1 if again else 1
        restart = now + restart_after(down_for, restart_backoff(self.crashes_in_a_row[version]))
        self._started[version] = restart
        self.down[version] = (now, restart + START_SECONDS)
        self.demo[version].reset()              # a new process starts with a clean state
        return restart + START_SECONDS

    def reset(self, version: str | None = None) -> None:
        """Undo the chaos on ``version`` (default: all); a process kept down starts at once."""
        for name in [version] if version is not None else list(self.demo):
            self._state(name).reset()
            crashed = self.down.get(name)
            if crashed is not None and crashed[1] > self.cluster.now + START_SECONDS:
                self.down[name] = (crashed[0], self.cluster.now + START_SECONDS)
                self._started[name] = self.cluster.now

    def switch(self, to: str | None = None) -> Outcome:
        """An operator's switch at the current simulated time (ignores the cooldown)."""
        outcome = self.policy.switch(self.cluster.now, to)
        self._record(outcome, "")
        return outcome

    # -- checks ---------------------------------------------------------------------
    def check(self, version: str) -> tuple[bool, str]:
        """One health check of ``version`` now: whether it passed, and why not in words."""
        now = self.cluster.now
        crashed = self.down.get(version)
        if crashed is not None and crashed[1] > now:
            return False, explain(REFUSED, f"{version} crashed at t = {crashed[0]:g} s, "
                                           f"back at t = {crashed[1]:g} s")
        service = self.services[version]
        if not self.probe(self.cluster, service):
            return False, (f"no answer: {service} has no Ready pod" if self.probe is has_ready_pod
                           else f"no answer: the probe of {service} failed")
        state = self.demo[version]
        result = check_state(state, self.timeout)
        return result.ok, explain(result.error, failure_cause(state))

    def frame(self):
        """The outcomes as a pandas DataFrame with :data:`FRAME_COLUMNS`."""
        import pandas as pd

        rows = [(o.time, o.active, self.services[o.active], o.ok, o.decision.value, o.failures,
                 o.previous, o.reason, error) for o, error in zip(self.outcomes, self.errors)]
        return pd.DataFrame(rows, columns=FRAME_COLUMNS)

    def _record(self, outcome: Outcome, error: str) -> None:
        self.outcomes.append(outcome)
        self.errors.append(error)
        incident = self._tracker.observe(outcome)
        if incident is None:
            return
        self.incidents.append(incident)
        if not incident.switched:
            crashed = self.down.get(incident.version)
            if crashed is not None and crashed[0] <= incident.started <= crashed[1]:
                text = ridden_out(incident, self.config, what="crashed and was restarted",
                                  since=crashed[0])
            else:
                text = ridden_out(incident, self.config)
            self.notes.append((outcome.time, text))

    def _watch(self):
        """The monitor process: check, decide, wait one interval, forever."""
        env = self.cluster.env
        if self.start_after:
            yield env.timeout(self.start_after)
        while True:
            ok, error = self.check(self.policy.active)
            self._record(self.policy.observe(env.now, ok), error)
            yield env.timeout(self.interval)


def watch_failover(cluster: Watched, services: Mapping[str, str],
                   config: FailoverConfig | None = None, *, interval: float = 1.0,
                   probe: Probe | None = None, start_after: float = 0.0,
                   timeout: float = CHECK_TIMEOUT) -> FailoverWatch:
    """Start a :class:`FailoverWatch` on ``cluster``; the first check is ``start_after`` s from now."""
    return FailoverWatch(cluster, services, config, interval=interval, probe=probe,
                         start_after=start_after, timeout=timeout)


def decisions(watch: FailoverWatch) -> list[tuple[float, str, str]]:
    """``(time, active, decision)`` of every non-healthy outcome: a compact trace."""
    return [(o.time, o.active, o.decision.value) for o in watch.outcomes
            if o.decision is not Decision.HEALTHY]

"""The failover monitor, simulated: the real :class:`~t32sim.failover.FailoverPolicy` over
simulated v1/v2/v3 services, checked by a simpy process on simulated time.

The live monitor (``t32sim.monitor``) asks a real HTTP service for ``/health``
every second; here a process asks the cluster whether the active version's
service has a Ready pod every ``interval`` simulated seconds, and feeds the
answer to the same policy with ``env.now`` as its time. Same rules, same
decisions, no wall clock: a notebook chapter gets exactly the same trace on
every run.

    watch = watch_failover(cluster, {"v1": "api-v1", "v2": "api-v2", "v3": "api-v3"})
    cluster.run(60)
    watch.switches      # [Outcome(time=25.0, decision=FAILOVER, previous='v1', active='v2', ...)]
    watch.frame()       # one row per check: time, active, ok, decision, failures, reason
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Mapping

from t32sim.failover import Decision, FailoverConfig, FailoverPolicy, Outcome

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["FailoverWatch", "watch_failover", "has_ready_pod", "decisions", "FRAME_COLUMNS"]

Probe = Callable[["Cluster", str], bool]
FRAME_COLUMNS = ["time", "active", "service", "ok", "decision", "failures", "previous", "reason"]


def has_ready_pod(cluster: "Cluster", service: str) -> bool:
    """The default health check: the service has at least one Ready pod to answer."""
    return cluster.service(service).status.ready > 0


class FailoverWatch:
    """Checks the active version every ``interval`` simulated seconds and fails over by policy.

    ``services`` maps each version, in failover order, to the cluster service
    that runs it. ``probe(cluster, service)`` decides whether one check passes
    (default: :func:`has_ready_pod`).
    """

    def __init__(self, cluster: "Cluster", services: Mapping[str, str],
                 config: FailoverConfig | None = None, *, interval: float = 1.0,
                 probe: Probe | None = None, start_after: float = 0.0):
        self.services = dict(services)
        if not self.services:
            raise ValueError("services: expected at least one version -> service name")
        versions = tuple(self.services)
        if config is None:
            config = FailoverConfig(versions=versions)
        elif tuple(config.versions) != versions:
            raise ValueError(f"config.versions: expected the services' versions {list(versions)}, "
                             f"got {list(config.versions)}")
        if not isinstance(interval, (int, float)) or isinstance(interval, bool) or not interval > 0:
            raise ValueError(f"interval: expected a number of seconds > 0, got {interval!r}")
        if not isinstance(start_after, (int, float)) or isinstance(start_after, bool) \
                or not start_after >= 0:
            raise ValueError(f"start_after: expected a number of seconds >= 0, got {start_after!r}")
        for service in self.services.values():
            cluster.service(service)            # a CommandError now names a missing service
        self.cluster = cluster
        self.config = config
        self.interval = float(interval)
        self.probe = probe or has_ready_pod
        self.policy = FailoverPolicy(config)
        self.start_after = float(start_after)
        self.outcomes: list[Outcome] = []
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

    def switch(self, to: str | None = None) -> Outcome:
        """An operator's switch at the current simulated time (ignores the cooldown)."""
        outcome = self.policy.switch(self.cluster.now, to)
        self.outcomes.append(outcome)
        return outcome

    def frame(self):
        """The outcomes as a pandas DataFrame with :data:`FRAME_COLUMNS`."""
        import pandas as pd

        rows = [(o.time, o.active, self.services[o.active], o.ok, o.decision.value, o.failures,
                 o.previous, o.reason) for o in self.outcomes]
        return pd.DataFrame(rows, columns=FRAME_COLUMNS)

    def _watch(self):
        """The monitor process: check, decide, wait one interval, forever."""
        env = self.cluster.env
        if self.start_after:
            yield env.timeout(self.start_after)
        while True:
            service = self.services[self.policy.active]
            ok = bool(self.probe(self.cluster, service))
            self.outcomes.append(self.policy.observe(env.now, ok))
            yield env.timeout(self.interval)


def watch_failover(cluster: "Cluster", services: Mapping[str, str],
                   config: FailoverConfig | None = None, *, interval: float = 1.0,
                   probe: Probe | None = None, start_after: float = 0.0) -> FailoverWatch:
    """Start a :class:`FailoverWatch` on ``cluster``; the first check is ``start_after`` s from now."""
    return FailoverWatch(cluster, services, config, interval=interval, probe=probe,
                         start_after=start_after)


def decisions(watch: FailoverWatch) -> list[tuple[float, str, str]]:
    """``(time, active, decision)`` of every non-healthy outcome: a compact trace."""
    return [(o.time, o.active, o.decision.value) for o in watch.outcomes
            if o.decision is not Decision.HEALTHY]

"""The failover policy shared by the real monitor and the simulated one: a pure state machine.

It does no I/O and has no clock of its own. It is fed observations of the
*active* version, each with the time it was made (seconds on any monotonic
scale: wall-clock seconds in the monitor, ``env.now`` in the simulation), and
answers with an :class:`Outcome` saying what to do. An :class:`IncidentTracker` follows the
outcomes from a version's first failed check to its recovery or its switch, so a blip the
policy rode out can be told in one sentence (:func:`ridden_out`).

Rules (the original's defaults: 5 failures within 10 s, cooldown 15 s):

1. **Threshold.** When ``threshold`` failures of the active version fall
   within ``window`` seconds, switch to the next version in ``versions``
   (``v1 -> v2 -> v3``). A failure at time ``f`` counts at time ``t`` while
   ``t - f < window``; older failures are forgotten.
2. **Successes do not erase failures.** A flapping service (fail, ok, fail,
   ok, ...) still fails over once ``threshold`` failures land inside the
   window: five failed checks out of ten is not healthy. Failures only age out.
3. **A switch clears the window.** The new version starts with no failures;
   the old version's failures never count against it.
4. **Cooldown.** No automatic switch happens within ``cooldown`` seconds of
   the previous switch (automatic or manual). Failures keep being counted
   during the cooldown, so the first failure after it that still finds
   ``threshold`` failures in the window switches at once.
5. **No automatic failback.** Only failures move the active version, and
   only forwards. At the last version the policy wraps to the first when
   ``wrap`` is true; otherwise it stays and reports ``EXHAUSTED``.
6. **Manual switches** (:meth:`FailoverPolicy.switch`) are an operator's
   decision: they ignore the cooldown, clear the window and start a new
   cooldown.
"""
from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import Iterable

__all__ = ["Decision", "FailoverConfig", "Outcome", "FailoverPolicy", "trace", "Incident",
           "IncidentTracker", "ridden_out"]


class Decision(str, enum.Enum):
    """What the policy decided about one observation."""
    HEALTHY = "healthy"      # the check succeeded
    FAILING = "failing"      # a failure was counted; threshold not reached
    FAILOVER = "failover"    # threshold reached: switched to the next version
    COOLDOWN = "cooldown"    # threshold reached, but the last switch is too recent: hold
    EXHAUSTED = "exhausted"  # threshold reached, but there is no next version (wrap off)
    MANUAL = "manual"        # an operator switched the active version

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FailoverConfig:
    """Versions in failover order, ``threshold`` failures within ``window`` s, ``cooldown`` s."""
    versions: tuple[str, ...] = ("v1", "v2", "v3")
    threshold: int = 5
    window: float = 10.0
    cooldown: float = 15.0
    wrap: bool = False

    def __post_init__(self) -> None:
        versions = tuple(self.versions)
        object.__setattr__(self, "versions", versions)
        if not versions or not all(isinstance(v, str) and v for v in versions):
            raise ValueError("versions: expected a non-empty list of version names")
        if len(set(versions)) != len(versions):
            raise ValueError(f"versions: names must be unique, got {list(versions)}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 1:
            raise ValueError(f"threshold: expected an integer >= 1, got {self.threshold!r}")
        if not _is_number(self.window) or self.window <= 0:
            raise ValueError(f"window: expected a number of seconds > 0, got {self.window!r}")
        if not _is_number(self.cooldown) or self.cooldown < 0:
            raise ValueError(f"cooldown: expected a number of seconds >= 0, got {self.cooldown!r}")
        if not isinstance(self.wrap, bool):
            raise ValueError(f"wrap: expected true or false, got {self.wrap!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


@dataclass(frozen=True)
class Outcome:
    """The policy's answer to one observation (or one manual switch)."""
    time: float
    ok: bool | None          # None for a manual switch
    decision: Decision
    active: str              # the active version after this step
    previous: str | None     # the version switched away from, on FAILOVER / MANUAL
    failures: int            # failures in the window after this step
    reason: str              # one sentence for logs, audit rows and students

    @property
    def switched(self) -> bool:
        return self.decision in (Decision.FAILOVER, Decision.MANUAL)


class FailoverPolicy:
    """Counts failures of the active version and decides when to switch (see module rules)."""

    def __init__(self, config: FailoverConfig | None = None, active: str | None = None):
        self.config = config or FailoverConfig()
        if active is not None and active not in self.config.versions:
            raise ValueError(f"active: expected one of {list(self.config.versions)}, got {active!r}")
        self.active: str = active or self.config.versions[0]
        self.last_switch: float | None = None
        self.last_time: float | None = None
        self._failures: deque[float] = deque()

    # -- queries ---------------------------------------------------------------
    @property
    def failures(self) -> tuple[float, ...]:
        """Times of the failures currently inside the window."""
        return tuple(self._failures)

    def next_version(self) -> str | None:
        """The version a failover would switch to, or None at the end without wrap."""
        versions = self.config.versions
        index = versions.index(self.active) + 1
        if index < len(versions):
            return versions[index]
        return versions[0] if self.config.wrap and len(versions) > 1 else None

    def cooldown_remaining(self, time: float) -> float:
        """Seconds until an automatic switch is allowed again (0 when allowed)."""
        if self.last_switch is None:
            return 0.0
        return max(0.0, self.last_switch + self.config.cooldown - time)

    # -- steps -----------------------------------------------------------------
    def observe(self, time: float, ok: bool) -> Outcome:
        """Feed one check of the active version made at ``time``; returns the decision."""
        self._advance(time)
        if ok:
            return self._outcome(time, True, Decision.HEALTHY, None,
                                 f"{self.active} answered its health check.")
        self._failures.append(time)
        count = len(self._failures)
        cfg = self.config
        if count < cfg.threshold:
            return self._outcome(time, False, Decision.FAILING, None,
                                 f"{self.active} failed {count} of {cfg.threshold} allowed "
                                 f"checks within {cfg.window:g} s.")
        wait = self.cooldown_remaining(time)
        if wait > 0:
            return self._outcome(time, False, Decision.COOLDOWN, None,
                                 f"{self.active} reached {count} failures within {cfg.window:g} s, "
                                 f"but the last switch was less than {cfg.cooldown:g} s ago "
                                 f"({wait:g} s of cooldown left).")
        target = self.next_version()
        if target is None:
            return self._outcome(time, False, Decision.EXHAUSTED, None,
                                 f"{self.active} reached {count} failures within {cfg.window:g} s, "
                                 f"but it is the last version and wrapping is off.")
        previous = self.active
        self._switch_to(time, target)
        return self._outcome(time, False, Decision.FAILOVER, previous,
                             f"{previous} failed {count} checks within {cfg.window:g} s: "
                             f"switched to {target}.")

    def switch(self, time: float, to: str | None = None) -> Outcome:
        """An operator's switch to ``to`` (default: the next version); ignores the cooldown."""
        self._advance(time)
        target = to if to is not None else self.next_version()
        if target is None:
            raise ValueError(f"to: {self.active} is the last version and wrapping is off")
        if target not in self.config.versions:
            raise ValueError(f"to: expected one of {list(self.config.versions)}, got {target!r}")
        previous = self.active
        self._switch_to(time, target)
        return self._outcome(time, None, Decision.MANUAL, previous,
                             f"An operator switched from {previous} to {target}.")

    # -- internals -------------------------------------------------------------
    def _advance(self, time: float) -> None:
        if not _is_number(time):
            raise ValueError(f"time: expected a number of seconds, got {time!r}")
        if self.last_time is not None and time < self.last_time:
            raise ValueError(f"time: observations must not go back in time "
                             f"(got {time!r} after {self.last_time!r})")
        self.last_time = time
        horizon = time - self.config.window
        while self._failures and self._failures[0] <= horizon:
            self._failures.popleft()

    def _switch_to(self, time: float, target: str) -> None:
        self.active = target
        self.last_switch = time
        self._failures.clear()

    def _outcome(self, time: float, ok: bool | None, decision: Decision,
                 previous: str | None, reason: str) -> Outcome:
        return Outcome(time, ok, decision, self.active, previous, len(self._failures), reason)


def trace(observations: Iterable[tuple[float, bool]],
          config: FailoverConfig | None = None) -> list[Outcome]:
    """Run a fresh policy over ``(time, ok)`` pairs and return every outcome."""
    policy = FailoverPolicy(config)
    return [policy.observe(t, ok) for t, ok in observations]


# -- incidents: from the first failed check to recovery or switch ------------------------
@dataclass(frozen=True)
class Incident:
    """A run of failed checks of one version, closed by a success or by a switch."""
    version: str
    started: float           # time of the first failed check
    ended: float             # time of the check (or switch) that closed it
    failed_checks: int
    peak: int                # the most failures the window held at once
    switched: bool           # closed by a switch away from ``version``


class IncidentTracker:
    """Follows outcomes and returns each :class:`Incident` when it closes (pure, no clock)."""

    def __init__(self) -> None:
        self.open: tuple[str, float, int, int] | None = None   # version, started, checks, peak

    def observe(self, outcome: Outcome) -> Incident | None:
        """Feed every outcome in order; returns the incident this one closed, if any."""
        checked = outcome.previous if outcome.decision is Decision.FAILOVER else outcome.active
        if outcome.switched:
            closed = self._close(outcome.time, switched=True, failed=outcome.ok is False)
            return closed
        if outcome.ok:
            return self._close(outcome.time, switched=False)
        if self.open is None or self.open[0] != checked:
            self.open = (checked, outcome.time, 0, 0)
        version, started, checks, peak = self.open
        self.open = (version, started, checks + 1, max(peak, outcome.failures))
        return None

    def _close(self, time: float, *, switched: bool, failed: bool = False) -> Incident | None:
        if self.open is None:
            return None
        version, started, checks, peak = self.open
        self.open = None
        if failed:                            # the failed check that triggered the failover
            checks += 1
        return Incident(version, started, time, checks, peak, switched)


def ridden_out(incident: Incident, config: FailoverConfig, *, what: str = "",
               since: float | None = None) -> str:
    """One sentence for an incident that ended without a switch.

    ``what`` names the cause ("crashed and was restarted"); ``since`` is when it began, if
    earlier than the first failed check (the moment of the crash).
    """
    n = incident.failed_checks
    what = what or f"failed {n} check{'s' if n != 1 else ''} and recovered"
    began = incident.started if since is None else min(since, incident.started)
    peak = incident.peak
    return (f"{incident.version} {what} in {incident.ended - began:.1f} s: {peak} "
            f"failure{'s' if peak != 1 else ''} < {config.threshold} in {config.window:g} s, "
            f"no failover")

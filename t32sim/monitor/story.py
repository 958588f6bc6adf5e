"""What the monitor tells the operator, in words: pure functions over plain data.

A chaos button answers with what will happen and why ("v1 is at 80 % load: above 50 %
its /health takes 2 s, longer than the 1 s check timeout ..."); a failed check says
what is behind it; a blip the policy rode out is told in one sentence
(:func:`t32sim.failover.ridden_out`). The timing comes from :mod:`t32sim.demo_chaos`.
"""
from __future__ import annotations

import math
from typing import Mapping

from t32sim.demo_chaos import HEALTH_SLOW_ABOVE, START_SECONDS, health_delay, root_delay
from t32sim.failover import FailoverConfig

__all__ = ["down_text", "expected_failures", "cpu_message", "corruption_message",
           "crash_message", "reset_message"]


def down_text(version: str, process: Mapping | None) -> str:
    """Why a spawned process does not answer, from its supervisor snapshot ("" if running)."""
    if not process or process.get("state") in (None, "running"):
        return ""
    ago, wait = process.get("exited_ago"), process.get("restart_in")
    if process["state"] == "stopped":
        return f"{version} is stopped"
    crashed = f"{version} crashed {ago:.1f} s ago" if ago is not None else f"{version} crashed"
    when = f" in {wait:.1f} s" if wait is not None else ""
    if process["state"] == "held":
        return f"{crashed} and is kept down; it starts again{when}"
    return f"{crashed}; the supervisor restarts it{when}"


def expected_failures(outage: float, interval: float) -> int:
    """About how many checks, one every ``interval`` s, fall into an outage of ``outage`` s."""
    return max(1, math.ceil(outage / interval))


def _verdict(failures: int, config: FailoverConfig) -> str:
    rule = f"{config.threshold} failures within {config.window:g} s"
    if failures >= config.threshold:
        return f"about {failures} failed checks, enough for a failover ({rule})"
    return (f"about {failures} failed check{'s' if failures != 1 else ''}, fewer than {rule}: "
            f"a blip the policy rides out")


def cpu_message(version: str, level: float, *, timeout: float, scale: float,
                config: FailoverConfig) -> str:
    """What a CPU level does to ``version``'s checks."""
    slow = health_delay(level, scale)
    if level <= HEALTH_SLOW_ABOVE:
        return (f"{version} is at {level:g} % load: GET / now takes {root_delay(level, scale):g} s, "
                f"/health still answers at once (it slows down above {HEALTH_SLOW_ABOVE:g} %).")
    if slow < timeout:
        return (f"{version} is at {level:g} % load: its /health takes {slow:g} s, within the "
                f"{timeout:g} s check timeout, so the checks still pass.")
    return (f"{version} is at {level:g} % load: above {HEALTH_SLOW_ABOVE:g} % its /health takes "
            f"{slow:g} s, longer than the {timeout:g} s check timeout, so every check fails; "
            f"{config.threshold} failures within {config.window:g} s fail over.")


def corruption_message(version: str, config: FailoverConfig) -> str:
    return (f"{version}'s data is corrupted: GET / answers 500 DATA_ERR and /health 503; "
            f"{config.threshold} failed checks within {config.window:g} s fail over.")


def crash_message(version: str, pid: int, *, restart_in: float, down_for: float,
                  interval: float, config: FailoverConfig) -> str:
    """What killing ``version`` will do: when it comes back, and whether that fails over."""
    failures = expected_failures(restart_in + START_SECONDS, interval)
    back = (f"it stays down {restart_in:g} s" if down_for > 0 and down_for >= restart_in
            else f"the supervisor restarts it in {restart_in:g} s")
    return f"Killed {version} (pid {pid}); {back}: {_verdict(failures, config)}."


def reset_message(version: str, *, restarted: bool) -> str:
    return (f"{version} is back to normal (no load, no corruption)"
            + ("; its process starts again now." if restarted else "."))

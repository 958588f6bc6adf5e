"""What the chaos toggles of the demo services v1/v2/v3 do to a health check: plain data, pure.

The real services (``services/demo.py``), the real monitor (``t32sim.monitor``) and the
simulated monitor (``t32sim.engine.failover_sim``) take their timing and their words from
here, so a toggle tells the same story in all three. The numbers are the original project's:

- **CPU load** L %: ``GET /`` waits ``L / 20`` s (5 s at 100 %). Above 50 % ``GET /health``
  waits 2 s, longer than the monitor's 1 s check timeout: a loaded service fails its checks
  and the monitor fails over.
- **Corruption**: ``GET /`` answers 500 ``DATA_ERR`` and ``GET /health`` 503. The stable
  release (v3) refuses it.
- **Crash**: the process dies. The supervisor starts it again after its restart delay (1 s),
  so the monitor sees a failed check or two, a blip the policy is right to ride out.
  ``down_for`` keeps the process down that many seconds first, long enough to fail over.
  A process that crashes again within 30 s of its start waits twice as long each time
  (1, 2, 4 ... up to 30 s): a crash loop stays down longer and longer, and fails over.

Every delay is multiplied by a **delay scale**, 1 by default; fast tests use a small scale
together with a check timeout scaled the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DemoState", "CheckResult", "HEALTH_SLOW_ABOVE", "HEALTH_DELAY", "ROOT_DELAY_PER_LOAD",
           "CHECK_TIMEOUT", "RESTART_DELAY", "RESTART_DELAY_MAX", "STABLE_AFTER", "START_SECONDS",
           "restart_after", "restart_backoff", "root_delay", "health_delay", "check_state",
           "timeout_error", "REFUSED", "failure_cause", "explain"]

HEALTH_SLOW_ABOVE = 50.0       # % CPU load above which /health is slow
HEALTH_DELAY = 2.0             # seconds /health takes then (the original's time.sleep(2))
ROOT_DELAY_PER_LOAD = 1 / 20   # seconds GET / waits per % of load (the original's load / 20)
CHECK_TIMEOUT = 1.0            # the original monitor's requests.get(url, timeout=1)
RESTART_DELAY = 1.0            # the supervisor's first restart delay after a crash
RESTART_DELAY_MAX = 30.0       # ... doubled for each further crash in a row, up to this
STABLE_AFTER = 30.0            # a process that ran this long before crashing starts over at 1 s
START_SECONDS = 0.5            # about how long a demo service takes to answer after a start
REFUSED = "connection refused"


@dataclass
class DemoState:
    """The chaos state one demo service holds; the toggles change it."""
    version: str
    stable: bool = False       # the stable release cannot be corrupted
    cpu_load: float = 0.0      # percent, 0-100
    is_corrupted: bool = False

    def reset(self) -> None:
        self.cpu_load = 0.0
        self.is_corrupted = False

    def as_dict(self) -> dict:
        return {"version": self.version, "cpu_load": self.cpu_load,
                "is_corrupted": self.is_corrupted, "stable": self.stable}


@dataclass(frozen=True)
class CheckResult:
    """What a monitor's ``GET /health`` sees: ok, the HTTP status (None: no answer), seconds."""
    ok: bool
    status: int | None
    latency: float
    error: str                 # "" when ok


def root_delay(cpu_load: float, scale: float = 1.0) -> float:
    """Seconds ``GET /`` waits at ``cpu_load`` percent."""
    return max(0.0, cpu_load) * ROOT_DELAY_PER_LOAD * scale


def health_delay(cpu_load: float, scale: float = 1.0) -> float:
    """Seconds ``GET /health`` waits: nothing up to 50 % load, 2 s above."""
    return HEALTH_DELAY * scale if cpu_load > HEALTH_SLOW_ABOVE else 0.0


def restart_backoff(crashes_in_a_row: int, first: float = RESTART_DELAY,
                    cap: float = RESTART_DELAY_MAX) -> float:
    """The supervisor's wait before a restart: ``first`` doubled per further crash in a row."""
    return min(cap, first * 2 ** (max(crashes_in_a_row, 1) - 1))


def restart_after(down_for: float = 0.0, backoff: float = RESTART_DELAY) -> float:
    """Seconds from a crash to the restart: the supervisor's backoff, or ``down_for`` if longer."""
    return max(backoff, down_for)


def timeout_error(timeout: float) -> str:
    return f"timeout after {timeout:g} s"


def check_state(state: DemoState | None, timeout: float = CHECK_TIMEOUT,
                scale: float = 1.0) -> CheckResult:
    """The check a monitor with ``timeout`` makes of a service in ``state`` (None: not running)."""
    if state is None:
        return CheckResult(False, None, 0.0, REFUSED)
    if state.is_corrupted:
        return CheckResult(False, 503, 0.0, "HTTP 503: DATA_ERR")
    delay = health_delay(state.cpu_load, scale)
    if delay >= timeout:
        return CheckResult(False, None, timeout, timeout_error(timeout))
    return CheckResult(True, 200, delay, "")


def failure_cause(state: DemoState | None, *, down: str = "", scale: float = 1.0) -> str:
    """Why a check of this service fails, in words; "" when its state does not explain it.

    ``down`` describes a process that is not running ("crashed 3 s ago, restart in 1 s").
    """
    if down:
        return down
    if state is None:
        return ""
    if state.is_corrupted:
        return f"{state.version}'s data is corrupted"
    if state.cpu_load > HEALTH_SLOW_ABOVE:
        return (f"{state.version} is at {state.cpu_load:g} % load (above "
                f"{HEALTH_SLOW_ABOVE:g} % its /health takes {health_delay(state.cpu_load, scale):g} s)")
    return ""


def explain(error: str, cause: str) -> str:
    """``"timeout after 1 s: v1 is at 80 % load ..."``: the check's error and its cause."""
    return f"{error}: {cause}" if error and cause else error

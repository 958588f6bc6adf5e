"""UP / DOWN state of the active service, and when that deserves an alert (pure)."""
from __future__ import annotations

from t32sim.enums import StrEnum

__all__ = ["ServiceState", "StatusTracker"]


class ServiceState(StrEnum):
    UNKNOWN = "UNKNOWN"
    UP = "UP"
    DOWN = "DOWN"


class StatusTracker:
    """Turns check results into DOWN / UP transitions worth a notification.

    - DOWN after ``down_after`` consecutive failures (one blip is not an outage).
    - UP when a DOWN service answers again, or when the first check of a
      service we failed over to succeeds (the new one is confirmed serving).
    - The very first success after start is silent: nothing changed.
    """

    def __init__(self, down_after: int = 2):
        self.down_after = down_after
        self.state = ServiceState.UNKNOWN
        self.consecutive_failures = 0
        self._announce_up = False

    def observe(self, ok: bool) -> ServiceState | None:
        """Feed one check; returns the new state when an alert is due, else None."""
        if ok:
            self.consecutive_failures = 0
            alert = self.state is ServiceState.DOWN or (
                self.state is ServiceState.UNKNOWN and self._announce_up)
            self.state, self._announce_up = ServiceState.UP, False
            return ServiceState.UP if alert else None
        self.consecutive_failures += 1
        if self.state is not ServiceState.DOWN and self.consecutive_failures >= self.down_after:
            self.state = ServiceState.DOWN
            return ServiceState.DOWN
        return None

    def switched(self) -> None:
        """A new service became active: unknown until checked, its first success is announced."""
        self.state = ServiceState.UNKNOWN
        self.consecutive_failures = 0
        self._announce_up = True

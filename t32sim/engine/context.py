"""What a controller gets instead of the Cluster: the clock, the store, the event log, the rng.

The Cluster (the facade) makes one Context and hands it to each controller; a controller
reads and writes shared objects through ``store`` and tells what happened through ``emit``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from t32sim.engine.events import EventLog, Reason
from t32sim.engine.store import Store

if TYPE_CHECKING:
    from t32sim.rng import Random


@dataclass(frozen=True)
class Context:
    env: simpy.Environment
    store: Store
    log: EventLog
    rng: "Random"

    @property
    def now(self) -> float:
        """Simulated seconds (``env.now``)."""
        return self.env.now

    def emit(self, reason: Reason, service: str, message: str, **kwargs: Any) -> None:
        """Record an event at the current simulated time."""
        self.log.emit(self.env.now, reason, service, message, **kwargs)

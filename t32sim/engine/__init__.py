"""The simulated cluster (simpy). Knows nothing of HTTP, notebooks or wall time."""
from t32sim.engine.cluster import Cluster, ServiceView, replay
from t32sim.engine.commands import Command, CommandError
from t32sim.engine.events import Event, Level, Reason
from t32sim.engine.status import Phase, ServiceStatus
from t32sim.engine.store import Pod, PodPhase, PodStatus, WaitingReason

__all__ = ["Cluster", "ServiceView", "replay", "Command", "CommandError", "Event", "Level",
           "Reason", "Phase", "ServiceStatus", "Pod", "PodPhase", "PodStatus", "WaitingReason"]

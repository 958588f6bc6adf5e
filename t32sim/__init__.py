"""t32sim: a deterministic simulated cluster for learning desired-state orchestration.

    import t32sim as t3
    c = t3.Cluster(seed=7)
    c.apply("examples/api-v1.yaml")
    c.run(until=60)
    c.service("api").status
"""
from t32sim.engine import (Cluster, Command, CommandError, Event, Level, Phase, Pod, PodPhase,
                           PodStatus, Reason, ServiceStatus, ServiceView, replay)
from t32sim.spec import ServiceSpec, SpecError, load_spec

__all__ = ["Cluster", "Command", "CommandError", "Event", "Level", "Phase", "Pod", "PodPhase",
           "PodStatus", "Reason", "ServiceStatus", "ServiceView", "replay", "ServiceSpec", "SpecError",
           "load_spec"]

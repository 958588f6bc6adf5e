"""t32sim: a deterministic simulated cluster for learning desired-state orchestration."""
from t32sim.spec import ServiceSpec, SpecError, load_spec

__all__ = ["ServiceSpec", "SpecError", "load_spec"]

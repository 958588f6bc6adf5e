"""Ranges, vocabularies and defaults shared by every reader."""
from __future__ import annotations

from t32sim.spec.model import CanaryStep


MAX_DOCUMENT_BYTES = 64 * 1024
MAX_YAML_NODES = 10_000          # counted as if every alias were expanded
MAX_YAML_DEPTH = 32
MAX_SECONDS = 86_400             # one day: longer is "absurd" for a classroom cluster
MAX_REPLICAS = 1000
MAX_COUNT = 1000                 # thresholds, history limits, policy values
MAX_CPU_MILLI = 64_000           # a CPU request of at most 64 CPUs

API_VERSIONS = ("v1", "apps/v1", "t32sim/v1", "argoproj.io/v1alpha1")
KINDS = ("Service", "Deployment", "Rollout")
DEFAULT_CANARY_STEPS = (CanaryStep(set_weight=100),)

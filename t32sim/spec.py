"""The Service spec: YAML text, a path or a dict becomes a frozen, validated ServiceSpec.

Both the original t32 format and the Kubernetes / Argo Rollouts names are accepted
and normalised into one shape, so the engine only ever sees a ``ServiceSpec``.
"""
from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

__all__ = [
    "SpecError", "ServiceSpec", "Probe", "EnvVar", "Autoscale", "ScalingPolicy",
    "ScalingRules", "Strategy", "CanaryStep", "Analysis", "Rollout", "load_spec",
]


class SpecError(ValueError):
    """A spec that cannot be accepted. ``errors`` lists ``(path, message)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__("\n".join(f"{path}: {message}" if path else message
                                   for path, message in self.errors))


class Strategy(str, enum.Enum):
    ROLLING_UPDATE = "RollingUpdate"
    BLUE_GREEN = "BlueGreen"
    CANARY = "Canary"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str


@dataclass(frozen=True)
class Probe:
    """An HTTP probe; times in seconds, defaults are Kubernetes' defaults."""
    path: str = "/"
    initial_delay_seconds: float = 0
    period_seconds: float = 10
    timeout_seconds: float = 1
    success_threshold: int = 1
    failure_threshold: int = 3


@dataclass(frozen=True)
class ScalingPolicy:
    type: str            # "Pods" or "Percent"
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    """One direction of an HPA ``behavior`` (scaleUp or scaleDown)."""
    stabilization_window_seconds: int
    select_policy: str   # "Max", "Min" or "Disabled"
    policies: tuple[ScalingPolicy, ...]


SCALE_UP_DEFAULT = ScalingRules(0, "Max", (ScalingPolicy("Percent", 100, 15),
                                           ScalingPolicy("Pods", 4, 15)))
SCALE_DOWN_DEFAULT = ScalingRules(300, "Max", (ScalingPolicy("Percent", 100, 15),))


@dataclass(frozen=True)
class Autoscale:
    """A HorizontalPodAutoscaler on average CPU utilisation (percent of a pod's capacity)."""
    min_replicas: int = 1
    max_replicas: int = 10
    target_cpu: int = 80
    scale_up: ScalingRules = SCALE_UP_DEFAULT
    scale_down: ScalingRules = SCALE_DOWN_DEFAULT


@dataclass(frozen=True)
class CanaryStep:
    """Either ``set_weight`` (percent of traffic to the canary) or a pause.

    A pause with ``pause_seconds=None`` waits for ``promote``.
    """
    set_weight: int | None = None
    pause: bool = False
    pause_seconds: float | None = None


@dataclass(frozen=True)
class Analysis:
    """Canary analysis: checked every ``interval`` seconds; ``failure_limit`` failures abort."""
    max_error_rate: float = 0.05
    interval: float = 10
    failure_limit: int = 1


@dataclass(frozen=True)
class Rollout:
    strategy: Strategy = Strategy.ROLLING_UPDATE
    max_surge: int | str = "25%"
    max_unavailable: int | str = "25%"
    steps: tuple[CanaryStep, ...] = ()
    auto_promotion_enabled: bool = True
    auto_promotion_seconds: float | None = None
    scale_down_delay_seconds: float = 30
    analysis: Analysis | None = None


@dataclass(frozen=True)
class ServiceSpec:
    """A validated Service. Everything that shapes a pod is in ``pod_template()``."""
    name: str
    image: str
    replicas: int = 1
    env: tuple[EnvVar, ...] = ()
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    startup_probe: Probe | None = None
    termination_grace_period_seconds: float = 30
    min_ready_seconds: float = 0
    revision_history_limit: int = 10
    progress_deadline_seconds: float = 600
    autoscale: Autoscale | None = None
    rollout: Rollout = field(default_factory=Rollout)

    def env_value(self, name: str, default: str | None = None) -> str | None:
        for var in self.env:
            if var.name == name:
                return var.value
        return default

    def pod_template(self) -> dict[str, Any]:
        """The part of the spec that makes a pod; a change here is a new revision."""
        def probe(p: Probe | None):
            return None if p is None else {
                "path": p.path, "initialDelaySeconds": p.initial_delay_seconds,
                "periodSeconds": p.period_seconds, "timeoutSeconds": p.timeout_seconds,
                "successThreshold": p.success_threshold,
                "failureThreshold": p.failure_threshold}
        return {
            "image": self.image,
            "env": [{"name": e.name, "value": e.value} for e in self.env],
            "readinessProbe": probe(self.readiness_probe),
            "livenessProbe": probe(self.liveness_probe),
            "startupProbe": probe(self.startup_probe),
            "terminationGracePeriodSeconds": self.termination_grace_period_seconds,
        }

    def template_hash(self) -> str:
        """A stable 10-character hash of ``pod_template()`` (Kubernetes' pod-template-hash)."""
        text = json.dumps(self.pod_template(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    @property
    def version(self) -> str:
        """The image tag after ``@`` (``local://demo@v2`` -> ``v2``), or the image itself."""
        return self.image.rsplit("@", 1)[-1] if "@" in self.image else self.image


# --------------------------------------------------------------------------------------
# Loading. (Minimal first version; the full validator replaces it.)

def load_spec(source: str | Path | Mapping[str, Any] | ServiceSpec) -> ServiceSpec:
    """Accept a path, YAML text, a dict or a ServiceSpec and return a ServiceSpec."""
    if isinstance(source, ServiceSpec):
        return source
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and source.endswith((".yaml", ".yml"))):
        source = Path(source).read_text()
    doc = yaml.safe_load(source) if isinstance(source, str) else source
    spec = doc["spec"]

    def probe(d):
        if d is None:
            return None
        return Probe(path=d.get("httpGet", {}).get("path", "/"),
                     initial_delay_seconds=d.get("initialDelaySeconds", 0),
                     period_seconds=d.get("periodSeconds", 10),
                     timeout_seconds=d.get("timeoutSeconds", 1),
                     success_threshold=d.get("successThreshold", 1),
                     failure_threshold=d.get("failureThreshold", 3))

    return ServiceSpec(
        name=doc["metadata"]["name"], image=spec["image"], replicas=spec.get("replicas", 1),
        env=tuple(EnvVar(e["name"], str(e["value"])) for e in spec.get("env", [])),
        readiness_probe=probe(spec.get("readinessProbe")),
        liveness_probe=probe(spec.get("livenessProbe")),
        startup_probe=probe(spec.get("startupProbe")),
        termination_grace_period_seconds=spec.get("terminationGracePeriodSeconds", 30),
        min_ready_seconds=spec.get("minReadySeconds", 0),
        revision_history_limit=spec.get("revisionHistoryLimit", 10),
        progress_deadline_seconds=spec.get("progressDeadlineSeconds", 600),
    )

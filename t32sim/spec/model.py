"""The frozen spec types every format becomes, and their canonical document (``to_dict``)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from t32sim.enums import StrEnum


#: the CPU request of a pod whose spec gives none: one CPU, what it uses at full capacity
DEFAULT_CPU_REQUEST_MILLI = 1000


class Strategy(StrEnum):
    ROLLING_UPDATE = "RollingUpdate"
    BLUE_GREEN = "BlueGreen"
    CANARY = "Canary"


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str


class ProbeAction(StrEnum):
    """How a probe asks the container; the simulated image answers all four the same way."""
    HTTP_GET = "httpGet"
    TCP_SOCKET = "tcpSocket"
    EXEC = "exec"
    GRPC = "grpc"


@dataclass(frozen=True)
class Probe:
    """A probe; times in seconds, defaults are Kubernetes' defaults.

    ``action`` is how it asks (an HTTP GET of ``path`` by default; a TCP connect or a gRPC
    health check to ``port``; ``command`` run in the container); ``port`` is a number or a
    named container port."""
    path: str = "/"
    initial_delay_seconds: float = 0
    period_seconds: float = 10
    timeout_seconds: float = 1
    success_threshold: int = 1
    failure_threshold: int = 3
    port: int | str | None = None
    action: ProbeAction = ProbeAction.HTTP_GET
    command: tuple[str, ...] = ()

    def describe(self) -> str:
        """What the probe does, as ``kubectl describe pod`` words it: ``GET /healthz``."""
        if self.action is ProbeAction.TCP_SOCKET:
            return f"TCP connect to port {self.port}"
        if self.action is ProbeAction.GRPC:
            return f"gRPC health check on port {self.port}"
        if self.action is ProbeAction.EXEC:
            return "exec " + " ".join(self.command)
        return f"GET {self.path}"


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

    @property
    def default_behavior(self) -> bool:
        """Both directions have Kubernetes' default rules: as an HPA without ``behavior``."""
        return self.scale_up == SCALE_UP_DEFAULT and self.scale_down == SCALE_DOWN_DEFAULT


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
    """Canary analysis: checked every ``interval`` seconds; the rollout aborts when the failed
    runs *exceed* ``failure_limit`` (Argo's rule; its default 0 aborts at the first failure)."""
    max_error_rate: float = 0.05
    interval: float = 10
    failure_limit: int = 0


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
    #: BlueGreen: the Services (by name) that send users to the active and the preview pods
    active_service: str | None = None
    preview_service: str | None = None


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
    labels: tuple[tuple[str, str], ...] = ()     # the pods' labels, sorted by key
    #: ``resources.requests.cpu`` in millicores; None: 1000m, what one pod uses at its
    #: full capacity (so CPU utilisation is the share of the pod's capacity)
    cpu_request_milli: int | None = None

    def env_value(self, name: str, default: str | None = None) -> str | None:
        for var in self.env:
            if var.name == name:
                return var.value
        return default

    def pod_template(self) -> dict[str, Any]:
        """The part of the spec that makes a pod; a change here is a new revision."""
        def probe(p: Probe | None):
            if p is None:
                return None
            fields = {
                "path": p.path, "port": p.port, "initialDelaySeconds": p.initial_delay_seconds,
                "periodSeconds": p.period_seconds, "timeoutSeconds": p.timeout_seconds,
                "successThreshold": p.success_threshold,
                "failureThreshold": p.failure_threshold}
            if p.action is not ProbeAction.HTTP_GET:     # (httpGet hashes as it always did)
                fields.update(action=p.action.value, command=list(p.command))
            return fields
        template = {
            "image": self.image,
            "env": [{"name": e.name, "value": e.value} for e in self.env],
            "readinessProbe": probe(self.readiness_probe),
            "livenessProbe": probe(self.liveness_probe),
            "startupProbe": probe(self.startup_probe),
            "terminationGracePeriodSeconds": self.termination_grace_period_seconds,
        }
        if self.cpu_request_milli is not None:
            template["resources"] = {"requests": {"cpu": f"{self.cpu_request_milli}m"}}
        return template

    @property
    def cpu_request(self) -> int:
        """The pods' CPU request in millicores (1000 when the spec gives none)."""
        return DEFAULT_CPU_REQUEST_MILLI if self.cpu_request_milli is None \
            else self.cpu_request_milli

    def template_hash(self) -> str:
        """A stable 10-character hash of ``pod_template()`` (Kubernetes' pod-template-hash).

        Computed once per spec: the spec is frozen, so the hash cannot change."""
        cached = self.__dict__.get("_template_hash")
        if cached is None:
            text = json.dumps(self.pod_template(), sort_keys=True, separators=(",", ":"))
            cached = hashlib.sha256(text.encode()).hexdigest()[:10]
            object.__setattr__(self, "_template_hash", cached)
        return cached

    @property
    def version(self) -> str:
        """The image tag after ``@`` (``local://demo@v2`` -> ``v2``), or the image itself."""
        return self.image.rsplit("@", 1)[-1] if "@" in self.image else self.image

    def to_dict(self) -> dict[str, Any]:
        """The canonical document, every field explicit: ``load_spec(s.to_dict()) == s``."""
        metadata: dict[str, Any] = {"name": self.name}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        spec: dict[str, Any] = {
            "replicas": self.replicas,
            "image": self.image,
            "env": [{"name": e.name, "value": e.value} for e in self.env],
        }
        for key, probe in (("readinessProbe", self.readiness_probe),
                           ("livenessProbe", self.liveness_probe),
                           ("startupProbe", self.startup_probe)):
            if probe is not None:
                spec[key] = probe_document(probe)
        if self.cpu_request_milli is not None:
            spec["resources"] = {"requests": {"cpu": f"{self.cpu_request_milli}m"}}
        spec.update({
            "terminationGracePeriodSeconds": self.termination_grace_period_seconds,
            "minReadySeconds": self.min_ready_seconds,
            "revisionHistoryLimit": self.revision_history_limit,
            "progressDeadlineSeconds": self.progress_deadline_seconds,
        })
        if self.autoscale is not None:
            spec["autoscale"] = autoscale_document(self.autoscale)
        spec["rollout"] = rollout_document(self.rollout)
        return {"apiVersion": "t32sim/v1", "kind": "Service", "metadata": metadata,
                "spec": spec}


# --------------------------------------------------------------------------------------
# Canonical documents (the inverse of the readers in flat.py and strategy.py).

def probe_document(probe: Probe) -> dict[str, Any]:
    return {**probe_action_document(probe),
            "initialDelaySeconds": probe.initial_delay_seconds,
            "periodSeconds": probe.period_seconds,
            "timeoutSeconds": probe.timeout_seconds,
            "successThreshold": probe.success_threshold,
            "failureThreshold": probe.failure_threshold}


def probe_action_document(probe: Probe) -> dict[str, Any]:
    """``{httpGet: {path, port}}``, ``{tcpSocket: {port}}``, ``{grpc: {port}}`` or
    ``{exec: {command}}``: how the probe asks, as Kubernetes writes it."""
    if probe.action is ProbeAction.EXEC:
        return {"exec": {"command": list(probe.command)}}
    if probe.action is not ProbeAction.HTTP_GET:
        return {probe.action.value: {"port": probe.port}}
    http: dict[str, Any] = {"path": probe.path}
    if probe.port is not None:
        http["port"] = probe.port
    return {"httpGet": http}


def _rules_document(rules: ScalingRules) -> dict[str, Any]:
    return {"stabilizationWindowSeconds": rules.stabilization_window_seconds,
            "selectPolicy": rules.select_policy,
            "policies": [{"type": p.type, "value": p.value, "periodSeconds": p.period_seconds}
                         for p in rules.policies]}


def autoscale_document(autoscale: Autoscale) -> dict[str, Any]:
    return {"min": autoscale.min_replicas, "max": autoscale.max_replicas,
            "targetCPU": autoscale.target_cpu,
            "behavior": {"scaleUp": _rules_document(autoscale.scale_up),
                         "scaleDown": _rules_document(autoscale.scale_down)}}


def _step_document(step: CanaryStep) -> dict[str, Any]:
    if step.set_weight is not None:
        return {"setWeight": step.set_weight}
    return {"pause": {} if step.pause_seconds is None else {"duration": step.pause_seconds}}


def rollout_document(rollout: Rollout) -> dict[str, Any]:
    doc: dict[str, Any] = {"strategy": rollout.strategy.value}
    if rollout.strategy in (Strategy.ROLLING_UPDATE, Strategy.CANARY):
        doc.update(maxSurge=rollout.max_surge, maxUnavailable=rollout.max_unavailable)
    if rollout.strategy is Strategy.CANARY:
        doc["steps"] = [_step_document(step) for step in rollout.steps]
        if rollout.analysis is not None:
            doc["analysis"] = {"maxErrorRate": rollout.analysis.max_error_rate,
                               "interval": rollout.analysis.interval,
                               "failureLimit": rollout.analysis.failure_limit}
    if rollout.strategy is Strategy.BLUE_GREEN:
        doc["autoPromotionEnabled"] = rollout.auto_promotion_enabled
        if rollout.auto_promotion_seconds is not None:
            doc["autoPromotionSeconds"] = rollout.auto_promotion_seconds
        doc["scaleDownDelaySeconds"] = rollout.scale_down_delay_seconds
        for key, name in (("activeService", rollout.active_service),
                          ("previewService", rollout.preview_service)):
            if name is not None:
                doc[key] = name
    return doc


"""A ServiceSpec -> the manifests a student can ``kubectl apply``: pure functions over data.

- RollingUpdate -> an ``apps/v1 Deployment``; BlueGreen and Canary -> an Argo
  ``argoproj.io/v1alpha1 Rollout`` (steps, surge; active and preview Services);
- a ``v1 Service`` named after the workload, selecting its pods (blue/green: the active
  Service by that name and a ``<name>-preview`` Service);
- an ``autoscaling/v2 HorizontalPodAutoscaler`` when the spec autoscales, with the
  ``resources.requests.cpu`` its utilisation is measured against (1000m, a whole pod's
  capacity, unless the spec asks for another request), and a ``behavior`` only when the
  spec's differs from Kubernetes' defaults.

Kubernetes counts seconds in whole numbers: a fractional time is rounded up, and said so
in ``Export.warnings``. What Kubernetes and Argo have no field for (t32sim's canary
analysis, the simulated image) travels in annotations that t32sim reads back.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from t32sim.export.images import ImageMap, RealImage
from t32sim.spec import Autoscale, Probe, ProbeAction, ScalingRules, ServiceSpec, Strategy
from t32sim.spec.model import probe_action_document
from t32sim.spec.pod_template import SIMULATED_IMAGE_ANNOTATION
from t32sim.spec.workloads import ANALYSIS_ANNOTATION

SERVICE_PORT = 80


@dataclass(frozen=True)
class Export:
    """The manifests of one workload, in apply order, and what could not be kept exactly."""
    documents: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...] = ()


def export_spec(spec: ServiceSpec, images: ImageMap | None = None) -> Export:
    """The Deployment or Rollout, its Service(s) and, when it autoscales, its HPA."""
    warnings: list[str] = []
    real = (images or ImageMap()).real(spec.image, spec.name)
    labels = dict(spec.labels) or {"app": spec.name}
    kind = "Deployment" if spec.rollout.strategy is Strategy.ROLLING_UPDATE else "Rollout"
    documents = [_workload(spec, kind, labels, real, warnings)]
    documents += _services(spec, labels, real)
    if spec.autoscale is not None:
        documents.append(_hpa(spec, kind))
        if spec.cpu_request_milli is None:
            most = spec.autoscale.max_replicas
            warnings.append(f"{spec.name}: requests.cpu {spec.cpu_request}m is the whole pod "
                            "t32sim measures CPU against when a spec gives no request; "
                            f"{most} pods at most request {most * spec.cpu_request / 1000:g} "
                            "CPUs, so lower it on a small cluster (the HPA's target is a "
                            "share of it)")
    if real.differs:
        warnings.append(f"{spec.name}: {spec.image} runs as {real.image}, which "
                        f"{real.differs}")
    return Export(tuple(documents), tuple(warnings))


def _workload(spec: ServiceSpec, kind: str, labels: dict[str, str], real: RealImage,
              warnings: list[str]) -> dict[str, Any]:
    seconds = _whole_seconds(spec.name, warnings)
    body: dict[str, Any] = {
        "replicas": spec.replicas,
        "selector": {"matchLabels": labels},
        "minReadySeconds": seconds("minReadySeconds", spec.min_ready_seconds),
        "revisionHistoryLimit": spec.revision_history_limit,
        "progressDeadlineSeconds": seconds("progressDeadlineSeconds",
                                           spec.progress_deadline_seconds),
        "strategy": _strategy(spec, seconds),
        "template": {"metadata": {"labels": labels},
                     "spec": {"terminationGracePeriodSeconds": seconds(
                                  "terminationGracePeriodSeconds",
                                  spec.termination_grace_period_seconds),
                              "containers": [_container(spec, real, seconds)]}},
    }
    if real.image != spec.image:
        body["template"]["metadata"]["annotations"] = {SIMULATED_IMAGE_ANNOTATION: spec.image}
    metadata: dict[str, Any] = {"name": spec.name, "labels": labels}
    analysis = spec.rollout.analysis
    if spec.rollout.strategy is Strategy.CANARY and analysis is not None:
        metadata["annotations"] = {ANALYSIS_ANNOTATION: json.dumps(
            {"maxErrorRate": analysis.max_error_rate, "interval": analysis.interval,
             "failureLimit": analysis.failure_limit}, sort_keys=True)}
        warnings.append(f"{spec.name}: Argo Rollouts has no field for t32sim's canary "
                        f"analysis; it is kept in the {ANALYSIS_ANNOTATION} annotation "
                        "(write an AnalysisTemplate for a real cluster)")
    api = "apps/v1" if kind == "Deployment" else "argoproj.io/v1alpha1"
    return {"apiVersion": api, "kind": kind, "metadata": metadata, "spec": body}


def _strategy(spec: ServiceSpec, seconds) -> dict[str, Any]:
    rollout = spec.rollout
    surge = {"maxSurge": rollout.max_surge, "maxUnavailable": rollout.max_unavailable}
    if rollout.strategy is Strategy.ROLLING_UPDATE:
        return {"type": "RollingUpdate", "rollingUpdate": surge}
    if rollout.strategy is Strategy.CANARY:
        steps = []
        for step in rollout.steps:
            if step.set_weight is not None:
                steps.append({"setWeight": step.set_weight})
            elif step.pause_seconds is None:
                steps.append({"pause": {}})
            else:
                steps.append({"pause": {"duration": seconds("pause.duration",
                                                            step.pause_seconds)}})
        return {"canary": {**surge, "steps": steps}}
    blue_green: dict[str, Any] = {
        "activeService": rollout.active_service or spec.name,
        "previewService": rollout.preview_service or f"{spec.name}-preview",
        "autoPromotionEnabled": rollout.auto_promotion_enabled,
        "scaleDownDelaySeconds": seconds("scaleDownDelaySeconds",
                                         rollout.scale_down_delay_seconds)}
    if rollout.auto_promotion_seconds is not None:
        blue_green["autoPromotionSeconds"] = seconds("autoPromotionSeconds",
                                                     rollout.auto_promotion_seconds)
    return {"blueGreen": blue_green}


def _container(spec: ServiceSpec, real: RealImage, seconds) -> dict[str, Any]:
    container: dict[str, Any] = {"name": spec.name, "image": real.image}
    if real.command:
        container["command"] = list(real.command)
    if real.args:
        container["args"] = list(real.args)
    named = sorted({p.port for p in (spec.readiness_probe, spec.liveness_probe,
                                     spec.startup_probe)
                    if p is not None and isinstance(p.port, str)})
    if real.port is not None:
        container["ports"] = [{"containerPort": real.port, **({"name": named[0]} if named
                                                              else {})}]
    if spec.env:
        container["env"] = [{"name": e.name, "value": e.value} for e in spec.env]
    for key, probe in (("readinessProbe", spec.readiness_probe),
                       ("livenessProbe", spec.liveness_probe),
                       ("startupProbe", spec.startup_probe)):
        if probe is not None:
            container[key] = _probe(probe, real.port or SERVICE_PORT, key, seconds)
    if spec.cpu_request_milli is not None or spec.autoscale is not None:
        container["resources"] = {"requests": {"cpu": f"{spec.cpu_request}m"}}
    return container


def _probe(probe: Probe, port: int, key: str, seconds) -> dict[str, Any]:
    action = probe_action_document(probe)
    if probe.action in (ProbeAction.HTTP_GET, ProbeAction.TCP_SOCKET, ProbeAction.GRPC) \
            and probe.port is None:
        action[probe.action.value]["port"] = port       # Kubernetes needs the port
    return {**action,
            "initialDelaySeconds": seconds(f"{key}.initialDelaySeconds",
                                           probe.initial_delay_seconds),
            "periodSeconds": seconds(f"{key}.periodSeconds", probe.period_seconds),
            "timeoutSeconds": seconds(f"{key}.timeoutSeconds", probe.timeout_seconds),
            "successThreshold": probe.success_threshold,
            "failureThreshold": probe.failure_threshold}


def _services(spec: ServiceSpec, labels: dict[str, str], real: RealImage
              ) -> list[dict[str, Any]]:
    rollout = spec.rollout
    names = [spec.name]
    if rollout.strategy is Strategy.BLUE_GREEN:
        names = [rollout.active_service or spec.name,
                 rollout.preview_service or f"{spec.name}-preview"]
    return [service_document(name, labels, real.port or SERVICE_PORT) for name in names]


def service_document(name: str, selector: dict[str, str], target_port: int
                     ) -> dict[str, Any]:
    """A ``v1 Service`` named ``name`` sending port 80 to ``target_port`` of the pods with
    the labels ``selector``."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": selector,
                     "ports": [{"port": SERVICE_PORT, "targetPort": target_port}]}}


def _hpa(spec: ServiceSpec, kind: str) -> dict[str, Any]:
    a = spec.autoscale
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": spec.name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1" if kind == "Deployment"
                                        else "argoproj.io/v1alpha1",
                                        "kind": kind, "name": spec.name},
                     "minReplicas": a.min_replicas, "maxReplicas": a.max_replicas,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization",
                                                   "averageUtilization": a.target_cpu}}}],
                     **_behavior(a)}}


def _behavior(a: Autoscale) -> dict[str, Any]:
    """``behavior`` only when it differs from the defaults: an HPA without one runs
    Kubernetes' default algorithm (stabilised over 300 s, scale-up limited to max(2 x
    current, 4)), which t32sim simulates for the default rules; an explicit ``behavior``
    runs another, even with the default values."""
    if a.default_behavior:
        return {}
    return {"behavior": {"scaleUp": _rules(a.scale_up), "scaleDown": _rules(a.scale_down)}}


def _rules(rules: ScalingRules) -> dict[str, Any]:
    return {"stabilizationWindowSeconds": rules.stabilization_window_seconds,
            "selectPolicy": rules.select_policy,
            "policies": [{"type": p.type, "value": p.value, "periodSeconds": p.period_seconds}
                         for p in rules.policies]}


def _whole_seconds(name: str, warnings: list[str]):
    """A function giving whole seconds, noting each time it had to round one up."""
    def seconds(field: str, value: float) -> int:
        whole = math.ceil(value)
        if whole != value:
            warnings.append(f"{name}: {field} {value:g} s rounded up to {whole} s "
                            "(Kubernetes counts whole seconds)")
        return int(whole)
    return seconds


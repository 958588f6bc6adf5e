"""Real workload manifests -> ServiceSpec: ``apps/v1 Deployment`` and Argo's ``Rollout``.

The service is named after the workload's ``metadata.name``; its pods carry the template's
labels, which the ``selector`` must match (the API server refuses a Deployment whose
selector does not select its own template). Defaults are Kubernetes' and Argo Rollouts'
own: 1 replica, RollingUpdate with maxSurge and maxUnavailable 25 %, 10 revisions kept,
a 600 s progress deadline; a Rollout canary's surge and unavailability are 25 % too, a
blue/green one promotes itself and keeps the old pods 30 s.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from t32sim.spec.checks import DNS_LABEL, REPLICAS, choice_check, show
from t32sim.spec.flat import read_progress_settings
from t32sim.spec.labels import LABEL_KEY, read_labels, show_labels
from t32sim.spec.model import Rollout, ServiceSpec, Strategy
from t32sim.spec.object_meta import METADATA_UNSIMULATED
from t32sim.spec.pod_template import read_annotations, read_pod_template
from t32sim.spec.reader import Reader
from t32sim.spec.strategy import STRATEGY_FIELDS, read_analysis, read_strategy_settings

#: t32sim's canary analysis on a Rollout (Argo has no field for it), as JSON
ANALYSIS_ANNOTATION = "t32sim/analysis"
TOP_FIELDS = ("apiVersion", "kind", "metadata", "spec")
TOP_UNSIMULATED = {"status": "status is reported by the cluster"}
_WORKLOAD_METADATA_UNSIMULATED = {
    **{k: v for k, v in METADATA_UNSIMULATED.items() if k != "annotations"},
    "labels": "the object's own labels (its pods' labels are spec.template.metadata.labels)"}
_WORKLOAD_FIELDS = ("replicas", "selector", "template", "strategy", "minReadySeconds",
                    "revisionHistoryLimit", "progressDeadlineSeconds")
DEPLOYMENT_UNSIMULATED = {"paused": "pausing a Deployment (a Rollout canary pauses itself)"}
ROLLOUT_UNSIMULATED = {
    "paused": "pausing by hand (use the canary's pause steps)",
    "workloadRef": "a pod template by reference (write spec.template)",
    "progressDeadlineAbort": "aborting at the progress deadline",
    "restartAt": "scheduled restarts", "rollbackWindow": "rollback windows",
    "analysis": "analysis run history limits",
}
CANARY_UNSIMULATED = {key: why for keys, why in [
    (("canaryService", "stableService", "trafficRouting", "pingPong"),
     "traffic is split by weight among the pods of the Rollout's own load balancer"),
    (("analysis",), "Argo's background analysis (t32sim's own canary analysis is "
                    "spec.rollout.analysis in its own format)"),
    (("canaryMetadata", "stableMetadata"), "labels added to canary and stable pods"),
    (("scaleDownDelaySeconds", "scaleDownDelayRevisionLimit", "abortScaleDownDelaySeconds"),
     "delays that apply with traffic routing only"),
    (("antiAffinity",), "t32sim has one node"),
    (("dynamicStableScale", "minPodsPerReplicaSet", "replicaProgressThreshold"),
     "canary scaling refinements"),
] for key in keys}
BLUE_GREEN_UNSIMULATED = {key: why for keys, why in [
    (("previewReplicaCount",), "the preview runs all replicas"),
    (("maxUnavailable",), "unavailability during restarts"),
    (("scaleDownDelayRevisionLimit", "abortScaleDownDelaySeconds"), "scale-down limits"),
    (("prePromotionAnalysis", "postPromotionAnalysis"), "analysis runs around promotion"),
    (("previewMetadata", "activeMetadata"), "labels added to preview and active pods"),
    (("antiAffinity",), "t32sim has one node"),
] for key in keys}


def read_workload(top: Reader, kind: str) -> ServiceSpec | None:
    """A Deployment or Rollout manifest whose top level ``top`` has been opened."""
    meta = top.mapping("metadata", ("name", "annotations"), "a mapping like {name: web}",
                       required=True, unsimulated=_WORKLOAD_METADATA_UNSIMULATED)
    name = meta.require("name", DNS_LABEL) if meta else None
    annotations = read_annotations(meta, (ANALYSIS_ANNOTATION,)) if meta else {}
    unsimulated = DEPLOYMENT_UNSIMULATED if kind == "Deployment" else ROLLOUT_UNSIMULATED
    spec = top.mapping("spec", _WORKLOAD_FIELDS, "a mapping with selector and template",
                       required=True, unsimulated=unsimulated)
    if spec is None:
        return None
    replicas = spec.get("replicas", REPLICAS, 1)
    pod = read_pod_template(spec)
    _check_selector(spec, pod["labels"])
    progress = read_progress_settings(spec)
    rollout = _read_deployment_strategy(spec) if kind == "Deployment" \
        else _read_rollout_strategy(spec)
    if ANALYSIS_ANNOTATION in annotations:
        rollout = _annotated_analysis(meta, annotations[ANALYSIS_ANNOTATION], rollout)
    if name is None or pod["image"] is None:
        return None
    return ServiceSpec(name=name, replicas=replicas, rollout=rollout, **pod, **progress)


def _annotated_analysis(meta: Reader, text: str, rollout: Rollout) -> Rollout:
    """t32sim's canary analysis, kept by ``t32sim export`` in an annotation (JSON)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    holder = Reader(meta.errors, meta.at("annotations"), {ANALYSIS_ANNOTATION: value})
    analysis = read_analysis(holder, ANALYSIS_ANNOTATION)
    if rollout.strategy is not Strategy.CANARY:
        holder.error(ANALYSIS_ANNOTATION, "applies only to a canary strategy")
    return replace(rollout, analysis=analysis)


def _check_selector(spec: Reader, template_labels: tuple[tuple[str, str], ...]) -> None:
    """``spec.selector`` is required and must select the template's own labels."""
    selector = spec.mapping("selector", ("matchLabels", "matchExpressions"),
                            "a mapping like {matchLabels: {app: web}}", required=True)
    if selector is None:
        return
    match = read_labels(selector, "matchLabels")
    expressions = _read_expressions(selector)
    if not match and not expressions and selector.ok("matchLabels", "matchExpressions"):
        spec.error("selector", "expected a selector with matchLabels or matchExpressions "
                               "(an empty selector would select every pod), got {}")
        return
    labels = dict(template_labels)
    misses = [f"{k}={v}" for k, v in match if labels.get(k) != v]
    misses += [text for text, ok in expressions if not ok(labels)]
    if misses and spec.ok("template"):
        spec.error("selector", "expected a selector that matches spec.template.metadata."
                               f"labels ({show_labels(template_labels)}), as the API server "
                               f"requires, but {', '.join(misses)} does not")


_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _read_expressions(selector: Reader) -> list[tuple[str, Any]]:
    """``matchExpressions`` as ``(text, test(labels) -> bool)`` pairs."""
    tests = []
    for path, item in selector.items("matchExpressions", "a list of {key, operator, values}")\
            or ():
        e = Reader.open(selector.errors, path, item, ("key", "operator", "values"),
                        "a mapping {key, operator, values}")
        if e is None:
            continue
        key, op = e.require("key", LABEL_KEY), e.require("operator", choice_check(_OPERATORS))
        values = e.data.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            e.error("values", f"expected a list of strings, got {show(values)}")
            continue
        if op in ("In", "NotIn") and not values:
            e.error("values", f"expected at least one value for operator {op}, got []")
        elif op in ("Exists", "DoesNotExist") and values:
            e.error("values", f"expected no values for operator {op}, got {show(values)}")
        elif key is not None and op is not None:
            tests.append((f"{key} {op} {values}" if values else f"{key} {op}",
                          _expression_test(key, op, frozenset(values))))
    return tests


def _expression_test(key: str, op: str, values: frozenset[str]):
    if op == "In":
        return lambda labels: labels.get(key) in values
    if op == "NotIn":
        return lambda labels: labels.get(key) not in values
    if op == "Exists":
        return lambda labels: key in labels
    return lambda labels: key not in labels


def _read_deployment_strategy(spec: Reader) -> Rollout:
    """``{type: RollingUpdate | Recreate, rollingUpdate: {maxSurge, maxUnavailable}}``."""
    s = spec.mapping("strategy", ("type", "rollingUpdate"),
                     "a mapping like {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}")
    if s is None:
        return Rollout()
    kind = s.get("type", choice_check(("RollingUpdate", "Recreate")), "RollingUpdate")
    if kind == "Recreate":
        if s.has("rollingUpdate"):
            s.error("rollingUpdate", "expected no rollingUpdate when type is 'Recreate', "
                                     "as the API server requires")
        s.note("type", "Recreate runs as a rolling update with maxSurge 0 and maxUnavailable "
                       "100%: the old pods go first, the new ones start as they leave")
        return Rollout(max_surge=0, max_unavailable="100%")
    fields = ("maxSurge", "maxUnavailable")
    settings = s.mapping("rollingUpdate", fields, "a mapping like {maxSurge: 1, "
                         "maxUnavailable: 0}")
    return read_strategy_settings(settings or Reader(s.errors, s.at("rollingUpdate"), {}),
                                  Strategy.ROLLING_UPDATE)


def _read_rollout_strategy(spec: Reader) -> Rollout:
    """Argo: ``{canary: {steps, maxSurge, maxUnavailable}}`` or ``{blueGreen: {...}}``."""
    s = spec.mapping("strategy", ("canary", "blueGreen"), "a mapping like {canary: {steps: "
                     "[...]}} or {blueGreen: {activeService: web}}", required=True)
    if s is None:
        return Rollout()
    given = [key for key in ("canary", "blueGreen") if s.has(key)]
    if len(given) != 1:
        spec.error("strategy", "expected exactly one of canary or blueGreen, got "
                   + (" and ".join(given) if given else "neither"))
        return Rollout()
    strategy = Strategy.CANARY if given == ["canary"] else Strategy.BLUE_GREEN
    own = tuple(f for f, strategies in STRATEGY_FIELDS.items() if strategy in strategies
                and f not in ("pauseSeconds", "analysis"))
    unsimulated = CANARY_UNSIMULATED if strategy is Strategy.CANARY else BLUE_GREEN_UNSIMULATED
    settings = s.mapping(given[0], own, "a mapping of " + ", ".join(own),
                         unsimulated=unsimulated)
    if settings is None:
        return Rollout(strategy=strategy)
    if strategy is Strategy.BLUE_GREEN:
        if not settings.has("activeService"):
            settings.error("activeService", "missing required field; expected the name of the "
                                            "Service that sends users to the active pods")
        if settings.data.get("autoPromotionEnabled") is False \
                and settings.has("autoPromotionSeconds"):
            settings.note("autoPromotionSeconds", "ignored while autoPromotionEnabled is "
                                                  "false, as Argo Rollouts ignores it")
            del settings.data["autoPromotionSeconds"]
        if settings.has("previewService"):
            settings.note("previewService", "requests through the preview Service reach the "
                                            "active pods too (the preview pods are in "
                                            "c.pods until promote)")
    return read_strategy_settings(settings, strategy)

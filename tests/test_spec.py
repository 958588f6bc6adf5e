"""t32sim.spec: accepting, normalising and refusing Service specs."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t32sim.spec import (
    SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Analysis, Autoscale, CanaryStep, EnvVar, Probe,
    Rollout, ScalingPolicy, ScalingRules, ServiceSpec, SpecError, Strategy, load_spec,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DELETE = object()


# --------------------------------------------------------------------------------------
# Building documents: the smallest valid Service, with a few fields changed.

def base() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
            "spec": {"image": "local://demo@v1"}}


def top(**fields: Any) -> dict[str, Any]:
    """The minimal document with top-level ``fields`` set (DELETE removes one)."""
    doc = base()
    for key, value in fields.items():
        if value is DELETE:
            del doc[key]
        else:
            doc[key] = value
    return doc


def spec(**fields: Any) -> dict[str, Any]:
    """The minimal document with ``spec`` fields set (DELETE removes one)."""
    doc = base()
    for key, value in fields.items():
        if value is DELETE:
            del doc["spec"][key]
        else:
            doc["spec"][key] = value
    return doc


def probe(**fields: Any) -> dict[str, Any]:
    return {"httpGet": {"path": "/healthz"}, **fields}


def canary(**fields: Any) -> dict[str, Any]:
    return spec(rollout={"strategy": "Canary", **fields})


def errors_of(source: Any) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        load_spec(source)
    return caught.value.errors


DNS = ("expected a DNS-1123 label (1..63 lowercase letters, digits and '-', starting and "
       "ending with a letter or digit)")
IMAGE = "a non-empty image reference without spaces, like 'local://demo@v1'"
API_VERSIONS = "one of 'v1', 'apps/v1', 't32sim/v1', 'argoproj.io/v1alpha1'"
KINDS = "one of 'Service', 'Deployment', 'Rollout'"
STRATEGIES = "one of 'RollingUpdate', 'BlueGreen', 'Canary'"
ENV_NAME = ("an environment variable name (letters, digits and '_', not starting with a "
            "digit)")
SURGE = "an integer 0..1000 or a percentage '0%'..'1000%'"
UNAVAILABLE = "an integer 0..1000 or a percentage '0%'..'100%'"
DURATION = "(or a duration like '30s', '5m', '1h')"
DOCUMENT = "expected a Service document (a mapping with apiVersion, kind, metadata, spec)"
ONE_STEP_KEY = "expected exactly one of 'percent', 'setWeight', 'pause'"


# --------------------------------------------------------------------------------------
# Invalid specs: every one gives exactly these errors.

INVALID = [
    # top level
    ("kind-pod", top(kind="Pod"),
     [("kind", f"expected {KINDS}, got 'Pod'")]),
    ("kind-lowercase", top(kind="service"),
     [("kind", f"expected {KINDS}, got 'service'; did you mean 'Service'?")]),
    ("kind-missing", top(kind=DELETE),
     [("kind", f"missing required field; expected {KINDS}")]),
    ("api-version-bad", top(apiVersion="apps/v2"),
     [("apiVersion", f"expected {API_VERSIONS}, got 'apps/v2'; did you mean 'apps/v1'?")]),
    ("api-version-misspelled", top(apiVersion=DELETE, apiversion="v1"),
     [("apiversion", "unknown field; did you mean 'apiVersion'?"),
      ("apiVersion", f"missing required field; expected {API_VERSIONS}")]),
    ("top-unknown-status", top(status={"replicas": 3}),
     [("status", "unknown field; status is reported by the cluster, not written in a spec; "
                 "remove it")]),
    ("document-list", [base()],
     [("", f"{DOCUMENT}, got [{{'apiVersion': 'v1', 'kind': 'Service', 'metadata': {{...}}, "
           "'spec': {...}}]")]),
    ("document-string", "just text",
     [("", f"{DOCUMENT}, got 'just text'")]),
    # metadata
    ("metadata-missing", top(metadata=DELETE),
     [("metadata", "missing required field; expected a mapping like {name: api}")]),
    ("metadata-not-mapping", top(metadata="api"),
     [("metadata", "expected a mapping like {name: api}, got 'api'")]),
    ("name-missing", top(metadata={}),
     [("metadata.name", f"missing required field; {DNS}")]),
    ("name-uppercase", top(metadata={"name": "Api"}),
     [("metadata.name", f"{DNS}, got 'Api'")]),
    ("name-too-long", top(metadata={"name": "a" * 64}),
     [("metadata.name", f"{DNS}, got 'aaaaaaaaaaaaaaaaa...aaaaaaaaaaaaaaaaaa' (64 characters)")]),
    ("name-leading-dash", top(metadata={"name": "-api"}),
     [("metadata.name", f"{DNS}, got '-api'")]),
    ("name-trailing-dash", top(metadata={"name": "api-"}),
     [("metadata.name", f"{DNS}, got 'api-'")]),
    ("name-underscore", top(metadata={"name": "my_api"}),
     [("metadata.name", f"{DNS}, got 'my_api'")]),
    ("name-number", top(metadata={"name": 123}),
     [("metadata.name", f"{DNS}, got 123")]),
    ("metadata-unknown", top(metadata={"name": "api", "namespce": "x"}),
     [("metadata.namespce", "unknown field; expected one of 'name', 'labels'")]),
    ("labels-bad", top(metadata={"name": "api", "labels": {"tier": 2, "bad key": "x"}}),
     [("metadata.labels.tier", "expected a label value (a string of at most 63 letters, "
                               "digits, '-', '_', '.'), got 2"),
      ("metadata.labels", "expected label names like 'app' or 'example.com/tier' (at most "
                          "63 letters, digits, '-', '_', '.'), got 'bad key'")]),
    # spec basics
    ("spec-missing", top(spec=DELETE),
     [("spec", "missing required field; expected a mapping with at least an image")]),
    ("spec-not-mapping", top(spec=3),
     [("spec", "expected a mapping with at least an image, got 3")]),
    ("replicas-word", spec(replicas="three"),
     [("spec.replicas", "expected an integer 0..1000, got 'three'")]),
    ("replicas-negative", spec(replicas=-1),
     [("spec.replicas", "expected an integer 0..1000, got -1")]),
    ("replicas-too-many", spec(replicas=1001),
     [("spec.replicas", "expected an integer 0..1000, got 1001")]),
    ("replicas-bool", spec(replicas=True),
     [("spec.replicas", "expected an integer 0..1000, got True")]),
    ("replicas-float", spec(replicas=2.5),
     [("spec.replicas", "expected an integer 0..1000, got 2.5")]),
    ("image-missing", spec(image=DELETE),
     [("spec.image", f"missing required field; expected {IMAGE}")]),
    ("image-empty", spec(image=""),
     [("spec.image", f"expected {IMAGE}, got ''")]),
    ("image-spaces", spec(image="local://demo @v1"),
     [("spec.image", f"expected {IMAGE}, got 'local://demo @v1'")]),
    ("spec-unknown-with-hint", spec(replcas=3),
     [("spec.replcas", "unknown field; did you mean 'replicas'?")]),
    ("spec-unknown-without-hint", spec(colour="blue"),
     [("spec.colour", "unknown field; expected one of 'replicas', 'image', 'env', "
                      "'readinessProbe', 'livenessProbe', 'startupProbe', "
                      "'terminationGracePeriodSeconds', 'minReadySeconds', "
                      "'revisionHistoryLimit', 'progressDeadlineSeconds', 'autoscale', "
                      "'rollout', 'strategy'")]),
    ("spec-pod-template", spec(template={"spec": {}}),
     [("spec.template", "unknown field; t32sim has no pod template; put image, env and "
                        "probes directly under spec")]),
    ("non-string-keys", top(spec={"image": "x", 1: "one", None: "none"}),
     [("spec", "expected field names to be strings, got 1"),
      ("spec", "expected field names to be strings, got None")]),
    ("grace-negative", spec(terminationGracePeriodSeconds=-5),
     [("spec.terminationGracePeriodSeconds", "expected a number of seconds 0..86400, got -5")]),
    ("grace-absurd", spec(terminationGracePeriodSeconds=10**9),
     [("spec.terminationGracePeriodSeconds",
       "expected a number of seconds 0..86400, got 1000000000")]),
    ("history-negative", spec(revisionHistoryLimit=-1),
     [("spec.revisionHistoryLimit", "expected an integer 0..1000, got -1")]),
    ("deadline-zero", spec(progressDeadlineSeconds=0),
     [("spec.progressDeadlineSeconds",
       "expected a number of seconds greater than 0, up to 86400, got 0")]),
    ("deadline-below-min-ready", spec(minReadySeconds=60, progressDeadlineSeconds=30),
     [("spec.progressDeadlineSeconds", "expected more than minReadySeconds (60), got 30")]),
    ("min-ready-above-default-deadline", spec(minReadySeconds=900),
     [("spec.progressDeadlineSeconds",
       "expected more than minReadySeconds (900), got 600 (the default)")]),
    # env
    ("env-not-list", spec(env={"HEALTHY": "1"}),
     [("spec.env", "expected a list of {name, value} mappings, got {'HEALTHY': '1'}")]),
    ("env-item-not-mapping", spec(env=["HEALTHY=1"]),
     [("spec.env[0]", "expected a mapping {name, value}, got 'HEALTHY=1'")]),
    ("env-duplicate-names", spec(env=[{"name": "A", "value": "1"}, {"name": "B"},
                                      {"name": "A", "value": "2"}]),
     [("spec.env[2].name", "expected a unique name, got 'A' again (first at "
                           "spec.env[0].name)")]),
    ("env-bad-and-missing-name", spec(env=[{"name": "1ABC", "value": "x"}, {"value": "y"}]),
     [("spec.env[0].name", f"expected {ENV_NAME}, got '1ABC'"),
      ("spec.env[1].name", f"missing required field; expected {ENV_NAME}")]),
    ("env-value-list", spec(env=[{"name": "A", "value": [1, 2]}]),
     [("spec.env[0].value",
       "expected a string (numbers and booleans are converted), got [1, 2]")]),
    ("env-unknown-field", spec(env=[{"name": "A", "valueFrom": {}}]),
     [("spec.env[0].valueFrom", "unknown field; expected one of 'name', 'value'")]),
    # probes
    ("probe-not-mapping", spec(readinessProbe="/healthz"),
     [("spec.readinessProbe",
       "expected a probe mapping like {httpGet: {path: /healthz}}, got '/healthz'")]),
    ("probe-unknown", spec(readinessProbe=probe(periodSecond=5)),
     [("spec.readinessProbe.periodSecond", "unknown field; did you mean 'periodSeconds'?")]),
    ("probe-without-httpget", spec(livenessProbe={"periodSeconds": 5}),
     [("spec.livenessProbe.httpGet",
       "missing required field; expected a mapping like {path: /healthz}")]),
    ("probe-exec", spec(livenessProbe={"exec": {"command": ["true"]}}),
     [("spec.livenessProbe.exec", "unknown field; t32sim probes are httpGet probes only"),
      ("spec.livenessProbe.httpGet",
       "missing required field; expected a mapping like {path: /healthz}")]),
    ("probe-bad-path-and-port",
     spec(readinessProbe={"httpGet": {"path": "healthz", "port": 70000}}),
     [("spec.readinessProbe.httpGet.path", "expected an HTTP path starting with '/', got "
                                           "'healthz'"),
      ("spec.readinessProbe.httpGet.port", "expected an integer 1..65535, got 70000")]),
    ("probe-period-zero", spec(readinessProbe=probe(periodSeconds=0)),
     [("spec.readinessProbe.periodSeconds", "expected a number of seconds 1..86400, got 0")]),
    ("probe-negative-delay", spec(readinessProbe=probe(initialDelaySeconds=-1)),
     [("spec.readinessProbe.initialDelaySeconds",
       "expected a number of seconds 0..86400, got -1")]),
    ("probe-timeout-infinite", spec(readinessProbe=probe(timeoutSeconds=math.inf)),
     [("spec.readinessProbe.timeoutSeconds", "expected a number of seconds 1..86400, got inf")]),
    ("probe-threshold-string", spec(readinessProbe=probe(failureThreshold="3")),
     [("spec.readinessProbe.failureThreshold", "expected an integer 1..1000, got '3'")]),
    ("readiness-success-zero", spec(readinessProbe=probe(successThreshold=0)),
     [("spec.readinessProbe.successThreshold", "expected an integer 1..1000, got 0")]),
    ("liveness-success-2", spec(livenessProbe=probe(successThreshold=2)),
     [("spec.livenessProbe.successThreshold", "expected 1 (Kubernetes requires "
       "successThreshold 1 for liveness and startup probes), got 2")]),
    ("startup-success-2", spec(startupProbe=probe(successThreshold=2)),
     [("spec.startupProbe.successThreshold", "expected 1 (Kubernetes requires "
       "successThreshold 1 for liveness and startup probes), got 2")]),
    # autoscale
    ("autoscale-not-mapping", spec(autoscale=True),
     [("spec.autoscale", "expected a mapping like {min: 1, max: 5, targetCPU: 80}, got True")]),
    ("autoscale-max-below-min", spec(autoscale={"min": 5, "max": 2}),
     [("spec.autoscale.max", "expected at least min (5), got 2")]),
    ("autoscale-max-missing", spec(autoscale={"min": 2}),
     [("spec.autoscale.max", "missing required field; expected an integer 1..1000")]),
    ("autoscale-max-replicas-missing", spec(autoscale={"minReplicas": 2}),
     [("spec.autoscale.maxReplicas", "missing required field; expected an integer 1..1000")]),
    ("autoscale-both-spellings",
     spec(autoscale={"min": 2, "minReplicas": 2, "max": 5, "targetCPU": 50,
                     "targetCPUUtilizationPercentage": 50}),
     [("spec.autoscale.minReplicas", "expected only one of 'min' and 'minReplicas', got both"),
      ("spec.autoscale.targetCPUUtilizationPercentage",
       "expected only one of 'targetCPU' and 'targetCPUUtilizationPercentage', got both")]),
    ("autoscale-unknown", spec(autoscale={"min": 1, "max": 3, "tagetCPU": 50}),
     [("spec.autoscale.tagetCPU", "unknown field; did you mean 'targetCPU'?")]),
    ("autoscale-target-over-100", spec(autoscale={"max": 3, "targetCPU": 150}),
     [("spec.autoscale.targetCPU", "expected a CPU percentage 1..100, got 150")]),
    ("autoscale-min-zero", spec(autoscale={"minReplicas": 0, "maxReplicas": 3}),
     [("spec.autoscale.minReplicas", "expected an integer 1..1000, got 0")]),
    ("behavior-select-policy",
     spec(autoscale={"max": 3, "behavior": {"scaleUp": {"selectPolicy": "max"}}}),
     [("spec.autoscale.behavior.scaleUp.selectPolicy",
       "expected one of 'Max', 'Min', 'Disabled', got 'max'; did you mean 'Max'?")]),
    ("behavior-unknown-direction", spec(autoscale={"max": 3, "behavior": {"scaleup": {}}}),
     [("spec.autoscale.behavior.scaleup", "unknown field; did you mean 'scaleUp'?")]),
    ("behavior-limits",
     spec(autoscale={"max": 3, "behavior": {"scaleDown": {
         "stabilizationWindowSeconds": 4000,
         "policies": [{"type": "Replicas", "value": 0, "periodSeconds": 3600},
                      {"type": "Pods"}]}}}),
     [("spec.autoscale.behavior.scaleDown.stabilizationWindowSeconds",
       "expected an integer number of seconds 0..3600, got 4000"),
      ("spec.autoscale.behavior.scaleDown.policies[0].type",
       "expected one of 'Pods', 'Percent', got 'Replicas'"),
      ("spec.autoscale.behavior.scaleDown.policies[0].value",
       "expected an integer 1..1000, got 0"),
      ("spec.autoscale.behavior.scaleDown.policies[0].periodSeconds",
       "expected an integer number of seconds 1..1800, got 3600"),
      ("spec.autoscale.behavior.scaleDown.policies[1].value",
       "missing required field; expected an integer 1..1000"),
      ("spec.autoscale.behavior.scaleDown.policies[1].periodSeconds",
       "missing required field; expected an integer number of seconds 1..1800")]),
    ("behavior-empty-policies",
     spec(autoscale={"max": 3, "behavior": {"scaleDown": {"policies": []}}}),
     [("spec.autoscale.behavior.scaleDown.policies",
       "expected a non-empty list of {type, value, periodSeconds} mappings, got []")]),
    # rollout (original format)
    ("rollout-not-mapping", spec(rollout="Canary"),
     [("spec.rollout", "expected a mapping like {strategy: Canary}, got 'Canary'")]),
    ("rollout-unknown", spec(rollout={"stratgy": "Canary"}),
     [("spec.rollout.stratgy", "unknown field; did you mean 'strategy'?")]),
    ("strategy-lowercase", spec(rollout={"strategy": "canary"}),
     [("spec.rollout.strategy", f"expected {STRATEGIES}, got 'canary'; did you mean "
                                "'Canary'?")]),
    ("strategy-recreate", spec(rollout={"strategy": "Recreate", "steps": [{"percent": 50}]}),
     [("spec.rollout.strategy", f"expected {STRATEGIES}, got 'Recreate'")]),
    ("max-unavailable-over-100", spec(rollout={"maxSurge": "150%", "maxUnavailable": "150%"}),
     [("spec.rollout.maxUnavailable", f"expected {UNAVAILABLE}, got '150%'")]),
    ("surge-and-unavailable-zero", spec(rollout={"maxSurge": 0, "maxUnavailable": 0}),
     [("spec.rollout.maxUnavailable", "expected a value above 0 when maxSurge is 0 (else no "
                                      "pod could ever be replaced), got 0")]),
    ("surge-and-unavailable-zero-percent",
     spec(rollout={"maxSurge": "0%", "maxUnavailable": "0%"}),
     [("spec.rollout.maxUnavailable", "expected a value above 0 when maxSurge is '0%' (else "
                                      "no pod could ever be replaced), got '0%'")]),
    ("bad-percent-strings", spec(rollout={"maxSurge": "25 %", "maxUnavailable": "25"}),
     [("spec.rollout.maxSurge", f"expected {SURGE}, got '25 %'"),
      ("spec.rollout.maxUnavailable", f"expected {UNAVAILABLE}, got '25'")]),
    ("surge-bool", spec(rollout={"maxSurge": True}),
     [("spec.rollout.maxSurge", f"expected {SURGE}, got True")]),
    ("canary-weight-120", canary(steps=[{"percent": 50}, {"percent": 120}]),
     [("spec.rollout.steps[1].percent", "expected an integer percentage 0..100, got 120")]),
    ("canary-set-weight-negative", canary(steps=[{"setWeight": 20}, {"setWeight": -5}]),
     [("spec.rollout.steps[1].setWeight", "expected an integer percentage 0..100, got -5")]),
    ("canary-mixed-forms", canary(steps=[{"percent": 25}, {"setWeight": 50}, {"pause": {}}]),
     [("spec.rollout.steps[1]", "expected {percent: N} steps like steps[0], got "
                                "{'setWeight': 50}; one list cannot mix both forms"),
      ("spec.rollout.steps[2]", "expected {percent: N} steps like steps[0], got "
                                "{'pause': {}}; one list cannot mix both forms")]),
    ("canary-mixed-forms-argo-first", canary(steps=[{"setWeight": 25}, {"percent": 50}]),
     [("spec.rollout.steps[1]", "expected setWeight/pause steps like steps[0], got "
                                "{'percent': 50}; one list cannot mix both forms")]),
    ("canary-step-two-keys", canary(steps=[{"setWeight": 25, "pause": {"duration": 10}}]),
     [("spec.rollout.steps[0]", f"{ONE_STEP_KEY}, got 'setWeight' and 'pause'")]),
    ("canary-step-empty", canary(steps=[{}]),
     [("spec.rollout.steps[0]", f"{ONE_STEP_KEY}, got none")]),
    ("canary-step-unknown", canary(steps=[{"setweight": 25}]),
     [("spec.rollout.steps[0].setweight", "unknown field; did you mean 'setWeight'?")]),
    ("canary-step-not-mapping", canary(steps=[25]),
     [("spec.rollout.steps[0]",
       "expected a step like {setWeight: 25} or {pause: {duration: 30}}, got 25")]),
    ("canary-steps-not-list", canary(steps={"percent": 25}),
     [("spec.rollout.steps", "expected a list of canary steps, got {'percent': 25}")]),
    ("canary-bad-durations",
     canary(steps=[{"setWeight": 25}, {"pause": {"duration": "soon"}},
                   {"pause": {"duration": -1}}]),
     [("spec.rollout.steps[1].pause.duration",
       f"expected a number of seconds 0..86400 {DURATION}, got 'soon'"),
      ("spec.rollout.steps[2].pause.duration",
       f"expected a number of seconds 0..86400 {DURATION}, got -1")]),
    ("canary-pause-not-mapping", canary(steps=[{"setWeight": 25}, {"pause": 30}]),
     [("spec.rollout.steps[1].pause",
       "expected a mapping like {duration: 30} (or {} to wait for promote), got 30")]),
    ("canary-pause-seconds-with-argo-steps", canary(steps=[{"setWeight": 25}], pauseSeconds=10),
     [("spec.rollout.pauseSeconds", "applies only to {percent: N} steps, got setWeight/pause "
                                    "steps; write {pause: {duration: N}} steps instead")]),
    ("canary-pause-seconds-without-steps", canary(pauseSeconds=10),
     [("spec.rollout.pauseSeconds", "applies only to {percent: N} steps, got no steps")]),
    ("steps-with-blue-green",
     spec(rollout={"strategy": "BlueGreen", "steps": [{"percent": 50}], "pauseSeconds": 5}),
     [("spec.rollout.steps", "applies only to strategy Canary, but strategy is 'BlueGreen'"),
      ("spec.rollout.pauseSeconds",
       "applies only to strategy Canary, but strategy is 'BlueGreen'")]),
    ("steps-with-default-rolling-update", spec(rollout={"steps": [{"percent": 50}]}),
     [("spec.rollout.steps",
       "applies only to strategy Canary, but strategy is 'RollingUpdate'")]),
    ("blue-green-fields-with-canary", canary(autoPromotionEnabled=False,
                                             scaleDownDelaySeconds=10),
     [("spec.rollout.autoPromotionEnabled",
       "applies only to strategy BlueGreen, but strategy is 'Canary'"),
      ("spec.rollout.scaleDownDelaySeconds",
       "applies only to strategy BlueGreen, but strategy is 'Canary'")]),
    ("surge-with-blue-green", spec(rollout={"strategy": "BlueGreen", "maxSurge": 1}),
     [("spec.rollout.maxSurge",
       "applies only to strategy RollingUpdate or Canary, but strategy is 'BlueGreen'")]),
    ("auto-promotion-contradiction",
     spec(rollout={"strategy": "BlueGreen", "autoPromotionEnabled": False,
                   "autoPromotionSeconds": 30}),
     [("spec.rollout.autoPromotionSeconds",
       "expected no autoPromotionSeconds when autoPromotionEnabled is false, got 30")]),
    ("auto-promotion-string",
     spec(rollout={"strategy": "BlueGreen", "autoPromotionEnabled": "yes"}),
     [("spec.rollout.autoPromotionEnabled", "expected true or false, got 'yes'")]),
    ("analysis-limits", canary(analysis={"maxErrorRate": 1.5, "interval": 0, "failureLimit": 0}),
     [("spec.rollout.analysis.maxErrorRate", "expected a number 0..1, got 1.5"),
      ("spec.rollout.analysis.interval",
       f"expected a number of seconds greater than 0, up to 86400 {DURATION}, got 0"),
      ("spec.rollout.analysis.failureLimit", "expected an integer 1..1000, got 0")]),
    ("analysis-unknown", canary(analysis={"maxErrorRatio": 0.1}),
     [("spec.rollout.analysis.maxErrorRatio", "unknown field; did you mean 'maxErrorRate'?")]),
    # spec.strategy (Kubernetes / Argo)
    ("rollout-and-strategy", spec(rollout={"strategy": "Canary"}, strategy={"canary": {}}),
     [("spec.strategy",
       "expected either rollout (t32sim) or strategy (Kubernetes/Argo), got both")]),
    ("k8s-strategy-string", spec(strategy="Canary"),
     [("spec.strategy", "expected a mapping like {type: RollingUpdate}, {blueGreen: {}} or "
                        "{canary: {steps: [...]}}, got 'Canary'")]),
    ("k8s-strategy-two", spec(strategy={"blueGreen": {}, "canary": {}}),
     [("spec.strategy", "expected one strategy, got 'blueGreen' and 'canary'")]),
    ("k8s-strategy-recreate", spec(strategy={"type": "Recreate"}),
     [("spec.strategy.type", "expected 'RollingUpdate', got 'Recreate'")]),
    ("k8s-rolling-update-unknown",
     spec(strategy={"type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0, "maxSurges": 2}}),
     [("spec.strategy.rollingUpdate.maxSurges", "unknown field; did you mean 'maxSurge'?")]),
    ("argo-canary-weight-120",
     spec(strategy={"canary": {"steps": [{"setWeight": 20}, {"pause": {}},
                                         {"setWeight": 120}]}}),
     [("spec.strategy.canary.steps[2].setWeight",
       "expected an integer percentage 0..100, got 120")]),
    ("argo-blue-green-fields",
     spec(strategy={"blueGreen": {"activeService": "api", "autoPromotionSeconds": -1}}),
     [("spec.strategy.blueGreen.activeService", "unknown field; expected one of "
       "'autoPromotionEnabled', 'autoPromotionSeconds', 'scaleDownDelaySeconds'"),
      ("spec.strategy.blueGreen.autoPromotionSeconds",
       "expected a number of seconds 0..86400, got -1")]),
    # all errors at once, in order
    ("many-errors",
     {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "API"},
      "spec": {"replicas": "three", "image": "",
               "rollout": {"strategy": "Canary",
                           "steps": [{"percent": 25}, {"percent": 250}]}}},
     [("metadata.name", f"{DNS}, got 'API'"),
      ("spec.replicas", "expected an integer 0..1000, got 'three'"),
      ("spec.image", f"expected {IMAGE}, got ''"),
      ("spec.rollout.steps[1].percent", "expected an integer percentage 0..100, got 250")]),
]


@pytest.mark.parametrize("document, expected", [pytest.param(d, e, id=i) for i, d, e in INVALID])
def test_invalid_spec_gives_exactly_these_errors(document, expected):
    assert errors_of(document) == expected


def test_there_are_many_invalid_cases_with_distinct_ids():
    ids = [case[0] for case in INVALID]
    assert len(ids) == len(set(ids)) >= 40


def test_spec_error_is_a_value_error_listing_path_and_message():
    error = SpecError([("spec.replicas", "expected an integer 0..1000, got -1"),
                       ("", "a document-level problem")])
    assert isinstance(error, ValueError)
    assert str(error) == ("spec.replicas: expected an integer 0..1000, got -1\n"
                          "a document-level problem")


# --------------------------------------------------------------------------------------
# YAML text: syntax, documents, hostile input.

YAML_INVALID = [
    ("multiple-documents", "apiVersion: v1\n---\nkind: Service\n",
     [("", "expected a single YAML document, got another one at line 2")]),
    ("empty", "",
     [("", f"{DOCUMENT}, got an empty document")]),
    ("only-a-comment", "# nothing here\n",
     [("", f"{DOCUMENT}, got an empty document")]),
    ("duplicate-field", "apiVersion: v1\nkind: Service\nkind: Deployment\n",
     [("", "invalid YAML at line 3, column 1: duplicate field 'kind' (first at line 2)")]),
    ("yaml-bool-key", "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n"
                      "spec:\n  image: x\n  yes: 3\n",
     [("spec", "expected field names to be strings, got True")]),
    ("python-tag", "apiVersion: !!python/object/apply:os.system ['true']\n",
     [("", "invalid YAML at line 1, column 13: could not determine a constructor for the "
           "tag 'tag:yaml.org,2002:python/object/apply:os.system'")]),
    ("recursive-alias", "spec: &s {image: *s}\n",
     [("", "refused alias *s refers to a node that contains it, at line 1, column 18")]),
    ("too-deep", "spec: " + "[" * 40 + "]" * 40 + "\n",
     [("", "refused YAML nested deeper than 32 levels, at line 1, column 38")]),
    ("bad-date", "apiVersion: 2024-13-45\n",
     [("", "invalid YAML: month must be in 1..12")]),
    ("control-character", "kind: Service\x00\n",
     [("", "invalid YAML at line 1: unacceptable character '\\x00' (control characters "
           "are not allowed)")]),
]

# libyaml (used when PyYAML has it) words syntax errors its own way.
YAML_SYNTAX = [
    ("unclosed-flow", "spec: {image: [1,\n  b\n",
     [("", "invalid YAML at line 3, column 1: did not find expected ',' or ']' (while "
           "parsing a flow sequence started at line 1, column 15)")]),
    ("tab-indent", "spec:\n\timage: x\n",
     [("", "invalid YAML at line 2, column 1: found character that cannot start any token "
           "(while scanning for the next token started at line 2, column 1)")]),
    ("colon-in-value", "kind: a: b\n",
     [("", "invalid YAML at line 1, column 8: mapping values are not allowed in this "
           "context")]),
]


@pytest.mark.parametrize("text, expected", [pytest.param(t, e, id=i) for i, t, e in YAML_INVALID])
def test_invalid_yaml_text_gives_exactly_this_error(text, expected):
    assert errors_of(text) == expected


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="messages are libyaml's")
@pytest.mark.parametrize("text, expected", [pytest.param(t, e, id=i) for i, t, e in YAML_SYNTAX])
def test_yaml_syntax_error_names_line_and_column(text, expected):
    assert errors_of(text) == expected


@pytest.mark.parametrize("text", [t for _, t, _ in YAML_SYNTAX])
def test_yaml_syntax_error_is_a_spec_error_with_a_line(text):
    [(path, message)] = errors_of(text)
    assert path == "" and message.startswith("invalid YAML at line ")


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def megabyte_yaml() -> str:
    env = "".join(f"    - {{name: VAR_{i}, value: '{'x' * 40}'}}\n" for i in range(20_000))
    head = "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  image: x\n"
    return f"{head}  env:\n{env}"


def refused_within(seconds: float, source: Any) -> list[tuple[str, str]]:
    started = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(source)
    assert time.perf_counter() - started < seconds
    return caught.value.errors


def test_a_one_megabyte_document_is_refused_before_parsing_in_under_a_second():
    text = megabyte_yaml()
    assert len(text.encode()) > 1_000_000
    assert refused_within(1.0, text) == [
        ("", f"expected a document of at most 65536 bytes (64 KiB), got {len(text)} bytes")]


def test_a_billion_laughs_document_is_refused_in_under_a_second():
    text = billion_laughs()
    assert len(text) < 1000
    assert refused_within(1.0, text) == [
        ("", "refused YAML with more than 10000 nodes once aliases are expanded (an alias "
             "bomb?), at line 5, column 10")]


def test_billion_laughs_in_a_file_is_refused_in_under_a_second(tmp_path):
    path = tmp_path / "lol.yaml"
    path.write_text(billion_laughs(20))
    [(_, message)] = refused_within(1.0, path)
    assert message.startswith("refused YAML with more than 10000 nodes")


def test_a_wide_document_just_under_64_kib_is_refused_in_under_a_second():
    text = "[" + "1," * 32_000 + "1]"
    assert len(text) < 65536
    [(_, message)] = refused_within(1.0, text)
    assert message.startswith("refused YAML with more than 10000 nodes")


def test_a_few_aliases_are_fine():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n"
            "  image: local://demo@v1\n"
            "  readinessProbe: &probe {httpGet: {path: /healthz}, periodSeconds: 2}\n"
            "  livenessProbe: *probe\n")
    loaded = load_spec(text)
    assert loaded.readiness_probe == loaded.liveness_probe == Probe("/healthz", period_seconds=2)


def test_merge_keys_may_override_merged_fields():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n"
            "  image: local://demo@v1\n"
            "  readinessProbe: &probe {httpGet: {path: /healthz}, periodSeconds: 2}\n"
            "  livenessProbe:\n    <<: *probe\n    periodSeconds: 5\n")
    assert load_spec(text).liveness_probe == Probe("/healthz", period_seconds=5)


# --------------------------------------------------------------------------------------
# Sources: path, Path, YAML text, bytes, dict, ServiceSpec.

API_V1 = ServiceSpec(
    name="api", image="local://demo@v1", replicas=3,
    env=(EnvVar("HEALTHY", "1"),),
    readiness_probe=Probe("/healthz", initial_delay_seconds=1, period_seconds=2),
    liveness_probe=Probe("/livez", initial_delay_seconds=1, period_seconds=2),
    termination_grace_period_seconds=30,
    rollout=Rollout(strategy=Strategy.BLUE_GREEN))


def test_every_kind_of_source_gives_the_same_spec(tmp_path):
    path = EXAMPLES / "api-v1.yaml"
    text = path.read_text()
    assert load_spec(path) == API_V1
    assert load_spec(str(path)) == API_V1
    assert load_spec(text) == API_V1
    assert load_spec(text.encode()) == API_V1
    assert load_spec(yaml.safe_load(text)) == API_V1
    assert load_spec(API_V1) is API_V1
    copy = tmp_path / "api.yml"
    copy.write_text(text)
    assert load_spec(str(copy)) == API_V1


def test_a_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert errors_of(missing) == [("", f"cannot read spec file '{missing}': no such file")]
    assert errors_of(str(missing)) == [("", f"cannot read spec file '{missing}': no such file")]


def test_a_directory_is_not_a_spec_file(tmp_path):
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert errors_of(folder) == [("", f"cannot read spec file '{folder}': Is a directory")]


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(megabyte_yaml())
    size = big.stat().st_size
    assert refused_within(1.0, big) == [
        ("", f"expected a document of at most 65536 bytes (64 KiB), got {size} bytes in "
             f"'{big}'")]


def test_bytes_must_be_utf8(tmp_path):
    assert errors_of(b"kind: \xff\n") == [("", "expected UTF-8 text, got byte 0xff at offset 6")]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("kind: Service\nmetadata: {name: caf\xe9}\n".encode("latin-1"))
    assert errors_of(latin) == [("", "expected UTF-8 text, got byte 0xe9 at offset 34")]


def test_a_mapping_with_cycles_and_odd_values_gives_errors_not_crashes():
    doc = base()
    doc["spec"]["env"] = doc       # a cycle
    doc["spec"]["replicas"] = object.__new__(object)
    errors = errors_of(doc)
    assert [path for path, _ in errors] == ["spec.replicas", "spec.env"]
    assert errors[1][1].startswith("expected a list of {name, value} mappings, got {")


def test_huge_numbers_are_errors_not_crashes():
    assert errors_of(spec(minReadySeconds=10**400, env=[{"name": "A", "value": 10**5000}])) == [
        ("spec.env[0].value", "expected a string (numbers and booleans are converted), got "
                              "a value of type int that cannot be shown"),
        ("spec.minReadySeconds", "expected a number of seconds 0..86400, got "
                                 "100000000000000000...0000000000000000000")]


# --------------------------------------------------------------------------------------
# Valid specs: examples, defaults, spellings, normalisation.

def test_the_canary_example_normalises_its_steps():
    loaded = load_spec(EXAMPLES / "api-canary.yaml")
    assert loaded == ServiceSpec(
        name="api", image="local://demo@v2", replicas=4,
        env=(EnvVar("HEALTHY", "1"),),
        readiness_probe=Probe("/healthz", initial_delay_seconds=1, period_seconds=2),
        liveness_probe=Probe("/livez", initial_delay_seconds=1, period_seconds=2),
        rollout=Rollout(strategy=Strategy.CANARY, steps=(
            CanaryStep(set_weight=25), CanaryStep(pause=True, pause_seconds=5),
            CanaryStep(set_weight=50), CanaryStep(pause=True, pause_seconds=5),
            CanaryStep(set_weight=100))))
    assert loaded.version == "v2"


def test_the_blue_green_examples():
    assert load_spec(EXAMPLES / "api-v1.yaml") == API_V1
    v2 = load_spec(EXAMPLES / "api-v2.yaml")
    assert (v2.image, v2.replicas, v2.version, v2.rollout) == (
        "local://demo@v2", 3, "v2", Rollout(strategy=Strategy.BLUE_GREEN))
    assert v2.template_hash() != API_V1.template_hash()


def test_the_smallest_spec_gets_kubernetes_defaults():
    loaded = load_spec(base())
    assert loaded == ServiceSpec(name="api", image="local://demo@v1")
    assert (loaded.replicas, loaded.termination_grace_period_seconds,
            loaded.min_ready_seconds, loaded.revision_history_limit,
            loaded.progress_deadline_seconds) == (1, 30, 0, 10, 600)
    assert loaded.rollout == Rollout(Strategy.ROLLING_UPDATE, "25%", "25%")


def test_probe_defaults_are_kubernetes_defaults():
    loaded = load_spec(spec(readinessProbe={"httpGet": {"path": "/ready", "port": 8080}},
                            startupProbe={"httpGet": {}}))
    assert loaded.readiness_probe == Probe(path="/ready", initial_delay_seconds=0,
                                           period_seconds=10, timeout_seconds=1,
                                           success_threshold=1, failure_threshold=3, port=8080)
    assert loaded.startup_probe == Probe(path="/")


def test_null_is_the_same_as_leaving_a_field_out():
    assert load_spec(spec(replicas=None, readinessProbe=None, autoscale=None, rollout=None,
                          env=None)) == load_spec(base())


def test_env_values_are_coerced_to_strings():
    loaded = load_spec(spec(env=[{"name": "A", "value": 1}, {"name": "B", "value": True},
                                 {"name": "C", "value": 1.5}, {"name": "D"},
                                 {"name": "_E", "value": "text"}]))
    assert loaded.env == (EnvVar("A", "1"), EnvVar("B", "true"), EnvVar("C", "1.5"),
                          EnvVar("D", ""), EnvVar("_E", "text"))
    assert loaded.env_value("B") == "true" and loaded.env_value("Z", "none") == "none"


def test_integral_seconds_are_stored_as_ints_so_hashes_agree():
    whole = load_spec(spec(readinessProbe=probe(periodSeconds=2.0)))
    assert whole.readiness_probe.period_seconds == 2
    assert isinstance(whole.readiness_probe.period_seconds, int)
    assert whole.template_hash() == load_spec(spec(readinessProbe=probe(periodSeconds=2))
                                              ).template_hash()
    assert load_spec(spec(readinessProbe=probe(periodSeconds=1.5))
                     ).readiness_probe.period_seconds == 1.5


def test_labels_are_stored_sorted():
    loaded = load_spec(top(metadata={"name": "api", "labels": {"tier": "web", "app": "api",
                                                               "example.com/team": ""}}))
    assert loaded.labels == (("app", "api"), ("example.com/team", ""), ("tier", "web"))


def test_autoscale_in_the_original_spelling_gets_default_behavior():
    loaded = load_spec(spec(autoscale={"targetCPU": 60, "min": 2, "max": 8}))
    assert loaded.autoscale == Autoscale(2, 8, 60, SCALE_UP_DEFAULT, SCALE_DOWN_DEFAULT)
    assert load_spec(spec(autoscale={"max": 4})).autoscale == Autoscale(1, 4, 80)


def test_a_partial_behavior_direction_is_filled_from_its_default():
    loaded = load_spec(spec(autoscale={
        "maxReplicas": 5,
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60},
                     "scaleUp": {"selectPolicy": "Disabled",
                                 "policies": [{"type": "Pods", "value": 1,
                                               "periodSeconds": 60}]}}}))
    assert loaded.autoscale.scale_down == ScalingRules(60, "Max", SCALE_DOWN_DEFAULT.policies)
    assert loaded.autoscale.scale_up == ScalingRules(0, "Disabled", (ScalingPolicy("Pods", 1, 60),))


def test_pause_durations_and_pause_until_promoted():
    loaded = load_spec(canary(steps=[
        {"setWeight": 10}, {"pause": {"duration": 30}}, {"pause": {"duration": "30s"}},
        {"pause": {"duration": "5m"}}, {"pause": {"duration": "1h30m"}},
        {"pause": {"duration": "90"}}, {"pause": {"duration": 0.5}}, {"pause": {}},
        {"pause": None}, {"setWeight": 100}]))
    assert loaded.rollout.steps == (
        CanaryStep(set_weight=10), CanaryStep(pause=True, pause_seconds=30),
        CanaryStep(pause=True, pause_seconds=30), CanaryStep(pause=True, pause_seconds=300),
        CanaryStep(pause=True, pause_seconds=5400), CanaryStep(pause=True, pause_seconds=90),
        CanaryStep(pause=True, pause_seconds=0.5), CanaryStep(pause=True, pause_seconds=None),
        CanaryStep(pause=True, pause_seconds=None), CanaryStep(set_weight=100))


@pytest.mark.parametrize("fields, steps", [
    pytest.param({}, (CanaryStep(set_weight=100),), id="no-steps"),
    pytest.param({"steps": []}, (CanaryStep(set_weight=100),), id="empty-steps"),
    pytest.param({"steps": [{"percent": 30}, {"percent": 100}]},
                 (CanaryStep(set_weight=30), CanaryStep(set_weight=100)), id="no-pause"),
    pytest.param({"steps": [{"percent": 30}, {"percent": 100}], "pauseSeconds": 0},
                 (CanaryStep(set_weight=30), CanaryStep(set_weight=100)), id="pause-zero"),
    pytest.param({"steps": [{"percent": 50}], "pauseSeconds": 9},
                 (CanaryStep(set_weight=50),), id="no-pause-after-last"),
    pytest.param({"steps": [{"percent": 60}, {"percent": 20}]},
                 (CanaryStep(set_weight=60), CanaryStep(set_weight=20)), id="decreasing-ok"),
])
def test_canary_step_normalisation(fields, steps):
    assert load_spec(canary(**fields)).rollout.steps == steps


@pytest.mark.parametrize("surge, unavailable, stored", [
    ("150%", "100%", ("150%", "100%")),
    ("025%", 0, ("25%", 0)),
    (0, 1, (0, 1)),
    (3, "0%", (3, "0%")),
])
def test_surge_and_unavailable(surge, unavailable, stored):
    rollout = load_spec(spec(rollout={"maxSurge": surge, "maxUnavailable": unavailable})).rollout
    assert (rollout.max_surge, rollout.max_unavailable) == stored


EQUIVALENT = [
    ("autoscale",
     spec(autoscale={"targetCPU": 60, "min": 2, "max": 8}),
     spec(autoscale={"minReplicas": 2, "maxReplicas": 8, "targetCPUUtilizationPercentage": 60})),
    ("autoscale-half-and-half",
     spec(autoscale={"min": 2, "max": 8}),
     spec(autoscale={"min": 2, "maxReplicas": 8})),
    ("canary",
     canary(steps=[{"percent": 25}, {"percent": 50}, {"percent": 100}], pauseSeconds=30),
     spec(strategy={"canary": {"steps": [{"setWeight": 25}, {"pause": {"duration": "30s"}},
                                         {"setWeight": 50}, {"pause": {"duration": 30}},
                                         {"setWeight": 100}]}})),
    ("canary-argo-steps-in-rollout",
     canary(steps=[{"setWeight": 25}, {"pause": {}}], maxSurge=1, analysis={}),
     spec(strategy={"canary": {"steps": [{"setWeight": 25}, {"pause": {}}], "maxSurge": 1,
                               "analysis": {"maxErrorRate": 0.05, "interval": "10s"}}})),
    ("rolling-update",
     spec(rollout={"strategy": "RollingUpdate", "maxSurge": 1, "maxUnavailable": 0}),
     spec(strategy={"type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})),
    ("rolling-update-defaults", spec(rollout={}), spec(strategy={"type": "RollingUpdate"})),
    ("rolling-update-without-type", spec(rollout={"maxSurge": 2}),
     spec(strategy={"rollingUpdate": {"maxSurge": 2}})),
    ("blue-green",
     spec(rollout={"strategy": "BlueGreen", "autoPromotionEnabled": False,
                   "scaleDownDelaySeconds": 10}),
     spec(strategy={"blueGreen": {"autoPromotionEnabled": False,
                                  "scaleDownDelaySeconds": 10}})),
    ("deployment-kind", base(), top(apiVersion="apps/v1", kind="Deployment")),
    ("rollout-kind", base(), top(apiVersion="argoproj.io/v1alpha1", kind="Rollout")),
]


@pytest.mark.parametrize("original, other", [pytest.param(a, b, id=i) for i, a, b in EQUIVALENT])
def test_kubernetes_and_argo_spellings_give_the_same_spec(original, other):
    assert load_spec(original) == load_spec(other)


# --------------------------------------------------------------------------------------
# Round trip: load_spec(spec.to_dict()) == spec.

RICH = spec(
    replicas=5, image="local://demo@v3",
    env=[{"name": "HEALTHY", "value": "1"}, {"name": "MODE", "value": 2}],
    readinessProbe={"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 1.5,
                    "periodSeconds": 2, "timeoutSeconds": 3, "successThreshold": 2,
                    "failureThreshold": 4},
    livenessProbe=probe(periodSeconds=5),
    startupProbe=probe(failureThreshold=30, periodSeconds=1),
    terminationGracePeriodSeconds=5, minReadySeconds=3, revisionHistoryLimit=2,
    progressDeadlineSeconds=120,
    autoscale={"minReplicas": 2, "maxReplicas": 20, "targetCPUUtilizationPercentage": 70,
               "behavior": {"scaleDown": {"stabilizationWindowSeconds": 30,
                                          "selectPolicy": "Min",
                                          "policies": [{"type": "Pods", "value": 2,
                                                        "periodSeconds": 30}]}}},
    rollout={"strategy": "Canary", "maxSurge": "50%", "maxUnavailable": 1,
             "steps": [{"setWeight": 10}, {"pause": {"duration": "1m"}}, {"setWeight": 50},
                       {"pause": {}}, {"setWeight": 100}],
             "analysis": {"maxErrorRate": 0.1, "interval": 5, "failureLimit": 2}})
RICH["metadata"]["labels"] = {"app": "api", "tier": "web"}

ROUND_TRIP = [
    ("api-v1", EXAMPLES / "api-v1.yaml"),
    ("api-v2", EXAMPLES / "api-v2.yaml"),
    ("api-canary", EXAMPLES / "api-canary.yaml"),
    ("minimal", base()),
    ("rich-canary", RICH),
    ("blue-green-timed", spec(rollout={"strategy": "BlueGreen", "autoPromotionSeconds": 45,
                                       "scaleDownDelaySeconds": 0})),
    ("rolling-zero-surge", spec(replicas=0, rollout={"maxSurge": 0, "maxUnavailable": "10%"})),
]


@pytest.mark.parametrize("source", [pytest.param(s, id=i) for i, s in ROUND_TRIP])
def test_to_dict_round_trips(source):
    loaded = load_spec(source)
    assert load_spec(loaded.to_dict()) == loaded
    assert load_spec(yaml.safe_dump(loaded.to_dict())) == loaded


def test_to_dict_is_the_canonical_explicit_document():
    assert load_spec(canary(steps=[{"percent": 50}, {"percent": 100}], pauseSeconds=10,
                            analysis={})).to_dict() == {
        "apiVersion": "t32sim/v1", "kind": "Service", "metadata": {"name": "api"},
        "spec": {
            "replicas": 1, "image": "local://demo@v1", "env": [],
            "terminationGracePeriodSeconds": 30, "minReadySeconds": 0,
            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "rollout": {"strategy": "Canary", "maxSurge": "25%", "maxUnavailable": "25%",
                        "steps": [{"setWeight": 50}, {"pause": {"duration": 10}},
                                  {"setWeight": 100}],
                        "analysis": {"maxErrorRate": 0.05, "interval": 10,
                                     "failureLimit": 1}}}}


def test_rich_spec_loads_every_field():
    loaded = load_spec(RICH)
    assert loaded.readiness_probe == Probe("/healthz", 1.5, 2, 3, 2, 4, port=8080)
    assert loaded.autoscale == Autoscale(
        2, 20, 70, SCALE_UP_DEFAULT, ScalingRules(30, "Min", (ScalingPolicy("Pods", 2, 30),)))
    assert loaded.rollout.steps[1] == CanaryStep(pause=True, pause_seconds=60)
    assert loaded.rollout.analysis == Analysis(0.1, 5, 2)
    assert loaded.labels == (("app", "api"), ("tier", "web"))
    assert loaded.env_value("MODE") == "2"


# --------------------------------------------------------------------------------------
# Property tests: whatever is given, the answer is a ServiceSpec or a SpecError.

FIELD_NAMES = ["apiVersion", "kind", "metadata", "name", "labels", "spec", "replicas",
               "image", "env", "value", "readinessProbe", "livenessProbe", "startupProbe",
               "httpGet", "path", "port", "periodSeconds", "successThreshold", "autoscale",
               "min", "max", "minReplicas", "behavior", "scaleUp", "policies", "type",
               "rollout", "strategy", "steps", "percent", "setWeight", "pause", "duration",
               "pauseSeconds", "maxSurge", "maxUnavailable", "analysis", "canary",
               "blueGreen", "rollingUpdate"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2000), st.floats(allow_nan=True),
    st.sampled_from(["api", "v1", "Service", "Canary", "BlueGreen", "25%", "150%", "30s",
                     "/healthz", "local://demo@v1", "", "Max", "Pods"]), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(FIELD_NAMES) | st.integers(0, 3), inner, max_size=5),
    max_leaves=25)
DOCUMENTS = st.fixed_dictionaries({
    "apiVersion": st.sampled_from(["v1", "apps/v1", "v2"]),
    "kind": st.sampled_from(["Service", "Rollout", "Pod"]),
    "metadata": st.fixed_dictionaries({"name": st.sampled_from(["api", "Api", ""])}),
    "spec": st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=6)
    .map(lambda d: {"image": "local://demo@v1", **d}),
})


def check_answer(source: Any) -> None:
    try:
        loaded = load_spec(source)
    except SpecError as error:
        assert error.errors and all(isinstance(p, str) and isinstance(m, str) and m
                                    for p, m in error.errors)
    else:
        assert load_spec(loaded.to_dict()) == loaded


@settings(derandomize=True, database=None, max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_any_document_gives_a_spec_or_a_spec_error(document):
    check_answer(document)


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(st.text(alphabet="ab:-[]{}&*!|>#\n '\"\t,.%0123456789", max_size=60))
def test_any_text_gives_a_spec_or_a_spec_error(text):
    check_answer(text)


SECONDS = st.integers(0, 600) | st.floats(0, 600).map(lambda x: round(x, 2))
PROBES = st.fixed_dictionaries(
    {"httpGet": st.fixed_dictionaries({}, optional={"path": st.sampled_from(["/", "/healthz"]),
                                                    "port": st.integers(1, 65535)})},
    optional={"initialDelaySeconds": SECONDS, "periodSeconds": st.integers(1, 60),
              "timeoutSeconds": st.integers(1, 10), "failureThreshold": st.integers(1, 10)})
AUTOSCALES = st.integers(1, 10).flatmap(lambda low: st.fixed_dictionaries(
    {"min": st.just(low), "max": st.integers(low, 50)},
    optional={"targetCPU": st.integers(1, 100), "behavior": st.fixed_dictionaries({}, optional={
        "scaleUp": st.fixed_dictionaries({}, optional={
            "stabilizationWindowSeconds": st.integers(0, 3600),
            "selectPolicy": st.sampled_from(["Max", "Min", "Disabled"])}),
        "scaleDown": st.fixed_dictionaries({}, optional={"policies": st.lists(
            st.fixed_dictionaries({"type": st.sampled_from(["Pods", "Percent"]),
                                   "value": st.integers(1, 100),
                                   "periodSeconds": st.integers(1, 1800)}),
            min_size=1, max_size=3)})})}))
SURGES = st.integers(0, 5) | st.integers(0, 200).map(lambda n: f"{n}%")
ARGO_STEPS = st.lists(st.one_of(
    st.integers(0, 100).map(lambda w: {"setWeight": w}),
    st.just({"pause": {}}),
    SECONDS.map(lambda d: {"pause": {"duration": d}}),
    st.sampled_from(["30s", "2m", "1h"]).map(lambda d: {"pause": {"duration": d}})), max_size=6)
ROLLOUTS = st.one_of(
    st.fixed_dictionaries({"strategy": st.just("RollingUpdate"), "maxSurge": SURGES,
                           "maxUnavailable": st.integers(1, 5)}),
    st.fixed_dictionaries({"strategy": st.just("BlueGreen")}, optional={
        "autoPromotionSeconds": SECONDS, "scaleDownDelaySeconds": SECONDS}),
    st.fixed_dictionaries({"strategy": st.just("Canary"), "steps": ARGO_STEPS},
                          optional={"analysis": st.fixed_dictionaries({}, optional={
                              "maxErrorRate": st.floats(0, 1), "interval": st.integers(1, 60),
                              "failureLimit": st.integers(1, 5)})}),
    st.fixed_dictionaries({"strategy": st.just("Canary"), "pauseSeconds": SECONDS,
                           "steps": st.lists(st.integers(0, 100).map(lambda w: {"percent": w}),
                                             min_size=1, max_size=4)}))
VALID_SPECS = st.fixed_dictionaries(
    {"image": st.sampled_from(["local://demo@v1", "local://demo@v2", "nginx:1.27"])},
    optional={"replicas": st.integers(0, 1000),
              "env": st.lists(st.fixed_dictionaries(
                  {"name": st.sampled_from(["A", "B", "HEALTHY", "MODE_2"]),
                   "value": st.text(max_size=5) | st.integers() | st.booleans()}),
                  unique_by=lambda var: var["name"], max_size=4),
              "readinessProbe": PROBES, "livenessProbe": PROBES, "startupProbe": PROBES,
              "terminationGracePeriodSeconds": SECONDS, "revisionHistoryLimit": st.integers(0, 50),
              "autoscale": AUTOSCALES, "rollout": ROLLOUTS})


@settings(derandomize=True, database=None, max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(VALID_SPECS)
def test_valid_documents_are_accepted_and_round_trip(spec_fields):
    loaded = load_spec({**base(), "spec": spec_fields})
    assert load_spec(loaded.to_dict()) == loaded
    assert load_spec(yaml.safe_dump(loaded.to_dict())) == loaded

"""t32sim.spec.model: the canonical document, load_spec(spec.to_dict()) == spec."""
from __future__ import annotations

import pytest
import yaml


from t32sim.spec import (
    SCALE_UP_DEFAULT, Analysis, Autoscale, CanaryStep, Probe, ScalingPolicy, ScalingRules,
    load_spec,
)
from tests.spec.documents import EXAMPLES, base, canary, probe, spec


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
                                     "failureLimit": 0}}}}


def test_rich_spec_loads_every_field():
    loaded = load_spec(RICH)
    assert loaded.readiness_probe == Probe("/healthz", 1.5, 2, 3, 2, 4, port=8080)
    assert loaded.autoscale == Autoscale(
        2, 20, 70, SCALE_UP_DEFAULT, ScalingRules(30, "Min", (ScalingPolicy("Pods", 2, 30),)))
    assert loaded.rollout.steps[1] == CanaryStep(pause=True, pause_seconds=60)
    assert loaded.rollout.analysis == Analysis(0.1, 5, 2)
    assert loaded.labels == (("app", "api"), ("tier", "web"))
    assert loaded.env_value("MODE") == "2"


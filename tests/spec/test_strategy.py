"""t32sim.spec.strategy: rollout strategies in t32sim's, Kubernetes' and Argo's spellings."""
from __future__ import annotations

import pytest

from t32sim.spec import CanaryStep, EnvVar, Probe, Rollout, ServiceSpec, Strategy, load_spec
from tests.spec.documents import (
    DNS, DURATION, EXAMPLES, ONE_STEP_KEY, STRATEGIES, SURGE, UNAVAILABLE, base, canary,
    errors_of, spec, top,
)


INVALID = [
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
    ("analysis-limits", canary(analysis={"maxErrorRate": 1.5, "interval": 0, "failureLimit": -1}),
     [("spec.rollout.analysis.maxErrorRate", "expected a number 0..1, got 1.5"),
      ("spec.rollout.analysis.interval",
       f"expected a number of seconds greater than 0, up to 86400 {DURATION}, got 0"),
      ("spec.rollout.analysis.failureLimit", "expected an integer 0..1000, got -1")]),
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
     spec(strategy={"blueGreen": {"activeService": "api", "autoPromotionSeconds": -1,
                                  "previewSvc": "api-preview"}}),
     [("spec.strategy.blueGreen.previewSvc", "unknown field; did you mean 'previewService'?"),
      ("spec.strategy.blueGreen.autoPromotionSeconds",
       "expected a number of seconds 0..86400, got -1")]),
    ("blue-green-services",
     spec(strategy={"blueGreen": {"activeService": "Api", "previewService": "Api"}}),
     [("spec.strategy.blueGreen.activeService", f"{DNS}, got 'Api'"),
      ("spec.strategy.blueGreen.previewService", f"{DNS}, got 'Api'")]),
    ("blue-green-same-service",
     spec(strategy={"blueGreen": {"activeService": "web", "previewService": "web"}}),
     [("spec.strategy.blueGreen.previewService",
       "expected a Service other than activeService, got 'web'")]),
]


@pytest.mark.parametrize("document, expected", [pytest.param(d, e, id=i) for i, d, e in INVALID])
def test_invalid_spec_gives_exactly_these_errors(document, expected):
    assert errors_of(document) == expected


def test_there_are_many_invalid_rollout_cases_with_distinct_ids():
    ids = [case[0] for case in INVALID]
    assert len(ids) == len(set(ids)) >= 30


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


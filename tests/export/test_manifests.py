"""t32sim.export.manifests: what a spec in t32sim's own format becomes on a real cluster."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from t32sim.export import export_spec
from t32sim.spec import ScalingRules, load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def hpa_of(spec) -> dict:
    [hpa] = [d for d in export_spec(spec).documents if d["kind"] == "HorizontalPodAutoscaler"]
    return hpa


def test_an_hpa_with_the_default_rules_is_exported_without_behavior():
    # a real HPA without behavior runs Kubernetes' default algorithm, as t32sim simulates
    # the default rules; an explicit behavior (even with the default values) runs another
    spec = load_spec(EXAMPLES / "api-autoscale.yaml")
    assert hpa_of(spec)["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
        "minReplicas": 2, "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 60}}}]}
    assert load_spec(yaml.safe_dump_all(export_spec(spec).documents)).autoscale == \
        spec.autoscale


def test_the_cpu_request_an_export_adds_for_its_hpa_is_said():
    spec = load_spec(EXAMPLES / "api-autoscale.yaml")
    [container] = export_spec(spec).documents[0]["spec"]["template"]["spec"]["containers"]
    assert container["resources"] == {"requests": {"cpu": "1000m"}}
    assert export_spec(spec).warnings == (
        "api: requests.cpu 1000m is the whole pod t32sim measures CPU against when a spec "
        "gives no request; 10 pods at most request 10 CPUs, so lower it on a small cluster "
        "(the HPA's target is a share of it)",)
    asked = dataclasses.replace(spec, cpu_request_milli=250)
    assert export_spec(asked).warnings == ()


def test_an_hpa_with_its_own_rules_is_exported_with_both_directions():
    spec = load_spec(EXAMPLES / "api-autoscale.yaml")
    slow = dataclasses.replace(spec, autoscale=dataclasses.replace(
        spec.autoscale, scale_down=ScalingRules(60, "Min", spec.autoscale.scale_down.policies)))
    behavior = hpa_of(slow)["spec"]["behavior"]
    assert behavior["scaleDown"] == {"stabilizationWindowSeconds": 60, "selectPolicy": "Min",
                                     "policies": [{"type": "Percent", "value": 100,
                                                   "periodSeconds": 15}]}
    assert behavior["scaleUp"]["policies"] == [
        {"type": "Percent", "value": 100, "periodSeconds": 15},
        {"type": "Pods", "value": 4, "periodSeconds": 15}]
    assert load_spec(yaml.safe_dump_all(export_spec(slow).documents)).autoscale == \
        slow.autoscale

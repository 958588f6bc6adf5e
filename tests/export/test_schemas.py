"""Every export validates strictly against the official schemas; so do the bundled
manifests; and the importer's field lists are the schemas' own."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from t32sim.export import export_yaml
from t32sim.spec.kube_objects import SERVICE_UNSIMULATED
from t32sim.spec.pod_template import CONTAINER_UNSIMULATED, POD_UNSIMULATED
from t32sim.spec.strategy import STEP_UNSIMULATED
from t32sim.spec.workloads import (
    BLUE_GREEN_UNSIMULATED, CANARY_UNSIMULATED, DEPLOYMENT_UNSIMULATED, ROLLOUT_UNSIMULATED,
)
from tests.export.schemas import Invalid, properties, rollout_crd, validate

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_export_validates_strictly(example):
    documents = list(yaml.safe_load_all(export_yaml(example)))
    assert documents and {d["kind"] for d in documents} >= {"Service"}
    for doc in documents:
        validate(doc)


@pytest.mark.parametrize("example", [p for p in EXAMPLES if "apiVersion: apps/v1" in
                                     p.read_text() or "kind: Rollout\nmetadata:\n" in
                                     p.read_text()], ids=lambda p: p.stem)
def test_the_bundled_manifests_are_valid_kubernetes_too(example):
    for doc in yaml.safe_load_all(example.read_text()):
        validate(doc)


def exported(kind: str) -> dict:
    source = "examples/api-rolling.yaml" if kind == "Deployment" else "examples/api-canary.yaml"
    root = Path(__file__).resolve().parents[2]
    [doc] = [d for d in yaml.safe_load_all(export_yaml(root / source)) if d["kind"] == kind]
    return doc


@pytest.mark.parametrize("kind", ["Deployment", "Rollout", "Service",
                                  "HorizontalPodAutoscaler"])
def test_the_validation_rejects_a_misspelled_field_and_a_wrong_type(kind):
    if kind == "HorizontalPodAutoscaler":
        root = Path(__file__).resolve().parents[2]
        doc = list(yaml.safe_load_all(export_yaml(root / "examples/api-autoscale.yaml")))[-1]
        field, number = "minReplicas", "maxReplicas"
    else:
        doc = exported(kind if kind != "Service" else "Deployment") if kind != "Service" else \
            list(yaml.safe_load_all(export_yaml(
                Path(__file__).resolve().parents[2] / "examples/api-rolling.yaml")))[1]
        field, number = ("ports", None) if kind == "Service" else ("replicas", "replicas")
    validate(doc)
    misspelled = copy.deepcopy(doc)
    misspelled["spec"][field + "z"] = misspelled["spec"].pop(field)
    with pytest.raises(Invalid, match="z"):
        validate(misspelled)
    wrong = copy.deepcopy(doc)
    if number is None:
        wrong["spec"]["ports"][0]["port"] = "eighty"
    else:
        wrong["spec"][number] = "three"
    with pytest.raises(Invalid, match="is not of type|is not valid"):
        validate(wrong)


def test_a_misspelled_field_deep_in_the_pod_template_is_refused():
    for kind in ("Deployment", "Rollout"):
        doc = exported(kind)
        doc["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSecond"] = 2
        with pytest.raises(Invalid) as caught:
            validate(doc)
        assert "periodSecond" in caught.value.message


def crd_fields(*path: str) -> set[str]:
    [version] = rollout_crd()["spec"]["versions"]
    schema = version["schema"]["openAPIV3Schema"]
    for key in path:
        schema = schema["properties"][key] if key != "[]" else schema["items"]
    return set(schema["properties"])


def test_the_importer_knows_every_field_of_the_official_schemas():
    assert crd_fields("spec") == {"replicas", "selector", "template", "strategy",
                                  "minReadySeconds", "revisionHistoryLimit",
                                  "progressDeadlineSeconds"} | set(ROLLOUT_UNSIMULATED)
    assert crd_fields("spec", "strategy", "canary") == {
        "maxSurge", "maxUnavailable", "steps"} | set(CANARY_UNSIMULATED)
    assert crd_fields("spec", "strategy", "blueGreen") == {
        "activeService", "previewService", "autoPromotionEnabled", "autoPromotionSeconds",
        "scaleDownDelaySeconds"} | set(BLUE_GREEN_UNSIMULATED)
    assert crd_fields("spec", "strategy", "canary", "steps", "[]") == {
        "setWeight", "pause"} | set(STEP_UNSIMULATED)
    known = {
        "deploymentspec-apps-v1.json": {"replicas", "selector", "template", "strategy",
                                        "minReadySeconds", "revisionHistoryLimit",
                                        "progressDeadlineSeconds"} | set(DEPLOYMENT_UNSIMULATED),
        "podspec-v1.json": {"containers", "terminationGracePeriodSeconds",
                            "restartPolicy"} | set(POD_UNSIMULATED),
        "container-v1.json": {"name", "image", "env", "readinessProbe", "livenessProbe",
                              "startupProbe", "resources"} | set(CONTAINER_UNSIMULATED),
        "servicespec-v1.json": {"selector"} | set(SERVICE_UNSIMULATED),
    }
    for schema_file, fields in known.items():
        # every field of the Kubernetes the exports target, and none that no version has
        assert properties(schema_file) <= fields <= properties(schema_file, "latest"), \
            schema_file

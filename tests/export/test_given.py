"""t32sim.export.given: real manifests are exported as written, plus what a cluster needs."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import t32sim as t3
from t32sim.export import export_documents, export_yaml
from tests.export.schemas import validate
from tests.spec import docs_manifests as docs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GIVEN = {name: getattr(docs, name) for name in (
    "DEPLOYMENT_AND_SERVICE", "PROBES", "CONFIG_FIRST", "ARGO_CANARY", "LOCAL_IMAGES",
    "DRY_RUN", "GET_O_YAML", "LIST")}


def documents(text: str) -> list[dict]:
    return list(yaml.safe_load_all(text))


@pytest.mark.parametrize("example", ["rollout-canary", "rollout-bluegreen", "php-apache"])
def test_a_manifest_example_is_exported_as_written(example):
    # ports stay the app's own: rollouts-demo listens on 8080, its probe asks port 'http'
    source = documents((EXAMPLES / f"{example}.yaml").read_text())
    exported = list(export_documents(EXAMPLES / f"{example}.yaml").documents)
    assert exported[:len(source)] == source
    added = [d["spec"] for d in exported[len(source):]]      # a Service, only if none selects
    assert added == ([{"selector": {"app": "rollouts-demo"},
                       "ports": [{"port": 80, "targetPort": 8080}]}]
                     if example == "rollout-canary" else [])


def test_configmaps_secrets_namespaces_commands_and_limits_stay():
    exported = export_documents(docs.CONFIG_FIRST)
    assert list(exported.documents[:4]) == documents(docs.CONFIG_FIRST)
    assert exported.documents[4] == {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop", "namespace": "shop"},
        "spec": {"selector": {"app": "shop"}, "ports": [{"port": 80, "targetPort": 80}]}}
    assert exported.warnings == (
        "shop: added Service shop (no Service in the source selects its pods; t32sim sends "
        "requests for shop to them)",)
    probes = export_documents(docs.PROBES).documents
    assert [d["spec"]["template"] for d in probes if d["kind"] == "Deployment"] == [
        d["spec"]["template"] for d in documents(docs.PROBES)]     # busybox keeps its args


def test_a_workload_a_service_selects_gets_no_other_service():
    exported = export_documents(docs.DEPLOYMENT_AND_SERVICE)
    assert list(exported.documents) == documents(docs.DEPLOYMENT_AND_SERVICE)
    assert exported.warnings == ()


def test_a_simulated_image_becomes_a_real_one_on_the_containers_port():
    exported = export_documents(docs.LOCAL_IMAGES)
    web, web_service, crashy, active, preview = exported.documents
    template = web["spec"]["template"]
    assert template["metadata"]["annotations"] == {"t32sim/image": "local://demo@flaky"}
    assert template["spec"]["containers"][0] == {
        "name": "web", "image": "hashicorp/http-echo:1.0",
        "args": ["-listen=:9000", "-text=web flaky"], "ports": [{"containerPort": 9000}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 9000}}}
    assert web_service["spec"] == {"selector": {"app": "web"},
                                   "ports": [{"port": 80, "targetPort": 9000}]}
    container = crashy["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["command"]) == ("busybox:1.36",
                                                          ["sh", "-c", "sleep 1; exit 1"])
    assert crashy["spec"]["template"]["metadata"]["annotations"] == {
        "team": "a", "t32sim/image": "local://demo@crash"}
    assert [s["metadata"]["name"] for s in (active, preview)] == ["crashy", "crashy-preview"]
    assert exported.warnings == (
        "web: local://demo@flaky runs as hashicorp/http-echo:1.0, which does not fail 30 % of "
        "requests",
        "web: added Service web (no Service in the source selects its pods; t32sim sends "
        "requests for web to them)",
        "crashy: added Service crashy (Argo Rollouts needs the activeService)",
        "crashy: added Service crashy-preview (Argo Rollouts needs the previewService)")


def test_exporting_an_export_changes_nothing_and_simulates_the_same_images():
    once = export_yaml(docs.LOCAL_IMAGES)
    assert documents(export_yaml(once)) == documents(once)
    assert [w.image for w in t3.spec.load_manifests(once).workloads] == [
        "local://demo@flaky", "local://demo@crash"]


@pytest.mark.parametrize("name", GIVEN)
def test_every_export_of_the_docs_manifests_validates_strictly(name):
    for doc in documents(export_yaml(GIVEN[name])):
        validate(doc)


@pytest.mark.parametrize("name", GIVEN)
def test_the_export_of_the_docs_manifests_behaves_like_them(name):
    def story(source) -> list[tuple]:
        c = t3.Cluster(seed=6)
        c.apply(source)
        c.run(until=120)
        return [(s, c.service(s).status.ready, c.service(s).status.phase.value,
                 sorted(p.status for p in c.pods(s))) for s in c.services()]

    assert story(export_yaml(GIVEN[name])) == story(GIVEN[name])

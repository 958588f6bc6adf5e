"""t32sim.spec.manifests: real Kubernetes and Argo Rollouts manifests, read unchanged."""
from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
import yaml

from t32sim.spec import (
    Analysis, Autoscale, CanaryStep, EnvVar, HorizontalPodAutoscaler, Note, Probe, ProbeAction, Rollout,
    ServiceSelector, ServiceSpec, Skipped, SpecError, Strategy, load_manifests, load_spec,
)
from tests.spec.docs_manifests import DRY_RUN, GET_O_YAML, HPA_V1, LIST
from tests.spec.documents import EXAMPLES


def deployment(**spec: Any) -> dict[str, Any]:
    """A Deployment shaped like the docs' nginx example, with ``spec`` fields replaced."""
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "web",
                                                          "image": "nginx:1.27"}]}}}}
    doc["spec"].update(spec)
    return doc


def container(doc: dict[str, Any], **fields: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["spec"]["template"]["spec"]["containers"][0].update(fields)
    return doc


def rollout(strategy: dict[str, Any]) -> dict[str, Any]:
    doc = deployment(strategy=strategy)
    doc.update(apiVersion="argoproj.io/v1alpha1", kind="Rollout")
    return doc


def errors_of(source: Any) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        load_manifests(source)
    return caught.value.errors


C0 = "spec.template.spec.containers[0]"


def test_the_docs_nginx_deployment_becomes_a_service_named_after_it():
    [entry] = load_manifests(EXAMPLES / "nginx-deployment.yaml").entries
    assert entry.object == ServiceSpec(name="nginx-deployment", image="nginx:1.14.2",
                                       replicas=3, labels=(("app", "nginx"),))
    assert entry.manifest and entry.notes == (
        Note("metadata.labels", "not simulated: the object's own labels (its pods' labels "
                                "are spec.template.metadata.labels)"),
        Note(f"{C0}.ports", "not simulated: requests reach the pod, whatever the port"))


def test_the_hpa_walkthrough_file_holds_a_workload_a_service_and_an_hpa():
    manifests = load_manifests(EXAMPLES / "php-apache.yaml")
    workload, service, hpa = (e.object for e in manifests.entries)
    assert (workload.name, workload.image, workload.cpu_request_milli, workload.labels) == (
        "php-apache", "registry.k8s.io/hpa-example", 200, (("run", "php-apache"),))
    assert workload.cpu_request == 200 and workload.autoscale is None
    assert service == ServiceSelector("php-apache", (("run", "php-apache"),))
    assert hpa == HorizontalPodAutoscaler("php-apache", "Deployment", "php-apache",
                                          Autoscale(1, 10, 50))
    assert load_spec(EXAMPLES / "php-apache.yaml").autoscale == Autoscale(1, 10, 50)
    assert [n.path for n in manifests.notes] == [
        f"documents[0].{C0}.ports", f"documents[0].{C0}.resources.limits",
        "documents[1].metadata.labels", "documents[1].spec.ports"]


def test_an_argo_canary_with_pause_until_promoted():
    spec = load_spec(EXAMPLES / "rollout-canary.yaml")
    assert spec.rollout == Rollout(Strategy.CANARY, "25%", "25%", steps=(
        CanaryStep(set_weight=20), CanaryStep(pause=True),
        CanaryStep(set_weight=40), CanaryStep(pause=True, pause_seconds=10),
        CanaryStep(set_weight=60), CanaryStep(pause=True, pause_seconds=10),
        CanaryStep(set_weight=80), CanaryStep(pause=True, pause_seconds=10)))
    assert (spec.revision_history_limit, spec.cpu_request_milli) == (2, 5)
    assert spec.readiness_probe == Probe("/", port="http", period_seconds=2)


def test_an_argo_blue_green_waits_for_promote_with_two_services():
    manifests = load_manifests(EXAMPLES / "rollout-bluegreen.yaml")
    spec, active, preview = (e.object for e in manifests.entries)
    assert spec.rollout == Rollout(Strategy.BLUE_GREEN, auto_promotion_enabled=False,
                                   active_service="rollout-bluegreen-active",
                                   preview_service="rollout-bluegreen-preview")
    assert active.selects(spec.labels) and preview.selects(spec.labels)


def test_defaults_are_kubernetes_defaults():
    spec = load_spec(deployment(replicas=None))
    assert spec == ServiceSpec(name="web", image="nginx:1.27", labels=(("app", "web"),))
    assert (spec.replicas, spec.rollout.max_surge, spec.rollout.max_unavailable,
            spec.revision_history_limit, spec.progress_deadline_seconds,
            spec.termination_grace_period_seconds, spec.cpu_request) == (
        1, "25%", "25%", 10, 600, 30, 1000)


def test_the_pod_template_fields_that_are_simulated():
    doc = container(deployment(minReadySeconds=5, revisionHistoryLimit=3,
                               progressDeadlineSeconds=120,
                               strategy={"type": "RollingUpdate",
                                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}),
                    env=[{"name": "MODE", "value": "fast"},
                         {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s"}}}],
                    readinessProbe={"tcpSocket": {"port": 80}, "periodSeconds": 5},
                    livenessProbe={"exec": {"command": ["cat", "/tmp/healthy"]}},
                    startupProbe={"httpGet": {"path": "/ready", "port": 8080,
                                              "scheme": "HTTPS"}, "failureThreshold": 30},
                    resources={"requests": {"cpu": "0.25", "memory": "64Mi"}})
    doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 5
    manifests = load_manifests(doc)
    spec = manifests.workload()
    assert spec.env == (EnvVar("MODE", "fast"), EnvVar("TOKEN", ""))
    assert spec.readiness_probe == Probe(action=ProbeAction.TCP_SOCKET, port=80, period_seconds=5)
    assert spec.liveness_probe == Probe(action=ProbeAction.EXEC, command=("cat", "/tmp/healthy"))
    assert spec.startup_probe == Probe("/ready", port=8080, failure_threshold=30)
    assert (spec.cpu_request_milli, spec.termination_grace_period_seconds, spec.min_ready_seconds,
            spec.revision_history_limit, spec.progress_deadline_seconds) == (250, 5, 5, 3, 120)
    assert spec.rollout == Rollout(max_surge=1, max_unavailable=0)
    assert [str(n) for n in manifests.notes] == [
        f"{C0}.env[1].valueFrom: not simulated: values from ConfigMaps, Secrets or fields (the "
        "variable is empty)",
        f"{C0}.startupProbe.httpGet.scheme: not simulated: HTTP and HTTPS probes are answered "
        "alike",
        f"{C0}.resources.requests.memory: not simulated: memory (one node with room for every "
        "pod)"]


def test_everything_else_is_noted_never_dropped_never_an_error():
    doc = container(deployment(paused=False), ports=[{"containerPort": 80}],
                    volumeMounts=[{"name": "data", "mountPath": "/data"}],
                    securityContext={"runAsNonRoot": True}, imagePullPolicy="Always",
                    resources={"limits": {"cpu": 1, "memory": "128Mi"}})
    pod = doc["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "data", "emptyDir": {}}]
    pod["containers"].append({"name": "sidecar", "image": "busybox"})
    doc["metadata"]["namespace"] = "shop"
    doc["spec"]["template"]["metadata"]["annotations"] = {"team": "blue"}
    notes = [n.path for n in load_manifests(doc).notes]
    assert notes == ["metadata.namespace", "spec.paused", "spec.template.metadata.annotations",
                     "spec.template.spec.volumes", "spec.template.spec.containers[1]",
                     f"{C0}.ports", f"{C0}.volumeMounts", f"{C0}.securityContext",
                     f"{C0}.imagePullPolicy", f"{C0}.resources.limits"]


def test_kubectl_create_dry_run_output_applies_as_printed():
    manifests = load_manifests(DRY_RUN)
    assert manifests.workload() == ServiceSpec(name="web", image="nginx",
                                               labels=(("app", "web"),))
    assert [str(n) for n in manifests.notes] == [
        "status: not simulated: status is reported by the cluster",
        "metadata.labels: not simulated: the object's own labels (its pods' labels are "
        "spec.template.metadata.labels)"]


def test_every_object_meta_field_of_a_pod_template_is_noted():
    doc = deployment()
    doc["spec"]["template"]["metadata"].update(
        creationTimestamp="2024-05-01T00:00:00Z", uid="1234", namespace="shop",
        name="web-pod", finalizers=["x/y"])
    assert [str(n) for n in load_manifests(doc).notes] == [
        f"spec.template.metadata.{key}: not simulated: {why}" for key, why in [
            ("creationTimestamp", "server-set fields"), ("uid", "server-set fields"),
            ("namespace", "t32sim has one namespace"),
            ("name", "pods are named after their ReplicaSet"), ("finalizers", "finalizers")]]


def test_recreate_runs_as_a_rolling_update_without_surge():
    manifests = load_manifests(deployment(strategy={"type": "Recreate"}))
    assert manifests.workload().rollout == Rollout(max_surge=0, max_unavailable="100%")
    assert manifests.notes[0].path == "spec.strategy.type"


def test_the_simulated_image_annotation_runs_a_demo_image():
    doc = deployment()
    doc["spec"]["template"]["metadata"]["annotations"] = {"t32sim/image": "local://demo@crash"}
    manifests = load_manifests(doc)
    assert manifests.workload().image == "local://demo@crash"
    assert [str(n) for n in manifests.notes] == [
        "spec.template.metadata.annotations: the real image nginx:1.27 is simulated as "
        "local://demo@crash (t32sim/image)"]


def test_unsimulated_kinds_are_skipped_with_a_note():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n---\n"
            + yaml.safe_dump(deployment()) + "---\napiVersion: networking.k8s.io/v1\n"
            "kind: Ingress\nmetadata: {name: front}\nspec: {}\n")
    manifests = load_manifests(text)
    assert [type(e.object).__name__ for e in manifests.entries] == [
        "Skipped", "ServiceSpec", "Skipped"]
    assert manifests.entries[0].object == Skipped("v1", "ConfigMap", "settings")
    assert [str(n) for n in manifests.notes] == [
        "documents[0]: ConfigMap settings: skipped, t32sim does not simulate ConfigMap objects",
        "documents[2]: Ingress front: skipped, t32sim does not simulate Ingress objects"]


def test_an_hpa_without_metrics_targets_80_percent_and_notes_other_metrics():
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "web"},
           "spec": {"scaleTargetRef": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                       "name": "web"}, "maxReplicas": 4}}
    [entry] = load_manifests(hpa).entries
    assert entry.object == HorizontalPodAutoscaler("web", "Rollout", "web", Autoscale(1, 4, 80))
    hpa["spec"]["metrics"] = [
        {"type": "Resource", "resource": {"name": "memory", "target": {
            "type": "Utilization", "averageUtilization": 60}}},
        {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue",
                                                                       "averageValue": "10"}}}]
    hpa["spec"]["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": 60,
                                             "tolerance": 0.05}}
    [entry] = load_manifests(hpa).entries
    assert entry.object.autoscale.target_cpu == 80
    assert entry.object.autoscale.scale_down.stabilization_window_seconds == 60
    assert [n.path for n in entry.notes] == [
        "spec.metrics[0].resource", "spec.metrics[1].pods", "spec.metrics",
        "spec.behavior.scaleDown.tolerance"]


def test_an_autoscaling_v1_hpa_reads_as_its_v2_twin():
    [entry] = load_manifests(HPA_V1).entries
    assert entry.object == HorizontalPodAutoscaler("php-apache", "Deployment", "php-apache",
                                                   Autoscale(1, 10, 50))
    assert entry.manifest and entry.notes == ()
    without_target = HPA_V1.replace("  targetCPUUtilizationPercentage: 50\n", "")
    assert load_manifests(without_target).entries[0].object.autoscale.target_cpu == 80


def test_what_kubectl_get_prints_applies_as_printed():
    manifests = load_manifests(GET_O_YAML)
    assert manifests.workload() == ServiceSpec(name="nginx-deployment", image="nginx:1.14.2",
                                               replicas=3, labels=(("app", "nginx"),))
    assert [n.path for n in manifests.notes][:3] == [
        "status", "metadata.creationTimestamp", "metadata.generation"]


def test_the_objects_of_a_kind_list_are_read_in_its_place():
    manifests = load_manifests(LIST)
    assert [type(e.object).__name__ for e in manifests.entries] == [
        "ServiceSelector", "ServiceSpec"]
    assert [n.path for n in manifests.notes] == ["items[0].spec.ports"]
    assert [d["kind"] for d in manifests.documents] == ["Service", "Deployment"]
    assert errors_of(LIST.replace("replicas", "x").replace("image: nginx", "imag: nginx")
                     ) == [("items[1].spec.template.spec.containers[0].imag",
                            "unknown field; did you mean 'image'?"),
                           ("items[1].spec.template.spec.containers[0].image",
                            "missing required field; expected a non-empty image reference "
                            "without spaces, like 'local://demo@v1'")]
    assert errors_of({"apiVersion": "v1", "kind": "List", "items": {"a": 1}}) == [
        ("items", "expected a list of objects, got {'a': 1}")]
    assert errors_of({"apiVersion": "v1", "kind": "List", "items": []}) == [
        ("items", "expected at least one object, got a List without items (kubectl: no "
                  "objects passed to apply)")]


INVALID = [
    ("selector-does-not-match", deployment(selector={"matchLabels": {"app": "api"}}),
     [("spec.selector", "expected a selector that matches spec.template.metadata.labels "
                        "(app=web), as the API server requires, but app=api does not")]),
    ("selector-expression-does-not-match",
     deployment(selector={"matchExpressions": [{"key": "app", "operator": "In",
                                                "values": ["api", "www"]}]}),
     [("spec.selector", "expected a selector that matches spec.template.metadata.labels "
                        "(app=web), as the API server requires, but app In ['api', 'www'] "
                        "does not")]),
    ("selector-missing", deployment(selector=None),
     [("spec.selector", "missing required field; expected a mapping like {matchLabels: "
                        "{app: web}}")]),
    ("replicas-misspelled", deployment(replcas=3),
     [("spec.replcas", "unknown field; did you mean 'replicas'?")]),
    ("probe-period-zero", container(deployment(), readinessProbe={
        "httpGet": {"path": "/", "port": 80}, "periodSeconds": 0}),
     [(f"{C0}.readinessProbe.periodSeconds", "expected a number of seconds 1..86400, got 0")]),
    ("http-probe-without-port", container(deployment(), livenessProbe={"httpGet": {"path": "/"}}),
     [(f"{C0}.livenessProbe.httpGet.port", "missing required field; expected a port number "
                                           "1..65535 or a port name like 'http'")]),
    ("container-without-name-and-image", container(deployment(), name=None, image=None),
     [(f"{C0}.name", "missing required field; expected a DNS-1123 label (1..63 lowercase "
                     "letters, digits and '-', starting and ending with a letter or digit)"),
      (f"{C0}.image", "missing required field; expected a non-empty image reference without "
                      "spaces, like 'local://demo@v1'")]),
    ("container-typo", container(deployment(), imagee="nginx"),
     [(f"{C0}.imagee", "unknown field; did you mean 'image'?")]),
    ("no-containers", deployment(template={"metadata": {"labels": {"app": "web"}},
                                           "spec": {"containers": []}}),
     [("spec.template.spec.containers", "expected a non-empty list of containers, got []")]),
    ("bad-cpu-request", container(deployment(), resources={"requests": {"cpu": "lots"}}),
     [(f"{C0}.resources.requests.cpu", "expected a CPU quantity like 250m, 0.5 or 2 (1m..64 "
                                       "CPUs), got 'lots'")]),
    ("deployment-api-version", {**deployment(), "apiVersion": "apps/v2"},
     [("apiVersion", "expected 'apps/v1', got 'apps/v2'; did you mean 'apps/v1'?")]),
    ("kind-misspelled", {**deployment(), "kind": "Deploymnet"},
     [("kind", "expected one of 'Service', 'Deployment', 'Rollout', got 'Deploymnet'; did you "
               "mean 'Deployment'?")]),
    ("recreate-with-rolling-update",
     deployment(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
     [("spec.strategy.rollingUpdate", "expected no rollingUpdate when type is 'Recreate', as "
                                      "the API server requires")]),
    ("surge-and-unavailable-zero",
     deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
     [("spec.strategy.rollingUpdate.maxUnavailable",
       "expected a value above 0 when maxSurge is 0 (else no pod could ever be replaced), "
       "got 0")]),
    ("rollout-both-strategies", rollout({"canary": {}, "blueGreen": {"activeService": "a"}}),
     [("spec.strategy", "expected exactly one of canary or blueGreen, got canary and "
                        "blueGreen")]),
    ("rollout-blue-green-without-active-service", rollout({"blueGreen": {}}),
     [("spec.strategy.blueGreen.activeService", "missing required field; expected the name "
                                                "of the Service that sends users to the "
                                                "active pods")]),
    ("rollout-canary-weight", rollout({"canary": {"steps": [{"setWeight": 120}]}}),
     [("spec.strategy.canary.steps[0].setWeight", "expected an integer percentage 0..100, "
                                                  "got 120")]),
    ("hpa-target-kind", {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                         "metadata": {"name": "h"},
                         "spec": {"scaleTargetRef": {"kind": "StatefulSet", "name": "db"},
                                  "minReplicas": 3, "maxReplicas": 2}},
     [("spec.scaleTargetRef.kind", "expected one of 'Deployment', 'Rollout', got "
                                   "'StatefulSet'"),
      ("spec.maxReplicas", "expected at least minReplicas (3), got 2")]),
    ("hpa-api-version-no-longer-served",
     {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
      "metadata": {"name": "h"}, "spec": {
          "scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 2}},
     [("apiVersion", "expected 'autoscaling/v2' or 'autoscaling/v1', got "
                     "'autoscaling/v2beta2', which Kubernetes no longer serves (removed in "
                     "1.26): write apiVersion: autoscaling/v2")]),
    ("deployment-api-version-no-longer-served", {**deployment(), "apiVersion": "extensions/v1beta1"},
     [("apiVersion", "expected 'apps/v1', got 'extensions/v1beta1', which Kubernetes no "
                     "longer serves (removed in 1.16): write apiVersion: apps/v1")]),
    ("hpa-v1-with-v2-fields", {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                               "metadata": {"name": "h"}, "spec": {
                                   "scaleTargetRef": {"kind": "Deployment", "name": "web"},
                                   "maxReplicas": 2, "targetCPUUtilizationPercentage": 0,
                                   "metrics": []}},
     [("spec.metrics", "unknown field; expected one of 'scaleTargetRef', 'minReplicas', "
                       "'maxReplicas', 'targetCPUUtilizationPercentage'"),
      ("spec.targetCPUUtilizationPercentage", "expected a CPU percentage 1..1000, got 0")]),
    ("hpa-kind-misspelled", {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscalar",
                             "metadata": {"name": "h"}},
     [("kind", "expected 'HorizontalPodAutoscaler' or a kind t32sim skips, got "
               "'HorizontalPodAutoscalar'; did you mean 'HorizontalPodAutoscaler'?")]),
    ("service-bad-selector", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                              "spec": {"selector": {"app": ["web"]}}},
     [("spec.selector.app", "expected a label value (a string of at most 63 letters, digits, "
                            "'-', '_', '.'), got ['web']")]),
    ("two-workloads-one-name", [deployment(), deployment()],
     [("documents[1].metadata.name", "expected one workload named 'web', but documents[0] "
                                     "has that name too")]),
    ("two-workloads-one-name-after-a-bad-document",
     [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "S"},
       "spec": {"selector": {"a": "b"}}}, deployment(), deployment()],
     [("documents[0].metadata.name", "expected a DNS-1123 label (1..63 lowercase letters, "
                                     "digits and '-', starting and ending with a letter or "
                                     "digit), got 'S'"),
      ("documents[2].metadata.name", "expected one workload named 'web', but documents[1] "
                                     "has that name too")]),
    ("errors-in-several-documents",
     [deployment(replicas=-1), {"apiVersion": "v1", "kind": "Service",
                                "metadata": {"name": "S"}, "spec": {"selector": {"a": "b"}}}],
     [("documents[0].spec.replicas", "expected an integer 0..1000, got -1"),
      ("documents[1].metadata.name", "expected a DNS-1123 label (1..63 lowercase letters, "
                                     "digits and '-', starting and ending with a letter or "
                                     "digit), got 'S'")]),
]


@pytest.mark.parametrize("source, expected", [pytest.param(s, e, id=i) for i, s, e in INVALID])
def test_invalid_manifests_give_exactly_these_errors(source, expected):
    assert errors_of(source) == expected


def test_load_spec_wants_exactly_one_workload():
    with pytest.raises(SpecError) as caught:
        load_spec([deployment(), {**deployment(), "metadata": {"name": "api"}}])
    assert caught.value.errors == [("", "expected one workload, got 2 (web, api); "
                                        "Cluster.apply and load_manifests take them all")]
    with pytest.raises(SpecError) as caught:
        load_spec("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {a: b}}\n")
    assert caught.value.errors == [("", "expected a workload (a t32sim Service, a Deployment or "
                                        "a Rollout), got only ServiceSelector")]


def test_the_journal_keeps_the_canonical_flat_document_or_the_manifests_as_given():
    flat = load_manifests(EXAMPLES / "api-v1.yaml")
    assert flat.journal_document() == load_spec(EXAMPLES / "api-v1.yaml").to_dict()
    doc = container(deployment(), args=[datetime.date(2024, 5, 1), b"\x00\x01"])
    manifests = load_manifests(doc)                  # YAML's dates and binary, unsimulated
    journaled = manifests.journal_document()
    assert journaled[0]["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "2024-05-01", "AAE="]
    assert load_manifests(journaled).entries == manifests.entries
    assert load_manifests(load_manifests(EXAMPLES / "php-apache.yaml").journal_document()
                          ).entries == load_manifests(EXAMPLES / "php-apache.yaml").entries


def test_the_canary_analysis_annotation_is_read_back():
    doc = rollout({"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}})
    doc["metadata"]["annotations"] = {
        "t32sim/analysis": '{"maxErrorRate": 0.1, "interval": 5, "failureLimit": 2}'}
    assert load_spec(doc).rollout.analysis == Analysis(0.1, 5, 2)
    doc["metadata"]["annotations"]["t32sim/analysis"] = '{"maxErrorRate": 3}'
    assert errors_of(doc) == [("metadata.annotations.t32sim/analysis.maxErrorRate",
                               "expected a number 0..1, got 3")]
    blue = rollout({"blueGreen": {"activeService": "web"}})
    blue["metadata"]["annotations"] = {"t32sim/analysis": "{}"}
    assert errors_of(blue) == [("metadata.annotations.t32sim/analysis",
                                "applies only to a canary strategy")]

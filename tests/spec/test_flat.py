"""t32sim.spec.flat: the original format's fields, accepted, defaulted and refused."""
from __future__ import annotations

import math

import pytest

from t32sim.spec import (
    SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Autoscale, EnvVar, Probe, Rollout, ScalingPolicy,
    ScalingRules, ServiceSpec, SpecError, Strategy, load_spec,
)
from tests.spec.documents import (
    API_VERSIONS, DELETE, DNS, DOCUMENT, ENV_NAME, IMAGE, KINDS, base, errors_of, probe,
    spec, top,
)


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
    ("document-list-with-a-string", [base(), "just text"],
     [("documents[1]", f"{DOCUMENT}, got 'just text'")]),
    ("document-empty-list", [],
     [("", f"{DOCUMENT}, got []")]),
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
                      "'readinessProbe', 'livenessProbe', 'startupProbe', 'resources', "
                      "'terminationGracePeriodSeconds', 'minReadySeconds', "
                      "'revisionHistoryLimit', 'progressDeadlineSeconds', 'autoscale', "
                      "'rollout', 'strategy'")]),
    ("spec-pod-template", spec(template={"spec": {}}),
     [("spec.template", "unknown field; a pod template belongs in a Deployment (apps/v1) or "
                        "Rollout manifest; in t32sim's own format put image, env and probes "
                        "directly under spec")]),
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
    ("probe-exec-without-command", spec(livenessProbe={"exec": {"command": []}}),
     [("spec.livenessProbe.exec.command",
       "expected a non-empty list of strings like ['cat', '/tmp/healthy'], got []")]),
    ("probe-exec-bad-command", spec(livenessProbe={"exec": {"command": "cat /tmp/x"}}),
     [("spec.livenessProbe.exec.command",
       "expected a non-empty list of strings like ['cat', '/tmp/healthy'], got 'cat /tmp/x'")]),
    ("probe-two-actions", spec(livenessProbe={"exec": {"command": ["true"]},
                                              "tcpSocket": {"port": 80}}),
     [("spec.livenessProbe.exec",
       "expected one of httpGet, tcpSocket, exec, grpc per probe, got tcpSocket and exec")]),
    ("probe-tcp-without-port", spec(readinessProbe={"tcpSocket": {}}),
     [("spec.readinessProbe.tcpSocket.port", "missing required field; expected an integer "
                                             "1..65535")]),
    ("probe-grpc-named-port", spec(readinessProbe={"grpc": {"port": "grpc"}}),
     [("spec.readinessProbe.grpc.port", "expected an integer 1..65535, got 'grpc'")]),
    ("resources-limits", spec(resources={"requests": {"cpu": "200m", "memory": "64Mi"},
                                         "limits": {"cpu": 1}}),
     [("spec.resources.limits", "unknown field; expected one of 'requests'"),
      ("spec.resources.requests.memory", "unknown field; expected one of 'cpu'")]),
    ("resources-bad-cpu", spec(resources={"requests": {"cpu": "0.1m"}}),
     [("spec.resources.requests.cpu", "expected a CPU quantity like 250m, 0.5 or 2 "
                                      "(1m..64 CPUs), got '0.1m'; CPU is counted in whole "
                                      "millicores, at least '1m'")]),
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


# Valid specs: defaults and normalisation.

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


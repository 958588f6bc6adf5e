"""Property tests: whatever is given, the answer is a ServiceSpec or a SpecError."""
from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


from t32sim.spec import SpecError, load_spec
from tests.spec.documents import base


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

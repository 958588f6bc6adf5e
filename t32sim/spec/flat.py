"""t32sim's own Service document (the original's flat format) -> ServiceSpec.

Each reader returns a value even when it found errors (defaults stand in for bad values);
``load_spec`` raises if any error was collected.
"""
from __future__ import annotations

from typing import Any

from t32sim.spec.checks import (
    CPU, DNS_LABEL, ENV_NAME, ENV_VALUE, IMAGE, REPLICAS, choice_check, integer_check,
    seconds_check,
)
from t32sim.spec.limits import API_VERSIONS, KINDS, MAX_COUNT, MAX_REPLICAS
from t32sim.spec.model import (
    SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Autoscale, EnvVar, ScalingPolicy, ScalingRules,
    ServiceSpec,
)
from t32sim.spec.labels import read_labels
from t32sim.spec.probes import read_probe
from t32sim.spec.reader import Reader
from t32sim.spec.strategy import read_rollout


_TOP_FIELDS = ("apiVersion", "kind", "metadata", "spec")
_METADATA_FIELDS = ("name", "labels")
_SPEC_FIELDS = ("replicas", "image", "env", "readinessProbe", "livenessProbe",
                "startupProbe", "resources", "terminationGracePeriodSeconds",
                "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds",
                "autoscale", "rollout", "strategy")
#: fields of an env item and of resources.requests that a manifest may give, not simulated
ENV_UNSIMULATED = {"valueFrom": "values from ConfigMaps, Secrets or fields (the variable "
                                "is empty)"}
REQUESTS_UNSIMULATED = {"memory": "memory (one node with room for every pod)",
                        "ephemeral-storage": "storage"}
_AUTOSCALE_SPELLINGS = (("min", "minReplicas"), ("max", "maxReplicas"),
                        ("targetCPU", "targetCPUUtilizationPercentage"))
_AUTOSCALE_FIELDS = tuple(k for pair in _AUTOSCALE_SPELLINGS for k in pair) + ("behavior",)
_RULES_FIELDS = ("stabilizationWindowSeconds", "selectPolicy", "policies")
_POLICY_FIELDS = ("type", "value", "periodSeconds")


def read_document(doc: Any, errors: list[tuple[str, str]]) -> ServiceSpec | None:
    top = Reader.open(errors, "", doc, _TOP_FIELDS,
                      "a Service document (a mapping with apiVersion, kind, metadata, spec)")
    if top is None:
        return None
    top.require("apiVersion", choice_check(API_VERSIONS))
    top.require("kind", choice_check(KINDS))
    meta = top.mapping("metadata", _METADATA_FIELDS, "a mapping like {name: api}",
                       required=True)
    name = meta.require("name", DNS_LABEL) if meta else None
    labels = read_labels(meta) if meta else ()
    spec = top.mapping("spec", _SPEC_FIELDS, "a mapping with at least an image",
                       required=True)
    if spec is None:
        return None
    return _read_spec(spec, name, labels)


def _read_spec(r: Reader, name: str | None,
               labels: tuple[tuple[str, str], ...]) -> ServiceSpec:
    replicas = r.get("replicas", REPLICAS, 1)
    image = r.require("image", IMAGE)
    env = read_env(r)
    readiness = read_probe(r, "readinessProbe", restarts=False)
    liveness = read_probe(r, "livenessProbe", restarts=True)
    startup = read_probe(r, "startupProbe", restarts=True)
    cpu_request = read_resources(r)
    grace = r.get("terminationGracePeriodSeconds", seconds_check(), 30)
    return ServiceSpec(
        name=name, image=image, replicas=replicas, env=env, readiness_probe=readiness,
        liveness_probe=liveness, startup_probe=startup,
        termination_grace_period_seconds=grace, **read_progress_settings(r),
        autoscale=_read_autoscale(r), rollout=read_rollout(r), labels=labels,
        cpu_request_milli=cpu_request)


def read_progress_settings(r: Reader) -> dict[str, Any]:
    """minReadySeconds, revisionHistoryLimit and progressDeadlineSeconds (> minReadySeconds),
    as ServiceSpec fields; a Deployment and a Rollout have them at the same place."""
    min_ready = r.get("minReadySeconds", seconds_check(), 0)
    history = r.get("revisionHistoryLimit", integer_check(0, MAX_COUNT), 10)
    deadline = r.get("progressDeadlineSeconds", seconds_check(above=True), 600)
    if r.ok("minReadySeconds", "progressDeadlineSeconds") and deadline <= min_ready:
        given = "" if r.has("progressDeadlineSeconds") else " (the default)"
        r.error("progressDeadlineSeconds",
                f"expected more than minReadySeconds ({min_ready}), got {deadline}{given}")
    return {"min_ready_seconds": min_ready, "revision_history_limit": history,
            "progress_deadline_seconds": deadline}


def read_env(r: Reader) -> tuple[EnvVar, ...]:
    env: list[EnvVar] = []
    first_seen: dict[str, str] = {}
    for path, item in r.items("env", "a list of {name, value} mappings") or ():
        var = Reader.open(r.errors, path, item, ("name", "value"), "a mapping {name, value}",
                          unsimulated=ENV_UNSIMULATED, notes=r.notes)
        if var is None:
            continue
        name = var.require("name", ENV_NAME)
        value = var.get("value", ENV_VALUE, "")
        if name is not None and name in first_seen:
            var.error("name", f"expected a unique name, got {name!r} again "
                              f"(first at {first_seen[name]})")
        elif name is not None:
            first_seen[name] = var.at("name")
        env.append(EnvVar(name, value))
    return tuple(env)


def read_resources(r: Reader, unsimulated: dict[str, str] | None = None) -> int | None:
    """``resources.requests.cpu`` in millicores (None when not given)."""
    resources = r.mapping("resources", ("requests",), "a mapping like {requests: {cpu: 250m}}",
                          unsimulated=unsimulated)
    requests = resources.mapping(
        "requests", ("cpu",), "a mapping like {cpu: 250m}",
        unsimulated=REQUESTS_UNSIMULATED if unsimulated is not None else None) \
        if resources else None
    return requests.get("cpu", CPU) if requests else None


def _read_autoscale(spec: Reader) -> Autoscale | None:
    a = spec.mapping("autoscale", _AUTOSCALE_FIELDS,
                     "a mapping like {min: 1, max: 5, targetCPU: 80}")
    if a is None:
        return None
    kubernetes_style = any(a.has(k8s) for _, k8s in _AUTOSCALE_SPELLINGS)
    min_key, max_key, target_key = (_pick_spelling(a, original, k8s, kubernetes_style)
                                    for original, k8s in _AUTOSCALE_SPELLINGS)
    low = a.get(min_key, integer_check(1, MAX_REPLICAS), 1)
    high = a.require(max_key, integer_check(1, MAX_REPLICAS))
    if high is not None and a.ok(min_key) and high < low:
        a.error(max_key, f"expected at least {min_key} ({low}), got {high}")
    behavior = a.mapping("behavior", ("scaleUp", "scaleDown"),
                         "a mapping with scaleUp and/or scaleDown")
    return Autoscale(
        min_replicas=low, max_replicas=high if high is not None else low,
        target_cpu=a.get(target_key, integer_check(1, 100, "a CPU percentage"), 80),
        scale_up=read_rules(behavior, "scaleUp", SCALE_UP_DEFAULT),
        scale_down=read_rules(behavior, "scaleDown", SCALE_DOWN_DEFAULT))


def _pick_spelling(a: Reader, original: str, k8s: str, kubernetes_style: bool) -> str:
    """Which of two spellings of one setting to read; giving both is an error."""
    if a.has(original) and a.has(k8s):
        a.error(k8s, f"expected only one of {original!r} and {k8s!r}, got both")
        return original
    if a.has(k8s) or (kubernetes_style and not a.has(original)):
        return k8s
    return original


def read_rules(behavior: Reader | None, key: str, default: ScalingRules,
               unsimulated: dict[str, str] | None = None) -> ScalingRules:
    """One HPA behavior direction; what is not given comes from ``default``."""
    r = behavior.mapping(key, _RULES_FIELDS, "a mapping with stabilizationWindowSeconds, "
                         "selectPolicy and/or policies",
                         unsimulated=unsimulated) if behavior else None
    if r is None:
        return default
    return ScalingRules(
        stabilization_window_seconds=r.get("stabilizationWindowSeconds",
                                           integer_check(0, 3600, "an integer number of seconds"),
                                           default.stabilization_window_seconds),
        select_policy=r.get("selectPolicy", choice_check(("Max", "Min", "Disabled")),
                            default.select_policy),
        policies=_read_policies(r) or default.policies)


def _read_policies(r: Reader) -> tuple[ScalingPolicy, ...]:
    what = "a non-empty list of {type, value, periodSeconds} mappings"
    items = r.items("policies", what)
    if items == []:
        r.error("policies", f"expected {what}, got []")
    policies = []
    for path, item in items or ():
        p = Reader.open(r.errors, path, item, _POLICY_FIELDS,
                        "a mapping {type, value, periodSeconds}", notes=r.notes)
        if p is not None:
            policies.append(ScalingPolicy(
                type=p.require("type", choice_check(("Pods", "Percent"))),
                value=p.require("value", integer_check(1, MAX_COUNT)),
                period_seconds=p.require("periodSeconds",
                                         integer_check(1, 1800, "an integer number of seconds"))))
    return tuple(policies)



"""t32sim's own Service document (the original's flat format) -> ServiceSpec.

Each reader returns a value even when it found errors (defaults stand in for bad values);
``load_spec`` raises if any error was collected.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from t32sim.spec.checks import (
    DNS_LABEL, ENV_NAME, ENV_VALUE, HTTP_PATH, IMAGE, ONLY_ONE, PORT, REPLICAS, THRESHOLD,
    choice_check, integer_check, seconds_check, show,
)
from t32sim.spec.limits import API_VERSIONS, KINDS, MAX_COUNT, MAX_REPLICAS
from t32sim.spec.model import (
    SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Autoscale, EnvVar, Probe, ScalingPolicy, ScalingRules,
    ServiceSpec,
)
from t32sim.spec.reader import Reader, join_path
from t32sim.spec.strategy import read_rollout


_LABEL_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_LABEL_PREFIX_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_TOP_FIELDS = ("apiVersion", "kind", "metadata", "spec")
_METADATA_FIELDS = ("name", "labels")
_SPEC_FIELDS = ("replicas", "image", "env", "readinessProbe", "livenessProbe",
                "startupProbe", "terminationGracePeriodSeconds", "minReadySeconds",
                "revisionHistoryLimit", "progressDeadlineSeconds", "autoscale", "rollout",
                "strategy")
_PROBE_FIELDS = ("httpGet", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
                 "successThreshold", "failureThreshold")
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
    labels = _read_labels(meta) if meta else ()
    spec = top.mapping("spec", _SPEC_FIELDS, "a mapping with at least an image",
                       required=True)
    if spec is None:
        return None
    return _read_spec(spec, name, labels)


def _read_labels(meta: Reader) -> tuple[tuple[str, str], ...]:
    value = meta.data.get("labels")
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        meta.error("labels", f"expected a mapping of label names to strings, got {show(value)}")
        return ()
    labels = []
    for key, item in value.items():
        if not _is_label_key(key):
            meta.error("labels", "expected label names like 'app' or 'example.com/tier' "
                       f"(at most 63 letters, digits, '-', '_', '.'), got {show(key)}")
        elif not isinstance(item, str) or not (item == "" or _is_label_name(item)):
            meta.errors.append((join_path(meta.at("labels"), key),
                                "expected a label value (a string of at most 63 letters, "
                                f"digits, '-', '_', '.'), got {show(item)}"))
        else:
            labels.append((key, item))
    return tuple(sorted(labels))


def _is_label_name(text: str) -> bool:
    return len(text) <= 63 and _LABEL_NAME_RE.fullmatch(text) is not None


def _is_label_key(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _LABEL_PREFIX_RE.fullmatch(prefix)):
        return False
    return _is_label_name(name)


def _read_spec(r: Reader, name: str | None,
               labels: tuple[tuple[str, str], ...]) -> ServiceSpec:
    replicas = r.get("replicas", REPLICAS, 1)
    image = r.require("image", IMAGE)
    env = _read_env(r)
    readiness = _read_probe(r, "readinessProbe", restarts=False)
    liveness = _read_probe(r, "livenessProbe", restarts=True)
    startup = _read_probe(r, "startupProbe", restarts=True)
    grace = r.get("terminationGracePeriodSeconds", seconds_check(), 30)
    min_ready = r.get("minReadySeconds", seconds_check(), 0)
    history = r.get("revisionHistoryLimit", integer_check(0, MAX_COUNT), 10)
    deadline = r.get("progressDeadlineSeconds", seconds_check(above=True), 600)
    if r.ok("minReadySeconds", "progressDeadlineSeconds") and deadline <= min_ready:
        given = "" if r.has("progressDeadlineSeconds") else " (the default)"
        r.error("progressDeadlineSeconds",
                f"expected more than minReadySeconds ({min_ready}), got {deadline}{given}")
    return ServiceSpec(
        name=name, image=image, replicas=replicas, env=env, readiness_probe=readiness,
        liveness_probe=liveness, startup_probe=startup,
        termination_grace_period_seconds=grace, min_ready_seconds=min_ready,
        revision_history_limit=history, progress_deadline_seconds=deadline,
        autoscale=_read_autoscale(r), rollout=read_rollout(r), labels=labels)


def _read_env(r: Reader) -> tuple[EnvVar, ...]:
    env: list[EnvVar] = []
    first_seen: dict[str, str] = {}
    for path, item in r.items("env", "a list of {name, value} mappings") or ():
        var = Reader.open(r.errors, path, item, ("name", "value"), "a mapping {name, value}")
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


def _read_probe(spec: Reader, key: str, *, restarts: bool) -> Probe | None:
    """A probe; ``restarts`` (liveness, startup) requires successThreshold 1."""
    p = spec.mapping(key, _PROBE_FIELDS, "a probe mapping like {httpGet: {path: /healthz}}")
    if p is None:
        return None
    http = p.mapping("httpGet", ("path", "port"), "a mapping like {path: /healthz}",
                     required=True)
    return Probe(
        path=http.get("path", HTTP_PATH, "/") if http else "/",
        port=http.get("port", PORT) if http else None,
        initial_delay_seconds=p.get("initialDelaySeconds", seconds_check(), 0),
        period_seconds=p.get("periodSeconds", seconds_check(1), 10),
        timeout_seconds=p.get("timeoutSeconds", seconds_check(1), 1),
        success_threshold=p.get("successThreshold", ONLY_ONE if restarts else THRESHOLD, 1),
        failure_threshold=p.get("failureThreshold", THRESHOLD, 3))


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
        scale_up=_read_rules(behavior, "scaleUp", SCALE_UP_DEFAULT),
        scale_down=_read_rules(behavior, "scaleDown", SCALE_DOWN_DEFAULT))


def _pick_spelling(a: Reader, original: str, k8s: str, kubernetes_style: bool) -> str:
    """Which of two spellings of one setting to read; giving both is an error."""
    if a.has(original) and a.has(k8s):
        a.error(k8s, f"expected only one of {original!r} and {k8s!r}, got both")
        return original
    if a.has(k8s) or (kubernetes_style and not a.has(original)):
        return k8s
    return original


def _read_rules(behavior: Reader | None, key: str, default: ScalingRules) -> ScalingRules:
    """One HPA behavior direction; what is not given comes from ``default``."""
    r = behavior.mapping(key, _RULES_FIELDS, "a mapping with stabilizationWindowSeconds, "
                         "selectPolicy and/or policies") if behavior else None
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
        p = Reader.open(r.errors, path, item, _POLICY_FIELDS, "a mapping {type, value, "
                         "periodSeconds}")
        if p is not None:
            policies.append(ScalingPolicy(
                type=p.require("type", choice_check(("Pods", "Percent"))),
                value=p.require("value", integer_check(1, MAX_COUNT)),
                period_seconds=p.require("periodSeconds",
                                         integer_check(1, 1800, "an integer number of seconds"))))
    return tuple(policies)



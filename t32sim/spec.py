"""The Service spec: YAML text, a path or a dict becomes a frozen, validated ServiceSpec.

Both the original t32 format and the Kubernetes / Argo Rollouts names are accepted
and normalised into one shape, so the engine only ever sees a ``ServiceSpec``.
Every problem is collected and raised at once as ``SpecError(errors=[(path, message)])``.

Accepted fields (default in brackets; times are seconds and may be fractional, counts are
integers, booleans are never numbers, ``null`` is the same as leaving a field out, and
nothing is larger than a day (86400 s) or 1000 (replicas, thresholds)):

- ``apiVersion``: ``v1``, ``apps/v1``, ``t32sim/v1`` or ``argoproj.io/v1alpha1`` (required).
- ``kind``: ``Service``, ``Deployment`` or ``Rollout`` (required; all read the same spec).
- ``metadata.name``: DNS-1123 label (required); ``metadata.labels``: str -> str (stored).
- ``spec.image`` (required), ``spec.replicas`` 0..1000 [1],
  ``spec.env`` [{name, value}] (scalar values become strings, names unique).
- ``spec.readinessProbe`` / ``livenessProbe`` / ``startupProbe``: ``httpGet.path`` ['/'],
  ``httpGet.port``, ``initialDelaySeconds`` [0], ``periodSeconds`` >= 1 [10],
  ``timeoutSeconds`` >= 1 [1], ``successThreshold`` [1, must be 1 for liveness and startup],
  ``failureThreshold`` [3].
- ``spec.terminationGracePeriodSeconds`` [30], ``minReadySeconds`` [0],
  ``revisionHistoryLimit`` [10], ``progressDeadlineSeconds`` [600, > minReadySeconds].
- ``spec.autoscale``: ``min``/``minReplicas`` [1], ``max``/``maxReplicas`` (required),
  ``targetCPU``/``targetCPUUtilizationPercentage`` 1..100 [80], ``behavior.scaleUp`` and
  ``behavior.scaleDown`` {stabilizationWindowSeconds, selectPolicy, policies} [Kubernetes'
  defaults, filled in per direction].
- ``spec.rollout`` (original): ``strategy`` RollingUpdate | BlueGreen | Canary
  [RollingUpdate]; RollingUpdate and Canary: ``maxSurge``, ``maxUnavailable`` ['25%' each,
  not both 0]; Canary: ``steps``, ``pauseSeconds``, ``analysis`` {maxErrorRate [0.05],
  interval [10], failureLimit [1]}; BlueGreen: ``autoPromotionEnabled`` [true],
  ``autoPromotionSeconds`` [none], ``scaleDownDelaySeconds`` [30].
  A field of another strategy is an error.
- ``spec.strategy`` instead of ``spec.rollout`` (Kubernetes / Argo): ``{type: RollingUpdate,
  rollingUpdate: {...}}``, ``{blueGreen: {...}}`` or ``{canary: {...}}``; each inner mapping
  takes the same keys as ``spec.rollout`` does for that strategy.

Canary steps come in two forms, never mixed in one list. The original
``[{percent: 25}, {percent: 50}]`` with ``pauseSeconds: N`` becomes setWeight 25, pause N,
setWeight 50 (no pause after the last weight; no pauses when pauseSeconds is absent or 0).
The Argo form ``[{setWeight: 25}, {pause: {duration: 30}}, {pause: {}}]`` is kept as is;
a duration is seconds or a string like '30s', '5m', '1h30m'; ``pause: {}`` waits for
``promote``. A Canary without steps gets one step, setWeight 100: the canary takes all
traffic as soon as it is ready, as in Argo Rollouts.

Hostile input: ``yaml.safe_load`` semantics only (SafeConstructor; libyaml parses when
present); documents over 64 KiB are refused before parsing; YAML that would expand (through
aliases) to more than 10,000 nodes or nest deeper than 32 levels is refused while it is
composed, before anything is built; a key given twice in one mapping is an error.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import math
import numbers
import os
import re
import reprlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from t32sim.enums import StrEnum

__all__ = [
    "SpecError", "ServiceSpec", "Probe", "EnvVar", "Autoscale", "ScalingPolicy",
    "ScalingRules", "Strategy", "CanaryStep", "Analysis", "Rollout", "load_spec",
]


class SpecError(ValueError):
    """A spec that cannot be accepted. ``errors`` lists ``(path, message)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__("\n".join(f"{path}: {message}" if path else message
                                   for path, message in self.errors))


class Strategy(StrEnum):
    ROLLING_UPDATE = "RollingUpdate"
    BLUE_GREEN = "BlueGreen"
    CANARY = "Canary"


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str


@dataclass(frozen=True)
class Probe:
    """An HTTP probe; times in seconds, defaults are Kubernetes' defaults."""
    path: str = "/"
    initial_delay_seconds: float = 0
    period_seconds: float = 10
    timeout_seconds: float = 1
    success_threshold: int = 1
    failure_threshold: int = 3
    port: int | None = None


@dataclass(frozen=True)
class ScalingPolicy:
    type: str            # "Pods" or "Percent"
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    """One direction of an HPA ``behavior`` (scaleUp or scaleDown)."""
    stabilization_window_seconds: int
    select_policy: str   # "Max", "Min" or "Disabled"
    policies: tuple[ScalingPolicy, ...]


SCALE_UP_DEFAULT = ScalingRules(0, "Max", (ScalingPolicy("Percent", 100, 15),
                                           ScalingPolicy("Pods", 4, 15)))
SCALE_DOWN_DEFAULT = ScalingRules(300, "Max", (ScalingPolicy("Percent", 100, 15),))


@dataclass(frozen=True)
class Autoscale:
    """A HorizontalPodAutoscaler on average CPU utilisation (percent of a pod's capacity)."""
    min_replicas: int = 1
    max_replicas: int = 10
    target_cpu: int = 80
    scale_up: ScalingRules = SCALE_UP_DEFAULT
    scale_down: ScalingRules = SCALE_DOWN_DEFAULT


@dataclass(frozen=True)
class CanaryStep:
    """Either ``set_weight`` (percent of traffic to the canary) or a pause.

    A pause with ``pause_seconds=None`` waits for ``promote``.
    """
    set_weight: int | None = None
    pause: bool = False
    pause_seconds: float | None = None


@dataclass(frozen=True)
class Analysis:
    """Canary analysis: checked every ``interval`` seconds; ``failure_limit`` failures abort."""
    max_error_rate: float = 0.05
    interval: float = 10
    failure_limit: int = 1


@dataclass(frozen=True)
class Rollout:
    strategy: Strategy = Strategy.ROLLING_UPDATE
    max_surge: int | str = "25%"
    max_unavailable: int | str = "25%"
    steps: tuple[CanaryStep, ...] = ()
    auto_promotion_enabled: bool = True
    auto_promotion_seconds: float | None = None
    scale_down_delay_seconds: float = 30
    analysis: Analysis | None = None


@dataclass(frozen=True)
class ServiceSpec:
    """A validated Service. Everything that shapes a pod is in ``pod_template()``."""
    name: str
    image: str
    replicas: int = 1
    env: tuple[EnvVar, ...] = ()
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    startup_probe: Probe | None = None
    termination_grace_period_seconds: float = 30
    min_ready_seconds: float = 0
    revision_history_limit: int = 10
    progress_deadline_seconds: float = 600
    autoscale: Autoscale | None = None
    rollout: Rollout = field(default_factory=Rollout)
    labels: tuple[tuple[str, str], ...] = ()     # metadata.labels, sorted by key

    def env_value(self, name: str, default: str | None = None) -> str | None:
        for var in self.env:
            if var.name == name:
                return var.value
        return default

    def pod_template(self) -> dict[str, Any]:
        """The part of the spec that makes a pod; a change here is a new revision."""
        def probe(p: Probe | None):
            return None if p is None else {
                "path": p.path, "port": p.port, "initialDelaySeconds": p.initial_delay_seconds,
                "periodSeconds": p.period_seconds, "timeoutSeconds": p.timeout_seconds,
                "successThreshold": p.success_threshold,
                "failureThreshold": p.failure_threshold}
        return {
            "image": self.image,
            "env": [{"name": e.name, "value": e.value} for e in self.env],
            "readinessProbe": probe(self.readiness_probe),
            "livenessProbe": probe(self.liveness_probe),
            "startupProbe": probe(self.startup_probe),
            "terminationGracePeriodSeconds": self.termination_grace_period_seconds,
        }

    def template_hash(self) -> str:
        """A stable 10-character hash of ``pod_template()`` (Kubernetes' pod-template-hash).

        Computed once per spec: the spec is frozen, so the hash cannot change."""
        cached = self.__dict__.get("_template_hash")
        if cached is None:
            text = json.dumps(self.pod_template(), sort_keys=True, separators=(",", ":"))
            cached = hashlib.sha256(text.encode()).hexdigest()[:10]
            object.__setattr__(self, "_template_hash", cached)
        return cached

    @property
    def version(self) -> str:
        """The image tag after ``@`` (``local://demo@v2`` -> ``v2``), or the image itself."""
        return self.image.rsplit("@", 1)[-1] if "@" in self.image else self.image

    def to_dict(self) -> dict[str, Any]:
        """The canonical document, every field explicit: ``load_spec(s.to_dict()) == s``."""
        metadata: dict[str, Any] = {"name": self.name}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        spec: dict[str, Any] = {
            "replicas": self.replicas,
            "image": self.image,
            "env": [{"name": e.name, "value": e.value} for e in self.env],
        }
        for key, probe in (("readinessProbe", self.readiness_probe),
                           ("livenessProbe", self.liveness_probe),
                           ("startupProbe", self.startup_probe)):
            if probe is not None:
                spec[key] = _probe_document(probe)
        spec.update({
            "terminationGracePeriodSeconds": self.termination_grace_period_seconds,
            "minReadySeconds": self.min_ready_seconds,
            "revisionHistoryLimit": self.revision_history_limit,
            "progressDeadlineSeconds": self.progress_deadline_seconds,
        })
        if self.autoscale is not None:
            spec["autoscale"] = _autoscale_document(self.autoscale)
        spec["rollout"] = _rollout_document(self.rollout)
        return {"apiVersion": "t32sim/v1", "kind": "Service", "metadata": metadata,
                "spec": spec}


# --------------------------------------------------------------------------------------
# Canonical documents (the inverse of the readers below).

def _probe_document(probe: Probe) -> dict[str, Any]:
    http: dict[str, Any] = {"path": probe.path}
    if probe.port is not None:
        http["port"] = probe.port
    return {"httpGet": http,
            "initialDelaySeconds": probe.initial_delay_seconds,
            "periodSeconds": probe.period_seconds,
            "timeoutSeconds": probe.timeout_seconds,
            "successThreshold": probe.success_threshold,
            "failureThreshold": probe.failure_threshold}


def _rules_document(rules: ScalingRules) -> dict[str, Any]:
    return {"stabilizationWindowSeconds": rules.stabilization_window_seconds,
            "selectPolicy": rules.select_policy,
            "policies": [{"type": p.type, "value": p.value, "periodSeconds": p.period_seconds}
                         for p in rules.policies]}


def _autoscale_document(autoscale: Autoscale) -> dict[str, Any]:
    return {"min": autoscale.min_replicas, "max": autoscale.max_replicas,
            "targetCPU": autoscale.target_cpu,
            "behavior": {"scaleUp": _rules_document(autoscale.scale_up),
                         "scaleDown": _rules_document(autoscale.scale_down)}}


def _step_document(step: CanaryStep) -> dict[str, Any]:
    if step.set_weight is not None:
        return {"setWeight": step.set_weight}
    return {"pause": {} if step.pause_seconds is None else {"duration": step.pause_seconds}}


def _rollout_document(rollout: Rollout) -> dict[str, Any]:
    doc: dict[str, Any] = {"strategy": rollout.strategy.value}
    if rollout.strategy in (Strategy.ROLLING_UPDATE, Strategy.CANARY):
        doc.update(maxSurge=rollout.max_surge, maxUnavailable=rollout.max_unavailable)
    if rollout.strategy is Strategy.CANARY:
        doc["steps"] = [_step_document(step) for step in rollout.steps]
        if rollout.analysis is not None:
            doc["analysis"] = {"maxErrorRate": rollout.analysis.max_error_rate,
                               "interval": rollout.analysis.interval,
                               "failureLimit": rollout.analysis.failure_limit}
    if rollout.strategy is Strategy.BLUE_GREEN:
        doc["autoPromotionEnabled"] = rollout.auto_promotion_enabled
        if rollout.auto_promotion_seconds is not None:
            doc["autoPromotionSeconds"] = rollout.auto_promotion_seconds
        doc["scaleDownDelaySeconds"] = rollout.scale_down_delay_seconds
    return doc


# --------------------------------------------------------------------------------------
# Limits and vocabularies.

MAX_DOCUMENT_BYTES = 64 * 1024
MAX_YAML_NODES = 10_000          # counted as if every alias were expanded
MAX_YAML_DEPTH = 32
MAX_SECONDS = 86_400             # one day: longer is "absurd" for a classroom cluster
MAX_REPLICAS = 1000
MAX_COUNT = 1000                 # thresholds, history limits, policy values

API_VERSIONS = ("v1", "apps/v1", "t32sim/v1", "argoproj.io/v1alpha1")
KINDS = ("Service", "Deployment", "Rollout")
DEFAULT_CANARY_STEPS = (CanaryStep(set_weight=100),)

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
_ANALYSIS_FIELDS = ("maxErrorRate", "interval", "failureLimit")
_STEP_KEYS = ("percent", "setWeight", "pause")

_ROLLING, _BLUE_GREEN, _CANARY = Strategy.ROLLING_UPDATE, Strategy.BLUE_GREEN, Strategy.CANARY
#: Which strategies each rollout field belongs to (``strategy`` itself belongs to all).
_STRATEGY_FIELDS: dict[str, tuple[Strategy, ...]] = {
    "maxSurge": (_ROLLING, _CANARY),
    "maxUnavailable": (_ROLLING, _CANARY),
    "steps": (_CANARY,),
    "pauseSeconds": (_CANARY,),
    "analysis": (_CANARY,),
    "autoPromotionEnabled": (_BLUE_GREEN,),
    "autoPromotionSeconds": (_BLUE_GREEN,),
    "scaleDownDelaySeconds": (_BLUE_GREEN,),
}
_ROLLOUT_FIELDS = ("strategy",) + tuple(_STRATEGY_FIELDS)
#: ``spec.strategy`` keys (Kubernetes / Argo) and the strategy each one selects.
_K8S_STRATEGY_KEYS = {"type": _ROLLING, "rollingUpdate": _ROLLING,
                      "blueGreen": _BLUE_GREEN, "canary": _CANARY}

#: Hints for fields a student copies from a real Kubernetes manifest.
_FOREIGN_FIELD_HINTS = {
    "status": "status is reported by the cluster, not written in a spec; remove it",
    "template": "t32sim has no pod template; put image, env and probes directly under spec",
    "containers": "t32sim has no pod template; put image, env and probes directly under spec",
    "selector": "t32sim selects pods by the Service name; remove selector",
    "exec": "t32sim probes are httpGet probes only",
    "tcpSocket": "t32sim probes are httpGet probes only",
    "grpc": "t32sim probes are httpGet probes only",
}

_DNS_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LABEL_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_LABEL_PREFIX_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_PERCENT_RE = re.compile(r"([0-9]{1,4})%")
_DURATION_RE = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+(?:\.[0-9]+)?)s)?")
_PLAIN_SECONDS_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")


# --------------------------------------------------------------------------------------
# Showing values in messages: short, whatever was given.

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 4
_REPR.maxlevel = 2


def _show(value: Any) -> str:
    """A short repr of a given value (long strings are cut and their length told)."""
    if isinstance(value, str) and len(value) > _REPR.maxstring:
        return f"{_REPR.repr(value)} ({len(value)} characters)"
    try:
        return _REPR.repr(value)
    except Exception:      # a huge int (over Python's digit limit), a broken __repr__ ...
        return f"a value of type {type(value).__name__} that cannot be shown"


def _closest(word: str, options: tuple[str, ...]) -> str | None:
    """The option a typo most likely meant, or None."""
    for option in options:
        if option.lower() == word.lower():
            return option
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.75)
    return matches[0] if matches else None


# --------------------------------------------------------------------------------------
# Checks: what a field expects, and how to turn a given value into the stored one.

class _Invalid(Exception):
    """Raised by a check; ``hint`` (optional) is appended to the standard message."""

    def __init__(self, hint: str = ""):
        super().__init__(hint)
        self.hint = hint


@dataclass(frozen=True)
class _Check:
    expected: str                      # "an integer 0..1000"
    parse: Callable[[Any], Any]        # given value -> stored value, or raises _Invalid


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite real number that is not a boolean (ints of any size count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if isinstance(value, numbers.Integral):
        return True
    try:
        return math.isfinite(value)
    except OverflowError:              # e.g. a Fraction too large for a float
        return False


def _tidy_number(value: Any) -> int | float:
    """Integral numbers become ints, so 2 and 2.0 store (and hash) the same."""
    number = float(value)
    return int(number) if number.is_integer() else number


def _integer(lo: int, hi: int, what: str = "an integer") -> _Check:
    def parse(value: Any) -> int:
        if not _is_integer(value) or not lo <= value <= hi:
            raise _Invalid
        return int(value)
    return _Check(f"{what} {lo}..{hi}", parse)


def _seconds_in_range(seconds: float, lo: float, hi: float, above: bool) -> bool:
    return (seconds > lo if above else seconds >= lo) and seconds <= hi


def _seconds(lo: float = 0, hi: float = MAX_SECONDS, *, above: bool = False,
             durations: bool = False) -> _Check:
    """A number of seconds (``durations``: also strings like '30s', '5m', '1h')."""
    def parse(value: Any) -> int | float:
        seconds = _duration_seconds(value) if durations and isinstance(value, str) else value
        if not _is_number(seconds) or not _seconds_in_range(seconds, lo, hi, above):
            raise _Invalid
        return _tidy_number(seconds)
    span = f"greater than {lo}, up to {hi}" if above else f"{lo}..{hi}"
    suffix = " (or a duration like '30s', '5m', '1h')" if durations else ""
    return _Check(f"a number of seconds {span}{suffix}", parse)


def _duration_seconds(text: str) -> float | None:
    """'90' -> 90, '30s' -> 30, '5m' -> 300, '1h30m' -> 5400; None if not a duration."""
    text = text.strip()
    if _PLAIN_SECONDS_RE.fullmatch(text):
        return float(text)
    match = _DURATION_RE.fullmatch(text)
    if not text or match is None:
        return None
    hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _choice(options: tuple[str, ...]) -> _Check:
    def parse(value: Any) -> str:
        if isinstance(value, str) and value in options:
            return value
        guess = _closest(value, options) if isinstance(value, str) else None
        raise _Invalid(f"did you mean {guess!r}?" if guess else "")
    expected = ", ".join(repr(o) for o in options)
    return _Check(f"one of {expected}" if len(options) > 1 else expected, parse)


def _strategy_check() -> _Check:
    names = tuple(s.value for s in Strategy)
    choice = _choice(names)
    return _Check(choice.expected, lambda value: Strategy(choice.parse(value)))


def _pattern(regex: re.Pattern[str], expected: str, max_length: int = 10_000) -> _Check:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or len(value) > max_length or not regex.fullmatch(value):
            raise _Invalid
        return value
    return _Check(expected, parse)


def _boolean_parse(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid
    return value


def _env_value_parse(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if _is_integer(value) or _is_number(value):
        try:
            return str(value)
        except ValueError:              # more digits than Python will print
            raise _Invalid from None
    raise _Invalid


def _fraction_parse(value: Any) -> int | float:
    if not _is_number(value) or not 0 <= value <= 1:
        raise _Invalid
    return value


def _int_or_percent(max_percent: int) -> _Check:
    """Kubernetes' IntOrString: an integer, or a string of digits followed by '%'."""
    def parse(value: Any) -> int | str:
        if _is_integer(value) and 0 <= value <= MAX_REPLICAS:
            return int(value)
        match = _PERCENT_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None or int(match.group(1)) > max_percent:
            raise _Invalid
        return f"{int(match.group(1))}%"
    return _Check(f"an integer 0..{MAX_REPLICAS} or a percentage '0%'..'{max_percent}%'",
                  parse)


_DNS_LABEL = _pattern(_DNS_LABEL_RE, "a DNS-1123 label (1..63 lowercase letters, digits "
                      "and '-', starting and ending with a letter or digit)", max_length=63)
_IMAGE = _pattern(re.compile(r"\S+"), "a non-empty image reference without spaces, "
                  "like 'local://demo@v1'")
_ENV_NAME = _pattern(_ENV_NAME_RE, "an environment variable name (letters, digits and "
                     "'_', not starting with a digit)", max_length=256)
_ENV_VALUE = _Check("a string (numbers and booleans are converted)", _env_value_parse)
_HTTP_PATH = _pattern(re.compile(r"/\S*"), "an HTTP path starting with '/'", max_length=2048)
_BOOLEAN = _Check("true or false", _boolean_parse)
_FRACTION = _Check("a number 0..1", _fraction_parse)
_WEIGHT = _integer(0, 100, "an integer percentage")
_PORT = _integer(1, 65535)
_REPLICAS = _integer(0, MAX_REPLICAS)
_THRESHOLD = _integer(1, MAX_COUNT)
_ONLY_ONE = _Check("1 (Kubernetes requires successThreshold 1 for liveness and startup "
                   "probes)", _integer(1, 1).parse)
_STRATEGY = _strategy_check()
_SURGE = _int_or_percent(1000)
_UNAVAILABLE = _int_or_percent(100)


# --------------------------------------------------------------------------------------
# The reader: one mapping at one path; it converts fields and collects errors.

class _Reader:
    """Reads the fields of one mapping at ``path``, appending problems to ``errors``."""

    def __init__(self, errors: list[tuple[str, str]], path: str, data: dict[str, Any]):
        self.errors = errors
        self.path = path
        self.data = data
        self.bad: set[str] = set()

    @classmethod
    def open(cls, errors: list[tuple[str, str]], path: str, value: Any,
             fields: tuple[str, ...], what: str) -> _Reader | None:
        """A reader over ``value`` if it is a mapping; unknown field names are errors."""
        if not isinstance(value, Mapping):
            errors.append((path, f"expected {what}, got {_show(value)}"))
            return None
        data: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                errors.append((path, f"expected field names to be strings, got {_show(key)}"))
            elif key not in fields:
                errors.append((_join(path, key), _unknown_field(key, fields)))
            else:
                data[key] = item
        return cls(errors, path, data)

    def at(self, key: str) -> str:
        return _join(self.path, key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def ok(self, *keys: str) -> bool:
        """True if none of ``keys`` had an error."""
        return not self.bad.intersection(keys)

    def error(self, key: str, message: str) -> None:
        self.errors.append((self.at(key), message))
        self.bad.add(key)

    def get(self, key: str, check: _Check, default: Any = None) -> Any:
        """The checked value of ``key``, or ``default`` if it is absent or invalid."""
        value = self.data.get(key)
        if value is None:
            return default
        try:
            return check.parse(value)
        except _Invalid as invalid:
            hint = f"; {invalid.hint}" if invalid.hint else ""
            self.error(key, f"expected {check.expected}, got {_show(value)}{hint}")
            return default

    def require(self, key: str, check: _Check) -> Any:
        if not self.has(key):
            self.error(key, f"missing required field; expected {check.expected}")
            return None
        return self.get(key, check)

    def mapping(self, key: str, fields: tuple[str, ...], what: str,
                required: bool = False) -> _Reader | None:
        """A reader for the nested mapping at ``key`` (None if absent or not a mapping)."""
        if not self.has(key):
            if required:
                self.error(key, f"missing required field; expected {what}")
            return None
        reader = _Reader.open(self.errors, self.at(key), self.data[key], fields, what)
        if reader is None:
            self.bad.add(key)
        return reader

    def items(self, key: str, what: str) -> list[tuple[str, Any]] | None:
        """``(path, item)`` for each item of the list at ``key`` (None if absent or bad)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            self.error(key, f"expected {what}, got {_show(value)}")
            return None
        return [(f"{self.at(key)}[{index}]", item) for index, item in enumerate(value)]


def _join(path: str, key: str) -> str:
    shown = key if len(key) <= 40 else key[:37] + "..."
    return f"{path}.{shown}" if path else shown


def _unknown_field(key: str, fields: tuple[str, ...]) -> str:
    if key in _FOREIGN_FIELD_HINTS:
        return f"unknown field; {_FOREIGN_FIELD_HINTS[key]}"
    guess = _closest(key, fields)
    if guess:
        return f"unknown field; did you mean {guess!r}?"
    return "unknown field; expected one of " + ", ".join(repr(f) for f in fields)


# --------------------------------------------------------------------------------------
# Readers for each part of the document. Each returns a value even when it found errors
# (defaults stand in for bad values); load_spec raises if any error was collected.

def _read_document(doc: Any, errors: list[tuple[str, str]]) -> ServiceSpec | None:
    top = _Reader.open(errors, "", doc, _TOP_FIELDS,
                       "a Service document (a mapping with apiVersion, kind, metadata, spec)")
    if top is None:
        return None
    top.require("apiVersion", _choice(API_VERSIONS))
    top.require("kind", _choice(KINDS))
    meta = top.mapping("metadata", _METADATA_FIELDS, "a mapping like {name: api}",
                       required=True)
    name = meta.require("name", _DNS_LABEL) if meta else None
    labels = _read_labels(meta) if meta else ()
    spec = top.mapping("spec", _SPEC_FIELDS, "a mapping with at least an image",
                       required=True)
    if spec is None:
        return None
    return _read_spec(spec, name, labels)


def _read_labels(meta: _Reader) -> tuple[tuple[str, str], ...]:
    value = meta.data.get("labels")
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        meta.error("labels", f"expected a mapping of label names to strings, got {_show(value)}")
        return ()
    labels = []
    for key, item in value.items():
        if not _is_label_key(key):
            meta.error("labels", "expected label names like 'app' or 'example.com/tier' "
                       f"(at most 63 letters, digits, '-', '_', '.'), got {_show(key)}")
        elif not isinstance(item, str) or not (item == "" or _is_label_name(item)):
            meta.errors.append((_join(meta.at("labels"), key),
                                "expected a label value (a string of at most 63 letters, "
                                f"digits, '-', '_', '.'), got {_show(item)}"))
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


def _read_spec(r: _Reader, name: str | None,
               labels: tuple[tuple[str, str], ...]) -> ServiceSpec:
    replicas = r.get("replicas", _REPLICAS, 1)
    image = r.require("image", _IMAGE)
    env = _read_env(r)
    readiness = _read_probe(r, "readinessProbe", restarts=False)
    liveness = _read_probe(r, "livenessProbe", restarts=True)
    startup = _read_probe(r, "startupProbe", restarts=True)
    grace = r.get("terminationGracePeriodSeconds", _seconds(), 30)
    min_ready = r.get("minReadySeconds", _seconds(), 0)
    history = r.get("revisionHistoryLimit", _integer(0, MAX_COUNT), 10)
    deadline = r.get("progressDeadlineSeconds", _seconds(above=True), 600)
    if r.ok("minReadySeconds", "progressDeadlineSeconds") and deadline <= min_ready:
        given = "" if r.has("progressDeadlineSeconds") else " (the default)"
        r.error("progressDeadlineSeconds",
                f"expected more than minReadySeconds ({min_ready}), got {deadline}{given}")
    return ServiceSpec(
        name=name, image=image, replicas=replicas, env=env, readiness_probe=readiness,
        liveness_probe=liveness, startup_probe=startup,
        termination_grace_period_seconds=grace, min_ready_seconds=min_ready,
        revision_history_limit=history, progress_deadline_seconds=deadline,
        autoscale=_read_autoscale(r), rollout=_read_rollout(r), labels=labels)


def _read_env(r: _Reader) -> tuple[EnvVar, ...]:
    env: list[EnvVar] = []
    first_seen: dict[str, str] = {}
    for path, item in r.items("env", "a list of {name, value} mappings") or ():
        var = _Reader.open(r.errors, path, item, ("name", "value"), "a mapping {name, value}")
        if var is None:
            continue
        name = var.require("name", _ENV_NAME)
        value = var.get("value", _ENV_VALUE, "")
        if name is not None and name in first_seen:
            var.error("name", f"expected a unique name, got {name!r} again "
                              f"(first at {first_seen[name]})")
        elif name is not None:
            first_seen[name] = var.at("name")
        env.append(EnvVar(name, value))
    return tuple(env)


def _read_probe(spec: _Reader, key: str, *, restarts: bool) -> Probe | None:
    """A probe; ``restarts`` (liveness, startup) requires successThreshold 1."""
    p = spec.mapping(key, _PROBE_FIELDS, "a probe mapping like {httpGet: {path: /healthz}}")
    if p is None:
        return None
    http = p.mapping("httpGet", ("path", "port"), "a mapping like {path: /healthz}",
                     required=True)
    return Probe(
        path=http.get("path", _HTTP_PATH, "/") if http else "/",
        port=http.get("port", _PORT) if http else None,
        initial_delay_seconds=p.get("initialDelaySeconds", _seconds(), 0),
        period_seconds=p.get("periodSeconds", _seconds(1), 10),
        timeout_seconds=p.get("timeoutSeconds", _seconds(1), 1),
        success_threshold=p.get("successThreshold", _ONLY_ONE if restarts else _THRESHOLD, 1),
        failure_threshold=p.get("failureThreshold", _THRESHOLD, 3))


def _read_autoscale(spec: _Reader) -> Autoscale | None:
    a = spec.mapping("autoscale", _AUTOSCALE_FIELDS,
                     "a mapping like {min: 1, max: 5, targetCPU: 80}")
    if a is None:
        return None
    kubernetes_style = any(a.has(k8s) for _, k8s in _AUTOSCALE_SPELLINGS)
    min_key, max_key, target_key = (_pick_spelling(a, original, k8s, kubernetes_style)
                                    for original, k8s in _AUTOSCALE_SPELLINGS)
    low = a.get(min_key, _integer(1, MAX_REPLICAS), 1)
    high = a.require(max_key, _integer(1, MAX_REPLICAS))
    if high is not None and a.ok(min_key) and high < low:
        a.error(max_key, f"expected at least {min_key} ({low}), got {high}")
    behavior = a.mapping("behavior", ("scaleUp", "scaleDown"),
                         "a mapping with scaleUp and/or scaleDown")
    return Autoscale(
        min_replicas=low, max_replicas=high if high is not None else low,
        target_cpu=a.get(target_key, _integer(1, 100, "a CPU percentage"), 80),
        scale_up=_read_rules(behavior, "scaleUp", SCALE_UP_DEFAULT),
        scale_down=_read_rules(behavior, "scaleDown", SCALE_DOWN_DEFAULT))


def _pick_spelling(a: _Reader, original: str, k8s: str, kubernetes_style: bool) -> str:
    """Which of two spellings of one setting to read; giving both is an error."""
    if a.has(original) and a.has(k8s):
        a.error(k8s, f"expected only one of {original!r} and {k8s!r}, got both")
        return original
    if a.has(k8s) or (kubernetes_style and not a.has(original)):
        return k8s
    return original


def _read_rules(behavior: _Reader | None, key: str, default: ScalingRules) -> ScalingRules:
    """One HPA behavior direction; what is not given comes from ``default``."""
    r = behavior.mapping(key, _RULES_FIELDS, "a mapping with stabilizationWindowSeconds, "
                         "selectPolicy and/or policies") if behavior else None
    if r is None:
        return default
    return ScalingRules(
        stabilization_window_seconds=r.get("stabilizationWindowSeconds",
                                           _integer(0, 3600, "an integer number of seconds"),
                                           default.stabilization_window_seconds),
        select_policy=r.get("selectPolicy", _choice(("Max", "Min", "Disabled")),
                            default.select_policy),
        policies=_read_policies(r) or default.policies)


def _read_policies(r: _Reader) -> tuple[ScalingPolicy, ...]:
    what = "a non-empty list of {type, value, periodSeconds} mappings"
    items = r.items("policies", what)
    if items == []:
        r.error("policies", f"expected {what}, got []")
    policies = []
    for path, item in items or ():
        p = _Reader.open(r.errors, path, item, _POLICY_FIELDS, "a mapping {type, value, "
                         "periodSeconds}")
        if p is not None:
            policies.append(ScalingPolicy(
                type=p.require("type", _choice(("Pods", "Percent"))),
                value=p.require("value", _integer(1, MAX_COUNT)),
                period_seconds=p.require("periodSeconds",
                                         _integer(1, 1800, "an integer number of seconds"))))
    return tuple(policies)


# --- rollout ----------------------------------------------------------------------------

def _read_rollout(spec: _Reader) -> Rollout:
    if spec.has("rollout") and spec.has("strategy"):
        spec.error("strategy", "expected either rollout (t32sim) or strategy "
                               "(Kubernetes/Argo), got both")
    elif spec.has("strategy"):
        return _read_k8s_strategy(spec)
    r = spec.mapping("rollout", _ROLLOUT_FIELDS, "a mapping like {strategy: Canary}")
    if r is None:
        return Rollout()
    strategy = r.get("strategy", _STRATEGY, _ROLLING)
    if not r.ok("strategy"):
        return Rollout()            # the other fields cannot be judged without it
    for key, strategies in _STRATEGY_FIELDS.items():
        if r.has(key) and strategy not in strategies:
            names = " or ".join(s.value for s in strategies)
            r.error(key, f"applies only to strategy {names}, but strategy is {strategy.value!r}")
    return _read_strategy_settings(r, strategy)


def _read_k8s_strategy(spec: _Reader) -> Rollout:
    """``spec.strategy`` as Kubernetes ({type, rollingUpdate}) or Argo ({blueGreen}|{canary})."""
    s = spec.mapping("strategy", tuple(_K8S_STRATEGY_KEYS), "a mapping like "
                     "{type: RollingUpdate}, {blueGreen: {}} or {canary: {steps: [...]}}")
    if s is None:
        return Rollout()
    given = [key for key in _K8S_STRATEGY_KEYS if key in s.data]
    chosen = {_K8S_STRATEGY_KEYS[key] for key in given}
    if len(chosen) > 1:
        spec.error("strategy", "expected one strategy, got "
                               + " and ".join(repr(key) for key in given))
        return Rollout()
    strategy = chosen.pop() if chosen else _ROLLING
    if strategy is _ROLLING:
        s.get("type", _choice((_ROLLING.value,)))
        key = "rollingUpdate"
    else:
        key = "blueGreen" if strategy is _BLUE_GREEN else "canary"
    fields = tuple(f for f, strategies in _STRATEGY_FIELDS.items() if strategy in strategies)
    settings = s.mapping(key, fields, "a mapping of " + ", ".join(fields))
    return _read_strategy_settings(settings or _Reader(s.errors, s.at(key), {}), strategy)


def _read_strategy_settings(r: _Reader, strategy: Strategy) -> Rollout:
    """The fields of ``r`` that belong to ``strategy`` (the others were judged already)."""
    rollout = Rollout(strategy=strategy)
    if strategy in (_ROLLING, _CANARY):
        rollout = replace(rollout, **_read_surge(r))
    if strategy is _CANARY:
        rollout = replace(rollout, steps=_read_steps(r), analysis=_read_analysis(r))
    if strategy is _BLUE_GREEN:
        rollout = replace(rollout, **_read_promotion(r))
    return rollout


def _read_surge(r: _Reader) -> dict[str, Any]:
    surge = r.get("maxSurge", _SURGE, "25%")
    unavailable = r.get("maxUnavailable", _UNAVAILABLE, "25%")
    if r.ok("maxSurge", "maxUnavailable") and _is_zero(surge) and _is_zero(unavailable):
        r.error("maxUnavailable", f"expected a value above 0 when maxSurge is {_show(surge)} "
                                  f"(else no pod could ever be replaced), got {_show(unavailable)}")
    return {"max_surge": surge, "max_unavailable": unavailable}


def _read_promotion(r: _Reader) -> dict[str, Any]:
    """BlueGreen: when the new version is promoted, and how long the old one lingers."""
    enabled = r.get("autoPromotionEnabled", _BOOLEAN, True)
    after = r.get("autoPromotionSeconds", _seconds())
    if after is not None and enabled is False:
        r.error("autoPromotionSeconds", "expected no autoPromotionSeconds when "
                                        f"autoPromotionEnabled is false, got {after}")
    return {"auto_promotion_enabled": enabled, "auto_promotion_seconds": after,
            "scale_down_delay_seconds": r.get("scaleDownDelaySeconds", _seconds(), 30)}


def _is_zero(value: int | str) -> bool:
    return value in (0, "0%")


def _read_analysis(r: _Reader) -> Analysis | None:
    a = r.mapping("analysis", _ANALYSIS_FIELDS, "a mapping like {maxErrorRate: 0.05}")
    if a is None:
        return None
    return Analysis(
        max_error_rate=a.get("maxErrorRate", _FRACTION, 0.05),
        interval=a.get("interval", _seconds(above=True, durations=True), 10),
        failure_limit=a.get("failureLimit", _integer(1, MAX_COUNT), 1))


# --- canary steps -------------------------------------------------------------------------

_PERCENT_FORM, _ARGO_FORM = "{percent: N} steps", "setWeight/pause steps"


def _read_steps(r: _Reader) -> tuple[CanaryStep, ...]:
    """Canary steps in either form, normalised to setWeight/pause steps."""
    pause_seconds = r.get("pauseSeconds", _seconds())
    steps: list[CanaryStep] = []
    form, first_index = None, 0
    for index, (path, item) in enumerate(r.items("steps", "a list of canary steps") or ()):
        step = _Reader.open(r.errors, path, item, _STEP_KEYS,
                            "a step like {setWeight: 25} or {pause: {duration: 30}}")
        if step is None:
            continue
        keys = [key for key in _STEP_KEYS if key in step.data]
        if not keys and len(item) > len(step.data):
            continue                # its unknown fields were reported by open()
        if len(keys) != 1:
            got = " and ".join(repr(k) for k in keys) if keys else "none"
            r.errors.append((path, "expected exactly one of 'percent', 'setWeight', "
                                   f"'pause', got {got}"))
            continue
        this_form = _PERCENT_FORM if keys == ["percent"] else _ARGO_FORM
        if form is None:
            form, first_index = this_form, index
        elif this_form != form:
            r.errors.append((path, f"expected {form} like steps[{first_index}], got "
                                   f"{_show(item)}; one list cannot mix both forms"))
            continue
        steps.append(_read_step(step, keys[0]))
    if r.has("pauseSeconds") and r.ok("pauseSeconds") and form != _PERCENT_FORM:
        r.error("pauseSeconds", "applies only to {percent: N} steps, got "
                + (f"{_ARGO_FORM}; write {{pause: {{duration: N}}}} steps instead"
                   if form else "no steps"))
    if form == _PERCENT_FORM and pause_seconds:
        steps = _interleave_pauses(steps, pause_seconds)
    return tuple(steps) or DEFAULT_CANARY_STEPS


def _read_step(step: _Reader, key: str) -> CanaryStep:
    if key in ("percent", "setWeight"):
        return CanaryStep(set_weight=step.require(key, _WEIGHT))
    pause = step.mapping("pause", ("duration",), "a mapping like {duration: 30} "
                         "(or {} to wait for promote)")
    duration = pause.get("duration", _seconds(durations=True)) if pause else None
    return CanaryStep(pause=True, pause_seconds=duration)


def _interleave_pauses(weights: list[CanaryStep], seconds: float) -> list[CanaryStep]:
    """setWeight a, setWeight b -> setWeight a, pause, setWeight b (none after the last)."""
    steps: list[CanaryStep] = []
    for step in weights:
        if steps:
            steps.append(CanaryStep(pause=True, pause_seconds=seconds))
        steps.append(step)
    return steps


# --------------------------------------------------------------------------------------
# YAML, read defensively.

_MERGE_TAG = "tag:yaml.org,2002:merge"

try:    # libyaml scans and parses in C; composing and constructing stay in Python (below)
    from yaml._yaml import CParser as _CParser
except ImportError:                                    # pragma: no cover - pure-Python PyYAML
    _CParser = None

if _CParser is not None:
    class _SafeLoaderBase(Composer, _CParser, SafeConstructor, Resolver):
        """yaml.CSafeLoader's parts, but with the Python composer so nodes can be counted."""

        def __init__(self, text: str):
            _CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
else:                                                  # pragma: no cover
    _SafeLoaderBase = yaml.SafeLoader


class _GuardedLoader(_SafeLoaderBase):
    """A SafeLoader that refuses alias bombs and deep nesting while composing.

    Nodes are counted as if every alias were expanded (an alias counts the size of the
    node it names), so a "billion laughs" document stops after MAX_YAML_NODES nodes.
    """

    def __init__(self, text: str):
        super().__init__(text)
        self._expanded_size: dict[int, int] = {}   # id(node) -> node count, aliases expanded
        self._count = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._expanded_size.get(id(target))
                if size is None:
                    raise _refuse(f"alias *{event.anchor} refers to a node that contains it",
                                  event.start_mark)
                self._add(size, event.start_mark)
            return super().compose_node(parent, index)
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise _refuse(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", mark)
        before = self._count
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._add(1, mark)
        self._expanded_size[id(node)] = self._count - before
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        """As SafeLoader, but a key given twice in one mapping is an error (merges aside)."""
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node)
                if key in first_line:
                    raise _invalid_yaml(f"duplicate field {key!r} (first at line "
                                        f"{first_line[key]})", key_node.start_mark)
                first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def _add(self, nodes: int, mark: Any) -> None:
        self._count += nodes
        if self._count > MAX_YAML_NODES:
            raise _refuse(f"YAML with more than {MAX_YAML_NODES} nodes once aliases are "
                          "expanded (an alias bomb?)", mark)


def _refuse(problem: str, mark: Any) -> SpecError:
    return SpecError([("", f"refused {problem}, at line {mark.line + 1}, "
                           f"column {mark.column + 1}")])


def _invalid_yaml(problem: str, mark: Any) -> SpecError:
    return SpecError([("", f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: "
                           f"{problem}")])


def _check_size(size: int) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise SpecError([("", f"expected a document of at most {MAX_DOCUMENT_BYTES} bytes "
                              f"(64 KiB), got {size} bytes")])


def _parse_yaml(text: str) -> Any:
    """One YAML document -> Python data (safe types only), or SpecError."""
    if len(text) > MAX_DOCUMENT_BYTES:          # cheap test first: a char is >= 1 byte
        _check_size(len(text))
    _check_size(len(text.encode("utf-8", "surrogatepass")))
    loader = None
    try:
        loader = _GuardedLoader(text)
        if not loader.check_node():
            return None
        node = loader.get_node()
        if loader.check_node():
            mark = loader.peek_event().start_mark
            raise SpecError([("", "expected a single YAML document, got another one at "
                                  f"line {mark.line + 1}")])
        return loader.construct_document(node)
    except SpecError:
        raise
    except yaml.MarkedYAMLError as error:
        raise SpecError([("", _yaml_error_message(error))]) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise SpecError([("", f"invalid YAML at line {line}: unacceptable character "
                              f"{chr(error.character)!r} ({error.reason})")]) from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as error:
        raise SpecError([("", f"invalid YAML: {str(error)[:200]}")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_error_message(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = error.problem or error.context or "unreadable"
    context = ""
    if error.context and error.problem:
        started = error.context_mark
        context = (f" ({error.context} started at line {started.line + 1}, column "
                   f"{started.column + 1})" if started else f" ({error.context})")
    return f"invalid YAML{where}: {problem}{context}"


def _read_file(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise SpecError([("", f"cannot read spec file {str(path)!r}: no such file")]) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SpecError([("", f"cannot read spec file {str(path)!r}: {reason}")]) from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SpecError([("", f"expected a document of at most {MAX_DOCUMENT_BYTES} bytes "
                              f"(64 KiB), got {max(size, len(data))} bytes in {str(path)!r}")])
    return _decode(data)


def _decode(data: bytes) -> str:
    _check_size(len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError([("", f"expected UTF-8 text, got byte {data[error.start]:#04x} at "
                              f"offset {error.start}")]) from None


def _is_path(source: Any) -> bool:
    if isinstance(source, os.PathLike):
        return True
    return (isinstance(source, str) and "\n" not in source
            and source.strip().endswith((".yaml", ".yml")))


# --------------------------------------------------------------------------------------

def load_spec(source: str | Path | bytes | Mapping[str, Any] | ServiceSpec) -> ServiceSpec:
    """Accept a path, YAML text (str or bytes), a mapping or a ServiceSpec.

    Returns a validated ``ServiceSpec``; raises ``SpecError`` listing every problem.
    A str without newlines ending in .yaml/.yml is a path; other strings are YAML text.
    """
    if isinstance(source, ServiceSpec):
        return source
    if _is_path(source):
        doc = _parse_yaml(_read_file(Path(os.fspath(source).strip())))
    elif isinstance(source, (bytes, bytearray)):
        doc = _parse_yaml(_decode(bytes(source)))
    elif isinstance(source, str):
        doc = _parse_yaml(source)
    else:
        doc = source
    if doc is None:
        raise SpecError([("", "expected a Service document (a mapping with apiVersion, "
                              "kind, metadata, spec), got an empty document")])
    errors: list[tuple[str, str]] = []
    spec = _read_document(doc, errors)
    if errors or spec is None:
        raise SpecError(errors)
    return spec

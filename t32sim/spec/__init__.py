"""The Service spec: YAML text, a path or a dict becomes a frozen, validated ServiceSpec.

Both the original t32 format and the Kubernetes / Argo Rollouts names are accepted
and normalised into one shape, so the engine only ever sees a ``ServiceSpec``.
Every problem is collected and raised at once as ``SpecError(errors=[(path, message)])``.

Real manifests are read too (``manifests.py``): ``apps/v1 Deployment`` and Argo
``Rollout`` with a pod template become a ServiceSpec named after the workload, ``v1
Service`` a ServiceSelector, an ``autoscaling/v2`` (or ``v1``) HorizontalPodAutoscaler an
HPA object, other kinds are Skipped; ``load_manifests`` returns them all with the notes on what is
not simulated, ``load_spec`` the one workload. The rest of this docstring is t32sim's own
format.

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
  interval [10], failureLimit [0]: more failures than that abort}; BlueGreen: ``autoPromotionEnabled`` [true],
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

from t32sim.spec.errors import SpecError
from t32sim.spec.limits import (
    API_VERSIONS, DEFAULT_CANARY_STEPS, KINDS, MAX_COUNT, MAX_DOCUMENT_BYTES, MAX_REPLICAS,
    MAX_SECONDS, MAX_YAML_DEPTH, MAX_YAML_NODES,
)
from t32sim.spec.load import load_spec
from t32sim.spec.manifests import load_manifests
from t32sim.spec.model import (
    SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Analysis, Autoscale, CanaryStep, EnvVar, Probe,
    ProbeAction, Rollout, ScalingPolicy, ScalingRules, ServiceSpec, Strategy,
)
from t32sim.spec.objects import (
    Entry, HorizontalPodAutoscaler, Manifests, Note, ServiceSelector, Skipped, describe_object,
    with_autoscale,
)

__all__ = [
    "SpecError", "ServiceSpec", "Probe", "EnvVar", "Autoscale", "ScalingPolicy",
    "ScalingRules", "Strategy", "CanaryStep", "Analysis", "Rollout", "load_spec",
    "load_manifests", "Manifests", "Entry", "Note", "ServiceSelector",
    "HorizontalPodAutoscaler", "Skipped", "ProbeAction", "describe_object", "with_autoscale",
]

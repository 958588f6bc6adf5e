"""A Kubernetes ``v1 Service`` and an ``autoscaling/v2 HorizontalPodAutoscaler`` manifest.

A Service selects pods by label and is the load balancer in front of them; t32sim reads
its selector (ports, types and IPs are noted, not simulated). An HPA names its target
(``scaleTargetRef``), its replica range, a CPU utilisation target relative to the pods'
``resources.requests.cpu`` (80 % when no metric is given, as Kubernetes defaults), and
its ``behavior``; an ``autoscaling/v1`` HPA has ``targetCPUUtilizationPercentage`` instead
of metrics and no behavior.
"""
from __future__ import annotations

from t32sim.spec.checks import DNS_LABEL, choice_check, integer_check
from t32sim.spec.flat import read_rules
from t32sim.spec.labels import read_labels
from t32sim.spec.limits import MAX_REPLICAS
from t32sim.spec.model import SCALE_DOWN_DEFAULT, SCALE_UP_DEFAULT, Autoscale
from t32sim.spec.objects import HorizontalPodAutoscaler, ServiceSelector
from t32sim.spec.reader import Reader
from t32sim.spec.object_meta import METADATA_UNSIMULATED

#: the Kubernetes ServiceSpec fields besides selector (a document with one of them and no
#: ``image`` is a Kubernetes Service, not t32sim's own)
SERVICE_UNSIMULATED = {key: why for keys, why in [
    (("ports",), "requests reach the pods, whatever the port"),
    (("type", "clusterIP", "clusterIPs", "externalIPs", "externalName", "loadBalancerIP",
      "loadBalancerSourceRanges", "loadBalancerClass", "allocateLoadBalancerNodePorts",
      "healthCheckNodePort", "ipFamilies", "ipFamilyPolicy"),
     "how the Service is reached from outside (t32sim calls it by name)"),
    (("sessionAffinity", "sessionAffinityConfig"), "sticky sessions"),
    (("externalTrafficPolicy", "internalTrafficPolicy", "trafficDistribution",
      "publishNotReadyAddresses"), "traffic policies"),
] for key in keys}
_TARGET_KINDS = ("Deployment", "Rollout")
_METRIC_TYPES = ("Resource", "Pods", "Object", "External", "ContainerResource")
_OTHER_METRICS = {key: "metrics other than CPU (t32sim scales on CPU only)"
                  for key in ("pods", "object", "external", "containerResource")}
_ABSOLUTE_TARGETS = {key: "CPU targets as absolute values (t32sim scales on utilisation)"
                     for key in ("averageValue", "value")}
_RULES_UNSIMULATED = {"tolerance": "a per-direction tolerance (the default 10 % applies)"}


def read_service(top: Reader) -> ServiceSelector | None:
    meta = top.mapping("metadata", ("name",), "a mapping like {name: web}", required=True,
                       unsimulated=METADATA_UNSIMULATED)
    name = meta.require("name", DNS_LABEL) if meta else None
    spec = top.mapping("spec", ("selector",), "a mapping like {selector: {app: web}}",
                       unsimulated=SERVICE_UNSIMULATED)
    selector = read_labels(spec, "selector") if spec else ()
    if spec is not None and not spec.has("selector"):
        spec.note("selector", "a Service without a selector gets its endpoints by hand, "
                              "so it sends requests to no simulated pod")
    return None if name is None else ServiceSelector(name, selector)


def read_hpa(top: Reader, api_version: str | None = "autoscaling/v2"
             ) -> HorizontalPodAutoscaler | None:
    """An HPA of ``autoscaling/v2`` (``metrics``, ``behavior``) or ``autoscaling/v1``
    (``targetCPUUtilizationPercentage``, which older docs and ``kubectl autoscale`` write)."""
    meta = top.mapping("metadata", ("name",), "a mapping like {name: web}", required=True,
                       unsimulated=METADATA_UNSIMULATED)
    name = meta.require("name", DNS_LABEL) if meta else None
    v1 = api_version == "autoscaling/v1"
    fields = ("scaleTargetRef", "minReplicas", "maxReplicas") + (
        ("targetCPUUtilizationPercentage",) if v1 else ("metrics", "behavior"))
    spec = top.mapping("spec", fields,
                       "a mapping with scaleTargetRef, minReplicas and maxReplicas",
                       required=True)
    if spec is None:
        return None
    ref = spec.mapping("scaleTargetRef", ("apiVersion", "kind", "name"),
                       "a mapping like {apiVersion: apps/v1, kind: Deployment, name: web}",
                       required=True)
    kind = ref.require("kind", choice_check(_TARGET_KINDS)) if ref else None
    target = ref.require("name", DNS_LABEL) if ref else None
    if ref is not None and kind is not None:
        ref.get("apiVersion", choice_check(("apps/v1",) if kind == "Deployment"
                                           else ("argoproj.io/v1alpha1",)))
    low = spec.get("minReplicas", integer_check(1, MAX_REPLICAS), 1)
    high = spec.require("maxReplicas", integer_check(1, MAX_REPLICAS))
    if high is not None and spec.ok("minReplicas") and high < low:
        spec.error("maxReplicas", f"expected at least minReplicas ({low}), got {high}")
    behavior = spec.mapping("behavior", ("scaleUp", "scaleDown"),
                            "a mapping with scaleUp and/or scaleDown")
    target_cpu = spec.get("targetCPUUtilizationPercentage",
                          integer_check(1, 1000, "a CPU percentage"), 80) if v1 \
        else _read_cpu_target(spec)
    autoscale = Autoscale(
        min_replicas=low, max_replicas=high if high is not None else low,
        target_cpu=target_cpu,
        scale_up=read_rules(behavior, "scaleUp", SCALE_UP_DEFAULT, _RULES_UNSIMULATED),
        scale_down=read_rules(behavior, "scaleDown", SCALE_DOWN_DEFAULT, _RULES_UNSIMULATED))
    if name is None or kind is None or target is None:
        return None
    return HorizontalPodAutoscaler(name, kind, target, autoscale)


def _read_cpu_target(spec: Reader) -> int:
    """The ``averageUtilization`` of the cpu Resource metric; 80 with no metrics at all."""
    items = spec.items("metrics", "a list of metrics like [{type: Resource, resource: "
                                  "{name: cpu, target: {type: Utilization, "
                                  "averageUtilization: 50}}}]")
    target = None
    for path, item in items or ():
        metric = Reader.open(spec.errors, path, item, ("type", "resource"),
                             "a metric like {type: Resource, resource: {...}}",
                             unsimulated=_OTHER_METRICS, notes=spec.notes)
        if metric is None:
            continue
        kind = metric.require("type", choice_check(_METRIC_TYPES))
        resource = metric.mapping("resource", ("name", "target"),
                                  "a mapping like {name: cpu, target: {...}}")
        if kind != "Resource" or resource is None:
            if kind is not None and not any(key in item for key in _OTHER_METRICS):
                metric.note("type", f"{kind} metrics (t32sim scales on CPU only)")
            continue
        if resource.get("name", choice_check(("cpu", "memory"))) != "cpu":
            metric.note("resource", "memory metrics (t32sim scales on CPU only)")
            continue
        goal = resource.mapping("target", ("type", "averageUtilization"),
                                "a mapping like {type: Utilization, averageUtilization: 50}",
                                required=True, unsimulated=_ABSOLUTE_TARGETS)
        if goal is None:
            continue
        if goal.get("type", choice_check(("Utilization", "AverageValue", "Value"))) \
                != "Utilization":
            goal.note("type", "CPU targets as absolute values (t32sim scales on "
                              "utilisation)")
            continue
        target = goal.require("averageUtilization", integer_check(1, 1000,
                                                                   "a CPU percentage"))
    if target is None and items:
        spec.note("metrics", "no CPU utilisation target among the metrics, so t32sim uses "
                             "Kubernetes' default of 80 %")
    return target if target is not None else 80

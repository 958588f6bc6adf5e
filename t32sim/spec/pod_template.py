"""A Deployment's or Rollout's pod template -> the ServiceSpec fields that shape a pod.

The first container is the app: its image, env, probes and ``resources.requests.cpu``;
the pod's ``terminationGracePeriodSeconds``; the template's labels (what Services and the
selector match). Every other field Kubernetes knows is accepted and noted as not
simulated; a field Kubernetes does not know is an error, as ``kubectl apply`` (strict
field validation) makes it.

The annotation ``t32sim/image`` on the template names the simulated image to run instead
of the real one (``t32sim export`` writes it, so an exported ``local://demo@crash``
still crashes when it is applied again).
"""
from __future__ import annotations

from typing import Any

from t32sim.spec.checks import DNS_LABEL, IMAGE, choice_check, seconds_check, show
from t32sim.spec.flat import read_env, read_resources
from t32sim.spec.labels import read_labels
from t32sim.spec.object_meta import TEMPLATE_METADATA_UNSIMULATED
from t32sim.spec.probes import read_probe
from t32sim.spec.reader import Reader

SIMULATED_IMAGE_ANNOTATION = "t32sim/image"

_ONE_NODE = "t32sim has one node with room for every pod"
POD_UNSIMULATED = {key: why for keys, why in [
    (("activeDeadlineSeconds", "preemptionPolicy", "priority", "priorityClassName",
      "overhead", "runtimeClassName", "schedulerName", "schedulingGates"), "scheduling"),
    (("affinity", "nodeName", "nodeSelector", "tolerations", "topologySpreadConstraints"),
     _ONE_NODE),
    (("automountServiceAccountToken", "serviceAccount", "serviceAccountName",
      "imagePullSecrets"), "credentials"),
    (("dnsConfig", "dnsPolicy", "enableServiceLinks", "hostAliases", "hostIPC",
      "hostNetwork", "hostPID", "hostUsers", "hostname", "hostnameOverride",
      "setHostnameAsFQDN", "subdomain", "shareProcessNamespace"), "pod networking and namespaces"),
    (("ephemeralContainers", "initContainers"), "only the first container runs"),
    (("os", "securityContext", "resourceClaims", "resources", "readinessGates"),
     "pod-level settings"),
    (("volumes",), "volumes (the app keeps no data)"),
] for key in keys}
CONTAINER_UNSIMULATED = {key: why for keys, why in [
    (("args", "command", "workingDir", "stdin", "stdinOnce", "tty"),
     "the simulated image runs its own program"),
    (("envFrom",), "values from ConfigMaps and Secrets"),
    (("imagePullPolicy",), "every new pod pulls its image"),
    (("lifecycle",), "postStart and preStop hooks"),
    (("ports",), "requests reach the pod, whatever the port"),
    (("resizePolicy", "restartPolicy", "restartPolicyRules"), "container restart and resize "
                                                               "policies"),
    (("securityContext",), "security settings"),
    (("terminationMessagePath", "terminationMessagePolicy"), "termination messages"),
    (("volumeDevices", "volumeMounts"), "volumes (the app keeps no data)"),
] for key in keys}
RESOURCES_UNSIMULATED = {"limits": "no resource limits: no CPU throttling, no OOMKilled",
                         "claims": "dynamic resource claims"}
_CONTAINER_FIELDS = ("name", "image", "env", "readinessProbe", "livenessProbe",
                     "startupProbe", "resources")


def read_pod_template(spec: Reader) -> dict[str, Any]:
    """The ServiceSpec fields in ``spec.template`` (image None when it cannot be read)."""
    fields: dict[str, Any] = {"image": None, "labels": ()}
    template = spec.mapping("template", ("metadata", "spec"), "a pod template like "
                            "{metadata: {labels: {app: web}}, spec: {containers: [...]}}",
                            required=True)
    if template is None:
        return fields
    meta = template.mapping("metadata", ("labels", "annotations"), "a mapping like "
                            "{labels: {app: web}}", unsimulated=TEMPLATE_METADATA_UNSIMULATED)
    if meta is not None:
        fields["labels"] = read_labels(meta)
        simulated_image = _read_annotations(meta)
    else:
        simulated_image = None
    pod = template.mapping("spec", ("containers", "terminationGracePeriodSeconds",
                                    "restartPolicy"),
                           "a pod spec like {containers: [{name: web, image: nginx}]}",
                           required=True, unsimulated=POD_UNSIMULATED)
    if pod is None:
        return fields
    fields["termination_grace_period_seconds"] = pod.get("terminationGracePeriodSeconds",
                                                         seconds_check(), 30)
    pod.get("restartPolicy", choice_check(("Always",)))    # a Deployment's pods restart
    fields.update(_read_containers(pod))
    if simulated_image is not None and fields["image"] is not None:
        pod.notes.append((meta.at("annotations"), f"the real image {fields['image']} is "
                          f"simulated as {simulated_image} ({SIMULATED_IMAGE_ANNOTATION})"))
        fields["image"] = simulated_image
    return fields


def read_annotations(meta: Reader, simulated: tuple[str, ...]) -> dict[str, str]:
    """The annotations among ``simulated`` that are given; the others are noted."""
    annotations = meta.data.get("annotations")
    if annotations is None:
        return {}
    if not isinstance(annotations, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in annotations.items()):
        meta.error("annotations", "expected a mapping of annotation names to strings, got "
                                  f"{show(annotations)}")
        return {}
    others = sorted(set(annotations) - set(simulated))
    if others:
        meta.note("annotations", "annotations " + ", ".join(others))
    return {key: annotations[key] for key in simulated if key in annotations}


def _read_annotations(meta: Reader) -> str | None:
    """The ``t32sim/image`` annotation (other annotations are noted)."""
    image = read_annotations(meta, (SIMULATED_IMAGE_ANNOTATION,)).get(
        SIMULATED_IMAGE_ANNOTATION)
    if image is None:
        return None
    try:
        return IMAGE.parse(image)
    except Exception:
        meta.errors.append((f"{meta.at('annotations')}.{SIMULATED_IMAGE_ANNOTATION}",
                            f"expected {IMAGE.expected}, got {show(image)}"))
        return None


def _read_containers(pod: Reader) -> dict[str, Any]:
    items = pod.items("containers", "a non-empty list of containers")
    if items is None:
        if pod.ok("containers"):
            pod.error("containers", "missing required field; expected a non-empty list of "
                                    "containers like [{name: web, image: nginx:1.27}]")
        return {}
    if not items:
        pod.error("containers", "expected a non-empty list of containers, got []")
        return {}
    for path, _ in items[1:]:
        pod.notes.append((path, "not simulated: only the first container runs (sidecars "
                                "are left out)"))
    path, item = items[0]
    container = Reader.open(pod.errors, path, item, _CONTAINER_FIELDS,
                            "a container like {name: web, image: nginx:1.27}",
                            unsimulated=CONTAINER_UNSIMULATED, notes=pod.notes)
    if container is None:
        return {}
    container.require("name", DNS_LABEL)
    return {
        "image": container.require("image", IMAGE),
        "env": read_env(container),
        "readiness_probe": read_probe(container, "readinessProbe", restarts=False,
                                      manifest=True),
        "liveness_probe": read_probe(container, "livenessProbe", restarts=True, manifest=True),
        "startup_probe": read_probe(container, "startupProbe", restarts=True, manifest=True),
        "cpu_request_milli": read_resources(container, RESOURCES_UNSIMULATED),
    }


"""Real manifests exported as written: what a student wrote for a real cluster stays theirs.

A document read from a Kubernetes or Argo Rollouts manifest is exported unchanged —
ConfigMaps, Secrets, Namespaces, ports, limits, volumes, commands and all — with only what
a real cluster needs added:

- a simulated image (``local://demo@...``) in a pod template becomes its real image, with
  its command or arguments when the container gives none (``http-echo`` listens on the
  container's port), the simulated name kept in the ``t32sim/image`` annotation;
- the Services t32sim implies: a workload that no Service of the source selects gets one
  named after it (t32sim sends requests for a workload's name to its pods), and an Argo
  blue/green Rollout gets its ``activeService`` and ``previewService`` when the source has
  none of that name (Argo needs them).
"""
from __future__ import annotations

import copy
from typing import Any

from t32sim.export.images import ImageMap, RealImage
from t32sim.export.manifests import SERVICE_PORT, Export, service_document
from t32sim.spec import Manifests, ServiceSelector, ServiceSpec, Strategy
from t32sim.spec.pod_template import SIMULATED_IMAGE_ANNOTATION


def export_given(spec: ServiceSpec, document: dict[str, Any], manifests: Manifests,
                 images: ImageMap) -> Export:
    """The workload manifest ``document`` (read as ``spec``) as written, its simulated image
    made real, followed by the Services it needs that ``manifests`` lacks."""
    doc = copy.deepcopy(document)
    container = doc["spec"]["template"]["spec"]["containers"][0]
    warnings: list[str] = []
    port = declared_port(container)
    if container.get("image") == spec.image:         # no t32sim/image annotation yet
        real = images.real(spec.image, spec.name, port)
        if real.image != spec.image:
            _run_real_image(doc, container, spec.image, real)
            port = port or real.port
        if real.differs:
            warnings.append(f"{spec.name}: {spec.image} runs as {real.image}, which "
                            f"{real.differs}")
    services = [service_document(name, dict(spec.labels), port or SERVICE_PORT)
                for name in _missing_services(spec, manifests)]
    namespace = (doc.get("metadata") or {}).get("namespace")
    for service in services:
        if namespace:                                   # beside the pods it selects
            service["metadata"]["namespace"] = namespace
    for service in services:
        warnings.append(f"{spec.name}: added Service {service['metadata']['name']} "
                        f"({_why_added(spec, service['metadata']['name'])})")
    return Export((doc, *services), tuple(warnings))


def declared_port(container: dict[str, Any]) -> int | None:
    """The port the container says it serves: its first ``containerPort``, else the first
    port number a probe asks."""
    for entry in container.get("ports") or ():
        if isinstance(entry, dict) and isinstance(entry.get("containerPort"), int):
            return entry["containerPort"]
    for key in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(key) or {}
        for action in ("httpGet", "tcpSocket", "grpc"):
            port = (probe.get(action) or {}).get("port")
            if isinstance(port, int) and not isinstance(port, bool):
                return port
    return None


def _run_real_image(doc: dict[str, Any], container: dict[str, Any], simulated: str,
                    real: RealImage) -> None:
    """The real image in ``container`` (its command or arguments right after it, unless
    the container has its own), the simulated one in the template's annotation."""
    started: dict[str, Any] = {"image": real.image}
    if real.command and not container.get("command"):
        started["command"] = list(real.command)
    if real.args and not container.get("args") and not container.get("command"):
        started["args"] = list(real.args)
    items = list(container.items())
    at = [key for key, _ in items].index("image")
    container.clear()
    container.update(items[:at] + list(started.items()) + items[at + 1:])
    template = doc["spec"]["template"]
    metadata = template.get("metadata") or {}
    template["metadata"] = metadata
    metadata["annotations"] = {**(metadata.get("annotations") or {}),
                               SIMULATED_IMAGE_ANNOTATION: simulated}


def _missing_services(spec: ServiceSpec, manifests: Manifests) -> list[str]:
    selectors = manifests.of_kind(ServiceSelector)
    names = {s.name for s in selectors}
    rollout = spec.rollout
    if rollout.strategy is Strategy.BLUE_GREEN:
        wanted = [n for n in (rollout.active_service, rollout.preview_service) if n]
    elif any(s.selects(spec.labels) for s in selectors):
        wanted = []
    else:
        wanted = [spec.name]
    return [name for name in wanted if name not in names]


def _why_added(spec: ServiceSpec, name: str) -> str:
    if name == spec.rollout.active_service:
        return "Argo Rollouts needs the activeService"
    if name == spec.rollout.preview_service:
        return "Argo Rollouts needs the previewService"
    return "no Service in the source selects its pods; t32sim sends requests for " \
           f"{spec.name} to them"

"""Export: any spec t32sim accepts -> Kubernetes / Argo Rollouts manifests as YAML.

``export_yaml(source)`` reads a source as ``Cluster.apply`` does (t32sim's own format or
manifests; a path, YAML text, a mapping or a ServiceSpec) and returns multi-document
YAML. A Service in t32sim's own format becomes a Deployment (or an Argo Rollout for
BlueGreen and Canary), the Service(s) selecting its pods and, when it autoscales, an
autoscaling/v2 HPA (``manifests``). Real manifests are written back as given, with the
Services a real cluster needs added (``given``). The simulated ``local://demo@...``
images become real ones (``images``).
"""
from __future__ import annotations

from typing import Any

import yaml

from t32sim.export.given import export_given
from t32sim.export.images import DEFAULT_IMAGES, ImageMap, RealImage, parse_image_flag
from t32sim.export.manifests import Export, export_spec
from t32sim.spec import HorizontalPodAutoscaler, ServiceSpec, load_manifests, with_autoscale

__all__ = ["export_yaml", "export_documents", "export_spec", "Export",
           "ImageMap", "RealImage", "DEFAULT_IMAGES", "parse_image_flag"]


def export_documents(source: Any, images: ImageMap | None = None) -> Export:
    """Every document of ``source`` as a real cluster takes it, in order: t32sim's own
    format as the manifests it stands for, real manifests as written (``given``)."""
    manifests = load_manifests(source)
    images = images or ImageMap()
    hpas = {h.target: h for h in manifests.of_kind(HorizontalPodAutoscaler)}
    documents: list[dict[str, Any]] = []
    warnings: list[str] = []
    for entry, document in zip(manifests.entries, manifests.documents, strict=True):
        obj = entry.object
        if not isinstance(obj, ServiceSpec):
            exported = Export((document,))              # a Service, an HPA, a skipped kind
        elif entry.manifest:
            exported = export_given(obj, document, manifests, images)
        elif obj.name in hpas:                          # scaled by an HPA object of the source
            exported = export_spec(with_autoscale(obj, hpas[obj.name].autoscale), images)
            exported = Export(tuple(d for d in exported.documents
                                    if d["kind"] != "HorizontalPodAutoscaler"),
                              exported.warnings)
        else:
            exported = export_spec(obj, images)
        documents += exported.documents
        warnings += exported.warnings
    return Export(tuple(documents), tuple(warnings))


def export_yaml(source: Any, images: ImageMap | None = None) -> str:
    """Multi-document YAML for ``source``, with a comment header naming what differs."""
    exported = export_documents(source, images)
    header = "".join(f"# {warning}\n" for warning in exported.warnings)
    body = yaml.dump_all(exported.documents, Dumper=_PlainDumper, sort_keys=False,
                         default_flow_style=False)
    return f"# exported by t32sim: kubectl apply -f this file\n{header}---\n{body}"


class _PlainDumper(yaml.SafeDumper):
    """Writes a value shared by two fields twice, never as an anchor and an alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

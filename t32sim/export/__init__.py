"""Export: any spec t32sim accepts -> Kubernetes / Argo Rollouts manifests as YAML.

``export_yaml(source)`` reads a source as ``Cluster.apply`` does (t32sim's own format or
manifests; a path, YAML text, a mapping or a ServiceSpec) and returns multi-document
YAML: per workload a Deployment (or an Argo Rollout for BlueGreen and Canary), the
Service(s) selecting its pods and, when it autoscales, an autoscaling/v2 HPA. The
simulated ``local://demo@...`` images become real ones (``t32sim.export.images``).
"""
from __future__ import annotations

from typing import Any

import yaml

from t32sim.export.images import DEFAULT_IMAGES, ImageMap, RealImage, parse_image_flag
from t32sim.export.manifests import Export, export_spec
from t32sim.spec import HorizontalPodAutoscaler, load_manifests, with_autoscale

__all__ = ["export_yaml", "export_documents", "export_spec", "Export",
           "ImageMap", "RealImage", "DEFAULT_IMAGES", "parse_image_flag"]


def export_documents(source: Any, images: ImageMap | None = None) -> Export:
    """Every workload of ``source`` as manifests (an HPA object in the source scales its
    target's export); Services and HPAs are made per workload."""
    manifests = load_manifests(source)
    hpas = {h.target: h for h in manifests.of_kind(HorizontalPodAutoscaler)}
    documents: list[dict[str, Any]] = []
    warnings: list[str] = []
    for spec in manifests.workloads:
        if spec.name in hpas:
            spec = with_autoscale(spec, hpas[spec.name].autoscale)
        exported = export_spec(spec, images)
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

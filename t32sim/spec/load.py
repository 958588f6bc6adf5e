"""load_spec: any accepted source -> the one validated ServiceSpec it describes."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from t32sim.spec.errors import SpecError
from t32sim.spec.limits import KINDS
from t32sim.spec.manifests import load_manifests
from t32sim.spec.model import ServiceSpec
from t32sim.spec.objects import Skipped


def load_spec(source: str | Path | bytes | Mapping[str, Any] | ServiceSpec) -> ServiceSpec:
    """Accept a path, YAML text (str or bytes), a mapping or a ServiceSpec.

    Returns the validated ``ServiceSpec`` of the one workload in it (a t32sim Service, a
    Deployment or a Rollout; an HPA in the same source that targets it is applied to it);
    raises ``SpecError`` listing every problem. A str without newlines ending in
    .yaml/.yml is a path; other strings are YAML text. ``load_manifests`` reads every
    object of a source.
    """
    if isinstance(source, ServiceSpec):
        return source
    manifests = load_manifests(source)
    spec = manifests.workload()
    if spec is not None:
        return spec
    workloads = manifests.workloads
    if workloads:
        names = ", ".join(w.name for w in workloads)
        raise SpecError([("", f"expected one workload, got {len(workloads)} ({names}); "
                              "Cluster.apply and load_manifests take them all")])
    skipped = manifests.of_kind(Skipped)
    if len(manifests.entries) == 1 and skipped:
        expected = ", ".join(repr(k) for k in KINDS)
        raise SpecError([("kind", f"expected one of {expected}, got {skipped[0].kind!r}")])
    kinds = ", ".join(type(e.object).__name__ if not isinstance(e.object, Skipped)
                      else e.object.kind for e in manifests.entries)
    raise SpecError([("", "expected a workload (a t32sim Service, a Deployment or a "
                          f"Rollout), got only {kinds}")])

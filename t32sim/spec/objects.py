"""The objects a manifest file holds besides workloads, and the bundle ``load_manifests`` returns.

A workload (Deployment, Rollout, or t32sim's own Service) becomes a ``ServiceSpec``. A
Kubernetes ``v1 Service`` becomes a ``ServiceSelector``: a name in front of the pods whose
labels match, with no pods of its own. A ``HorizontalPodAutoscaler`` names the workload it
scales. Kinds t32sim does not simulate become ``Skipped``. Every field accepted but not
simulated is a ``Note``, kept beside the object it belongs to, in document order.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Union

from t32sim.spec.model import Autoscale, ServiceSpec


@dataclass(frozen=True)
class Note:
    """A field (or document) accepted but not simulated: ``path`` says where, ``message`` why."""
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class ServiceSelector:
    """A Kubernetes Service: the load balancer in front of the pods with these labels."""
    name: str
    selector: tuple[tuple[str, str], ...]       # sorted (label, value) pairs

    def selects(self, labels: tuple[tuple[str, str], ...]) -> bool:
        """Whether pods with ``labels`` are behind this Service (an empty selector: none)."""
        return bool(self.selector) and set(self.selector) <= set(labels)

    def describe_selector(self) -> str:
        return ",".join(f"{key}={value}" for key, value in self.selector) or "(none)"


@dataclass(frozen=True)
class HorizontalPodAutoscaler:
    """An HPA object: ``autoscale`` applies to the workload named ``target`` (a Deployment
    or Rollout, ``target_kind``) whenever it exists, before or after the HPA was applied."""
    name: str
    target_kind: str
    target: str
    autoscale: Autoscale


@dataclass(frozen=True)
class Skipped:
    """A document of a kind t32sim does not simulate (ConfigMap, Ingress, Pod, ...)."""
    api_version: str
    kind: str
    name: str


ManifestObject = Union[ServiceSpec, ServiceSelector, HorizontalPodAutoscaler, Skipped]


@dataclass(frozen=True)
class Entry:
    """One document's object and the notes on it; ``manifest``: read from a real Kubernetes
    or Argo manifest (False: t32sim's own format)."""
    object: ManifestObject
    notes: tuple[Note, ...] = ()
    manifest: bool = False


@dataclass(frozen=True)
class Manifests:
    """Everything one source held, in document order.

    ``documents`` are the documents as given, made JSON-safe: what the journal stores to
    apply them again (as ``kubectl`` keeps the last applied configuration)."""
    entries: tuple[Entry, ...]
    documents: tuple[Any, ...] = ()

    @property
    def workloads(self) -> tuple[ServiceSpec, ...]:
        return tuple(e.object for e in self.entries if isinstance(e.object, ServiceSpec))

    @property
    def notes(self) -> tuple[Note, ...]:
        return tuple(note for entry in self.entries for note in entry.notes)

    def of_kind(self, kind: type) -> tuple[Any, ...]:
        return tuple(e.object for e in self.entries if isinstance(e.object, kind))

    def journal_document(self) -> Any:
        """What the journal stores to apply this again: the canonical document of one
        workload in t32sim's own format (as always), else the documents as given."""
        if len(self.entries) == 1 and not self.entries[0].manifest \
                and isinstance(self.entries[0].object, ServiceSpec):
            return self.entries[0].object.to_dict()
        return list(self.documents)

    def workload(self) -> ServiceSpec | None:
        """The one workload, with the autoscaling of an HPA in the same source that targets
        it; None when the source holds no workload or several."""
        workloads = self.workloads
        if len(workloads) != 1:
            return None
        spec = workloads[0]
        for hpa in self.of_kind(HorizontalPodAutoscaler):
            if hpa.target == spec.name:
                spec = with_autoscale(spec, hpa.autoscale)
        return spec


def describe_object(obj: ManifestObject) -> str:
    """``workload web``, ``Service web``, ``HorizontalPodAutoscaler web``, ``ConfigMap x
    (skipped)``: what an applied object is, in a few words."""
    if isinstance(obj, ServiceSpec):
        return f"workload {obj.name}"
    if isinstance(obj, ServiceSelector):
        return f"Service {obj.name}"
    if isinstance(obj, HorizontalPodAutoscaler):
        return f"HorizontalPodAutoscaler {obj.name}"
    return f"{obj.kind} {obj.name} (skipped)".replace("  ", " ")


def with_autoscale(spec: ServiceSpec, autoscale: Autoscale) -> ServiceSpec:
    """``spec`` scaled by an HPA object's ``autoscale``."""
    return replace(spec, autoscale=autoscale)

"""The pods as kube-state-metrics shows them: ``kube_pod_*`` families, one series per pod.

The names, types, help texts and labels are kube-state-metrics' own, so a student's
PromQL over real clusters (``kube_pod_status_ready{condition="true"}``) works here too.
"""
from __future__ import annotations

from typing import Iterable

from t32sim.engine.exposition import Family, exposed, sample_lines
from t32sim.engine.store import PodPhase

__all__ = ["NAMESPACE", "KUBE_POD_FAMILIES", "kube_pod_rows", "KubePodSeries"]

_PHASES = tuple(PodPhase)

#: the namespace of every simulated pod (one namespace, as a fresh cluster's ``default``)
NAMESPACE = "default"
_READY_CONDITIONS = ("true", "false", "unknown")


_POD, _CONTAINER = ("namespace", "pod"), ("namespace", "pod", "container")
#: kube-state-metrics' pod families: name, type, help, labels
KUBE_POD_FAMILIES = (
    ("kube_pod_status_phase", "gauge", "The pods current phase.", _POD + ("phase",)),
    ("kube_pod_status_ready", "gauge", "Describes whether the pod is ready to serve requests.",
     _POD + ("condition",)),
    ("kube_pod_container_status_waiting", "gauge", "Describes whether the container is "
     "currently in waiting state.", _CONTAINER),
    ("kube_pod_container_status_waiting_reason", "gauge", "Describes the reason the container "
     "is currently in waiting state.", _CONTAINER + ("reason",)),
    ("kube_pod_deletion_timestamp", "gauge", "Deletion timestamp in simulated seconds.", _POD),
    ("kube_pod_container_status_restarts", "counter", "The number of container restarts per "
     "container.", _CONTAINER),
    ("kube_pod_created", "gauge", "Creation timestamp in simulated seconds.", _POD),
    ("kube_pod_owner", "gauge", "Information about the Pod's owner.",
     _POD + ("owner_kind", "owner_name", "owner_is_controller")),
)


def kube_pod_rows(pod) -> list[list]:
    """One pod's rows for each of ``KUBE_POD_FAMILIES`` (``container`` is the service's
    name; times are simulated seconds). ``kube_pod_status_phase`` has a row for each of
    the five phases (1 for the pod's); a waiting reason only while the container waits;
    a deletion timestamp only while the pod is being deleted."""
    who = (NAMESPACE, pod.name)
    container = who + (pod.service,)
    condition = "true" if pod.ready else "false"
    waiting = pod.waiting_reason
    return [
        [(who + (p.value,), float(pod.phase is p)) for p in _PHASES],
        [(who + (c,), float(c == condition)) for c in _READY_CONDITIONS],
        [(container, float(waiting is not None))],
        [(container + (waiting.value,), 1.0)] if waiting is not None else [],
        [(who, float(pod.deletion_timestamp))] if pod.deletion_timestamp is not None else [],
        [(container, float(pod.restarts))],
        [(who, float(pod.created_at))],
        [(who + ("ReplicaSet", f"{pod.service}-{pod.template_hash}", "true"), 1.0)],
    ]


class KubePodSeries:
    """The pods in kube-state-metrics' shape, one series per pod (and container).

    A pod's rows and exposition lines are kept until something they show changes (phase,
    readiness, waiting reason, deletion, restarts), so a scrape costs what changed."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple, list[list], list[str]]] = {}

    def families(self, pods: Iterable) -> list[Family]:
        count = len(KUBE_POD_FAMILIES)
        rows: list[list] = [[] for _ in range(count)]
        texts: list[list[str]] = [[] for _ in range(count)]
        fresh: dict[str, tuple[tuple, list[list], list[str]]] = {}
        for pod in pods:
            key = (pod.phase, pod.ready, pod.waiting_reason, pod.deletion_timestamp,
                   pod.restarts)
            cached = self._cache.get(pod.name)
            if cached is None or cached[0] != key:
                own = kube_pod_rows(pod)
                cached = (key, own, [sample_lines(exposed(name, kind), labels, part)
                                     for (name, kind, _, labels), part
                                     in zip(KUBE_POD_FAMILIES, own)])
            fresh[pod.name] = cached
            for index in range(count):
                rows[index].extend(cached[1][index])
                texts[index].append(cached[2][index])
        self._cache = fresh
        return [Family(name, kind, text, labels, part, "".join(lines))
                for (name, kind, text, labels), part, lines
                in zip(KUBE_POD_FAMILIES, rows, texts)]

"""The object store: desired objects (services, ReplicaSets) and observed ones (pods).

It plays the Kubernetes API server: controllers read it, write to it, and are told
through ``watch`` callbacks when a service's objects change.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from t32sim.enums import StrEnum
from t32sim.spec import HorizontalPodAutoscaler, ServiceSelector, ServiceSpec


class PodPhase(StrEnum):
    """The STATUS column of ``kubectl get pods``; readiness is the separate ``ready`` flag."""
    PENDING = "Pending"
    CONTAINER_CREATING = "ContainerCreating"
    ERR_IMAGE_PULL = "ErrImagePull"
    IMAGE_PULL_BACKOFF = "ImagePullBackOff"
    RUNNING = "Running"
    CRASH_LOOP_BACKOFF = "CrashLoopBackOff"
    TERMINATING = "Terminating"

    @property
    def k8s_phase(self) -> str:
        """The pod's phase as Kubernetes stores it (Pending or Running)."""
        if self in (PodPhase.RUNNING, PodPhase.CRASH_LOOP_BACKOFF, PodPhase.TERMINATING):
            return "Running"
        return "Pending"


@dataclass
class Pod:
    """An observed pod. ``version`` is the image tag; ``revision`` its ReplicaSet's revision."""
    name: str
    service: str
    revision: int
    version: str
    template_hash: str
    created_at: float
    phase: PodPhase = PodPhase.PENDING
    ready: bool = False
    restarts: int = 0
    started_at: float | None = None
    ready_since: float | None = None
    deleted_at: float | None = None
    ready_changed_at: float | None = None   # last change of ``ready`` (None: never changed)

    @property
    def terminating(self) -> bool:
        return self.deleted_at is not None

    @property
    def scheduled(self) -> bool:
        return self.phase is not PodPhase.PENDING

    def available(self, now: float, min_ready_seconds: float) -> bool:
        """Ready for at least ``min_ready_seconds`` (Kubernetes' "available")."""
        return (self.ready and self.ready_since is not None
                and now - self.ready_since >= min_ready_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "service": self.service, "revision": self.revision,
                "version": self.version, "phase": self.phase.value, "ready": self.ready,
                "restarts": self.restarts, "started_at": self.started_at,
                "ready_since": self.ready_since, "created_at": self.created_at,
                "deleted_at": self.deleted_at, "template_hash": self.template_hash}


@dataclass
class ReplicaSet:
    """One revision of a service's pod template and how many pods it should have."""
    service: str
    template_hash: str
    revision: int
    spec: ServiceSpec
    replicas: int = 0
    created_at: float = 0.0
    #: the Deployment's replicas and replicas + maxSurge when it last sized this ReplicaSet
    #: (Kubernetes' desired-replicas / max-replicas annotations, used to scale proportionally)
    desired_replicas: int | None = None
    max_replicas: int | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.template_hash}"

    @property
    def version(self) -> str:
        return self.spec.version


@dataclass
class ServiceState:
    """A service's desired state plus the ReplicaSets that carry its revisions."""
    spec: ServiceSpec
    replicasets: dict[str, ReplicaSet] = field(default_factory=dict)
    created_at: float = 0.0
    progress_since: float = 0.0

    @property
    def current(self) -> ReplicaSet | None:
        """The ReplicaSet of the current pod template."""
        return self.replicasets.get(self.spec.template_hash())

    def next_revision(self) -> int:
        return max((rs.revision for rs in self.replicasets.values()), default=0) + 1


class Store:
    """Services and pods by name, with change notification per service."""

    def __init__(self) -> None:
        self.services: dict[str, ServiceState] = {}
        self.pods: dict[str, Pod] = {}
        self._pods_by_service: dict[str, dict[str, Pod]] = {}
        #: chaos faults: (service or pod name, probe kind) pairs whose probe always fails
        self.broken_probes: set[tuple[str, str]] = set()
        self._watchers: list[Callable[[str], None]] = []
        #: every pod ever added, by name; a removed pod keeps its last state (for timelines)
        self.pod_archive: dict[str, Pod] = {}
        #: restarts of removed pods, per service (keeps restart counters monotonic)
        self.restarts_of_removed: dict[str, int] = {}
        #: Kubernetes Services (load balancers selecting pods by label) and
        #: HorizontalPodAutoscaler objects, by name, as applied from manifests
        self.selectors: dict[str, ServiceSelector] = {}
        self.autoscalers: dict[str, HorizontalPodAutoscaler] = {}

    def watch(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(service)`` whenever that service's objects change."""
        self._watchers.append(callback)

    def changed(self, service: str) -> None:
        for callback in self._watchers:
            callback(service)

    def pods_of(self, service: str) -> list[Pod]:
        """The service's pods in creation order."""
        return list(self._pods_by_service.get(service, {}).values())

    def add_pod(self, pod: Pod) -> None:
        self.pods[pod.name] = pod
        self._pods_by_service.setdefault(pod.service, {})[pod.name] = pod
        self.pod_archive[pod.name] = pod
        self.changed(pod.service)

    def remove_pod(self, pod: Pod) -> None:
        del self.pods[pod.name]
        del self._pods_by_service[pod.service][pod.name]
        self.restarts_of_removed[pod.service] = (self.restarts_of_removed.get(pod.service, 0)
                                                 + pod.restarts)
        self.changed(pod.service)

    def probe_broken(self, pod: Pod, kind: str) -> bool:
        """Whether chaos broke this pod's ``kind`` probe ("readiness" or "liveness")."""
        return (pod.name, kind) in self.broken_probes or (pod.service, kind) in self.broken_probes

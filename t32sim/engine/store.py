"""The object store: desired objects (services, ReplicaSets) and observed ones (pods).

It plays the Kubernetes API server: controllers read it, write to it, and are told
through ``watch`` callbacks when a service's objects change. Besides services and pods it
holds what the controllers share: the routing backends the rollout logic writes, the chaos
faults, the HPA status, and the endpoints (Ready, non-terminating pods) of each service,
kept up to date pod by pod (``pod_changed``) so that reading them costs no walk over pods.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from t32sim.enums import StrEnum
from t32sim.spec import HorizontalPodAutoscaler, ServiceSelector, ServiceSpec


class PodPhase(StrEnum):
    """Kubernetes' five pod phases (``status.phase``): where the pod is in its life."""
    PENDING = "Pending"        # accepted, its container not started yet (pulling, backing off)
    RUNNING = "Running"        # bound to the node, a container started (it may be restarting)
    SUCCEEDED = "Succeeded"    # every container exited 0 and will not restart
    FAILED = "Failed"          # every container stopped, at least one in failure (or killed)
    UNKNOWN = "Unknown"        # the node could not be asked (never happens in one simulated node)


class WaitingReason(StrEnum):
    """Why a container is waiting (``state.waiting.reason``), as kube-state-metrics reports it."""
    CONTAINER_CREATING = "ContainerCreating"
    ERR_IMAGE_PULL = "ErrImagePull"
    IMAGE_PULL_BACKOFF = "ImagePullBackOff"
    CRASH_LOOP_BACKOFF = "CrashLoopBackOff"


class PodStatus(StrEnum):
    """The STATUS column of ``kubectl get pods``: not a phase but a word kubectl computes
    (``Terminating`` once deletion began, else a waiting container's reason, else the phase;
    Succeeded and Failed pods show their container's ``Completed`` / ``Error``)."""
    PENDING = "Pending"
    CONTAINER_CREATING = "ContainerCreating"
    ERR_IMAGE_PULL = "ErrImagePull"
    IMAGE_PULL_BACKOFF = "ImagePullBackOff"
    RUNNING = "Running"
    CRASH_LOOP_BACKOFF = "CrashLoopBackOff"
    TERMINATING = "Terminating"
    COMPLETED = "Completed"
    ERROR = "Error"
    UNKNOWN = "Unknown"


_STATUS_OF_PHASE = {PodPhase.PENDING: PodStatus.PENDING, PodPhase.RUNNING: PodStatus.RUNNING,
                    PodPhase.SUCCEEDED: PodStatus.COMPLETED, PodPhase.FAILED: PodStatus.ERROR,
                    PodPhase.UNKNOWN: PodStatus.UNKNOWN}


def kubectl_status(phase: PodPhase, waiting: WaitingReason | None,
                   deletion_timestamp: float | None) -> PodStatus:
    """The word ``kubectl get pods`` prints, from what the pod's status says."""
    if deletion_timestamp is not None:
        return PodStatus.TERMINATING
    if waiting is not None:
        return PodStatus(waiting.value)
    return _STATUS_OF_PHASE[phase]


@dataclass
class Pod:
    """An observed pod. ``version`` is the image tag; ``revision`` its ReplicaSet's revision.

    ``phase`` is one of Kubernetes' five; ``waiting_reason`` says why its container waits
    (None: running, or not created yet); ``status`` is what ``kubectl get pods`` shows;
    ``deletion_timestamp`` is when its deletion began (simulated seconds; None: not deleted).
    Readiness is the separate ``ready`` flag, as the READY column is.
    """
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
    deletion_timestamp: float | None = None
    ready_changed_at: float | None = None   # last change of ``ready`` (None: never changed)
    waiting_reason: WaitingReason | None = None

    @property
    def status(self) -> PodStatus:
        """The STATUS word of ``kubectl get pods``."""
        return kubectl_status(self.phase, self.waiting_reason, self.deletion_timestamp)

    @property
    def deleted_at(self) -> float | None:
        """The deletion timestamp (the older name)."""
        return self.deletion_timestamp

    @property
    def terminating(self) -> bool:
        return self.deletion_timestamp is not None

    @property
    def scheduled(self) -> bool:
        """Bound to the (one simulated) node: the kubelet took it on."""
        return self.waiting_reason is not None or self.phase is not PodPhase.PENDING

    @property
    def container_running(self) -> bool:
        """A container is running now (not waiting, not stopped)."""
        return self.phase is PodPhase.RUNNING and self.waiting_reason is None

    def available(self, now: float, min_ready_seconds: float) -> bool:
        """Ready for at least ``min_ready_seconds`` (Kubernetes' "available")."""
        return (self.ready and self.ready_since is not None
                and now - self.ready_since >= min_ready_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "service": self.service, "revision": self.revision,
                "version": self.version, "phase": self.phase.value,
                "status": self.status.value, "ready": self.ready,
                "restarts": self.restarts, "started_at": self.started_at,
                "ready_since": self.ready_since, "created_at": self.created_at,
                "deletion_timestamp": self.deletion_timestamp,
                "template_hash": self.template_hash}


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


@dataclass(frozen=True)
class Backend:
    """A group of pods that receives ``weight`` parts of a service's traffic (what the
    rollout logic tells the load balancer).

    ``hashes`` are the template hashes (ReplicaSets) it selects; None selects every pod.
    """
    name: str
    weight: int
    hashes: frozenset[str] | None = None

    def selects(self, pod: Pod) -> bool:
        return self.hashes is None or pod.template_hash in self.hashes


#: where a service's traffic goes while no rollout says otherwise: every pod
ALL_PODS = (Backend("all", 100),)


@dataclass(frozen=True)
class Fault:
    """Injected trouble for one service (or one version of it): extra errors and latency."""
    error_rate: float = 0.0
    latency: float = 0.0


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
        #: the workloads each Kubernetes Service (by name) selects, kept by ``apply``
        self.selected: dict[str, tuple[str, ...]] = {}
        #: where each service's traffic goes (written by the rollout controller)
        self.backends: dict[str, tuple[Backend, ...]] = {}
        #: chaos: (service, version or None) -> the Fault injected into it
        self.faults: dict[tuple[str, str | None], Fault] = {}
        #: the HPA's last view of each autoscaled service (written by the autoscaler)
        self.hpa_status: dict[str, Any] = {}
        #: endpoints: service -> Ready, non-terminating pods by name, and their count per
        #: template hash; ``_sorted`` caches them in name order until the next change
        self._endpoints: dict[str, dict[str, Pod]] = {}
        self._endpoint_counts: dict[str, dict[str, int]] = {}
        self._sorted: dict[str, list[Pod]] = {}

    def watch(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(service)`` whenever that service's objects change."""
        self._watchers.append(callback)

    def changed(self, service: str) -> None:
        """Tell every watcher that ``service``'s objects changed."""
        for callback in self._watchers:
            callback(service)

    def write_spec(self, spec: ServiceSpec, now: float) -> ServiceState:
        """Store a service's new desired spec (``apply``, ``scale``, the HPA, ``undo``): a new
        service is created; the progress clock restarts, as a Deployment's does when its
        spec changes; the watchers are told."""
        state = self.services.get(spec.name)
        if state is None:
            state = self.services[spec.name] = ServiceState(spec, created_at=now)
        state.spec = spec
        self.progressed(spec.name, now)
        self.changed(spec.name)
        return state

    def progressed(self, service: str, now: float) -> None:
        """The service made progress (a new spec, a pod became Ready): its progress
        deadline (``progressDeadlineSeconds``) counts from ``now``."""
        self.services[service].progress_since = now

    def pods_of(self, service: str) -> list[Pod]:
        """The service's pods in creation order."""
        return list(self._pods_by_service.get(service, {}).values())

    def add_pod(self, pod: Pod) -> None:
        self.pods[pod.name] = pod
        self._pods_by_service.setdefault(pod.service, {})[pod.name] = pod
        self.pod_archive[pod.name] = pod
        self.pod_changed(pod)

    def remove_pod(self, pod: Pod) -> None:
        del self.pods[pod.name]
        del self._pods_by_service[pod.service][pod.name]
        self.restarts_of_removed[pod.service] = (self.restarts_of_removed.get(pod.service, 0)
                                                 + pod.restarts)
        self.pod_changed(pod)

    def pod_changed(self, pod: Pod) -> None:
        """A pod was added, removed or changed (by the kubelet): update the service's
        endpoints for this one pod, then tell the watchers."""
        self._index_endpoint(pod)
        self.changed(pod.service)

    # -- endpoints and backends (what the load balancer reads) --------------------------

    def endpoints_of(self, service: str) -> list[Pod]:
        """The pods a Service sends traffic to: Ready and not terminating, in name order
        (sorted once after each change, not at every read). Do not change the list."""
        pods = self._sorted.get(service)
        if pods is None:
            found = self._endpoints.get(service, {})
            pods = self._sorted[service] = [found[name] for name in sorted(found)]
        return pods

    def endpoint_counts(self, service: str) -> dict[str, int]:
        """How many endpoints each template hash (ReplicaSet) has (do not change it)."""
        return self._endpoint_counts.get(service, {})

    def is_endpoint(self, pod: Pod) -> bool:
        """Whether ``pod`` is one of its service's endpoints now."""
        return pod.name in self._endpoints.get(pod.service, ())

    def backends_of(self, service: str) -> tuple[Backend, ...]:
        """Where the service's traffic goes: the rollout's backends, else every pod."""
        return self.backends.get(service, ALL_PODS)

    def _index_endpoint(self, pod: Pod) -> None:
        found = self._endpoints.setdefault(pod.service, {})
        serving = pod.ready and not pod.terminating and self.pods.get(pod.name) is pod
        if serving == (pod.name in found):
            return
        counts = self._endpoint_counts.setdefault(pod.service, {})
        if serving:
            found[pod.name] = pod
            counts[pod.template_hash] = counts.get(pod.template_hash, 0) + 1
        else:
            del found[pod.name]
            counts[pod.template_hash] -= 1
            if not counts[pod.template_hash]:
                del counts[pod.template_hash]
        self._sorted.pop(pod.service, None)

    def probe_broken(self, pod: Pod, kind: str) -> bool:
        """Whether chaos broke this pod's ``kind`` probe ("readiness" or "liveness")."""
        return (pod.name, kind) in self.broken_probes or (pod.service, kind) in self.broken_probes

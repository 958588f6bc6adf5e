"""The Deployment and ReplicaSet controllers: make pods match the desired state.

Two pure decisions do the thinking, as in Kubernetes:

* ``plan_replicas`` says how many pods each revision (ReplicaSet) should have;
* ``reconcile_pods`` turns one ReplicaSet's wish and its pods into create/delete actions,
  deleting first the pods that are cheapest to lose (``deletion_order``, Kubernetes'
  ranking unless ``Cluster(deletion_ranking=fn)`` gives another).

``DeploymentController`` is the thin simpy part: a level-triggered work queue (workqueue.py)
woken by store watches plus a periodic resync, which calls the decisions and applies the
actions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Generator

from t32sim.engine.context import Context
from t32sim.engine.events import Reason
from t32sim.engine.store import Pod, PodPhase, ReplicaSet, ServiceState
from t32sim.engine.workqueue import WorkQueue

if TYPE_CHECKING:
    from t32sim.engine.kubelet import Kubelet

RESYNC_SECONDS = 30.0
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"   # Kubernetes' pod-name suffix letters


# -- pure decisions ------------------------------------------------------------------------

@dataclass(frozen=True)
class CreatePods:
    count: int


@dataclass(frozen=True)
class DeletePod:
    pod: Pod
    why: str


def plan_replicas(state: ServiceState) -> dict[str, int]:
    """Pods wanted per ReplicaSet (by template hash): the current revision gets them all.

    This is simple replacement; rollout strategies refine it.
    """
    current = state.spec.template_hash()
    return {h: (state.spec.replicas if h == current else 0) for h in state.replicasets}


def deletion_key(pod: Pod):
    """Sort key: pods that sort first are deleted first (Kubernetes' ActivePods ranking)."""
    return (
        pod.scheduled,                                   # not yet scheduled first
        pod.phase is PodPhase.RUNNING,                   # Pending before Running
        pod.ready,                                       # not ready before ready
        -(pod.ready_since or 0.0) if pod.ready else 0.0,  # ready for less time first
        -pod.restarts,                                   # more restarts first
        -pod.created_at,                                 # newer first
        pod.name,
    )


def kubernetes_ranking(pod: Pod, now: float):
    """The default deletion ranking, as ``Cluster(deletion_ranking=...)`` takes one:
    ``(pod, now) -> key``, the smallest keys deleted first (``deletion_key``; ``now`` unused)."""
    return deletion_key(pod)


#: a deletion ranking: ``(pod, now) -> sort key``; the pods with the smallest keys go first
Ranking = Callable[[Pod, float], Any]


def deletion_order(pods: list[Pod], ranking: Ranking | None = None,
                   now: float = 0.0) -> list[Pod]:
    """``pods`` ranked from the one to delete first to the one to keep longest, by
    ``ranking`` (Kubernetes' own when None); ties keep the pods' order."""
    if ranking is None:
        return sorted(pods, key=deletion_key)
    return sorted(pods, key=lambda pod: ranking(pod, now))


def why_deleted(pod: Pod, others: list[Pod]) -> str:
    """A short reason a student can check against the ranking."""
    if not pod.scheduled:
        return "not scheduled yet"
    if pod.phase is not PodPhase.RUNNING:
        return f"still {pod.status.value}"
    if not pod.ready:
        return "not ready"
    if any(o.ready and (o.ready_since or 0) < (pod.ready_since or 0) for o in others):
        return "ready for the shortest time"
    if any(o.restarts < pod.restarts for o in others):
        return f"{pod.restarts} restarts"
    return "the newest pod"


def reconcile_pods(replicas: int, pods: list[Pod], ranking: Ranking | None = None,
                   now: float = 0.0) -> list[CreatePods | DeletePod]:
    """Actions that bring one ReplicaSet's live (non-terminating) ``pods`` to ``replicas``,
    deleting first the pods ``ranking`` puts first (Kubernetes' ranking when None)."""
    live = [p for p in pods if not p.terminating]
    if len(live) < replicas:
        return [CreatePods(replicas - len(live))]
    if len(live) == replicas:
        return []                       # nothing to delete: no ranking to work out
    ranked = deletion_order(live, ranking, now)
    surplus = ranked[:len(live) - replicas]
    if ranking is not None:
        return [DeletePod(p, "ranked first by the custom deletion ranking") for p in surplus]
    return [DeletePod(p, why_deleted(p, [o for o in live if o is not p])) for p in surplus]


def history_to_prune(state: ServiceState, pods: list[Pod]) -> list[ReplicaSet]:
    """Old, empty ReplicaSets beyond ``revisionHistoryLimit`` (oldest first)."""
    current = state.spec.template_hash()
    busy = {p.template_hash for p in pods}
    old = sorted((rs for h, rs in state.replicasets.items()
                  if h != current and rs.replicas == 0 and h not in busy),
                 key=lambda rs: rs.revision)
    excess = len(old) - state.spec.revision_history_limit
    return old[:max(excess, 0)]


# -- the controller process ---------------------------------------------------------------

class DeploymentController:
    """A level-triggered sync loop over services, woken by store changes."""

    def __init__(self, ctx: Context, kubelet: "Kubelet",
                 plan: Callable[[ServiceState], dict[str, int]] = plan_replicas,
                 ranking: Callable[[], Ranking | None] = lambda: None):
        """``plan``: pods wanted per ReplicaSet (the rollout controller's); ``ranking``: the
        deletion ranking in force (read at each sync: ``Cluster.deletion_ranking``)."""
        self.ctx, self.kubelet, self.plan, self.ranking = ctx, kubelet, plan, ranking
        self.env = ctx.env
        self.store = ctx.store
        self.queue = WorkQueue()
        self._wakeup = self.env.event()
        self.store.watch(self.enqueue)
        self.env.process(self._worker())
        self.env.process(self._resync())

    def enqueue(self, service: str) -> None:
        """Ask for ``service`` to be synced soon (once, however often it is asked; again
        after its sync when asked during it)."""
        self.queue.add(service)
        if len(self.queue) and not self._wakeup.triggered:
            self._wakeup.succeed()

    def _worker(self) -> Generator:
        while True:
            yield self._wakeup
            self._wakeup = self.env.event()
            while (service := self.queue.get()) is not None:
                try:
                    self.sync(service)
                finally:
                    self.queue.done(service)

    def _resync(self) -> Generator:
        while True:
            yield self.env.timeout(RESYNC_SECONDS)
            for service in self.store.services:
                self.enqueue(service)

    # -- one sync ------------------------------------------------------------------------

    def sync(self, service: str) -> None:
        """Make ``service``'s ReplicaSets and pods match its desired state."""
        state = self.store.services.get(service)
        if state is None:
            return
        self._ensure_current_replicaset(state)
        for template_hash, replicas in self.plan(state).items():
            self._scale_replicaset(state.replicasets[template_hash], replicas)
        pods = self.store.pods_of(service)
        for rs in sorted(state.replicasets.values(), key=lambda r: r.revision):
            own = [p for p in pods if p.template_hash == rs.template_hash]
            for action in reconcile_pods(rs.replicas, own, self.ranking(),
                                         self.env.now):
                self._apply(rs, action)
        for rs in history_to_prune(state, self.store.pods_of(service)):
            del state.replicasets[rs.template_hash]

    def _ensure_current_replicaset(self, state: ServiceState) -> None:
        spec = state.spec
        template_hash = spec.template_hash()
        rs = state.replicasets.get(template_hash)
        newest = max((r.revision for r in state.replicasets.values()), default=0)
        if rs is None:
            rs = ReplicaSet(spec.name, template_hash, newest + 1, spec, 0, self.env.now)
            state.replicasets[template_hash] = rs
            if newest:
                self._emit(Reason.NEW_REVISION, spec.name,
                           f"Revision {rs.revision}: new ReplicaSet {rs.name} for image {spec.image}")
        elif rs.revision != newest:
            rs.revision = newest + 1          # rolling back re-uses the old ReplicaSet
            self._emit(Reason.NEW_REVISION, spec.name,
                       f"Revision {rs.revision}: ReplicaSet {rs.name} (image {spec.image}) is current again")
        rs.spec = spec

    def _scale_replicaset(self, rs: ReplicaSet, replicas: int) -> None:
        if rs.replicas == replicas:
            return
        direction = "up" if replicas > rs.replicas else "down"
        self._emit(Reason.SCALING_REPLICA_SET, rs.service,
                   f"Scaled {direction} replica set {rs.name} from {rs.replicas} to {replicas}")
        rs.replicas = replicas

    def _apply(self, rs: ReplicaSet, action: CreatePods | DeletePod) -> None:
        if isinstance(action, CreatePods):
            for _ in range(action.count):
                pod = Pod(self._pod_name(rs), rs.service, rs.revision, rs.version,
                          rs.template_hash, self.env.now)
                self.store.add_pod(pod)
                self._emit(Reason.SUCCESSFUL_CREATE, rs.service, f"Created pod: {pod.name}",
                           pod=pod.name)
                self.kubelet.start(pod, rs.spec)
        else:
            pod = action.pod
            self._emit(Reason.SUCCESSFUL_DELETE, rs.service,
                       f"Deleted pod: {pod.name} ({action.why})", pod=pod.name, why=action.why)
            self.kubelet.delete(pod, rs.spec.termination_grace_period_seconds)

    def _pod_name(self, rs: ReplicaSet) -> str:
        rng = self.ctx.rng
        while True:
            name = f"{rs.name}-{''.join(rng.choice(NAME_ALPHABET) for _ in range(5))}"
            if name not in self.store.pods:
                return name

    def _emit(self, reason: Reason, service: str, message: str, *, pod: str = "", **facts) -> None:
        self.ctx.log.emit(self.env.now, reason, service, message, pod=pod, **facts)

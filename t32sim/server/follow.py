"""The state SSE clients see, rebuilt where the store says something changed.

``cluster.snapshot()`` reads every service and every pod; the pacer publishes ten times a
second, and most ticks change one service or none. ``StateFollower`` subscribes once to
the store's watch (``store.watch(fn)`` calls ``fn(service)`` whenever that service's
objects change) and, at each ``update()``, reads again only what may have changed:

* a service the store named since the last update: its record (what ``snapshot()`` puts
  under ``services[name]``, from ``Cluster.service_record``) and its pods;
* a service whose record can change without the store saying so: one whose status time
  alone moves (``status.outdated_by_time``: a Ready pod becomes available
  ``minReadySeconds`` later; a Progressing rollout turns Degraded past its
  ``progressDeadlineSeconds``), one whose HPA synced (a
  new status every 15 s) or whose offered load changed (``set_load`` tells the traffic
  model, not the store; CPU moves only with the load or the pods). Those are O(1) checks
  per service; its pods are not read again.

Every other record and pod dict is the object published last time, so the hub's diff skips
it by identity. The pods' patch is worked out from the changed services alone
(``known["pods"]``, the same patch ``delta.diff`` would find over the whole list): the
store keeps pods in insertion order, so kept pods stay in order and new ones are the last
ones of ``store.pods``. When that does not hold (a pod name used again at once, or a
count that does not add up), the whole list is read and diffed, as before.

A store notification is forgotten only once the engine has nothing left to do at the
current instant: a command applied while time is paused is synced by the Deployment
controller later, and what that sync changes is read then.
"""
from __future__ import annotations

from itertools import islice
from typing import Any

from t32sim.engine import Cluster
from t32sim.engine.applying import manifest_objects
from t32sim.engine.status import Phase, outdated_by_time
from t32sim.engine.store import Pod
from t32sim.server.delta import list_patch

__all__ = ["StateFollower"]


class StateFollower:
    """``cluster.snapshot()``, kept up to date from the store's change notifications."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self._dirty: set[str] = set()
        cluster.store.watch(self._dirty.add)
        self._records: dict[str, dict[str, Any]] = {}
        self._hpa: dict[str, Any] = {}              # the HPA status each record shows
        self._pods: dict[str, dict[str, Any]] = {}  # pod name -> dict, in the store's order
        self._read_from: dict[str, Pod] = {}        # pod name -> the Pod its dict came from
        self._rank: dict[str, int] = {}             # pod name -> its place in that order
        self._names: dict[str, tuple[str, ...]] = {}   # service -> its pods' names
        self._pod_list: list[dict[str, Any]] = []
        self._next_rank = 0

    # ---- the two ways to build the state ---------------------------------------------
    def rebuild(self) -> dict[str, Any]:
        """Read every service and pod again (at start, and after a reset)."""
        self._forget_changes()
        self._records = {name: self._read(name) for name in self.cluster.store.services}
        self._read_all_pods()
        return self._state()

    def update(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The state now, and the patches the hub can use instead of comparing
        (``{"pods": patch or None}``, or ``{}`` when the pods were diffed whole)."""
        changed = set(self._dirty)
        self._forget_changes()
        names = self.cluster.store.services
        for gone in [name for name in self._hpa if name not in names]:
            del self._hpa[gone]
        self._records = {name: self._follow(name, name in changed) for name in names}
        patch = self._follow_pods(changed) if changed else None
        return self._state(), {} if patch is False else {"pods": patch}

    # ---- services --------------------------------------------------------------------
    def _follow(self, name: str, changed: bool) -> dict[str, Any]:
        old = self._records.get(name)
        if old is None or changed or self._may_differ(name, old):
            return self._read(name)
        return old

    def _may_differ(self, name: str, record: dict[str, Any]) -> bool:
        """Whether a record can have changed although the store did not name the service."""
        status, cluster = record["status"], self.cluster
        if outdated_by_time(cluster.store.services[name], status["ready"], status["available"],
                           Phase(status["phase"]), cluster.now):
            return True
        return (cluster.autoscaler.status(name) is not self._hpa.get(name)
                or record["load"]["rps"] != cluster.traffic.offered_rps(name))

    def _read(self, name: str) -> dict[str, Any]:
        self._hpa[name] = self.cluster.autoscaler.status(name)
        return self.cluster.service_record(name)

    def _forget_changes(self) -> None:
        """Forget the notifications once the engine is done with the current instant."""
        env = self.cluster.env
        if env.peek() > env.now:
            self._dirty.clear()

    # ---- pods ------------------------------------------------------------------------
    def _follow_pods(self, services: set[str]) -> dict[str, Any] | None | bool:
        """Read the pods of ``services`` again; their patch (None: unchanged), or False
        when the whole list had to be read again."""
        store = self.cluster.store
        removed: list[str] = []
        changed: list[tuple[int, dict[str, Any]]] = []
        added: dict[str, dict[str, Any]] = {}
        for service in services:
            pods = store.pods_of(service)
            kept = set()
            for pod in pods:
                before = self._read_from.get(pod.name)
                if before is None:
                    added[pod.name] = pod.to_dict()
                    continue
                if before is not pod:               # the name was used again at once
                    return self._read_all_pods()
                kept.add(pod.name)
                record = pod.to_dict()
                if record != self._pods[pod.name]:
                    changed.append((self._rank[pod.name], record))
            removed.extend(name for name in self._names.get(service, ()) if name not in kept)
            self._names[service] = tuple(pod.name for pod in pods)
            if not pods and service not in store.services:
                del self._names[service]
        tail = list(islice(reversed(store.pods), len(added)))
        tail.reverse()
        if set(tail) != set(added) or len(self._pods) - len(removed) + len(added) != len(
                store.pods):
            return self._read_all_pods()           # a change the store did not tell
        if not (removed or changed or added):
            return None
        removed.sort(key=self._rank.__getitem__)
        changed.sort(key=lambda item: item[0])
        for name in removed:
            del self._pods[name], self._read_from[name], self._rank[name]
        for _, record in changed:
            self._pods[record["name"]] = record
        for name in tail:
            self._pods[name] = added[name]
            self._read_from[name] = store.pods[name]
            self._rank[name] = self._next_rank
            self._next_rank += 1
        self._pod_list = list(self._pods.values())
        return list_patch("name", removed, [record for _, record in changed],
                          [added[name] for name in tail])

    def _read_all_pods(self) -> bool:
        """Read every pod again, in the store's order."""
        pods = self.cluster.store.pods.values()
        self._pods = {pod.name: pod.to_dict() for pod in pods}
        self._read_from = {pod.name: pod for pod in pods}
        self._rank = {name: rank for rank, name in enumerate(self._pods)}
        self._next_rank = len(self._rank)
        names: dict[str, list[str]] = {}
        for pod in pods:
            names.setdefault(pod.service, []).append(pod.name)
        self._names = {service: tuple(found) for service, found in names.items()}
        self._pod_list = list(self._pods.values())
        return False

    # ---- the state -------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        """The snapshot's layout (``Cluster.snapshot``), from the records kept here."""
        cluster = self.cluster
        return {"time": cluster.now, "seed": cluster.seed, "services": self._records,
                "pods": self._pod_list, "event_count": len(cluster.event_log),
                **manifest_objects(cluster.store)}

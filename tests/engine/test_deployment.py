"""Pure ReplicaSet decisions: create/delete actions and Kubernetes' deletion ranking."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.commands import CommandError
from t32sim.engine.deployment import (CreatePods, DeletePod, deletion_order, history_to_prune,
                                      kubernetes_ranking, reconcile_pods)
from t32sim.engine.store import Pod, PodPhase, ReplicaSet, ServiceState, WaitingReason
from t32sim.spec import ServiceSpec


def pod(name, phase=PodPhase.RUNNING, ready=True, ready_since=5.0, restarts=0, created=0.0,
        deleted=None, waiting=None):
    return Pod(name, "api", 1, "v1", "h1", created, phase=phase, ready=ready,
               restarts=restarts, ready_since=ready_since if ready else None,
               deletion_timestamp=deleted, waiting_reason=waiting)


def names(pods):
    return [p.name for p in pods]


RANKING_CASES = [
    # (pods, expected deletion order)
    ([pod("running"), pod("pending", PodPhase.PENDING, ready=False)], ["pending", "running"]),
    ([pod("running"), pod("creating", PodPhase.PENDING, ready=False,
                          waiting=WaitingReason.CONTAINER_CREATING)], ["creating", "running"]),
    # unscheduled (no waiting reason yet) before scheduled-and-pending
    ([pod("creating", PodPhase.PENDING, ready=False, waiting=WaitingReason.CONTAINER_CREATING),
      pod("unscheduled", PodPhase.PENDING, ready=False)], ["unscheduled", "creating"]),
    ([pod("ready"), pod("unready", ready=False)], ["unready", "ready"]),
    ([pod("old-ready", ready_since=1.0), pod("new-ready", ready_since=9.0)],
     ["new-ready", "old-ready"]),
    ([pod("calm", restarts=0), pod("flappy", restarts=4)], ["flappy", "calm"]),
    ([pod("older", created=1.0), pod("newer", created=2.0)], ["newer", "older"]),
    ([pod("crashing", PodPhase.RUNNING, ready=False, restarts=9,
          waiting=WaitingReason.CRASH_LOOP_BACKOFF),
      pod("pulling", PodPhase.PENDING, ready=False, waiting=WaitingReason.IMAGE_PULL_BACKOFF)],
     ["pulling", "crashing"]),
    ([pod("b"), pod("a")], ["a", "b"]),
]


@pytest.mark.parametrize("pods,expected", RANKING_CASES)
def test_deletion_order_follows_kubernetes_ranking(pods, expected):
    assert names(deletion_order(pods)) == expected


@pytest.mark.parametrize("phase, waiting, deleted, status", [
    (PodPhase.PENDING, None, None, "Pending"),
    (PodPhase.PENDING, WaitingReason.CONTAINER_CREATING, None, "ContainerCreating"),
    (PodPhase.PENDING, WaitingReason.IMAGE_PULL_BACKOFF, None, "ImagePullBackOff"),
    (PodPhase.RUNNING, None, None, "Running"),
    (PodPhase.RUNNING, WaitingReason.CRASH_LOOP_BACKOFF, None, "CrashLoopBackOff"),
    (PodPhase.RUNNING, None, 12.0, "Terminating"),         # the deletion timestamp wins
    (PodPhase.PENDING, WaitingReason.ERR_IMAGE_PULL, 3.0, "Terminating"),
    (PodPhase.SUCCEEDED, None, None, "Completed"),
    (PodPhase.FAILED, None, None, "Error"),
])
def test_status_is_the_word_kubectl_computes_from_phase_waiting_reason_and_deletion(
        phase, waiting, deleted, status):
    p = pod("p", phase, ready=False, deleted=deleted, waiting=waiting)
    assert p.status == status and p.to_dict()["status"] == status
    assert p.to_dict()["phase"] == phase.value and p.deleted_at == deleted


def test_reconcile_creates_the_missing_pods_ignoring_terminating_ones():
    pods = [pod("a"), pod("gone", deleted=3.0)]
    assert reconcile_pods(3, pods) == [CreatePods(2)]


def test_reconcile_deletes_surplus_in_ranked_order_with_a_reason():
    pods = [pod("a", created=1), pod("b", ready=False, created=2), pod("c", created=3)]
    actions = reconcile_pods(1, pods)
    assert [(a.pod.name, a.why) for a in actions] == [("b", "not ready"), ("c", "the newest pod")]
    assert all(isinstance(a, DeletePod) for a in actions)


def test_a_custom_ranking_decides_which_pods_go_and_gets_now():
    seen = []

    def oldest_first(p, now):
        seen.append(now)
        return p.created_at

    pods = [pod("a", created=3), pod("b", created=1), pod("c", created=2)]
    actions = reconcile_pods(1, pods, oldest_first, now=42.0)
    assert [(a.pod.name, a.why) for a in actions] == [
        ("b", "ranked first by the custom deletion ranking"),
        ("c", "ranked first by the custom deletion ranking")]
    assert set(seen) == {42.0}
    assert names(deletion_order(pods, kubernetes_ranking, 0.0)) == names(deletion_order(pods))


def test_the_cluster_scales_down_with_its_deletion_ranking(examples):
    def run(**options):
        c = t3.Cluster(seed=7, **options)
        c.apply(examples / "api-v1.yaml")
        c.run(until=20)
        c.scale("api", replicas=5)
        c.run(until=40)
        made = {p.name: p.created_at for p in c.pods("api")}
        c.scale("api", replicas=3)
        c.run_for(0)
        return sorted(made[p.name] for p in c.pods("api") if not p.terminating)

    assert run() == [0.0, 0.0, 0.0]                  # Kubernetes keeps the long-Ready pods
    assert run(deletion_ranking=lambda p, now: p.created_at) == [0.0, 20.0, 20.0]
    assert run(deletion_ranking=kubernetes_ranking) == run()


def test_a_deletion_ranking_must_be_a_function():
    with pytest.raises(CommandError, match="^deletion_ranking: expected a function"):
        t3.Cluster(seed=1, deletion_ranking="oldest")


def test_reconcile_at_the_right_size_does_nothing():
    assert reconcile_pods(2, [pod("a"), pod("b")]) == []


def test_history_keeps_revision_history_limit_old_empty_replicasets():
    spec = ServiceSpec(name="api", image="local://demo@v3", revision_history_limit=1)
    state = ServiceState(spec)
    for revision, image in enumerate(["local://demo@v1", "local://demo@v2"], start=1):
        old = ServiceSpec(name="api", image=image)
        state.replicasets[old.template_hash()] = ReplicaSet("api", old.template_hash(), revision, old)
    state.replicasets[spec.template_hash()] = ReplicaSet("api", spec.template_hash(), 3, spec, 2)
    assert [rs.revision for rs in history_to_prune(state, [])] == [1]

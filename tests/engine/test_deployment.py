"""Pure ReplicaSet decisions (create/delete actions, Kubernetes' deletion ranking, history
pruning) and what the Deployment controller says and does with them."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.commands import CommandError
from t32sim.engine.deployment import (CreatePods, DeletePod, deletion_order, history_to_prune,
                                      kubernetes_ranking, plan_replicas, reconcile_pods)
from t32sim.engine.store import Pod, PodPhase, ReplicaSet, ServiceState, WaitingReason
from t32sim.spec import Probe, Rollout, ServiceSpec


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
    # ready for less time first; the names sort the other way, so only ready_since decides
    # ready for less time first; the names sort the other way, so only ready_since decides
    ([pod("a-old-ready", ready_since=1.0), pod("z-new-ready", ready_since=9.0)],
     ["z-new-ready", "a-old-ready"]),
    ([pod("a-ready-at-0", ready_since=0.0), pod("z-ready-at-half", ready_since=0.5)],
     ["z-ready-at-half", "a-ready-at-0"]),
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
    seen.clear()
    reconcile_pods(1, pods, oldest_first)
    assert set(seen) == {0.0}                       # ``now`` defaults to 0
    seen.clear()
    deletion_order(pods, oldest_first)
    assert set(seen) == {0.0}
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


@pytest.mark.parametrize("pods, deleted, why", [
    ([pod("a"), pod("p", PodPhase.PENDING, ready=False)], "p", "not scheduled yet"),
    ([pod("a"), pod("p", PodPhase.PENDING, ready=False,
                    waiting=WaitingReason.CONTAINER_CREATING)], "p", "still ContainerCreating"),
    # Ready since t=0 is Ready longest: 0.0 is a time, not a missing one
    ([pod("a", ready_since=0.0), pod("b", ready_since=0.5)], "b", "ready for the shortest time"),
    ([pod("a", ready_since=0.0), pod("b", ready_since=0.0, created=1.0)], "b", "the newest pod"),
    ([pod("a"), pod("b", restarts=2)], "b", "2 restarts"),
])
def test_each_deletion_says_why_that_pod(pods, deleted, why):
    assert [(a.pod.name, a.why) for a in reconcile_pods(1, pods)] == [(deleted, why)]


def rs(spec, revision, replicas=0):
    return ReplicaSet("api", spec.template_hash(), revision, spec, replicas)


def test_history_never_prunes_the_current_replicaset_nor_one_that_still_has_replicas():
    """revisionHistoryLimit 0 keeps no old, empty ReplicaSet, but keeps the current one even
    at 0 replicas (the service scaled to zero) and an old one a rollout still scales."""
    v1, v2, v3 = (ServiceSpec(name="api", image=f"local://demo@{v}", replicas=0,
                              revision_history_limit=0) for v in ("v1", "v2", "v3"))
    state = ServiceState(v3)
    for r in (rs(v1, 1), rs(v2, 2, replicas=2), rs(v3, 3)):
        state.replicasets[r.template_hash] = r
    assert [r.revision for r in history_to_prune(state, [])] == [1]
    busy = [Pod("p", "api", 1, "v1", v1.template_hash(), 0.0, deletion_timestamp=5.0)]
    assert history_to_prune(state, busy) == []            # its pod is still terminating


def test_plan_replicas_gives_every_pod_to_the_current_template():
    v1, v2 = (ServiceSpec(name="api", image=f"local://demo@{v}", replicas=3) for v in ("v1", "v2"))
    state = ServiceState(v2)
    for r in (rs(v1, 1, replicas=3), rs(v2, 2)):
        state.replicasets[r.template_hash] = r
    assert plan_replicas(state) == {v1.template_hash(): 0, v2.template_hash(): 3}


PROBE = Probe(path="/healthz", initial_delay_seconds=1, period_seconds=1)


def web(image="local://demo@v1", **kwargs):
    return ServiceSpec(name="api", image=image, replicas=2, readiness_probe=PROBE, **kwargs)


def test_the_deployment_controller_says_what_it_does_rollout_and_undo():
    """Every event of the Deployment and ReplicaSet controllers, exactly: a rolling update
    (25 % surge and unavailable of 2: one pod at a time) and its undo."""
    c = t3.Cluster(seed=1)
    c.apply(web())
    c.run(until=10)
    c.apply(web("local://demo@v2"))
    c.run(until=30)
    c.undo("api")
    c.run(until=50)
    mine = {"ScalingReplicaSet", "SuccessfulCreate", "SuccessfulDelete", "NewRevision"}
    got = [(e.time, e.reason.value, e.service, e.pod, e.message)
           for e in c.event_log if e.reason.value in mine]
    a, b = "api-9dfadcf780", "api-d70a558c10"
    assert got == [
        (0.0, "ScalingReplicaSet", "api", "", f"Scaled up replica set {a} from 0 to 2"),
        (0.0, "SuccessfulCreate", "api", f"{a}-gx87d", f"Created pod: {a}-gx87d"),
        (0.0, "SuccessfulCreate", "api", f"{a}-lft7s", f"Created pod: {a}-lft7s"),
        (10.0, "NewRevision", "api", "",
         f"Revision 2: new ReplicaSet {b} for image local://demo@v2"),
        (10.0, "ScalingReplicaSet", "api", "", f"Scaled up replica set {b} from 0 to 1"),
        (10.0, "SuccessfulCreate", "api", f"{b}-t2q8j", f"Created pod: {b}-t2q8j"),
        (16.0, "ScalingReplicaSet", "api", "", f"Scaled up replica set {b} from 1 to 2"),
        (16.0, "ScalingReplicaSet", "api", "", f"Scaled down replica set {a} from 2 to 1"),
        (16.0, "SuccessfulDelete", "api", f"{a}-gx87d", f"Deleted pod: {a}-gx87d (the newest pod)"),
        (16.0, "SuccessfulCreate", "api", f"{b}-ftb9q", f"Created pod: {b}-ftb9q"),
        (22.0, "ScalingReplicaSet", "api", "", f"Scaled down replica set {a} from 1 to 0"),
        (22.0, "SuccessfulDelete", "api", f"{a}-lft7s", f"Deleted pod: {a}-lft7s (the newest pod)"),
        (30.0, "NewRevision", "api", "",
         f"Revision 3: ReplicaSet {a} (image local://demo@v1) is current again"),
        (30.0, "ScalingReplicaSet", "api", "", f"Scaled up replica set {a} from 0 to 1"),
        (30.0, "SuccessfulCreate", "api", f"{a}-rz77b", f"Created pod: {a}-rz77b"),
        (34.0, "ScalingReplicaSet", "api", "", f"Scaled up replica set {a} from 1 to 2"),
        (34.0, "ScalingReplicaSet", "api", "", f"Scaled down replica set {b} from 2 to 1"),
        (34.0, "SuccessfulDelete", "api", f"{b}-ftb9q",
         f"Deleted pod: {b}-ftb9q (ready for the shortest time)"),
        (34.0, "SuccessfulCreate", "api", f"{a}-5sl68", f"Created pod: {a}-5sl68"),
        (38.0, "ScalingReplicaSet", "api", "", f"Scaled down replica set {b} from 1 to 0"),
        (38.0, "SuccessfulDelete", "api", f"{b}-t2q8j", f"Deleted pod: {b}-t2q8j (the newest pod)"),
    ]
    deletes = [e.explain for e in c.event_log if e.reason.value == "SuccessfulDelete"]
    assert deletes[2].endswith("cheapest to lose (ready for the shortest time).")
    assert [(p.name, p.revision) for p in c.pods("api")] == [(f"{a}-rz77b", 3), (f"{a}-5sl68", 3)]
    created = {r.revision: r.created_at for r in c.store.services["api"].replicasets.values()}
    assert created == {3: 0.0, 2: 10.0}


def test_an_old_replicaset_is_pruned_only_once_its_pods_are_gone():
    c = t3.Cluster(seed=1)
    c.apply(web(revision_history_limit=0))
    c.run(until=10)
    c.apply(web("local://demo@v2", revision_history_limit=0,
                rollout=Rollout(max_surge=2, max_unavailable=0)))
    c.run(until=16.5)                    # v1 scaled to 0 at t=16, its pods still terminating
    assert [r["revision"] for r in c.service("api").revisions] == [1, 2]
    c.run(until=17)                      # they are gone at 17: the next sync prunes v1
    assert [r["revision"] for r in c.service("api").revisions] == [2]


def test_the_cluster_gives_its_deletion_ranking_the_time_of_the_sync(examples):
    seen = []

    def oldest_first(p, now):
        seen.append(now)
        return p.created_at

    c = t3.Cluster(seed=7, deletion_ranking=oldest_first)
    c.apply(examples / "api-v1.yaml")
    c.run(until=20)
    c.scale("api", replicas=2)
    c.run_for(0)
    assert set(seen) == {20.0}

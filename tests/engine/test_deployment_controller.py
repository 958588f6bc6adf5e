"""The Deployment controller's wiring: what breaks if a line of it goes missing (each test
was watched failing with that line removed)."""
from __future__ import annotations

import dataclasses

import t32sim as t3
from t32sim.engine.deployment import RESYNC_SECONDS
from t32sim.spec import Autoscale, EnvVar, Probe, Rollout, ServiceSpec

PROBE = Probe(path="/healthz", initial_delay_seconds=1, period_seconds=1)


def spec(image="local://demo@v1", replicas=3, **kwargs) -> ServiceSpec:
    return ServiceSpec(name="api", image=image, replicas=replicas, readiness_probe=PROBE,
                       **kwargs)


def creates(c: t3.Cluster) -> list[float]:
    return [e.time for e in c.event_log if e.reason == "SuccessfulCreate"]


def test_a_change_during_a_sync_is_synced_again():
    c = t3.Cluster(seed=1)
    c.apply(spec())
    c.run(until=10)
    syncs: list[float] = []
    sync = c.deployments.sync

    def sync_that_scales_once(service):
        syncs.append(c.now)
        sync(service)
        if len(syncs) == 1:     # the desired state changes while its sync runs
            state = c.store.services[service]
            state.spec = dataclasses.replace(state.spec, replicas=4)
            c.store.changed(service)

    c.deployments.sync = sync_that_scales_once
    c.scale("api", replicas=3)               # unchanged count: a sync, no pod
    c.run(until=11)
    assert len(syncs) >= 2 and set(syncs) == {10.0}
    assert creates(c)[-1] == 10.0 and len(c.pods("api")) == 4


def test_the_resync_picks_up_what_no_watch_saw():
    c = t3.Cluster(seed=1)
    c.apply(spec())
    c.run(until=12)
    state = c.store.services["api"]
    state.spec = dataclasses.replace(state.spec, replicas=4)     # behind the store's back
    c.run(until=RESYNC_SECONDS - 0.5)
    assert len(c.pods("api")) == 3
    c.run(until=RESYNC_SECONDS)
    assert creates(c) == [0.0, 0.0, 0.0, RESYNC_SECONDS]


def test_the_sync_prunes_old_revisions_beyond_the_history_limit():
    c = t3.Cluster(seed=1)
    for version in ("v1", "v2", "v3"):
        c.apply(spec(f"local://demo@{version}", revision_history_limit=1))
        c.run_for(40)
    assert [r["revision"] for r in c.service("api").revisions] == [2, 3]


def test_undo_brings_back_the_old_template_env_included():
    c = t3.Cluster(seed=1)
    c.apply(spec(env=(EnvVar("COLOR", "blue"),)))
    c.run(until=20)
    c.apply(spec("local://demo@v2", env=(EnvVar("COLOR", "green"),)))
    c.run(until=60)
    assert c.undo("api") == 1
    c.run(until=120)
    view = c.service("api")
    assert view.spec.env == (EnvVar("COLOR", "blue"),)
    assert view.status.revision == 3                  # revision 1's ReplicaSet, current again
    assert [r["replicas"] for r in view.revisions] == [0, 3]


def test_each_pod_that_becomes_ready_renews_the_progress_deadline():
    """A rollout slower than progressDeadlineSeconds in all, but with a pod Ready every few
    seconds, is making progress: never Degraded."""
    c = t3.Cluster(seed=1)
    rollout = Rollout(max_surge=1, max_unavailable=0)
    c.apply(spec(min_ready_seconds=3, progress_deadline_seconds=12, rollout=rollout))
    c.run(until=30)
    c.apply(spec("local://demo@v2", min_ready_seconds=3, progress_deadline_seconds=12,
                 rollout=rollout))
    c.run(until=80)
    history = c.history
    phases = history[history.time > 30].phase.tolist()
    assert phases[-1] == "Healthy"
    done = phases.index("Healthy")
    assert done >= 20                                 # the rollout took longer than 12 s
    assert set(phases[:done]) == {"Progressing"}


def phases_from(c: t3.Cluster, t: float) -> list[str]:
    history = c.history
    return history[history.time >= t].phase.tolist()


def test_a_scale_renews_the_progress_deadline():
    """Scaled long after its last pod became Ready, the service is Progressing, not at once
    Degraded: a change of the desired state starts the deadline again."""
    c = t3.Cluster(seed=1)
    c.apply(spec(progress_deadline_seconds=12))
    c.run(until=30)                                   # last Ready at t=4: 26 s ago
    c.scale("api", replicas=5)
    assert c.service("api").status.phase == "Progressing"
    c.run(until=40)
    assert phases_from(c, 30) == ["Healthy"] + ["Progressing"] * 3 + ["Healthy"] * 7


def test_an_undo_renews_the_progress_deadline():
    c = t3.Cluster(seed=1)
    c.apply(spec(progress_deadline_seconds=12))
    c.run(until=20)
    c.apply(spec("local://demo@v2", progress_deadline_seconds=12))
    c.run(until=60)                                   # v2 Healthy for more than 12 s
    assert c.undo("api") == 1
    assert c.service("api").status.phase == "Progressing"
    c.run(until=90)
    assert "Degraded" not in phases_from(c, 60) and phases_from(c, 60)[-1] == "Healthy"


def test_an_autoscaler_rescale_renews_the_progress_deadline():
    c = t3.Cluster(seed=1)
    c.apply(spec(replicas=2, progress_deadline_seconds=12,
                 autoscale=Autoscale(min_replicas=2, max_replicas=6, target_cpu=50)))
    c.run(until=30)
    c.set_load("api", cpu=90)
    c.run(until=45)
    assert c.service("api").status.desired == 4      # the HPA scaled 2 -> 4 at t=45
    assert c.service("api").status.phase == "Progressing"
    c.run(until=60)
    assert "Degraded" not in phases_from(c, 30) and phases_from(c, 30)[-1] == "Healthy"

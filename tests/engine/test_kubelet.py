"""Pod lifecycle with Kubernetes semantics: probes, restarts, CrashLoopBackOff, termination."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.kubelet import crash_backoff, image_pull_backoff

PROBES = {
    "readinessProbe": {"httpGet": {"path": "/healthz"}, "initialDelaySeconds": 1,
                       "periodSeconds": 2, "failureThreshold": 3},
    "livenessProbe": {"httpGet": {"path": "/livez"}, "initialDelaySeconds": 1,
                      "periodSeconds": 2, "failureThreshold": 3},
}


def service(image="local://demo@v1", replicas=1, env=None, **spec):
    body = {"image": image, "replicas": replicas, **spec}
    if env:
        body["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}, "spec": body}


def trace(cluster, *reasons):
    """[(time, reason)] of the events with the given reasons."""
    return [(e.time, e.reason.value) for e in cluster.event_log if e.reason.value in reasons]


def test_backoff_formulas():
    assert [crash_backoff(n) for n in range(9)] == [0, 10, 20, 40, 80, 160, 300, 300, 300]
    assert [image_pull_backoff(n) for n in range(1, 8)] == [10, 20, 40, 80, 160, 300, 300]


def test_a_crashing_image_restarts_with_crashloop_backoff_gaps():
    c = t3.Cluster(seed=1)
    c.apply(service("local://demo@crash"))
    c.run(until=1300)
    exits = [t for t, r in trace(c, "ContainerExited")]
    starts = [t for t, r in trace(c, "Started")]
    gaps = [start - exit for exit, start in zip(exits, starts[1:])]
    assert gaps == [0, 10, 20, 40, 80, 160, 300, 300, 300]
    assert starts[:4] == [2.0, 3.0, 14.0, 35.0]
    [pod] = c.pods("api")
    assert pod.restarts == 9 and not pod.ready
    assert (pod.phase, pod.status) == (t3.PodPhase.RUNNING, t3.PodStatus.CRASH_LOOP_BACKOFF)


def test_backoff_resets_after_a_container_ran_600_seconds():
    c = t3.Cluster(seed=1)
    c.apply(service(env={"HEALTHY": "1"}, **PROBES))
    c.run(until=10)
    [pod] = c.pods("api")
    c.store.broken_probes.add(("api", "liveness"))
    c.kubelet.wake(c.store.pods[pod.name])
    c.run(until=15)          # killed at 15 (probes 11, 13, 15) and restarted at once
    c.store.broken_probes.clear()
    for p in c.store.pods.values():
        c.kubelet.wake(p)
    c.run(until=700)         # runs for 600+ s healthily
    c.store.broken_probes.add(("api", "liveness"))
    for p in c.store.pods.values():
        c.kubelet.wake(p)
    c.run(until=800)
    assert trace(c, "LivenessProbeFailed", "Started", "BackOff") == [
        (2.0, "Started"), (15.0, "LivenessProbeFailed"), (15.0, "Started"),
        # probes every 2 s from 16; broken at 700: 702, 704, 706 fail. The container that
        # started at 15 ran more than 600 s, so the backoff starts over at 0.
        (706.0, "LivenessProbeFailed"), (706.0, "Started"),
        (711.0, "LivenessProbeFailed"), (711.0, "BackOff"), (721.0, "Started"),
        (726.0, "LivenessProbeFailed"), (726.0, "BackOff"), (746.0, "Started"),
        (751.0, "LivenessProbeFailed"), (751.0, "BackOff"), (791.0, "Started"),
        (796.0, "LivenessProbeFailed"), (796.0, "BackOff"),
    ]


def test_unhealthy_app_with_liveness_is_never_ready_and_restarts_with_backoff():
    c = t3.Cluster(seed=3)
    c.apply(service(env={"HEALTHY": "0"}, **PROBES))
    c.run(until=200)
    assert trace(c, "LivenessProbeFailed", "BackOff", "Ready") == [
        (7.0, "LivenessProbeFailed"),
        (12.0, "LivenessProbeFailed"), (12.0, "BackOff"),
        (27.0, "LivenessProbeFailed"), (27.0, "BackOff"),
        (52.0, "LivenessProbeFailed"), (52.0, "BackOff"),
        (97.0, "LivenessProbeFailed"), (97.0, "BackOff"),
        (182.0, "LivenessProbeFailed"), (182.0, "BackOff"),
    ]
    assert c.service("api").status.ready == 0
    assert (c.history["ready"] == 0).all()


def test_readiness_failure_leaves_endpoints_without_restart():
    c = t3.Cluster(seed=3)
    c.apply(service(**PROBES))
    c.run(until=10)
    c.store.broken_probes.add(("api", "readiness"))
    for p in c.store.pods.values():
        c.kubelet.wake(p)
    c.run(until=40)
    c.store.broken_probes.clear()
    for p in c.store.pods.values():
        c.kubelet.wake(p)
    c.run(until=60)
    # probes at 11, 13, 15 fail -> NotReady at 15; healed at 40 -> next probe at 41 passes
    assert trace(c, "Ready", "NotReady", "Started", "LivenessProbeFailed") == [
        (2.0, "Started"), (5.0, "Ready"), (15.0, "NotReady"), (41.0, "Ready")]
    assert c.pods("api")[0].restarts == 0


def test_never_ready_image_runs_but_never_joins():
    c = t3.Cluster(seed=3)
    c.apply(service("local://demo@never-ready", **PROBES))
    c.run(until=120)
    [pod] = c.pods("api")
    assert (pod.phase, pod.ready, pod.restarts) == (t3.PodPhase.RUNNING, False, 0)
    # one warning when readiness has failed failureThreshold times (probes at 3, 5, 7)
    assert trace(c, "Unhealthy", "Ready", "NotReady") == [(7.0, "Unhealthy")]
    [warning] = [e for e in c.event_log if e.reason is t3.Reason.UNHEALTHY]
    assert warning.level is t3.Level.WARNING and "never restarts it" in warning.explain


def test_startup_probe_holds_back_liveness_until_it_passes():
    startup = {"httpGet": {"path": "/livez"}, "periodSeconds": 1, "failureThreshold": 30}
    c = t3.Cluster(seed=3)
    c.apply(service("local://demo@slow", startupProbe=startup, **PROBES))
    c.run(until=40)
    # slow starts in 8 s: pulled at 2, healthy at 10, startup probe (every 1 s from 2) passes at 10
    assert trace(c, "Started", "StartupProbeSucceeded", "Ready", "LivenessProbeFailed") == [
        (2.0, "Started"), (10.0, "StartupProbeSucceeded"), (11.0, "Ready")]


def test_startup_probe_failure_restarts_the_container():
    startup = {"httpGet": {"path": "/livez"}, "periodSeconds": 1, "failureThreshold": 3}
    c = t3.Cluster(seed=3)
    c.apply(service("local://demo@slow", startupProbe=startup, **PROBES))
    c.run(until=20)
    assert trace(c, "Started", "StartupProbeFailed", "BackOff") == [
        (2.0, "Started"), (4.0, "StartupProbeFailed"), (4.0, "Started"),
        (6.0, "StartupProbeFailed"), (6.0, "BackOff"), (16.0, "Started"),
        (18.0, "StartupProbeFailed"), (18.0, "BackOff")]


def test_unknown_image_gives_err_image_pull_then_backoff():
    c = t3.Cluster(seed=3)
    c.apply(service("local://demo@v99"))
    c.run(until=80)
    assert trace(c, "ErrImagePull", "ImagePullBackOff") == [
        (1.0, "ErrImagePull"), (1.0, "ImagePullBackOff"),
        (12.0, "ErrImagePull"), (12.0, "ImagePullBackOff"),
        (33.0, "ErrImagePull"), (33.0, "ImagePullBackOff"),
        (74.0, "ErrImagePull"), (74.0, "ImagePullBackOff")]
    [pod] = c.pods("api")
    assert (pod.phase, pod.status) == (t3.PodPhase.PENDING, t3.PodStatus.IMAGE_PULL_BACKOFF)


@pytest.mark.parametrize("image, grace, gone_after, phase, how", [
    # the grace period is an upper bound: the demo app exits about 1 s after SIGTERM
    ("local://demo@v1", 30, 1, "Succeeded", "its container exited 1 s after SIGTERM"),
    ("local://demo@v1", 5, 1, "Succeeded", "its container exited 1 s after SIGTERM"),
    ("local://demo@slow", 30, 3, "Succeeded", "its container exited 3 s after SIGTERM"),
    # needing longer than the grace period, or ignoring SIGTERM: SIGKILL when it ends
    ("local://demo@slow", 2, 2, "Failed",
     "its container was killed (SIGKILL) when the 2 s grace period ended"),
    ("local://demo@ignores-sigterm", 30, 30, "Failed",
     "its container was killed (SIGKILL) when the 30 s grace period ended"),
    ("local://demo@ignores-sigterm", 5, 5, "Failed",
     "its container was killed (SIGKILL) when the 5 s grace period ended"),
    ("local://demo@ignores-sigterm", 0, 0, "Failed",
     "its container was killed (SIGKILL) when the 0 s grace period ended"),
])
def test_a_terminating_pod_leaves_endpoints_at_once_and_is_gone_when_its_container_stops(
        image, grace, gone_after, phase, how):
    c = t3.Cluster(seed=3)
    c.apply(service(image, terminationGracePeriodSeconds=grace))
    c.run(until=15)
    [victim] = c.kill("api", 1)
    [dying] = [p for p in c.pods("api") if p.name == victim]
    assert (dying.phase, dying.status, dying.ready, dying.deletion_timestamp) == (
        t3.PodPhase.RUNNING, t3.PodStatus.TERMINATING, False, 15.0)
    if gone_after:
        c.run(until=15 + gone_after - 0.5)
        assert victim in [p.name for p in c.pods("api")]
    c.run(until=15 + gone_after)
    assert victim not in [p.name for p in c.pods("api")]
    [deleted] = [e for e in c.event_log if e.reason is t3.Reason.DELETED]
    assert (deleted.time, deleted.message) == (
        15.0 + gone_after, f"Pod {victim} is gone: {how} (phase {phase})")
    gone = c.store.pod_archive[victim]
    assert (gone.phase, gone.status, gone.deletion_timestamp) == (phase, "Terminating", 15.0)


def test_a_pod_without_a_running_container_is_gone_at_once_when_deleted():
    c = t3.Cluster(seed=3)
    c.apply(service("local://demo@v99"))             # never pulls: nothing runs
    c.run(until=5)
    [victim] = c.kill("api", 1)
    c.run(until=5)
    assert victim not in [p.name for p in c.pods("api")]
    assert [e.message for e in c.event_log if e.reason is t3.Reason.DELETED] == [
        f"Pod {victim} is gone: it had no running container to stop (phase Failed)"]


@pytest.mark.parametrize("running, grace, expected", [
    (True, 30, (1.0, False)), (True, 0.5, (0.5, True)), (True, 1, (1.0, False)),
    (False, 30, (0.0, False)),
])
def test_shutdown_after_sigterm_is_the_image_s_shutdown_time_bounded_by_the_grace(
        running, grace, expected):
    from t32sim.engine.images import resolve
    from t32sim.engine.kubelet import shutdown_after_sigterm
    assert shutdown_after_sigterm(resolve("local://demo@v1"), running, grace) == expected

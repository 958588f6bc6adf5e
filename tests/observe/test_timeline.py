"""Pod phase intervals and restarts rebuilt from the event log (t32sim/observe/timeline.py)."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.observe import frames
from t32sim.observe.timeline import pod_intervals, pod_restarts


def story(c, pod):
    return [(i.state, i.start, i.end, i.open) for i in pod_intervals(c.event_log, c.now)
            if i.pod == pod]


def test_a_killed_pod_and_its_replacement_tell_the_whole_story(scenario):
    killed = [e.pod for e in scenario.event_log if e.reason is t3.Reason.CHAOS_KILL]
    assert story(scenario, killed[0]) == [("ContainerCreating", 0.0, 2.0, False),
                                          ("Running", 2.0, 5.0, False),
                                          ("Ready", 5.0, 20.0, False),
                                          ("Terminating", 20.0, 21.0, False)]   # exits in 1 s
    phases = [(i.status, i.phase) for i in pod_intervals(scenario.event_log, scenario.now)
              if i.pod == killed[0]]
    assert phases == [("ContainerCreating", "Pending"), ("Running", "Running"),
                      ("Running", "Running"), ("Terminating", "Running")]
    replacement = [e.pod for e in scenario.event_log
                   if e.reason is t3.Reason.SUCCESSFUL_CREATE and e.time == 20.0][0]
    assert story(scenario, replacement) == [("ContainerCreating", 20.0, 22.0, False),
                                            ("Running", 22.0, 25.0, False),
                                            ("Ready", 25.0, 100.0, True)]


def test_a_crash_loop_alternates_ready_and_backoff_with_doubling_waits(scenario):
    (pod,) = scenario.pods("web")
    backoffs = [(s, start, end) for s, start, end, _ in story(scenario, pod.name)
                if s == "CrashLoopBackOff"]
    assert backoffs == [("CrashLoopBackOff", 4.0, 14.0), ("CrashLoopBackOff", 15.0, 35.0),
                        ("CrashLoopBackOff", 36.0, 76.0), ("CrashLoopBackOff", 77.0, 100.0)]
    restarts = [(r.restart, r.exited_at, r.time, r.backoff_seconds, r.cause)
                for r in pod_restarts(scenario.event_log)]
    assert restarts == [(1, 3.0, 3.0, 0.0, "ContainerExited"), (2, 4.0, 14.0, 10.0, "ContainerExited"),
                        (3, 15.0, 35.0, 20.0, "ContainerExited"), (4, 36.0, 76.0, 40.0, "ContainerExited")]
    assert pod.restarts == len(restarts)


@pytest.mark.parametrize("image, until", [("local://demo@v1", 90), ("local://demo@crash", 700),
                                          ("local://demo@never-ready", 60),
                                          ("local://demo@missing", 400),
                                          ("local://demo@slow", 60)])
def test_every_live_pod_ends_in_its_real_phase_and_readiness(image, until):
    c = t3.Cluster(seed=3)
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
             "spec": {"replicas": 3, "image": image,
                      "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2},
                      "livenessProbe": {"httpGet": {"path": "/livez"}, "periodSeconds": 3}}})
    c.run(until=until / 2)
    c.kill("svc", count=1)
    c.run(until=until)
    data = frames.intervals(c)
    current = data[data["open"]].set_index("pod")
    assert sorted(current.index) == sorted(p.name for p in c.pods())
    for pod in c.pods():
        assert (current.loc[pod.name, "status"], current.loc[pod.name, "phase"],
                current.loc[pod.name, "ready"]) == (pod.status.value, pod.phase.value, pod.ready)
    # intervals of one pod tile its life without gaps or overlaps
    for _, group in data.groupby("pod"):
        assert (group["start"].iloc[1:].to_numpy() == group["end"].iloc[:-1].to_numpy()).all()

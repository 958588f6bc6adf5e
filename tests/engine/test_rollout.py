"""Rollouts: RollingUpdate arithmetic, Canary and BlueGreen state machines, promote and undo."""
from __future__ import annotations

import dataclasses

import pytest

import t32sim as t3
from t32sim.engine.rollout import (BlueGreenRollout, CanaryRollout, Measurement, Observation,
                                   ReplicaSetView, plan_rolling_update, proportional_scale,
                                   rolling_update_step, surge_and_unavailable)
from t32sim.spec import Analysis, CanaryStep, Probe, Rollout, Strategy
from tests.support import run_python

PROBE = Probe(path="/healthz", initial_delay_seconds=1, period_seconds=2)


def spec(replicas=10, image="local://demo@v1", rollout=Rollout(), **kwargs) -> t3.ServiceSpec:
    return t3.ServiceSpec(name="api", image=image, replicas=replicas, readiness_probe=PROBE,
                          rollout=rollout, **kwargs)


def v2(s: t3.ServiceSpec, image="local://demo@v2") -> t3.ServiceSpec:
    return dataclasses.replace(s, image=image)


def watch_every_event(c: t3.Cluster, look):
    """Call ``look(event)`` right after every event is recorded; collect what it returns."""
    seen, emit = [], c.event_log.emit

    def spy(*args, **kwargs):
        event = emit(*args, **kwargs)
        seen.append(look(event))
        return event

    c.event_log.emit = spy
    return seen


def serving(c: t3.Cluster, service="api"):
    """The Ready pods the load balancer may send requests to, as (name, version)."""
    serving = set(c.traffic.serving(service))
    return sorted((p.name, p.version) for p in c.pods(service) if p.name in serving)


def story(c: t3.Cluster, *reasons: t3.Reason):
    return [(e.time, e.reason.value) for e in c.event_log if e.reason in reasons]


# == RollingUpdate arithmetic =======================================================================

@pytest.mark.parametrize("surge, unavailable, replicas, expected", [
    ("25%", "25%", 10, (3, 2)),        # surge rounds up, unavailable rounds down
    ("25%", "25%", 4, (1, 1)),
    ("25%", "25%", 1, (1, 0)),
    ("0%", "0%", 3, (0, 1)),           # both 0: unavailable becomes 1
    (0, 0, 5, (0, 1)),
    (1, 0, 3, (1, 0)),
    ("50%", 5, 3, (2, 3)),             # unavailable never exceeds replicas
    ("25%", "25%", 0, (0, 0)),
])
def test_max_surge_and_max_unavailable_rounding(surge, unavailable, replicas, expected):
    assert surge_and_unavailable(Rollout(max_surge=surge, max_unavailable=unavailable),
                                 replicas) == expected


def rs(key, replicas, available, created=0.0, desired=None, most=None):
    return ReplicaSetView(key, f"api-{key}", 1, key, created, replicas, available, desired, most)


@pytest.mark.parametrize("new, olds, expected", [
    (rs("new", 0, 0, 9), [rs("old", 10, 10)], {"new": 3}),        # up to 10 + 3 pods
    (rs("new", 3, 0, 9), [rs("old", 10, 10)], {"old": 8}),        # 13 − 8 − 3 unavailable = 2
    (rs("new", 3, 0, 9), [rs("old", 8, 8)], {"new": 5}),
    (rs("new", 5, 0, 9), [rs("old", 8, 8)], {}),                  # wait for new pods
    (rs("new", 5, 5, 9), [rs("old", 8, 8)], {"old": 3}),          # 13 available, 8 needed
    (rs("new", 3, 0, 9), [rs("old", 10, 7)], {"old": 8}),         # unhealthy old pods go first
    (rs("new", 12, 12, 9), [rs("old", 0, 0)], {"new": 10}),
    (rs("new", 10, 10, 9), [rs("old", 0, 0)], {}),
])
def test_rolling_update_step_with_10_replicas_surge_3_unavailable_2(new, olds, expected):
    assert rolling_update_step(10, 3, 2, new, olds) == expected


def test_rolling_update_scales_the_oldest_replica_set_down_first():
    olds = [rs("b", 2, 2, created=5), rs("a", 2, 2, created=0)]
    assert rolling_update_step(4, 1, 1, rs("new", 1, 1, 9), olds) == {"a": 0}


def test_plan_rolling_update_runs_syncs_until_nothing_changes():
    start, lines = plan_rolling_update(10, Rollout(), rs("new", 0, 0, 9), [rs("old", 10, 10)], 10)
    assert (start["new"].replicas, start["old"].replicas) == (5, 8)
    assert lines == ["rolling update: api-new → 3", "rolling update: api-old → 8",
                     "rolling update: api-new → 5"]
    new, old = dataclasses.replace(start["new"], available=5), start["old"]
    after, _ = plan_rolling_update(10, Rollout(), new, [old], 13)
    assert (after["new"].replicas, after["old"].replicas) == (10, 3)


@pytest.mark.parametrize("replicas, new, olds, expected", [
    # 10 -> 20 mid-rollout: allowed 20 + 5; +12 shared in proportion to the sizes, bigger first
    (20, rs("new", 5, 0, 9, 10, 13), [rs("old", 8, 8, 0, 10, 13)], {"old": 15, "new": 10}),
    # 10 -> 5: allowed 5 + 2; −6, bigger (older on a tie) first
    (5, rs("new", 5, 0, 9, 10, 13), [rs("old", 8, 8, 0, 10, 13)], {"old": 4, "new": 3}),
    # one active ReplicaSet takes the new size
    (12, rs("new", 0, 0, 9), [rs("old", 10, 10, 0, 10, 13)], {"old": 12}),
    # the new ReplicaSet is saturated: old ones go to 0
    (10, rs("new", 10, 10, 9, 10, 13), [rs("old", 3, 3, 0, 13, 16)], {"old": 0}),
])
def test_proportional_scaling_of_a_deployment_resized_mid_rollout(replicas, new, olds, expected):
    surge = surge_and_unavailable(Rollout(), replicas)[0]
    assert proportional_scale(replicas, surge, new, olds, 13)[0] == expected


def test_the_rolling_update_invariant_holds_at_every_event_of_a_v1_to_v2_rollout():
    c = t3.Cluster(seed=1)
    c.apply(spec(rollout=Rollout(Strategy.ROLLING_UPDATE, "25%", "25%")))
    c.run(until=20)

    def count(event):
        live = [p for p in c.store.pods_of("api") if not p.terminating]
        return event.time, len(live), sum(p.ready for p in live)

    seen = watch_every_event(c, count)
    c.apply(v2(spec(rollout=Rollout(Strategy.ROLLING_UPDATE, "25%", "25%"))))
    c.run(until=120)
    assert len(seen) > 90       # every pod event of the rollout (and no alert: it is in budget)
    assert all(total <= 10 + 3 and ready >= 10 - 2 for _, total, ready in seen)
    assert max(total for _, total, _ in seen) == 13 and min(r for _, _, r in seen) == 8
    sizes = [(e.time, e.message) for e in c.event_log
             if e.reason is t3.Reason.SCALING_REPLICA_SET and e.time >= 20]
    old, new = c.service("api").revisions[0]["template_hash"], c.service("api").revisions[1][
        "template_hash"]
    assert sizes == [(20.0, f"Scaled up replica set api-{new} from 0 to 5"),
                     (20.0, f"Scaled down replica set api-{old} from 10 to 8"),
                     (26.0, f"Scaled up replica set api-{new} from 5 to 10"),
                     (26.0, f"Scaled down replica set api-{old} from 8 to 3"),
                     (32.0, f"Scaled down replica set api-{old} from 3 to 0")]
    rolling = [e for e in c.event_log if e.reason is t3.Reason.ROLLING_UPDATE][0]
    assert rolling.message.startswith("maxSurge 25% of 10 = 2.5 → 3 (rounded up), maxUnavailable "
                                      "25% of 10 = 2.5 → 2 (rounded down): at most 13 pods, at "
                                      "least 8 available")
    status = c.service("api").status
    assert (status.updated, status.ready, status.phase) == (10, 10, t3.Phase.HEALTHY)


def test_min_ready_seconds_makes_the_rolling_update_wait_for_available_pods():
    base = spec(replicas=2, min_ready_seconds=10,
                rollout=Rollout(Strategy.ROLLING_UPDATE, max_surge=1, max_unavailable=0))
    c = t3.Cluster(seed=1)
    c.apply(base)
    c.run(until=30)
    c.apply(v2(base))
    c.run(until=100)
    # a v2 pod is Ready 6 s after it is made and available 10 s later: nothing else changes
    # then, so the controller must wake up by itself at 46 and 62
    moves = [(e.time, e.message.split()[1], int(e.message.split()[-3]), int(e.message.split()[-1]))
             for e in c.event_log if e.reason is t3.Reason.SCALING_REPLICA_SET and e.time >= 30]
    assert moves == [(30.0, "up", 0, 1),                # v2: surge 1
                     (46.0, "up", 1, 2), (46.0, "down", 2, 1),
                     (62.0, "down", 1, 0)]


def test_scaling_during_a_rolling_update_is_proportional():
    c = t3.Cluster(seed=1)
    c.apply(spec())
    c.run(until=20)
    c.apply(v2(spec()))
    c.run_for(0)                                           # new 5, old 8
    c.scale("api", replicas=20)
    c.run_for(0)
    assert [r["replicas"] for r in c.service("api").revisions] == [15, 10]
    c.run(until=120)
    assert [r["replicas"] for r in c.service("api").revisions] == [0, 20]


# == BlueGreen ======================================================================================

BLUE_GREEN = Rollout(Strategy.BLUE_GREEN)


def test_blue_green_never_leaves_traffic_without_ready_pods_and_switches_in_one_step():
    c = t3.Cluster(seed=4)
    c.apply(spec(replicas=3, rollout=BLUE_GREEN))
    c.run(until=10)
    seen = watch_every_event(c, lambda e: (e.time, tuple(serving(c))))
    c.apply(v2(spec(replicas=3, rollout=BLUE_GREEN)))
    c.run(until=90)
    assert all(len(pods) >= 3 for _, pods in seen)         # never zero: always a full colour
    versions = [tuple(sorted({v for _, v in pods})) for _, pods in seen]
    changes = [(seen[i][0], versions[i - 1], versions[i]) for i in range(1, len(seen))
               if versions[i] != versions[i - 1]]
    assert changes == [(16.0, ("v1",), ("v2",))]           # one step, never a mix
    assert story(c, t3.Reason.ROLLOUT_STARTED, t3.Reason.ACTIVE_SWITCHED) == [
        (10.0, "RolloutStarted"), (16.0, "ActiveSwitched")]
    v1_gone = [e.time for e in c.event_log if e.reason is t3.Reason.SCALING_REPLICA_SET
               and e.message.endswith("from 3 to 0")]
    assert v1_gone == [46.0]                                # scaleDownDelaySeconds 30
    assert c.service("api").status.phase is t3.Phase.HEALTHY


def test_blue_green_without_auto_promotion_waits_paused_for_promote():
    rollout = Rollout(Strategy.BLUE_GREEN, auto_promotion_enabled=False)
    c = t3.Cluster(seed=4)
    c.apply(spec(replicas=2, rollout=rollout))
    c.run(until=10)
    c.apply(v2(spec(replicas=2, rollout=rollout)))
    c.run(until=60)
    assert c.service("api").status.phase is t3.Phase.PAUSED
    assert {c.request("api").version for _ in range(10)} == {"v1"}
    assert c.promote("api") == "switching now"
    c.run_for(0)
    assert {c.request("api").version for _ in range(10)} == {"v2"}
    assert story(c, t3.Reason.ROLLOUT_PAUSED, t3.Reason.PROMOTE_REQUESTED, t3.Reason.ACTIVE_SWITCHED) == [
        (16.0, "RolloutPaused"), (60.0, "PromoteRequested"), (60.0, "ActiveSwitched")]


def test_blue_green_auto_promotion_seconds():
    rollout = Rollout(Strategy.BLUE_GREEN, auto_promotion_seconds=20)
    c = t3.Cluster(seed=4)
    c.apply(spec(replicas=2, rollout=rollout))
    c.run(until=10)
    c.apply(v2(spec(replicas=2, rollout=rollout)))
    c.run(until=60)
    assert story(c, t3.Reason.ROLLOUT_PAUSED, t3.Reason.ACTIVE_SWITCHED) == [
        (16.0, "RolloutPaused"), (36.0, "ActiveSwitched")]


def test_blue_green_past_the_progress_deadline_is_degraded_and_the_old_version_serves():
    c = t3.Cluster(seed=4)
    base = spec(replicas=2, rollout=BLUE_GREEN, progress_deadline_seconds=60)
    c.apply(base)
    c.run(until=10)
    c.apply(v2(base, "local://demo@never-ready"))
    c.run(until=100)
    assert story(c, t3.Reason.PROGRESS_DEADLINE_EXCEEDED) == [(70.0, "ProgressDeadlineExceeded")]
    assert c.service("api").status.phase is t3.Phase.DEGRADED
    assert {c.request("api").version for _ in range(10)} == {"v1"}


# == Canary =========================================================================================

STEPS = (CanaryStep(set_weight=25), CanaryStep(pause=True))


def test_a_good_canary_reaches_100_percent_when_the_schedule_says(examples):
    c = t3.Cluster(seed=6)
    c.apply(v2(t3.load_spec(examples / "api-canary.yaml"), "local://demo@v1"))
    c.run(until=20)
    c.set_load("api", rps=200)
    c.apply(examples / "api-canary.yaml")        # 4 replicas of v2: 25 %, 5 s, 50 %, 5 s, 100 %
    c.run(until=100)
    # a v2 pod is Ready 6 s after it is created (pull 3 s, start 3 s, probes at +4, +6 s)
    assert story(c, t3.Reason.SET_WEIGHT, t3.Reason.ROLLOUT_RESUMED,
                 t3.Reason.ROLLOUT_COMPLETED) == [
        (26.0, "SetWeight"),           # 1 canary pod made at 20, available at 26 -> 25 %
        (31.0, "RolloutResumed"),      # pause 5 s; ceil(50 % × 4) = 2: one more pod at 31
        (37.0, "SetWeight"),           # ... available at 37 -> 50 %
        (42.0, "RolloutResumed"),      # pause 5 s; 4 canary pods: two more at 42
        (48.0, "SetWeight"),           # ... available at 48 -> 100 %
        (48.0, "RolloutCompleted")]    # and the canary is the stable revision
    weights = c.history.set_index("time")["canary_weight"]
    assert [weights[t] for t in (25.0, 26.0, 36.0, 37.0, 47.0, 48.0)] == [0, 25, 25, 50, 50, 0]
    assert [e.message for e in c.event_log if e.reason is t3.Reason.SET_WEIGHT][0] == (
        "Step 1/5: canary revision 2 (v2) has ceil(25 × 4 / 100) = 1 available pod(s): "
        "traffic 0 % → 25 %")
    phases = c.history.set_index("time")["phase"]
    assert (phases[27.0], phases[40.0], phases[60.0], phases[78.0]) == (
        "Paused", "Paused", "Progressing", "Healthy")        # old stable scaled down at 78
    assert {c.request("api").version for _ in range(8)} == {"v2"}


def test_a_canary_with_a_high_error_rate_aborts_at_the_first_analysis_and_stable_takes_all():
    rollout = Rollout(Strategy.CANARY, steps=STEPS, analysis=Analysis(0.05, 10, 0))
    c = t3.Cluster(seed=3)
    c.apply(spec(replicas=4, rollout=rollout))
    c.run(until=20)
    c.set_load("api", rps=100)
    c.apply(v2(spec(replicas=4, rollout=rollout), "local://demo@flaky"))     # 30 % errors
    c.run(until=100)
    assert story(c, t3.Reason.SET_WEIGHT, t3.Reason.ANALYSIS_FAILED, t3.Reason.ROLLOUT_ABORTED,
                 t3.Reason.ANALYSIS_PASSED) == [
        (25.0, "SetWeight"), (30.0, "AnalysisFailed"), (30.0, "RolloutAborted")]
    aborted = [e for e in c.event_log if e.reason is t3.Reason.ROLLOUT_ABORTED][0]
    # 25 rps to the canary for 5 s = 125 requests, 30 % of them failed
    assert aborted.message == (
        "Rollout of revision 2 (flaky) aborted: canary error rate 30.0% (38 of 125 requests) > "
        "max 5.0%; 100 % of traffic back to stable revision 1 (v1), canary scaled down in 30 s")
    status = c.service("api").status
    assert (status.phase, status.weight, status.stable_revision) == (t3.Phase.DEGRADED, 0, 1)
    answers = [c.request("api") for _ in range(1000)]
    assert {a.version for a in answers} == {"v1"} and {a.status for a in answers} == {200}
    assert [p.version for p in c.pods("api")] == ["v1"] * 4       # canary pod gone at 60 + 30


def test_errors_injected_into_a_running_canary_abort_it_at_the_next_analysis():
    rollout = Rollout(Strategy.CANARY, steps=STEPS, analysis=Analysis(0.05, 10, 0))
    c = t3.Cluster(seed=3)
    c.apply(spec(replicas=4, rollout=rollout))
    c.run(until=20)
    c.set_load("api", rps=100)
    c.apply(v2(spec(replicas=4, rollout=rollout)))
    c.run(until=45)
    c.inject("api", "v2", error_rate=0.5)
    c.run(until=80)
    analyses = [(e.time, e.reason.value) for e in c.event_log
                if e.reason in (t3.Reason.ANALYSIS_PASSED, t3.Reason.ANALYSIS_FAILED)]
    assert analyses == [(30.0, "AnalysisPassed"), (40.0, "AnalysisPassed"),
                        (50.0, "AnalysisFailed")]
    failed = [e.message for e in c.event_log if e.reason is t3.Reason.ANALYSIS_FAILED][0]
    assert "canary error rate 25.0% (62 of 250 requests)" in failed     # half of 10 s at 50 %


def test_a_pause_without_duration_waits_for_promote():
    rollout = Rollout(Strategy.CANARY, steps=STEPS)
    c = t3.Cluster(seed=3)
    c.apply(spec(replicas=4, rollout=rollout))
    c.run(until=20)
    c.apply(v2(spec(replicas=4, rollout=rollout)))
    c.run(until=300)
    status = c.service("api").status
    assert (status.phase, status.weight, status.step) == (t3.Phase.PAUSED, 25, 2)
    assert c.promote("api") == "resumed: the current pause ends"
    c.run(until=340)
    assert story(c, t3.Reason.PROMOTE_REQUESTED, t3.Reason.ROLLOUT_RESUMED, t3.Reason.ROLLOUT_COMPLETED) == [
        (300.0, "PromoteRequested"), (300.0, "RolloutResumed"), (306.0, "RolloutCompleted")]


def test_undo_after_a_completed_canary_rolls_the_previous_version_out_with_the_steps(examples):
    c = t3.Cluster(seed=6)
    c.apply(v2(t3.load_spec(examples / "api-canary.yaml"), "local://demo@v1"))
    c.run(until=20)
    c.apply(examples / "api-canary.yaml")
    c.run(until=120)
    assert {p.version for p in c.pods("api")} == {"v2"}
    assert c.undo("api") == 1
    c.run(until=250)
    later = [(e.time, e.reason.value) for e in c.event_log if e.time >= 120 and e.reason in (
        t3.Reason.ROLLED_BACK, t3.Reason.ROLLOUT_STARTED, t3.Reason.SET_WEIGHT,
        t3.Reason.ROLLOUT_COMPLETED)]
    # v1 pods are Ready 5 s after they are made (pull 2 s, start 2 s, probes at +3, +5 s)
    assert later == [(120.0, "RolledBack"), (120.0, "RolloutStarted"), (125.0, "SetWeight"),
                     (135.0, "SetWeight"), (145.0, "SetWeight"), (145.0, "RolloutCompleted")]
    view = c.service("api")
    assert {p.version for p in c.pods("api")} == {"v1"}
    assert [(r["revision"], r["version"], r["replicas"]) for r in view.revisions] == [
        (2, "v2", 0), (3, "v1", 4)]
    assert view.status.phase is t3.Phase.HEALTHY


def test_undo_of_a_rolling_update_keeps_the_invariant():
    c = t3.Cluster(seed=1)
    c.apply(spec())
    c.run(until=20)
    c.apply(v2(spec()))
    c.run(until=60)

    def count(event):
        live = [p for p in c.store.pods_of("api") if not p.terminating]
        return len(live), sum(p.ready for p in live)

    seen = watch_every_event(c, count)
    assert c.undo("api", to_revision=1) == 1
    c.run(until=150)
    assert all(total <= 13 and ready >= 8 for total, ready in seen)
    assert {p.version for p in c.pods("api")} == {"v1"}
    assert c.service("api").status.revision == 3


@pytest.mark.parametrize("call, field, text", [
    (lambda c: c.undo("api", to_revision=7), "to_revision", "has no revision 7 (known: 1, 2)"),
    (lambda c: c.undo("api", to_revision=2), "to_revision", "revision 2 is already"),
    (lambda c: c.undo("api", to_revision=0), "to_revision", "expected a revision number >= 1"),
    (lambda c: c.promote("api"), "service", "uses RollingUpdate, which has nothing to promote"),
    (lambda c: c.promote("api", full="yes"), "full", "expected true or false"),
    (lambda c: c.undo("web"), "service", "no service named 'web'"),
])
def test_promote_and_undo_refuse_what_cannot_be_done(call, field, text):
    c = t3.Cluster(seed=1)
    c.apply(spec(replicas=2))
    c.run(until=10)
    c.apply(v2(spec(replicas=2)))
    c.run(until=40)
    before = len(c.journal)
    with pytest.raises(t3.CommandError) as error:
        call(c)
    assert error.value.field == field and text in str(error.value)
    assert len(c.journal) == before


def test_undo_without_history_and_promote_without_a_rollout_are_errors():
    c = t3.Cluster(seed=1)
    c.apply(spec(replicas=2, rollout=Rollout(Strategy.CANARY, steps=STEPS)))
    c.run(until=10)
    with pytest.raises(t3.CommandError, match="no previous revision"):
        c.undo("api")
    with pytest.raises(t3.CommandError, match="no rollout in progress"):
        c.promote("api")


# == the state machines alone =======================================================================

def obs(now, current="new", rss=None, replicas=4):
    rss = rss or {}
    views = {k: ReplicaSetView(k, f"api-{k}", i + 1, k, 0.0, *v)
             for i, (k, v) in enumerate(rss.items())}
    return Observation(now, current, replicas, views)


def no_traffic(_key):
    return Measurement(0.0, 0.0, 0, 1)


def test_canary_machine_waits_for_available_pods_then_sets_the_weight_and_pauses():
    m = CanaryRollout((CanaryStep(set_weight=50), CanaryStep(pause=True, pause_seconds=10)),
                      stable="old")
    notes, wakes = m.advance(obs(0, rss={"old": (4, 4), "new": (0, 0)}), no_traffic)
    assert [n.reason for n in notes] == [t3.Reason.ROLLOUT_STARTED] and m.weight == 0
    assert m.replicas(obs(0, rss={"old": (4, 4), "new": (0, 0)})) == {"old": 4, "new": 2}
    notes, wakes = m.advance(obs(5, rss={"old": (4, 4), "new": (2, 1)}), no_traffic)
    assert notes == [] and m.weight == 0
    notes, wakes = m.advance(obs(6, rss={"old": (4, 4), "new": (2, 2)}), no_traffic)
    assert [n.reason for n in notes] == [t3.Reason.SET_WEIGHT, t3.Reason.ROLLOUT_PAUSED]
    assert (m.weight, m.paused, wakes) == (50, True, [16])
    assert [(b.name, b.weight) for b in m.backends()] == [("stable", 50), ("canary", 50)]
    notes, wakes = m.advance(obs(16, rss={"old": (4, 4), "new": (2, 2)}), no_traffic)
    assert [n.reason for n in notes] == [t3.Reason.ROLLOUT_RESUMED]
    assert m.replicas(obs(16, rss={"old": (4, 4), "new": (2, 2)})) == {"old": 4, "new": 4}


def test_canary_machine_goes_straight_back_when_the_stable_template_returns():
    m = CanaryRollout((CanaryStep(set_weight=50), CanaryStep(pause=True)), stable="old")
    m.advance(obs(0, rss={"old": (4, 4), "new": (2, 2)}), no_traffic)
    assert m.weight == 50
    notes, _ = m.advance(obs(9, current="old", rss={"old": (4, 4), "new": (2, 2)}), no_traffic)
    assert [n.reason for n in notes] == [t3.Reason.ROLLED_BACK_TO_STABLE]
    assert (m.canary, m.weight, m.replicas(obs(9, "old", {"old": (4, 4), "new": (2, 2)}))) == (
        None, 0, {"old": 4, "new": 0})


def test_an_analysis_without_requests_is_inconclusive_not_a_failure():
    m = CanaryRollout((CanaryStep(set_weight=25), CanaryStep(pause=True)), Analysis(0.05, 10, 1),
                      stable="old")
    m.advance(obs(0, rss={"old": (4, 4), "new": (1, 1)}), no_traffic)
    notes, _ = m.advance(obs(10, rss={"old": (4, 4), "new": (1, 1)}), no_traffic)
    assert [n.reason for n in notes] == [t3.Reason.ANALYSIS_INCONCLUSIVE] and m.in_progress


def test_an_analysis_fails_a_canary_whose_pods_do_not_become_ready():
    m = CanaryRollout((CanaryStep(set_weight=25),), Analysis(0.05, 10, 1), stable="old")
    m.advance(obs(0, rss={"old": (4, 4), "new": (1, 0)}), no_traffic)
    stuck = lambda _key: Measurement(0.0, 0.0, 1, 1)        # noqa: E731
    notes, _ = m.advance(obs(10, rss={"old": (4, 4), "new": (1, 0)}), stuck)
    assert [n.reason for n in notes] == [t3.Reason.ANALYSIS_FAILED] and m.in_progress
    notes, _ = m.advance(obs(20, rss={"old": (4, 4), "new": (1, 0)}), stuck)
    assert [n.reason for n in notes] == [t3.Reason.ANALYSIS_FAILED, t3.Reason.ROLLOUT_ABORTED]
    assert "1 of 1 canary pod(s) not Ready after 10 s (failure 2, limit 1)" in notes[0].message


@pytest.mark.parametrize("limit, aborted_at", [(0, 10), (1, 20), (2, 30)])
def test_the_analysis_aborts_when_failures_exceed_failure_limit_as_argo_does(limit, aborted_at):
    m = CanaryRollout((CanaryStep(set_weight=25),), Analysis(0.05, 10, limit), stable="old")
    rss = {"old": (4, 4), "new": (1, 0)}
    m.advance(obs(0, rss=rss), no_traffic)
    stuck = lambda _key: Measurement(0.0, 0.0, 1, 1)        # noqa: E731
    failed_runs = []
    for now in (10, 20, 30, 40):
        notes, _ = m.advance(obs(now, rss=rss), stuck)
        failed_runs += [now for n in notes if n.reason is t3.Reason.ANALYSIS_FAILED]
        if any(n.reason is t3.Reason.ROLLOUT_ABORTED for n in notes):
            break
    assert (m.aborted_at, len(failed_runs)) == (aborted_at, limit + 1)


def test_an_analysis_default_aborts_at_the_first_failure_as_argos_failure_limit_0():
    assert Analysis().failure_limit == 0
    assert t3.load_spec({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
                         "spec": {"image": "local://demo@v1", "rollout": {
                             "strategy": "Canary", "analysis": {}}}}).rollout.analysis == Analysis(
        0.05, 10, 0)


def test_blue_green_machine_switches_only_when_every_preview_pod_is_available():
    m = BlueGreenRollout(active="old")
    m.advance(obs(0, rss={"old": (3, 3), "new": (0, 0)}, replicas=3))
    assert m.replicas(obs(0, rss={"old": (3, 3), "new": (0, 0)}, replicas=3)) == {"old": 3,
                                                                                  "new": 3}
    notes, _ = m.advance(obs(5, rss={"old": (3, 3), "new": (3, 2)}, replicas=3))
    assert notes == [] and m.active == "old"
    notes, wakes = m.advance(obs(6, rss={"old": (3, 3), "new": (3, 3)}, replicas=3))
    assert [n.reason for n in notes] == [t3.Reason.ACTIVE_SWITCHED]
    assert (m.active, m.preview, wakes) == ("new", None, [36])
    assert m.replicas(obs(20, "new", {"old": (3, 3), "new": (3, 3)}, 3)) == {"old": 3, "new": 3}
    assert m.replicas(obs(36, "new", {"old": (3, 3), "new": (3, 3)}, 3)) == {"old": 0, "new": 3}


# == determinism ====================================================================================

SCENARIO = r"""
import dataclasses, hashlib, json, sys
import t32sim as t3
from t32sim.spec import Analysis, Autoscale, CanaryStep, Probe, Rollout, Strategy
probe = Probe(path="/healthz", initial_delay_seconds=1, period_seconds=2)
steps = (CanaryStep(set_weight=20), CanaryStep(pause=True, pause_seconds=20),
         CanaryStep(set_weight=60), CanaryStep(pause=True, pause_seconds=20))
base = t3.ServiceSpec(name="api", image="local://demo@v1", replicas=4, readiness_probe=probe,
                      autoscale=Autoscale(2, 8, 60),
                      rollout=Rollout(Strategy.CANARY, steps=steps, analysis=Analysis(0.2, 10, 2)))
c = t3.Cluster(seed=int(sys.argv[1]))
c.apply(base)
c.apply(t3.ServiceSpec(name="web", image="local://demo@v3", replicas=3, readiness_probe=probe))
c.run(until=12)
c.set_load("api", cpu=85)
c.set_load("web", rps=120)
for _ in range(50):
    c.request("api", "/x")
c.send("web", 2000)
c.run(until=40)
c.apply(dataclasses.replace(base, image="local://demo@v2"))
c.inject("api", "v2", latency=0.05)
c.run(until=70)
c.kill("web", 1)
c.break_probe("web", "liveness")
for _ in range(30):
    c.request("api")
c.run(until=110)
c.heal()
c.send("api", 999)
c.run(until=200)
c.undo("api")
c.run(until=400)
blob = json.dumps({"events": [e.to_dict() for e in c.event_log], "snapshot": c.snapshot(),
                   "history": c.history.to_dict("list"),
                   "requests": c.requests.to_dict("list"),
                   "journal": [cmd.to_dict() for cmd in c.journal]}, sort_keys=True)
print(hashlib.sha256(blob.encode()).hexdigest())
again = t3.replay(json.loads(json.dumps([cmd.to_dict() for cmd in c.journal])), int(sys.argv[1]))
blob2 = json.dumps({"events": [e.to_dict() for e in again.event_log],
                    "snapshot": again.snapshot(), "history": again.history.to_dict("list"),
                    "requests": again.requests.to_dict("list"),
                    "journal": [cmd.to_dict() for cmd in again.journal]}, sort_keys=True)
print(hashlib.sha256(blob2.encode()).hexdigest())
"""


def run_scenario(seed: int, hash_seed: str) -> list[str]:
    return run_python(SCENARIO, str(seed), hash_seed=hash_seed, timeout=300).split()


def test_load_requests_chaos_and_a_rollout_replay_byte_identically_in_any_process():
    first = run_scenario(9, "0")
    assert len(first) == 2 and first[0] == first[1]          # replay == original
    assert run_scenario(9, "4242") == first                  # another hash seed, same bytes
    assert run_scenario(10, "0")[0] != first[0]              # another seed, another story

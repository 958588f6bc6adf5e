"""The failover policy on simulated v1/v2/v3 services (t32sim/engine/failover_sim.py)."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.failover_sim import FRAME_COLUMNS, decisions, watch_failover
from t32sim.failover import Decision, FailoverConfig

SERVICES = {"v1": "api-v1", "v2": "api-v2", "v3": "api-v3"}


def cluster_with_three_versions(seed: int = 1) -> t3.Cluster:
    cluster = t3.Cluster(seed=seed)
    for version, name in SERVICES.items():
        cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                       "spec": {"image": f"local://demo@{version}", "replicas": 2}})
    cluster.run(10)
    return cluster


def test_an_outage_of_v1_fails_over_to_v2_after_five_checks():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    cluster.scale("api-v1", replicas=0)
    cluster.run(30)
    assert decisions(watch) == [(21.0, "v1", "failing"), (22.0, "v1", "failing"),
                                (23.0, "v1", "failing"), (24.0, "v1", "failing"),
                                (25.0, "v2", "failover")]
    switch = watch.switches[0]
    assert (switch.time, switch.previous, switch.active, switch.reason) == (
        25.0, "v1", "v2", "v1 failed 5 checks within 10 s: switched to v2.")
    assert (watch.active, watch.active_service) == ("v2", "api-v2")
    assert [o.time for o in watch.outcomes] == [float(t) for t in range(10, 31)]


def test_a_short_blip_stays_below_the_threshold():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    cluster.kill("api-v1", count=2)
    cluster.run(40)
    trace = decisions(watch)
    assert trace and {d for _, _, d in trace} == {"failing"}        # noticed, not acted on
    assert len(trace) < 5 and trace[0] == (21.0, "v1", "failing")
    assert watch.switches == [] and watch.active == "v1"


def test_the_cooldown_holds_a_second_outage_then_v3_takes_over():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    cluster.scale("api-v1", replicas=0)
    cluster.run(26)
    cluster.scale("api-v2", replicas=0)
    cluster.run(45)
    trace = decisions(watch)
    assert trace[4] == (25.0, "v2", "failover")
    assert trace[5:9] == [(t, "v2", "failing") for t in (27.0, 28.0, 29.0, 30.0)]
    assert trace[9:18] == [(float(t), "v2", "cooldown") for t in range(31, 40)]
    assert trace[18:] == [(40.0, "v3", "failover")]
    assert [(o.time, o.previous, o.active) for o in watch.switches] == [
        (25.0, "v1", "v2"), (40.0, "v2", "v3")]


def test_flapping_still_fails_over_because_successes_do_not_erase_failures():
    cluster = cluster_with_three_versions()
    flapping = lambda c, service: service != "api-v1" or int(c.now) % 2 == 0
    watch = watch_failover(cluster, SERVICES, interval=1.0, probe=flapping)
    cluster.run(20)
    assert decisions(watch)[-1] == (19.0, "v2", "failover")       # fails at 11, 13, 15, 17, 19
    assert [o.failures for o in watch.outcomes[:10]] == [0, 1, 1, 2, 2, 3, 3, 4, 4, 0]


def test_settings_interval_and_start_delay():
    cluster = cluster_with_three_versions()
    config = FailoverConfig(versions=tuple(SERVICES), threshold=2, window=5, cooldown=0)
    watch = watch_failover(cluster, SERVICES, config, interval=2.5, start_after=5)
    cluster.scale("api-v1", replicas=0)
    cluster.run(25)
    assert [(o.time, o.decision) for o in watch.outcomes[:3]] == [
        (15.0, Decision.FAILING), (17.5, Decision.FAILOVER), (20.0, Decision.HEALTHY)]


def test_manual_switch_and_frame():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(12)
    manual = watch.switch("v3")
    cluster.run(13)
    assert (manual.time, manual.decision, manual.active) == (12.0, Decision.MANUAL, "v3")
    frame = watch.frame()
    assert list(frame.columns) == FRAME_COLUMNS
    assert frame[["time", "active", "service", "decision"]].values.tolist() == [
        [10.0, "v1", "api-v1", "healthy"], [11.0, "v1", "api-v1", "healthy"],
        [12.0, "v1", "api-v1", "healthy"], [12.0, "v3", "api-v3", "manual"],
        [13.0, "v3", "api-v3", "healthy"]]


def test_the_same_seed_gives_the_same_trace():
    def story():
        cluster = cluster_with_three_versions(seed=5)
        watch = watch_failover(cluster, SERVICES)
        cluster.run(20)
        cluster.kill("api-v1", count=2)
        cluster.run(22)
        cluster.scale("api-v1", replicas=0)
        cluster.run(60)
        return watch.frame().to_csv()
    assert story() == story()


@pytest.mark.parametrize("kwargs,message", [
    ({"config": FailoverConfig(versions=("a", "b"))},
     "config.versions: expected the services' versions ['v1', 'v2', 'v3'], got ['a', 'b']"),
    ({"interval": 0}, "interval: expected a number of seconds > 0, got 0"),
    ({"start_after": -1}, "start_after: expected a number of seconds >= 0, got -1"),
])
def test_bad_settings_name_the_field(kwargs, message):
    cluster = cluster_with_three_versions()
    with pytest.raises(ValueError) as caught:
        watch_failover(cluster, SERVICES, **kwargs)
    assert str(caught.value) == message


def test_an_unknown_service_is_refused():
    cluster = cluster_with_three_versions()
    with pytest.raises(t3.CommandError, match="no service named 'api-v9'"):
        watch_failover(cluster, {"v1": "api-v1", "v9": "api-v9"})


# -- the live monitor's chaos toggles, on simulated time ------------------------------
LOADED = "timeout after 1 s: v1 is at 80 % load (above 50 % its /health takes 2 s)"


def test_cpu_above_50_percent_times_the_checks_out_and_fails_over():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    watch.set_cpu("v1", 80)
    cluster.run(30)
    assert decisions(watch) == [(21.0, "v1", "failing"), (22.0, "v1", "failing"),
                                (23.0, "v1", "failing"), (24.0, "v1", "failing"),
                                (25.0, "v2", "failover")]
    frame = watch.frame()
    assert frame[frame["ok"] == False]["error"].tolist() == [LOADED] * 5     # noqa: E712
    assert frame[frame["ok"] == True]["error"].unique().tolist() == [""]     # noqa: E712


def test_cpu_at_50_percent_or_a_patient_timeout_is_no_failure():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    patient = watch_failover(cluster, SERVICES, timeout=3.0)
    cluster.run(20)
    watch.set_cpu("v1", 50)
    patient.set_cpu("v1", 100)
    cluster.run(40)
    assert decisions(watch) == [] and decisions(patient) == []


def test_corruption_fails_over_and_the_stable_release_refuses_it():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    watch.corrupt("v1")
    cluster.run(26)
    assert watch.switches[0].time == 25.0 and watch.active == "v2"
    assert watch.errors[11] == "HTTP 503: DATA_ERR: v1's data is corrupted"
    with pytest.raises(ValueError, match="^version: v3 is the stable release and cannot be corrupted$"):
        watch.corrupt("v3")


def test_a_crash_is_a_blip_the_policy_rides_out_and_says_so():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    assert watch.crash("v1") == 21.5                 # 1 s restart delay + 0.5 s to start
    cluster.run(40)
    assert decisions(watch) == [(21.0, "v1", "failing")]
    assert watch.errors[11] == "connection refused: v1 crashed at t = 20 s, back at t = 21.5 s"
    assert watch.notes == [(22.0, "v1 crashed and was restarted in 2.0 s: 1 failure < 5 in 10 s, "
                                  "no failover")]
    assert watch.switches == []


def test_a_crash_kept_down_fails_over_and_a_reset_brings_it_back_early():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    assert watch.crash("v1", down_for=30) == 50.5
    cluster.run(30)
    assert [(o.time, o.previous, o.active) for o in watch.switches] == [(25.0, "v1", "v2")]
    watch.reset("v1")
    assert watch.check("v1") == (False, "connection refused: v1 crashed at t = 20 s, "
                                        "back at t = 30.5 s")
    cluster.run(31)
    assert watch.check("v1") == (True, "")


def test_crashes_within_30_s_of_a_start_double_the_restart_delay_as_the_supervisor_does():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    assert watch.crash("v1") == 21.5                 # restart at 21 (1 s), answers at 21.5
    assert watch.crash("v1") == 21.5                 # already down: nothing to kill
    cluster.run(22)
    assert watch.crash("v1") == 24.5                 # 1 s after its start: 2 s
    cluster.run(25)
    assert watch.crash("v1") == 29.5                 # 4 s
    assert watch.crashes_in_a_row["v1"] == 3
    cluster.run(29.5)
    assert [(o.time, o.previous, o.active) for o in watch.switches] == [(27.0, "v1", "v2")]
    cluster.run(60)                                  # 30.5 s after its start at 29.5
    assert watch.crash("v1") == 61.5 and watch.crashes_in_a_row["v1"] == 1


def test_a_pod_kill_is_the_kubernetes_blip_told_the_same_way():
    cluster = cluster_with_three_versions()
    watch = watch_failover(cluster, SERVICES)
    cluster.run(20)
    cluster.kill("api-v1", count=2)
    cluster.run(40)
    assert watch.notes == [(22.0, "v1 failed 1 check and recovered in 1.0 s: 1 failure < 5 in "
                                  "10 s, no failover")]
    assert watch.errors[11] == "no answer: api-v1 has no Ready pod"


@pytest.mark.parametrize("call,message", [
    (lambda w: w.set_cpu("v1", 101), "level: expected a CPU load 0-100, got 101"),
    (lambda w: w.set_cpu("v1", True), "level: expected a CPU load 0-100, got True"),
    (lambda w: w.crash("v1", down_for=-1), "down_for: expected a number of seconds >= 0, got -1"),
    (lambda w: w.crash("v9"), "version: expected one of ['v1', 'v2', 'v3'], got 'v9'"),
    (lambda w: w.reset("v0"), "version: expected one of ['v1', 'v2', 'v3'], got 'v0'"),
])
def test_bad_toggles_name_the_field(call, message):
    watch = watch_failover(cluster_with_three_versions(), SERVICES)
    with pytest.raises(ValueError) as caught:
        call(watch)
    assert str(caught.value) == message

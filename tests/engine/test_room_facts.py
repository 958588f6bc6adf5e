"""Facts a room watching the live dashboard reads: the same numbers the engine computes."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.applying import same_template_note
from t32sim.engine.cluster import DEFAULT_SEED

EXAMPLES = "examples/"


def messages(c, reason):
    return [e.message for e in c.event_log if e.reason == reason]


def test_apply_with_the_same_template_says_no_new_revision():
    c = t3.Cluster(seed=1)
    c.apply(EXAMPLES + "api-v2.yaml")
    c.run(until=10)
    c.apply(EXAMPLES + "api-canary.yaml")          # the original README's order
    assert messages(c, "Applied") == [
        "Applied service api: 3 x local://demo@v2",
        "Applied service api: 4 x local://demo@v2; pod template unchanged: no new revision "
        "(only replicas and rollout changed)"]
    assert [r["revision"] for r in c.snapshot()["services"]["api"]["revisions"]] == [1]


def test_apply_with_a_new_template_has_no_note():
    c = t3.Cluster(seed=1)
    c.apply(EXAMPLES + "api-v1.yaml")
    c.apply(EXAMPLES + "api-v2.yaml")
    assert messages(c, "Applied")[-1] == "Applied service api: 3 x local://demo@v2"


def test_the_note_lists_every_changed_field():
    one = t3.load_spec(EXAMPLES + "api-v1.yaml")
    other = t3.load_spec({**one.to_dict(), "spec": {**one.to_dict()["spec"], "replicas": 5,
                                                   "minReadySeconds": 2,
                                                   "revisionHistoryLimit": 3}})
    assert same_template_note(one, other) == (
        "; pod template unchanged: no new revision (only replicas, minReadySeconds and "
        "revisionHistoryLimit changed)")


def test_load_without_an_autoscaler_says_only_cpu_changes():
    c = t3.Cluster(seed=1)
    c.apply(EXAMPLES + "api-v1.yaml")
    c.run(until=10)
    c.set_load("api", cpu=80)
    assert messages(c, "LoadSet") == [
        "Offered load on api: 240 rps (80 % average CPU on 3 serving pod(s)); api has no "
        "autoscaler, so only CPU changes, not the replica count"]


def test_load_with_an_autoscaler_has_no_such_note():
    c = t3.Cluster(seed=1)
    c.apply(EXAMPLES + "api-autoscale.yaml")
    c.run(until=20)
    c.set_load("api", cpu=50)
    assert "no autoscaler" not in messages(c, "LoadSet")[-1]


def test_blue_green_cpu_is_over_the_serving_pods_only():
    c = t3.Cluster(seed=1)
    c.apply(EXAMPLES + "api-v1.yaml")
    c.run(until=10)
    c.set_load("api", cpu=80)
    c.apply(EXAMPLES + "api-v2.yaml")
    c.run(until=40)                                # v2 switched in, v1 waits for scale-down
    state = c.snapshot()["services"]["api"]
    pods = {p["name"]: p for p in c.snapshot()["pods"]}
    assert sum(p["ready"] for p in pods.values()) == 6
    assert len(state["serving"]) == 3
    assert {pods[name]["version"] for name in state["serving"]} == {"v2"}
    # 240 rps over 3 v2 pods of capacity 120: 66.7 %, not the 33 % over all 6 Ready pods
    assert state["load"]["cpu"] == pytest.approx(240 / 3 / 120 * 100)


def test_snapshot_counts_events_under_a_name_that_says_so():
    c = t3.Cluster(seed=1)
    c.apply(EXAMPLES + "api-v1.yaml")
    c.run(until=5)
    snapshot = c.snapshot()
    assert "events" not in snapshot
    assert snapshot["event_count"] == len(c.event_log)


def test_canary_status_counts_its_steps():
    c = t3.Cluster(seed=1)
    c.apply(EXAMPLES + "api-v1.yaml")
    c.run(until=10)
    c.apply(EXAMPLES + "api-argo-canary.yaml")
    c.run(until=20)
    status = c.service("api").status
    steps = c.snapshot()["services"]["api"]["canary_steps"]
    assert (status.step, steps, status.weight) == (2, 5, 25)
    assert messages(c, "RolloutPaused")[-1].startswith(f"Step {status.step}/{steps}:")
    assert status.message == "Canary step 2/5: 25 % of traffic to revision 2, paused"


def test_run_and_serve_share_one_default_seed():
    from t32sim.cli import build_parser
    from t32sim.server.settings import DEFAULT_SEED as SERVE_SEED
    assert t3.Cluster().seed == DEFAULT_SEED == SERVE_SEED
    assert build_parser().parse_args(["run", "x.yaml"]).seed == DEFAULT_SEED

"""The Cluster's public API: the acceptance stories of the foundation issue."""
from __future__ import annotations

import json

import pytest

import t32sim as t3


def story(cluster, pod=None):
    return [(e.time, e.reason.value) for e in cluster.event_log if pod is None or e.pod == pod]


def test_api_v1_has_three_ready_pods_within_ten_seconds_and_the_events_tell_the_story(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    status = c.service("api").status
    assert (status.desired, status.current, status.ready, status.available, status.updated,
            status.revision, status.phase) == (3, 3, 3, 3, 3, 1, t3.Phase.HEALTHY)
    assert [p.ready for p in c.pods("api")] == [True, True, True]
    assert story(c)[:2] == [(0.0, "Applied"), (0.0, "ScalingReplicaSet")]
    for pod in c.pods("api"):
        # v1 pulls in 2 s and answers after 2 s more; readiness probes at 3, 5, ... -> ready at 5
        assert story(c, pod.name) == [(0.0, "SuccessfulCreate"), (0.0, "Scheduled"),
                                      (0.0, "Pulling"), (2.0, "Pulled"), (2.0, "Started"),
                                      (5.0, "Ready")]
    ready_at = c.history.groupby("time")["ready"].sum()
    assert ready_at.loc[4.0] == 0 and ready_at.loc[5.0] == 3


def test_killed_pods_are_replaced_and_the_events_explain_why(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    before = {p.name for p in c.pods("api")}
    victims = c.kill("api", count=2)
    assert len(victims) == 2 and set(victims) <= before
    assert c.service("api").status.current == 1           # the controller has not run yet
    c.run_for(0)                                          # ... it reacts at the same instant
    status = c.service("api").status
    assert (status.current, status.ready) == (3, 1)
    c.run(until=20)
    live = [p for p in c.pods("api") if not p.terminating]
    assert len(live) == 3 and all(p.ready for p in live)
    assert len({p.name for p in live} - before) == 2
    chaos = [e for e in c.event_log if e.reason is t3.Reason.CHAOS_KILL]
    assert [e.pod for e in chaos] == victims
    assert "creates a replacement" in chaos[0].explain
    created = [e for e in c.event_log if e.reason is t3.Reason.SUCCESSFUL_CREATE and e.time == 10.0]
    assert len(created) == 2 and "fewer pods than desired" in created[0].explain
    c.run(until=40)
    assert [p.name for p in c.pods("api") if p.terminating] == []


def test_scale_to_zero_and_back(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    assert c.scale("api", replicas=0) == 0
    c.run(until=41)
    assert c.pods("api") == [] and c.service("api").status.phase is t3.Phase.HEALTHY
    assert c.scale("api", replicas=3) == 3
    c.run(until=50)
    assert c.service("api").status.ready == 3


def test_scale_down_by_one_removes_the_pod_the_ranking_says(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    [victim] = c.kill("api", 1)
    c.run(until=30)                          # the replacement has been ready since 15
    newest = next(p.name for p in c.pods("api") if p.ready_since == 15.0)
    assert c.scale("api", delta=-1) == 2
    c.run_for(0)
    deleted = [e for e in c.event_log if e.reason is t3.Reason.SUCCESSFUL_DELETE]
    assert [(e.pod, e.message.split("(")[1]) for e in deleted] == [
        (newest, "ready for the shortest time)")]
    assert c.service("api").status.desired == 2


@pytest.mark.parametrize("call,field,not_found", [
    (lambda c: c.kill("web", 1), "service", True),
    (lambda c: c.kill("api", -1), "count", False),
    (lambda c: c.kill("api", "two"), "count", False),
    (lambda c: c.scale("api", replicas="abc"), "replicas", False),
    (lambda c: c.scale("api", replicas=1001), "replicas", False),
    (lambda c: c.scale("api", delta=-4), "delta", False),
    (lambda c: c.scale("api", delta=True), "delta", False),
    (lambda c: c.scale("api"), "replicas", False),
    (lambda c: c.run(until=1), "until", False),
    (lambda c: c.run("abc"), "until", False),
    (lambda c: c.run(None), "until", False),
    (lambda c: c.run(float("nan")), "until", False),      # would journal a run that never ends
    (lambda c: c.run(float("inf")), "until", False),      # would never return
    (lambda c: c.run_for("5"), "seconds", False),
    (lambda c: c.run_for(float("inf")), "seconds", False),
    (lambda c: c.execute({"verb": "run", "args": {"until": "x"}}), "until", False),
    (lambda c: c.execute({"verb": "explode", "args": {}}), "verb", False),
    (lambda c: c.execute({"verb": "run", "args": {"bad": 1}}), "bad", False),
    (lambda c: c.execute({"verb": "run", "args": {}}), "until", False),
])
def test_bad_commands_raise_command_error_and_change_nothing(examples, call, field, not_found):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    before = (json.dumps(c.snapshot()), len(c.journal))
    with pytest.raises(t3.CommandError) as caught:
        call(c)
    assert (caught.value.field, caught.value.not_found) == (field, not_found)
    assert (json.dumps(c.snapshot()), len(c.journal)) == before


def test_scale_journals_the_checked_numbers(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.scale("api", replicas="4")
    c.scale("api", delta="-1")
    assert [cmd.args for cmd in c.journal[1:]] == [{"service": "api", "replicas": 4},
                                                    {"service": "api", "delta": -1}]
    assert c.service("api").status.desired == 3


def test_a_bad_spec_changes_nothing(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    before = json.dumps(c.snapshot())
    with pytest.raises(t3.SpecError):
        c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
                 "spec": {"image": "local://demo@v2", "replicas": "three"}})
    assert json.dumps(c.snapshot()) == before and len(c.journal) == 1


def test_the_journal_records_commands_and_replay_rebuilds_the_same_cluster(examples):
    c = t3.Cluster(seed=11)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    c.run_for(5)
    c.kill("api", 2)
    c.scale("api", delta=1)
    c.run(until=45)
    c.apply(examples / "api-v2.yaml", actor="teacher")
    c.run(until=90)
    assert [(cmd.time, cmd.actor, cmd.verb) for cmd in c.journal] == [
        (0.0, "user", "apply"), (0.0, "user", "run"), (15.0, "user", "kill"),
        (15.0, "user", "scale"), (15.0, "user", "run"), (45.0, "teacher", "apply"),
        (45.0, "user", "run")]
    again = t3.replay(json.loads(json.dumps([cmd.to_dict() for cmd in c.journal])), seed=11)
    assert json.dumps(again.snapshot()) == json.dumps(c.snapshot())
    assert again.events.equals(c.events)
    assert again.history.equals(c.history)


def test_a_new_template_is_a_new_revision(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    c.apply(examples / "api-v2.yaml")
    c.run(until=90)           # BlueGreen: switch at 16, v1 scaled down at 46, gone at 76
    view = c.service("api")
    assert view.status.revision == 2 and view.status.ready == 3
    assert {p.version for p in c.pods("api")} == {"v2"}
    assert [(r["revision"], r["version"], r["replicas"]) for r in view.revisions] == [
        (1, "v1", 0), (2, "v2", 3)]


def test_reapplying_the_same_spec_changes_nothing(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    c.apply(examples / "api-v1.yaml")
    assert c.event_log[-1].reason is t3.Reason.UNCHANGED


def test_unknown_service_lookups_name_the_known_ones(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    with pytest.raises(t3.CommandError, match=r"no service named 'web' \(known: api\)"):
        c.service("web")


def test_journal_since_reads_on_from_a_position_and_the_last_entry_may_grow(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    assert c.journal_since(0) == c.journal and len(c.journal) == 2
    seen = len(c.journal)
    assert c.journal_since(seen) == []
    assert c.journal_since(99) == []
    c.run(until=20)                                   # merged into the last entry ...
    assert len(c.journal) == seen
    assert [cmd.to_dict() for cmd in c.journal_since(seen - 1)] == [
        {"time": 0.0, "actor": "user", "verb": "run", "args": {"until": 20.0}}]
    c.kill("api", 1)                                  # ... a new command is a new entry
    assert [cmd.verb for cmd in c.journal_since(seen - 1)] == ["run", "kill"]
    tail = c.journal_since(seen)
    tail.clear()                                      # a copy: the journal is not touched
    assert len(c.journal) == 3


@pytest.mark.parametrize("position", [-1, 1.0, "0", True, None])
def test_journal_since_refuses_a_bad_position(position):
    c = t3.Cluster(seed=7)
    with pytest.raises(t3.CommandError) as caught:
        c.journal_since(position)
    assert caught.value.field == "position"

"""Routed requests: the 503 path, errors and latency, the journal and its coalescing."""
from __future__ import annotations

import json

import pytest

import t32sim as t3
from t32sim.engine.commands import MAX_COALESCED_COUNT, Command, coalesce
from t32sim.engine.requests import MAX_BATCH, Response
from tests.engine.serving import ready_cluster, service



def test_no_ready_pod_is_a_503_response_not_an_exception():
    c = ready_cluster(service(image="local://demo@never-ready"), until=30)
    assert c.lb.select("api") is None
    assert c.request("api", "/orders") == Response(None, None, 503, 0.0)
    assert c.send("api", 10) == {"requests": 10, "errors": 10, "unserved": 10, "by_version": {},
                                 "by_pod": {}}
    frame = c.requests
    assert list(frame["status"]) == [503, 503] and list(frame["count"]) == [1, 10]
    assert c.lb.counts() == {("api", "", "", 503): 11}


def test_unknown_service_is_not_found_for_traffic_commands():
    c = ready_cluster()
    for call in (lambda: c.request("web"), lambda: c.send("web", 3), lambda: c.lb.select("web"),
                 lambda: c.set_load("web", rps=1)):
        with pytest.raises(t3.CommandError) as error:
            call()
        assert error.value.not_found and error.value.field == "service"
    with pytest.raises(t3.CommandError) as error:
        c.request("api", "no-slash")
    assert error.value.field == "path"
    with pytest.raises(t3.CommandError) as error:
        c.send("api", 0)
    assert error.value.field == "count"


def test_errors_and_latency_follow_the_image_and_are_counted():
    c = ready_cluster(service(image="local://demo@flaky"))
    answers = [c.request("api") for _ in range(400)]
    errors = sum(a.status == 500 for a in answers)
    assert 0 < errors < 400 and {a.status for a in answers} == {200, 500}
    latencies = sorted(a.latency for a in answers)                  # log-normal, 20 ms mean
    assert sum(latencies) / 400 == pytest.approx(0.020, rel=0.1)
    assert latencies[200] < 0.020 < latencies[396]                  # skewed: median < mean
    assert latencies[396] > 2 * latencies[200]                      # ... with a tail
    assert c.lb.requests_total("api") == (400, errors)
    assert c.history.iloc[-1]["requests"] == 0                      # sampled before the requests
    c.run_for(1)
    assert (c.history.iloc[-1]["requests"], c.history.iloc[-1]["errors"]) == (400, errors)


def test_requests_are_journaled_and_replay_reproduces_them():
    c = ready_cluster(service(image="local://demo@flaky"))
    c.set_load("api", cpu=150)                       # overloaded pods answer slower
    answers = [c.request("api", "/a") for _ in range(20)]
    c.send("api", 500, "/b")
    c.run(until=20)
    again = t3.replay(json.loads(json.dumps([cmd.to_dict() for cmd in c.journal])), seed=5)
    assert again.requests.equals(c.requests)
    assert json.dumps(again.snapshot()) == json.dumps(c.snapshot())
    assert again.events.equals(c.events) and again.history.equals(c.history)
    # 20 identical requests at the same instant: one journal entry that says 20
    assert [cmd.to_dict() for cmd in c.journal if cmd.verb == "request"] == [
        {"time": 10.0, "actor": "user", "verb": "request",
         "args": {"service": "api", "path": "/a", "count": 20}}]
    assert again.requests["count"].sum() == c.requests["count"].sum() == 20 + 500
    assert (c.requests["path"] == "/a").sum() == 20             # still a row per request
    assert answers[0].latency == pytest.approx(again.requests.iloc[0]["latency"])
    mean = sum(a.latency for a in answers) / 20                   # 150 % CPU: 1.5 × slower
    assert mean == pytest.approx(0.020 * 1.5, rel=0.25)
    batch = c.requests[c.requests["path"] == "/b"]
    assert (batch["latency"] * batch["count"]).sum() / 500 == pytest.approx(0.030, rel=0.1)


# -- journal coalescing of traffic commands ----------------------------------------------------

def entries(cluster) -> list[tuple]:
    return [(cmd.time, cmd.actor, cmd.verb, cmd.args) for cmd in cluster.journal
            if cmd.verb != "apply"]


def test_identical_traffic_commands_at_one_instant_are_one_journal_entry_with_a_count():
    c = ready_cluster(service(image="local://demo@flaky"))
    picks = [c.lb.select("api").name for _ in range(500)]
    for _ in range(300):
        c.request("api", "/a")
    c.request("api", "/b")                                  # another argument: a new entry
    c.request("api", "/a", actor="ann")                      # another actor: a new entry
    c.request("api", "/a", actor="ann")
    c.run(until=12)
    c.lb.select("api")                                       # another instant: a new entry
    c.lb.select("api")
    c.send("api", 5)                                         # send batches never coalesce
    c.send("api", 5)
    assert entries(c) == [
        (0.0, "user", "run", {"until": 10.0}),
        (10.0, "user", "select", {"service": "api", "count": 500}),
        (10.0, "user", "request", {"service": "api", "path": "/a", "count": 300}),
        (10.0, "user", "request", {"service": "api", "path": "/b", "count": 1}),
        (10.0, "ann", "request", {"service": "api", "path": "/a", "count": 2}),
        (10.0, "user", "run", {"until": 12.0}),
        (12.0, "user", "select", {"service": "api", "count": 2}),
        (12.0, "user", "send", {"service": "api", "count": 5, "path": "/"}),
        (12.0, "user", "send", {"service": "api", "count": 5, "path": "/"})]
    assert (c.requests["path"] != "/").sum() == 300 + 1 + 2   # still a row per request
    assert picks[:8] == sorted(picks[:4]) * 2                 # and the rotation is unchanged


def test_replay_executes_a_coalesced_entry_count_times_and_gives_the_same_journal():
    c = ready_cluster(service(image="local://demo@flaky"))
    c.set_load("api", cpu=120)
    answers = [c.request("api", "/orders") for _ in range(200)]
    last = [c.lb.select("api") for _ in range(7)][-1]
    c.run(until=30)
    saved = json.loads(json.dumps([cmd.to_dict() for cmd in c.journal]))
    again = t3.replay(saved, seed=5)
    assert [cmd.to_dict() for cmd in again.journal] == saved
    assert json.dumps(again.snapshot()) == json.dumps(c.snapshot())
    assert again.requests.equals(c.requests) and again.events.equals(c.events)
    assert again.history.equals(c.history)
    replayed = again.requests
    assert list(replayed["status"]) == [a.status for a in answers]
    assert list(replayed["latency"]) == [a.latency for a in answers]
    assert again.lb.select("api").name == c.lb.select("api").name != last.name


def test_a_journal_of_single_commands_replays_like_the_coalesced_one():
    c = ready_cluster(service(image="local://demo@flaky"))
    for _ in range(6):
        c.request("api", "/x")
    c.run(until=15)
    saved = [cmd.to_dict() for cmd in c.journal]
    [coalesced] = [entry for entry in saved if entry["verb"] == "request"]
    position = saved.index(coalesced)
    one_by_one = (saved[:position] + [{**coalesced, "args": {**coalesced["args"], "count": 1}}] * 6
                  + saved[position + 1:])
    again = t3.replay(one_by_one, seed=5)
    assert [cmd.to_dict() for cmd in again.journal] == saved      # and it coalesces them again
    assert json.dumps(again.snapshot()) == json.dumps(c.snapshot())
    assert again.requests.equals(c.requests)


@pytest.mark.parametrize("last, new, expected", [
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "select", {"service": "api", "count": 2})),
    (Command(5.0, "u", "request", {"service": "api", "path": "/", "count": 7}),
     Command(5.0, "u", "request", {"service": "api", "path": "/", "count": 3}),
     Command(5.0, "u", "request", {"service": "api", "path": "/", "count": 10})),
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.5, "u", "select", {"service": "api", "count": 1}), None),           # time
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "v", "select", {"service": "api", "count": 1}), None),           # actor
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "select", {"service": "web", "count": 1}), None),           # args
    (Command(5.0, "u", "request", {"service": "api", "path": "/a", "count": 1}),
     Command(5.0, "u", "request", {"service": "api", "path": "/b", "count": 1}), None),
    (Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "request", {"service": "api", "count": 1}), None),          # verb
    (Command(5.0, "u", "send", {"service": "api", "count": 5, "path": "/"}),
     Command(5.0, "u", "send", {"service": "api", "count": 5, "path": "/"}), None),  # not send
    (Command(5.0, "u", "kill", {"service": "api", "count": 1}),
     Command(5.0, "u", "kill", {"service": "api", "count": 1}), None),             # nor chaos
    (Command(5.0, "u", "select", {"service": "api", "count": MAX_COALESCED_COUNT - 1}),
     Command(5.0, "u", "select", {"service": "api", "count": 1}),
     Command(5.0, "u", "select", {"service": "api", "count": MAX_COALESCED_COUNT})),
    (Command(5.0, "u", "select", {"service": "api", "count": MAX_COALESCED_COUNT}),
     Command(5.0, "u", "select", {"service": "api", "count": 1}), None),           # too many
    (None, Command(5.0, "u", "select", {"service": "api", "count": 1}), None),
])
def test_coalesce_decides_when_two_journal_entries_are_one(last, new, expected):
    assert coalesce(last, new) == expected


def test_a_coalesced_count_never_exceeds_what_a_replay_accepts():
    assert MAX_COALESCED_COUNT == MAX_BATCH
    c = ready_cluster()
    for verb in ("select", "request"):                   # checked only, not carried out
        checked = c.check(verb, {"service": "api", "count": MAX_COALESCED_COUNT})
        assert checked.entry.args["count"] == MAX_COALESCED_COUNT
        with pytest.raises(t3.CommandError) as error:
            c.check(verb, {"service": "api", "count": MAX_COALESCED_COUNT + 1})
        assert error.value.field == "count"

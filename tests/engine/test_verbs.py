"""The verbs table and the two halves of a command: check (changes nothing), then commit
(t32sim/engine/verbs.py, Cluster.check / Cluster.commit)."""
from __future__ import annotations

import json

import pytest

import t32sim as t3
from t32sim.engine.verbs import VERBS


def ready(examples) -> t3.Cluster:
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    return c


def whole(c: t3.Cluster) -> tuple:
    """Everything a command could change: state, journal, events, the rng's next draws."""
    state = c.rng.getstate()
    draws = [c.rng.random() for _ in range(3)]
    c.rng.setstate(state)
    return json.dumps(c.snapshot()), [e.to_dict() for e in c.journal], len(c.event_log), draws


def test_every_journaled_command_of_the_public_api_is_a_verb_of_the_table():
    assert set(VERBS) == {"apply", "scale", "kill", "set_load", "request", "send", "select",
                          "promote", "undo", "break_probe", "inject", "heal",
                          "configure_alerts", "add_alert_rule"}


def test_a_check_changes_nothing_and_its_commit_journals_exactly_its_entry(examples):
    c = ready(examples)
    before = whole(c)
    checked = c.check("kill", {"service": "api", "count": "2"}, actor="ann")
    assert whole(c) == before
    assert (checked.entry, checked.position, checked.replaces) == (
        t3.Command(10.0, "ann", "kill", {"service": "api", "count": 2}), 2, False)
    killed = c.commit(checked)
    assert len(killed) == 2 and c.journal[-1] == checked.entry and len(c.journal) == 3
    assert [e.pod for e in c.event_log if e.reason is t3.Reason.CHAOS_KILL] == killed


def test_a_check_that_coalesces_names_the_last_entry_with_the_counts_added(examples):
    c = ready(examples)
    c.lb.select("api")
    checked = c.check("select", {"service": "api", "count": 2})
    assert (checked.entry.args, checked.position, checked.replaces) == (
        {"service": "api", "count": 3}, len(c.journal) - 1, True)
    c.commit(checked)
    assert c.journal[-1] == checked.entry


@pytest.mark.parametrize("between", [
    lambda c: c.scale("api", replicas=4),         # another command
    lambda c: c.run_for(1),                       # time moved on
])
def test_a_check_is_refused_once_the_cluster_moved_on(examples, between):
    c = ready(examples)
    checked = c.check("kill", {"service": "api", "count": 1})
    between(c)
    before = whole(c)
    with pytest.raises(t3.CommandError) as caught:
        c.commit(checked)
    assert caught.value.field == "command" and "check it again" in str(caught.value)
    assert whole(c) == before


@pytest.mark.parametrize("verb,args,field,message", [
    ("explode", {}, "verb", "verb: unknown command 'explode' (expected one of apply, scale,"),
    ("run", {"until": 5}, "verb", "verb: unknown command 'run'"),    # only the Cluster runs
    ("kill", {"service": "api", "colour": "red"}, "args",
     "kill: check_kill() got an unexpected keyword argument 'colour'"),
    ("scale", {"service": "ghost", "replicas": 1}, "service", "service: no service named 'ghost'"),
])
def test_a_wrong_command_is_refused_at_its_check(examples, verb, args, field, message):
    c = ready(examples)
    before = whole(c)
    with pytest.raises(t3.CommandError) as caught:
        c.check(verb, args)
    assert caught.value.field == field and str(caught.value).startswith(message)
    assert whole(c) == before

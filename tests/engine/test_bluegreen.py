"""The blue/green state machine (bluegreen.py) alone, exactly: every note it emits, its
replica plan, its backends and its answers to promote, on observations made by hand."""
from __future__ import annotations

import pytest

from t32sim.engine.bluegreen import BlueGreenRollout
from t32sim.engine.commands import CommandError
from t32sim.engine.events import Reason
from t32sim.engine.store import Backend
from t32sim.engine.strategy import Note, Observation, ReplicaSetView

STARTED = Note(Reason.ROLLOUT_STARTED, "Blue/green: preview revision 2 (new) scales to 3 "
               "pod(s) beside active revision 1 (old), which keeps all the traffic",
               facts={"strategy": "BlueGreen"})
SWITCHED = Note(Reason.ACTIVE_SWITCHED, "All 3 pod(s) of revision 2 (new) are available: the "
                "active service switches from revision 1 (old) in one step; revision 1 (old) is "
                "scaled down in 30 s", facts={"delay": 30.0})


def obs(now, new, old=(3, 3), current="new", deadline=600.0, since=0.0) -> Observation:
    """3 replicas; ``old`` is revision 1, ``new`` revision 2: (replicas, available) each."""
    views = {k: ReplicaSetView(k, f"api-{k}", i + 1, k, 0.0, *v)
             for i, (k, v) in enumerate({"old": old, "new": new}.items())}
    return Observation(now, current, 3, views, deadline, since)


def test_the_preview_comes_up_beside_the_active_then_takes_over_in_one_step():
    m = BlueGreenRollout()
    assert m.backends() == [Backend("all", 100)]
    assert m.advance(obs(0, (0, 0), current="old")) == ([], [])
    assert m.backends() == [Backend("active", 100, frozenset({"old"}))]
    assert m.advance(obs(1, (0, 0))) == ([STARTED], [600.0])
    assert m.replicas(obs(1, (0, 0))) == {"old": 3, "new": 3}
    assert m.promote() == "will switch as soon as every preview pod is available"
    m.promote_requested = False
    assert m.advance(obs(5, (3, 2))) == ([], [600.0])
    assert m.advance(obs(6, (3, 3))) == ([SWITCHED], [36.0])
    assert (m.active, m.preview, m.in_progress, m.promote_requested) == ("new", None, False, False)
    assert m.backends() == [Backend("active", 100, frozenset({"new"}))]
    assert m.replicas(obs(35, (3, 3))) == {"old": 3, "new": 3}
    assert m.replicas(obs(36, (3, 3))) == {"old": 0, "new": 3}


def test_back_to_the_active_template_scales_the_preview_down():
    m = BlueGreenRollout(active="old")
    m.advance(obs(0, (0, 0)))
    assert m.advance(obs(4, (3, 1), current="old")) == ([Note(
        Reason.ROLLED_BACK_TO_STABLE, "revision 1 (old) is active again: preview revision 2 (new) "
        "is scaled down", facts={"strategy": "BlueGreen"})], [])
    assert (m.preview, m.in_progress) == (None, False)
    assert m.replicas(obs(4, (3, 1), current="old")) == {"old": 3, "new": 0}


def test_without_auto_promotion_it_waits_paused_for_promote():
    m = BlueGreenRollout(auto_promotion_enabled=False, active="old")
    m.advance(obs(0, (0, 0)))
    paused = Note(Reason.ROLLOUT_PAUSED, "Preview revision 2 (new) is ready (3 pod(s)); waiting "
                  "for promote", facts={"how": "until promote"})
    assert m.advance(obs(6, (3, 3))) == ([paused], [])
    assert m.paused and m.advance(obs(7, (3, 3))) == ([], [])    # said once
    assert m.promote() == "switching now"
    assert m.advance(obs(9, (3, 3))) == ([SWITCHED], [39.0])


def test_auto_promotion_seconds_after_the_preview_is_ready():
    m = BlueGreenRollout(auto_promotion_seconds=20, active="old")
    m.advance(obs(0, (0, 0)))
    paused = Note(Reason.ROLLOUT_PAUSED, "Preview revision 2 (new) is ready; it is promoted in "
                  "20 s", facts={"how": "for 20 s"})
    assert m.advance(obs(6, (3, 3))) == ([paused], [26])
    assert m.advance(obs(20, (3, 3))) == ([], [26])
    assert m.advance(obs(26, (3, 3))) == ([SWITCHED], [56.0])


def test_past_the_progress_deadline_the_preview_is_degraded_once():
    m = BlueGreenRollout(active="old")
    m.advance(obs(0, (0, 0), deadline=12))
    late = Note(Reason.PROGRESS_DEADLINE_EXCEEDED, "Preview revision 2 (new) has 1 of 3 pod(s) "
                "available after 12 s; active revision 1 (old) keeps serving", level="Warning",
                facts={"deadline": 12})
    assert m.advance(obs(11, (3, 1), deadline=12)) == ([], [12])
    assert m.advance(obs(12, (3, 1), deadline=12)) == ([late], [])
    assert m.advance(obs(13, (3, 1), deadline=12)) == ([], [])


def test_an_active_replicaset_that_is_gone_is_forgotten():
    m = BlueGreenRollout(active="deleted")
    assert m.advance(obs(0, (3, 3))) == ([], [])
    assert (m.active, m.preview) == ("new", None)


def test_no_rollout_no_promote():
    with pytest.raises(CommandError) as error:
        BlueGreenRollout(active="old").promote()
    assert (str(error.value), error.value.field) == (
        "promote: no blue/green rollout is in progress", "service")

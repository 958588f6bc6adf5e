"""The canary state machine (canary.py) alone, exactly: every note it emits (reason, message,
level, facts), its replica plan, its backends and its answers to promote, on observations
made by hand."""
from __future__ import annotations

import pytest

from t32sim.engine.canary import CanaryRollout, canary_replicas
from t32sim.engine.commands import CommandError
from t32sim.engine.events import Reason
from t32sim.engine.store import Backend
from t32sim.engine.strategy import Measurement, Note, Observation, ReplicaSetView
from t32sim.spec import Analysis, CanaryStep

STABLE = Backend("stable", 100, frozenset({"old"}))
STEPS = (CanaryStep(set_weight=25), CanaryStep(pause=True, pause_seconds=10),
         CanaryStep(set_weight=50), CanaryStep(pause=True))
STARTED = Note(Reason.ROLLOUT_STARTED, "Canary rollout of revision 2 (new) over stable revision "
               "1 (old): 4 step(s), analysis every 10 s (max error rate 5.0%, abort when "
               "failures exceed 0)", facts={"strategy": "Canary"})


def obs(now, new, old=(4, 4), current="new", replicas=4, **others) -> Observation:
    """4 replicas; ``old`` is revision 1, ``new`` revision 2: (replicas, available) each."""
    rss = {"old": old, "new": new, **others}
    views = {k: ReplicaSetView(k, f"api-{k}", i + 1, k, 0.0, *v)
             for i, (k, v) in enumerate(rss.items())}
    return Observation(now, current, replicas, views)


class Traffic:
    """The canary's request and error totals so far, as the controller measures them (and
    which ReplicaSets it was asked about)."""

    def __init__(self):
        self.requests = self.errors = 0.0
        self.asked: set[str] = set()

    def __call__(self, key) -> Measurement:
        self.asked.add(key)
        return Measurement(self.requests, self.errors, 0, 1)


def test_a_canary_with_analysis_step_by_step():
    traffic = Traffic()
    m = CanaryRollout(STEPS, Analysis(0.05, 10, 0), stable="old")
    assert m.backends() == [STABLE]
    assert m.advance(obs(0, (0, 0)), traffic) == ([STARTED], [10])
    assert m.replicas(obs(0, (0, 0))) == {"old": 4, "new": 1}
    assert m.advance(obs(4, (1, 1)), traffic) == ([
        Note(Reason.SET_WEIGHT, "Step 1/4: canary revision 2 (new) has ceil(25 × 4 / 100) = 1 "
             "available pod(s): traffic 0 % → 25 %", facts={"weight": 25}),
        Note(Reason.ROLLOUT_PAUSED, "Step 2/4: paused for 10 s at 25 % canary traffic",
             facts={"how": "for 10 s"})], [10, 14])
    assert m.backends() == [Backend("stable", 75, frozenset({"old"})),
                            Backend("canary", 25, frozenset({"new"}))]
    traffic.requests, traffic.errors = 100, 5              # exactly the maximum: passes
    assert m.advance(obs(10, (1, 1)), traffic) == ([
        Note(Reason.ANALYSIS_PASSED, "Analysis at 25 % weight: canary error rate 5.0% (5 of "
             "100 requests) ≤ max 5.0%", facts={"rate": 0.05, "max": 0.05})], [20, 14])
    assert m.advance(obs(14, (1, 1)), traffic) == ([
        Note(Reason.ROLLOUT_RESUMED, "Pause of 10 s over", facts={})], [20])
    assert m.replicas(obs(14, (1, 1))) == {"old": 4, "new": 2}
    assert m.advance(obs(16, (2, 2)), traffic)[0] == [
        Note(Reason.SET_WEIGHT, "Step 3/4: canary revision 2 (new) has ceil(50 × 4 / 100) = 2 "
             "available pod(s): traffic 25 % → 50 %", facts={"weight": 50}),
        Note(Reason.ROLLOUT_PAUSED, "Step 4/4: paused until promote at 50 % canary traffic",
             facts={"how": "until promote"})]
    assert m.paused
    # two analysis runs fall due before the next look: both are run, each on its own window
    traffic.requests, traffic.errors = 250, 11
    assert m.advance(obs(30, (2, 2)), traffic) == ([
        Note(Reason.ANALYSIS_PASSED, "Analysis at 50 % weight: canary error rate 4.0% (6 of 150 "
             "requests) ≤ max 5.0%", facts={"rate": 0.04, "max": 0.05}),
        Note(Reason.ANALYSIS_INCONCLUSIVE, "Analysis at 50 % weight: no request reached the "
             "canary in the last 10 s, nothing to judge", facts={})], [40])
    assert m.promote() == "resumed: the current pause ends"
    assert m.advance(obs(31, (2, 2)), traffic) == ([
        Note(Reason.ROLLOUT_RESUMED, "Promoted: step 4/4 skipped", facts={})], [40])
    assert m.replicas(obs(31, (2, 2))) == {"old": 4, "new": 4}
    traffic.requests = 251                                 # one request, no error: judged
    assert m.advance(obs(40, (4, 4)), traffic) == ([
        Note(Reason.ANALYSIS_PASSED, "Analysis at 50 % weight: canary error rate 0.0% (0 of 1 "
             "requests) ≤ max 5.0%", facts={"rate": 0.0, "max": 0.05}),
        Note(Reason.ROLLOUT_COMPLETED, "Canary revision 2 (new) fully promoted: 100 % of "
             "traffic, it is the stable revision now; revision 1 (old) is scaled down in 30 s",
             facts={"delay": 30.0})], [50, 70])
    assert (m.stable, m.canary, m.in_progress, m.step, m.weight) == ("new", None, False, 0, 0)
    assert m.backends() == [Backend("stable", 100, frozenset({"new"}))]
    assert m.replicas(obs(69, (4, 4), current="new")) == {"old": 4, "new": 4}
    assert m.replicas(obs(70, (4, 4), current="new")) == {"old": 0, "new": 4}
    assert traffic.asked == {"new"}                        # only the canary is measured


def test_an_aborted_canary_keeps_its_pods_30_s_then_goes_and_cannot_be_promoted():
    traffic = Traffic()
    m = CanaryRollout(STEPS, Analysis(0.05, 10, 0), stable="old")
    m.advance(obs(0, (0, 0)), traffic)
    m.advance(obs(4, (1, 1)), traffic)
    traffic.requests, traffic.errors = 100, 10
    why = "canary error rate 10.0% (10 of 100 requests) > max 5.0%"
    assert m.advance(obs(10, (1, 1)), traffic) == ([
        Note(Reason.ANALYSIS_FAILED, f"Analysis at 25 % weight: {why} (failure 1, limit 0)",
             level="Warning", facts={"limit": 0}),
        Note(Reason.ROLLOUT_ABORTED, f"Rollout of revision 2 (new) aborted: {why}; 100 % of "
             "traffic back to stable revision 1 (old), canary scaled down in 30 s",
             level="Warning", facts={"delay": 30.0})], [40])
    assert (m.weight, m.paused, m.in_progress, m.desired_weight()) == (0, False, False, 0)
    assert m.backends() == [STABLE]
    assert m.replicas(obs(39.5, (1, 1))) == {"old": 4, "new": 1}
    assert m.replicas(obs(40, (1, 1))) == {"old": 4, "new": 0}
    assert m.advance(obs(20, (1, 1)), traffic) == ([], [40])
    assert m.advance(obs(40, (0, 0)), traffic) == ([], [])
    with pytest.raises(CommandError) as error:
        m.promote()
    assert (str(error.value), error.value.field) == (
        f"promote: the canary was aborted ({why}); apply a new version or undo", "service")


def test_only_the_errors_of_the_last_interval_count():
    traffic = Traffic()
    m = CanaryRollout((CanaryStep(set_weight=25), CanaryStep(pause=True)), Analysis(0.05, 10, 0),
                      stable="old")
    traffic.requests, traffic.errors = 1000, 500           # before the canary started
    m.advance(obs(0, (1, 1)), traffic)
    traffic.requests, traffic.errors = 1100, 501
    notes, _ = m.advance(obs(10, (1, 1)), traffic)
    assert notes == [Note(Reason.ANALYSIS_PASSED, "Analysis at 25 % weight: canary error rate "
                          "1.0% (1 of 100 requests) ≤ max 5.0%", facts={"rate": 0.01, "max": 0.05})]


def test_promote_full_skips_every_remaining_step():
    m = CanaryRollout(STEPS, stable="old")
    m.advance(obs(0, (1, 1)), None)
    assert m.promote(full=True) == "promoted fully: remaining steps skipped"
    assert m.desired_weight() == 100 and m.replicas(obs(1, (1, 1))) == {"old": 4, "new": 4}
    assert m.advance(obs(1, (1, 1)), None) == ([], [])       # waits for the 4 pods
    notes, wakes = m.advance(obs(9, (4, 4)), None)
    assert [n.reason for n in notes] == [Reason.ROLLOUT_COMPLETED] and wakes == [39]


def test_promote_skips_one_step_at_a_time():
    m = CanaryRollout((CanaryStep(pause=True), CanaryStep(pause=True), CanaryStep(set_weight=50)),
                      stable="old")
    m.advance(obs(0, (0, 0)), None)
    assert m.replicas(obs(0, (0, 0))) == {"old": 4, "new": 0}   # no weight before a setWeight
    assert m.promote() == "resumed: the current pause ends"
    notes, _ = m.advance(obs(1, (0, 0)), None)
    assert notes == [Note(Reason.ROLLOUT_RESUMED, "Promoted: step 1/3 skipped", facts={}),
                     Note(Reason.ROLLOUT_PAUSED, "Step 2/3: paused until promote at 0 % canary "
                          "traffic", facts={"how": "until promote"})]
    assert (m.step, m.skip_step, m.paused) == (1, False, True)


def test_a_skip_asked_while_not_paused_says_so():
    m = CanaryRollout((CanaryStep(set_weight=50), CanaryStep(pause=True)), stable="old")
    m.advance(obs(0, (0, 0)), None)                          # waiting for the canary's pods
    assert m.promote() == "skipped the current step"


def test_no_canary_no_promote():
    with pytest.raises(CommandError) as error:
        CanaryRollout(STEPS, stable="old").promote()
    assert (str(error.value), error.value.field) == (
        "promote: no canary rollout is in progress", "service")


@pytest.mark.parametrize("old, others", [
    ((4, 3), {}),                                # the stable one is not fully available
    ((3, 3), {}),                                # ... nor at its size
    ((4, 4), {"older": (1, 1)}),                 # a third ReplicaSet still has available pods
])
def test_a_weight_waits_for_the_desired_counts(old, others):
    m = CanaryRollout((CanaryStep(set_weight=25),), stable="old")
    notes, _ = m.advance(obs(0, (1, 1), old=old, **others), None)
    assert [n.reason for n in notes] == [Reason.ROLLOUT_STARTED] and m.weight == 0


def test_a_newer_template_replaces_the_canary_and_a_lost_stable_is_forgotten():
    m = CanaryRollout((CanaryStep(set_weight=25), CanaryStep(pause=True)), stable="old")
    m.advance(obs(0, (1, 1)), None)
    notes, _ = m.advance(obs(5, (1, 1), current="newer", newer=(0, 0)), None)
    assert notes[0] == Note(Reason.ROLLOUT_STARTED, "A newer template replaces the canary "
                                                    "revision 2 (new); its pods are removed")
    assert notes[1].message == ("Canary rollout of revision 3 (newer) over stable revision 1 "
                                "(old): 2 step(s)")
    gone = CanaryRollout(STEPS, stable="deleted")
    assert gone.advance(obs(0, (4, 4), current="new"), None) == ([], [])
    assert gone.stable == "new"


def test_back_to_the_stable_template_skips_the_steps():
    m = CanaryRollout(STEPS, stable="old")
    m.advance(obs(0, (1, 1)), None)
    assert m.advance(obs(5, (1, 1), current="old"), None) == ([Note(
        Reason.ROLLED_BACK_TO_STABLE, "revision 1 (old) is the stable revision again: steps "
        "skipped, the canary revision 2 (new) is scaled down", facts={"strategy": "Canary"})], [])


def test_a_full_weight_sends_everything_to_the_canary():
    m = CanaryRollout((CanaryStep(set_weight=100), CanaryStep(pause=True)), stable="old")
    m.advance(obs(0, (4, 4)), None)
    assert m.backends() == [Backend("canary", 100, frozenset({"new"}))]


@pytest.mark.parametrize("weight, replicas, pods", [
    (25, 4, 1), (30, 4, 2), (1, 1000, 10), (100, 101, 101), (0, 5, 0)])
def test_canary_replicas_is_argos_ceiling(weight, replicas, pods):
    assert canary_replicas(weight, replicas) == pods


def test_no_stable_revision_yet_sends_to_all():
    assert CanaryRollout(STEPS).backends() == [Backend("all", 100)]


def test_a_weight_of_one_percent_is_a_split():
    m = CanaryRollout((CanaryStep(set_weight=1), CanaryStep(pause=True)), stable="old")
    m.advance(obs(0, (1, 1)), None)
    assert m.backends() == [Backend("stable", 99, frozenset({"old"})),
                            Backend("canary", 1, frozenset({"new"}))]


def test_a_canary_replicaset_that_is_gone_is_waited_for_not_planned():
    m = CanaryRollout((CanaryStep(set_weight=25),), stable="old")
    m.advance(obs(0, (0, 0)), None)
    views = {"old": ReplicaSetView("old", "api-old", 1, "old", 0.0, 4, 4)}
    gone = Observation(1, "new", 4, views)
    assert m.replicas(gone) == {"old": 4}
    assert m.advance(gone, None) == ([], []) and m.weight == 0


def test_one_request_one_error_fails_the_analysis():
    traffic = Traffic()
    m = CanaryRollout((CanaryStep(set_weight=25), CanaryStep(pause=True)), Analysis(0.05, 10, 1),
                      stable="old")
    m.advance(obs(0, (1, 1)), traffic)
    traffic.requests = traffic.errors = 1
    notes, _ = m.advance(obs(10, (1, 1)), traffic)
    assert notes == [Note(Reason.ANALYSIS_FAILED, "Analysis at 25 % weight: canary error rate "
                          "100.0% (1 of 1 requests) > max 5.0% (failure 1, limit 1)",
                          level="Warning", facts={"limit": 1})]


def test_every_analysis_run_that_fell_due_is_run_even_without_traffic():
    m = CanaryRollout((CanaryStep(set_weight=25), CanaryStep(pause=True)), Analysis(0.05, 10, 0),
                      stable="old")
    m.advance(obs(0, (1, 1)), Traffic())
    notes, wakes = m.advance(obs(25, (1, 1)), Traffic())
    assert [n.reason for n in notes] == [Reason.ANALYSIS_INCONCLUSIVE] * 2 and wakes == [30]


def test_a_pause_over_moves_on_to_the_next_step_at_once():
    m = CanaryRollout((CanaryStep(pause=True, pause_seconds=5), CanaryStep(pause=True)),
                      stable="old")
    m.advance(obs(0, (0, 0)), None)
    assert m.advance(obs(5, (0, 0)), None) == ([
        Note(Reason.ROLLOUT_RESUMED, "Pause of 5 s over"),
        Note(Reason.ROLLOUT_PAUSED, "Step 2/2: paused until promote at 0 % canary traffic",
             facts={"how": "until promote"})], [])

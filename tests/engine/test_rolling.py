"""RollingUpdate's pure steps (rolling.py), table-driven: the arithmetic of maxSurge and
maxUnavailable, one ``rolloutRolling`` step, and proportional scaling mid-rollout. The
proportional cases are Kubernetes' own (TestScale in pkg/controller/deployment/sync_test.go
and the "Proportional scaling" example of the Deployment docs)."""
from __future__ import annotations

import pytest

from t32sim.engine.rolling import (is_scaling_event, plan_rolling_update, proportional_scale,
                                   rolling_update_step, scaled_value, show_rounding)
from t32sim.engine.strategy import ReplicaSetView
from t32sim.spec import Rollout

AGE = {"v1": 0.0, "v2": 10.0, "v3": 20.0, "v4": 30.0}


def rs(name, replicas, available=None, desired=None, most=None) -> ReplicaSetView:
    """A ReplicaSet view named v1 (oldest) .. v3 (newest); available defaults to replicas."""
    return ReplicaSetView(name, name, int(name[1]), name, AGE[name], replicas,
                          replicas if available is None else available, desired, most)


# -- arithmetic -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, total, up, pods", [
    (3, 10, True, 3), ("25%", 10, True, 3), ("25%", 10, False, 2), ("100%", 7, True, 7),
    ("42%", 12, True, 6),            # 5.04 rounds up to 6
    ("42%", 12, False, 5), ("0%", 5, True, 0),
])
def test_scaled_value_rounds_surge_up_and_unavailable_down(value, total, up, pods):
    assert scaled_value(value, total, up) == pods


@pytest.mark.parametrize("value, replicas, result, up, text", [
    (2, 10, 2, True, "2"),
    ("25%", 10, 3, True, "25% of 10 = 2.5 → 3 (rounded up)"),
    ("25%", 10, 2, False, "25% of 10 = 2.5 → 2 (rounded down)"),
    ("50%", 4, 2, True, "50% of 4 = 2 → 2"),
])
def test_show_rounding_says_how_a_percentage_became_pods(value, replicas, result, up, text):
    assert show_rounding(value, replicas, result, up) == text


# -- one rolloutRolling step -----------------------------------------------------------------------

@pytest.mark.parametrize("replicas, surge, unavailable, new, olds, changes", [
    # the new ReplicaSet grows by the surge room, but never past replicas
    (3, 3, 0, rs("v2", 1, 0), [rs("v1", 1)], {"v2": 3}),
    (3, 1, 0, rs("v2", 0), [rs("v1", 3)], {"v2": 1}),
    (3, 0, 1, rs("v2", 4), [], {"v2": 3}),                      # too big: straight down
    # old pods go as far as availability allows: 3 available, at least 2 -> one goes
    (3, 0, 1, rs("v2", 0), [rs("v1", 3)], {"v1": 2}),
    # the removal spans old ReplicaSets, oldest first, and stops where availability says
    (3, 0, 1, rs("v3", 1), [rs("v1", 1), rs("v2", 2)], {"v1": 0, "v2": 1}),
    (4, 0, 2, rs("v4", 1), [rs("v1", 1), rs("v2", 1), rs("v3", 2)], {"v1": 0, "v2": 0, "v3": 1}),
    (3, 0, 2, rs("v3", 1), [rs("v1", 1), rs("v2", 2)], {"v1": 0, "v2": 0}),
    # unhealthy old pods are cleaned up first, oldest first, within the scale-down budget
    # (here 3: 4 old + 1 new - 2 to keep available): 1 + 1 + 1 of the 4 unhealthy
    (5, 0, 1, rs("v4", 1), [rs("v1", 2, 1), rs("v2", 2, 1), rs("v3", 2, 0)],
     {"v1": 1, "v2": 1, "v3": 1}),
    # the budget (2) spent on v1's one and v2's first unhealthy pod
    (4, 0, 1, rs("v3", 1), [rs("v1", 2, 1), rs("v2", 2, 0)], {"v1": 1, "v2": 1}),
    # the budget (3) spent on v1 alone: v2 untouched
    (3, 0, 1, rs("v3", 1), [rs("v1", 3, 0), rs("v2", 1, 0)], {"v1": 0}),
    # cleanup, then one healthy old pod goes as availability allows
    (4, 0, 1, rs("v3", 2), [rs("v1", 2, 1), rs("v2", 2, 1)], {"v1": 0, "v2": 1}),
    # nothing available to lose, nothing to add: wait
    (3, 0, 1, rs("v2", 1, 0), [rs("v1", 2)], {}),
    (2, 0, 0, rs("v2", 2), [], {}),
])
def test_rolling_update_step_table(replicas, surge, unavailable, new, olds, changes):
    assert rolling_update_step(replicas, surge, unavailable, new, olds) == changes


# -- proportional scaling -----------------------------------------------------------------------

def annotated(views, desired, most):
    return [ReplicaSetView(v.key, v.name, v.revision, v.version, v.created_at, v.replicas,
                           v.available, desired, most) for v in views]


@pytest.mark.parametrize("was, surge_was, replicas, surge, new, olds, sizes", [
    # (Kubernetes' case name) -> the changed sizes
    (5, 0, 10, 0, rs("v2", 2), [rs("v1", 3)], {"v2": 4, "v1": 6}),            # 5 -> 10
    (5, 0, 3, 0, rs("v2", 2), [rs("v1", 3)], {"v2": 1, "v1": 2}),             # 5 -> 3
    (9, 0, 4, 0, rs("v2", 8), [rs("v1", 1)], {"v2": 4, "v1": 0}),             # 9 -> 4
    (7, 0, 10, 0, rs("v3", 2), [rs("v2", 3), rs("v1", 2)],
     {"v3": 3, "v2": 4, "v1": 3}),                                             # 7 -> 10
    (13, 0, 8, 0, rs("v3", 2), [rs("v2", 8), rs("v1", 3)],
     {"v3": 1, "v2": 5, "v1": 2}),                                             # 13 -> 8
    (3, 0, 4, 0, rs("v3", 1), [rs("v2", 1), rs("v1", 1)], {"v3": 2}),        # leftover: newest
    (3, 0, 2, 0, rs("v3", 1), [rs("v2", 1), rs("v1", 1)], {"v1": 0}),        # leftover: oldest
    (6, 0, 0, 0, rs("v3", 3), [rs("v2", 2), rs("v1", 1)],
     {"v3": 0, "v2": 0, "v1": 0}),                                             # 6 -> 0
    (10, 2, 20, 2, rs("v2", 6), [rs("v1", 6)], {"v2": 11, "v1": 11}),        # with surge pods
    (10, 3, 50, 6, rs("v2", 5), [rs("v1", 8)], {"v2": 22, "v1": 34}),        # surge and size
    (10, 3, 15, 3, rs("v2", 5, 0), [rs("v1", 8)], {"v2": 7, "v1": 11}),      # the docs' example
    # saturated but broken new ReplicaSet: nothing to add, old pods untouched
    (2, 1, 2, 1, rs("v2", 2, 0), [rs("v1", 1)], {}),
    # our own: to zero with an integer maxSurge, which must not keep surge pods
    (6, 2, 0, 2, rs("v3", 3), [rs("v2", 2), rs("v1", 1)], {"v3": 0, "v2": 0, "v1": 0}),
    # to one: 1 pod allowed, shared as 2 x round(2 × 1 / 4) - 2 = -1, the rest from the oldest
    (4, 0, 1, 0, rs("v2", 2), [rs("v1", 2)], {"v1": 0, "v2": 1}),
    # to one with maxSurge 2: 3 pods allowed, round(3 × 3 / 8) = 1 less for each, oldest first
    (6, 2, 1, 2, rs("v2", 3), [rs("v1", 3)], {"v1": 1, "v2": 2}),
    # the leftover goes to the biggest; on a tie the newer one when adding ...
    (5, 0, 6, 0, rs("v3", 1), [rs("v2", 2), rs("v1", 2)], {"v2": 3}),
    # ... and the older one when removing
    (5, 0, 4, 0, rs("v3", 1), [rs("v2", 2), rs("v1", 2)], {"v1": 1}),
    # rounding would give 2 + 2 of the 3 to add: the second gets only what is left
    (8, 0, 11, 0, rs("v2", 4), [rs("v1", 4)], {"v2": 6, "v1": 5}),
])
def test_proportional_scaling_as_kubernetes_tests_it(was, surge_was, replicas, surge, new, olds,
                                                       sizes):
    new, *olds = annotated([new, *olds], was, was + surge_was)
    changes, touched = proportional_scale(replicas, surge, new, olds, was)
    assert changes == sizes
    assert touched == {v.key for v in (new, *olds) if v.replicas > 0}


def test_proportional_scaling_of_one_active_replicaset_or_none():
    only = annotated([rs("v2", 0), rs("v1", 4)], 4, 5)
    assert proportional_scale(6, 1, only[0], only[1:], 4) == ({"v1": 6}, {"v1"})
    idle = annotated([rs("v2", 0), rs("v1", 0)], 6, 6)
    assert proportional_scale(6, 0, idle[0], idle[1:], 0) == ({"v2": 6}, {"v2"})  # 0 -> 6
    assert proportional_scale(4, 1, only[0], only[1:], 4) == ({}, set())


def test_a_saturated_new_replicaset_takes_the_old_pods_down():
    new, old, idle = annotated([rs("v3", 3), rs("v2", 1), rs("v1", 0)], 3, 4)
    assert proportional_scale(3, 1, new, [old, idle], 4) == ({"v2": 0}, {"v2"})


def test_without_any_size_to_scale_from_the_leftover_goes_to_the_biggest():
    """No max-replicas annotation and no pods counted yet: no proportion can be computed,
    so all 5 new pods go to the biggest ReplicaSet (Kubernetes' getReplicaSetFraction
    answers 0 when it has no size to scale from)."""
    new, old = rs("v2", 2, desired=5), rs("v1", 3, desired=5)
    assert proportional_scale(10, 0, new, [old], 0) == ({"v1": 8}, {"v1", "v2"})


def test_without_a_max_annotation_the_proportion_is_of_the_status_replicas():
    new, old = rs("v2", 2, desired=5), rs("v1", 3, desired=5)
    assert proportional_scale(10, 0, new, [old], 5) == ({"v2": 4, "v1": 6}, {"v1", "v2"})


@pytest.mark.parametrize("replicas, views, scaling", [
    (5, [rs("v2", 3, desired=3)], True),
    (5, [rs("v2", 1, desired=3)], True),
    (5, [rs("v2", 5, desired=5), rs("v1", 0, desired=3)], False),   # an idle one does not count
    (5, [rs("v2", 5, desired=None)], False),                         # never annotated yet
    (3, [rs("v2", 3, desired=3)], False),
])
def test_a_scaling_event_is_an_active_replicaset_remembering_another_size(replicas, views,
                                                                          scaling):
    assert is_scaling_event(replicas, views) is scaling


# -- a whole plan ---------------------------------------------------------------------------------

def test_a_plan_runs_steps_until_nothing_changes_and_annotates_what_it_touched():
    """3 replicas, maxSurge 1, maxUnavailable 0: the new ReplicaSet gets one surge pod; the
    old ones wait for it to be available."""
    new, old = rs("v2", 0), rs("v1", 3, desired=3, most=4)
    state, lines = plan_rolling_update(3, Rollout(max_surge=1, max_unavailable=0), new, [old], 3)
    assert lines == ["rolling update: v2 → 1"]
    assert [(v.replicas, v.available, v.desired_annotation, v.max_annotation)
            for v in (state["v2"], state["v1"])] == [(1, 0, 3, 4), (3, 3, 3, 4)]


def test_a_plan_scales_proportionally_then_rolls_on():
    """Scaled from 10 to 15 mid-rollout (the docs' example): the 5 extra pods are shared
    3 / 2, then the rolling update goes on with the new sizes."""
    new, old = annotated([rs("v2", 5, 0), rs("v1", 8)], 10, 13)
    rollout = Rollout(max_surge=3, max_unavailable=2)
    state, lines = plan_rolling_update(15, rollout, new, [old], 13)
    assert lines[0] == "proportional scaling: v1 → 11, v2 → 7"
    assert [(state[k].replicas, state[k].desired_annotation, state[k].max_annotation)
            for k in ("v1", "v2")] == [(11, 15, 18), (7, 15, 18)]
    assert state["v1"].available == 8 and state["v2"].available == 0


def test_a_plan_that_changes_several_replicasets_names_them_oldest_first():
    new = rs("v3", 1)
    olds = [rs("v2", 2, desired=3, most=3), rs("v1", 1, desired=3, most=3)]
    state, lines = plan_rolling_update(3, Rollout(max_surge=0, max_unavailable=2), new, olds, 4)
    assert lines == ["rolling update: v1 → 0, v2 → 0", "rolling update: v3 → 3"]
    assert [state[k].available for k in ("v1", "v2", "v3")] == [0, 0, 1]   # none left


def test_a_plan_lists_by_age_not_by_name_nor_hash():
    oldest = ReplicaSetView("h9", "api-zz", 1, "v1", 0.0, 1, 1, 2, 2)
    older = ReplicaSetView("h5", "api-mm", 2, "v2", 5.0, 1, 1, 2, 2)
    new = ReplicaSetView("h1", "api-aa", 3, "v3", 10.0, 0, 0)
    _, lines = plan_rolling_update(2, Rollout(max_surge=0, max_unavailable=2), new,
                                   [older, oldest], 2)
    assert lines == ["rolling update: api-zz → 0, api-mm → 0", "rolling update: api-aa → 2"]


def test_a_plan_annotates_a_replicaset_that_never_was():
    """A ReplicaSet without annotations (made under another strategy) that already has its
    pods gets them, though there is nothing to do."""
    state, lines = plan_rolling_update(3, Rollout(max_surge=1, max_unavailable=0), rs("v2", 3),
                                       [], 3)
    assert lines == [] and (state["v2"].desired_annotation, state["v2"].max_annotation) == (3, 4)


def test_a_plan_refreshes_the_annotations_of_a_scaling_event_that_moves_no_pod():
    """Scaled from 3 to 4 (maxSurge 1) with 5 pods already: nothing to add, but both
    ReplicaSets now remember 4 and 5, so the next sync is no scaling event."""
    new, old = annotated([rs("v2", 3, 0), rs("v1", 2)], 3, 4)
    state, lines = plan_rolling_update(4, Rollout(max_surge=1, max_unavailable=0), new, [old], 5)
    assert lines == []
    assert [(state[k].replicas, state[k].available, state[k].desired_annotation,
             state[k].max_annotation) for k in ("v2", "v1")] == [(3, 0, 4, 5), (2, 2, 4, 5)]


def test_a_plan_scales_from_the_pod_count_when_no_max_annotation_says_more():
    new, old = rs("v2", 2, desired=5), rs("v1", 3, desired=5)
    state, lines = plan_rolling_update(10, Rollout(max_surge=0, max_unavailable=1), new, [old], 5)
    assert lines[0] == "proportional scaling: v1 → 6, v2 → 4"

"""State deltas: exact shapes for the common cases, and apply(diff) == new for any pair."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from t32sim.server.delta import apply_delta, diff, list_patch


def pod(name, phase="Running", ready=True):
    return {"name": name, "phase": phase, "ready": ready}


def test_unchanged_state_has_an_empty_delta():
    state = {"time": 1.0, "pods": [pod("a")], "services": {"api": {"x": 1}}}
    assert diff(state, state) == {}


def test_scalar_change_is_set_whole():
    assert diff({"time": 1.0, "seed": 7}, {"time": 2.5, "seed": 7}) == {"set": {"time": 2.5}}


def test_record_map_sends_changed_records_only():
    old = {"services": {"api": {"r": 1}, "web": {"r": 2}}}
    new = {"services": {"api": {"r": 3}, "web": {"r": 2}, "db": {"r": 1}}}
    assert diff(old, new) == {"patch": {"services": {"kind": "map", "set": {"api": {"r": 3},
                                                                             "db": {"r": 1}}}}}
    assert diff(new, {"services": {"api": {"r": 3}}}) == {
        "patch": {"services": {"kind": "map", "del": ["web", "db"]}}}


def test_pod_list_sends_changed_removed_and_appended_pods():
    old = {"pods": [pod("a"), pod("b"), pod("c")]}
    new = {"pods": [pod("a"), pod("c", ready=False), pod("d", "Pending", False)]}
    assert diff(old, new) == {"patch": {"pods": {
        "kind": "list", "key": "name", "del": ["b"], "set": [pod("c", ready=False)],
        "append": [pod("d", "Pending", False)]}}}


def test_reordered_list_carries_the_order():
    old = {"pods": [pod("a"), pod("b")]}
    new = {"pods": [pod("b"), pod("a")]}
    assert diff(old, new) == {"patch": {"pods": {"kind": "list", "key": "name",
                                                 "order": ["b", "a"]}}}


def test_removed_top_level_key():
    assert diff({"a": 1, "b": 2}, {"a": 1}) == {"del": ["b"]}


names = st.sampled_from(["a", "b", "c", "d", "e"])
records = st.fixed_dictionaries({"phase": st.sampled_from(["Pending", "Running"]),
                                 "ready": st.booleans()})
pod_lists = st.lists(st.tuples(names, records), unique_by=lambda t: t[0]).map(
    lambda items: [{"name": n, **r} for n, r in items])
states = st.fixed_dictionaries(
    {"time": st.floats(0, 1e6), "pods": pod_lists,
     "services": st.dictionaries(names, st.dictionaries(names, st.integers(), min_size=1))},
    optional={"events": st.integers(0, 100), "extra": st.lists(st.integers(), max_size=3)})


@settings(max_examples=300, deadline=None)
@given(states, states)
def test_apply_of_diff_gives_the_new_state(old, new):
    assert apply_delta(old, diff(old, new)) == new
    assert list(apply_delta(old, diff(old, new))["pods"]) == new["pods"]   # same order too


def test_a_known_patch_is_used_instead_of_comparing():
    old = {"time": 1, "pods": [{"name": "a", "x": 1}, {"name": "b", "x": 1}]}
    new = {"time": 2, "pods": [{"name": "b", "x": 2}, {"name": "c", "x": 0}]}
    patch = list_patch("name", ["a"], [{"name": "b", "x": 2}], [{"name": "c", "x": 0}])
    assert diff(old, new, {"pods": patch}) == diff(old, new)
    assert json.dumps(patch) == json.dumps(diff(old, new)["patch"]["pods"])   # same order
    assert diff(old, new, {"pods": None}) == {"set": {"time": 2}}          # taken on trust
    assert list_patch("name", [], [], []) is None
    assert diff({}, new, {"pods": None}) == {"set": new}                   # a new key: whole

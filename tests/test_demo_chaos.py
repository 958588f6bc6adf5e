"""What the chaos toggles do to a health check (t32sim/demo_chaos.py), shared by services,
monitor and simulation."""
from __future__ import annotations

import ast
import inspect

import pytest

import t32sim.demo_chaos as module
from t32sim.demo_chaos import (
    CheckResult, DemoState, check_state, explain, failure_cause, health_delay, root_delay,
)


@pytest.mark.parametrize("load,root,health", [(0, 0.0, 0.0), (10, 0.5, 0.0), (50, 2.5, 0.0),
                                              (51, 2.55, 2.0), (100, 5.0, 2.0)])
def test_the_originals_delays(load, root, health):
    assert (round(root_delay(load), 6), health_delay(load)) == (root, health)
    assert (round(root_delay(load, 0.1), 6), round(health_delay(load, 0.1), 6)) == (
        round(root * 0.1, 6), round(health * 0.1, 6))


@pytest.mark.parametrize("state,timeout,scale,expected", [
    (DemoState("v1"), 1.0, 1.0, CheckResult(True, 200, 0.0, "")),
    (DemoState("v1", cpu_load=50), 1.0, 1.0, CheckResult(True, 200, 0.0, "")),
    (DemoState("v1", cpu_load=80), 1.0, 1.0, CheckResult(False, None, 1.0, "timeout after 1 s")),
    (DemoState("v1", cpu_load=80), 3.0, 1.0, CheckResult(True, 200, 2.0, "")),
    (DemoState("v1", cpu_load=80), 0.05, 0.1, CheckResult(False, None, 0.05, "timeout after 0.05 s")),
    (DemoState("v1", is_corrupted=True), 1.0, 1.0, CheckResult(False, 503, 0.0, "HTTP 503: DATA_ERR")),
    (None, 1.0, 1.0, CheckResult(False, None, 0.0, "connection refused")),
])
def test_what_a_check_sees(state, timeout, scale, expected):
    assert check_state(state, timeout, scale) == expected


def test_causes_and_explanations():
    assert failure_cause(DemoState("v1", cpu_load=80)) == (
        "v1 is at 80 % load (above 50 % its /health takes 2 s)")
    assert failure_cause(DemoState("v1", cpu_load=80), scale=0.1) == (
        "v1 is at 80 % load (above 50 % its /health takes 0.2 s)")
    assert failure_cause(DemoState("v2", is_corrupted=True, cpu_load=90)) == "v2's data is corrupted"
    assert failure_cause(DemoState("v1", cpu_load=40)) == ""
    assert failure_cause(None) == ""
    assert failure_cause(DemoState("v1"), down="v1 crashed") == "v1 crashed"
    assert explain("timeout after 1 s", "v1 is at 80 % load") == "timeout after 1 s: v1 is at 80 % load"
    assert explain("HTTP 500", "") == "HTTP 500" and explain("", "x") == ""


def test_reset_and_as_dict():
    state = DemoState("v2", cpu_load=70, is_corrupted=True)
    state.reset()
    assert state.as_dict() == {"version": "v2", "cpu_load": 0.0, "is_corrupted": False,
                               "stable": False}


def test_the_module_is_pure():
    tree = ast.parse(inspect.getsource(module))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert imported <= {"__future__", "dataclasses"}

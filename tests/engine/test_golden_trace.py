"""The golden trace: a fixed scenario (rolling, canary, blue/green, HPA, chaos, undo) gives
exactly the committed events, snapshot and digests, in a fresh process under two hash seeds.

It guards every refactor of the engine: a change that moves one event, one draw of the rng or
one field of the snapshot fails here. When a change of behaviour is meant, regenerate with
``.venv/bin/python -m tests.engine.golden.scenario --write`` and say why in the commit.
"""
from __future__ import annotations

import json

import pytest

from tests.engine.golden.scenario import GOLDEN
from tests.support import run_python

RUN = "import sys; from tests.engine.golden.scenario import main; main([])"


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("hash_seed", ["0", "4242"])
def test_the_scenario_gives_the_golden_trace(golden, hash_seed):
    trace = json.loads(run_python(RUN, hash_seed=hash_seed, timeout=120))
    for index, (got, want) in enumerate(zip(trace["events"], golden["events"])):
        assert got == want, f"event {index} differs"
    assert len(trace["events"]) == len(golden["events"])
    assert trace["snapshot"] == golden["snapshot"]
    assert trace["journal"] == golden["journal"]
    for part in ("history", "requests", "metrics"):
        assert trace[part] == golden[part], f"{part} digest differs"


def test_the_golden_trace_covers_what_it_guards(golden):
    reasons = {event.split(" | ")[5] for event in golden["events"]}
    assert {"RollingUpdate", "SetWeight", "RolloutPaused", "RolloutCompleted", "ActiveSwitched",
            "SuccessfulRescale", "ScaleDownStabilized", "ChaosKill", "ProbeBroken",
            "FaultInjected", "Healed", "RolledBack", "PromoteRequested", "ServiceDown",
            "BackOff"} <= reasons
    assert set(golden["snapshot"]["services"]) == {"api", "web", "rollout-bluegreen", "auto",
                                                   "crashy"}

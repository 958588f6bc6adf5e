"""Every declared exercise accepts its worked answer and rejects a plausible wrong one.

Each chapter's answers live in ``tests/lab/chapters/test_chNN.py`` as ``RIGHT = {id: answer}``
and ``WRONG = {id: [answer, ...]}`` (the same answers the solution notebooks use)."""
from __future__ import annotations

import importlib
import pkgutil

import pytest

from t32sim.lab import exercises
from tests.lab import chapters


def _answer_tables() -> tuple[dict, dict]:
    right, wrong = {}, {}
    for module in pkgutil.iter_modules(chapters.__path__):
        loaded = importlib.import_module(f"{chapters.__name__}.{module.name}")
        right.update(getattr(loaded, "RIGHT", {}))
        wrong.update(getattr(loaded, "WRONG", {}))
    return right, wrong


RIGHT, WRONG = _answer_tables()
IDS = [e.id for e in exercises()]


def test_every_exercise_has_a_worked_answer_and_a_wrong_one():
    assert sorted(set(IDS) - set(RIGHT)) == []
    assert sorted(set(IDS) - set(WRONG)) == []
    assert sorted(set(RIGHT) - set(IDS)) == []


@pytest.mark.parametrize("id", IDS)
def test_the_worked_answer_passes(id):
    result = exercises_by_id()[id].check(RIGHT[id])
    assert result.ok, result.message


@pytest.mark.parametrize("id", IDS)
def test_every_plausible_wrong_answer_is_rejected(id):
    for answer in WRONG[id]:
        result = exercises_by_id()[id].check(answer)
        assert not result.ok, f"{id} accepted {answer!r}"
        assert result.message


def exercises_by_id():
    return {e.id: e for e in exercises()}

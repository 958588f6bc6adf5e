"""Checking a table of predictions (``{"a": 405, "b": 403, ...}``) against what really happens.

Used by the chapter modules for predict-then-run exercises: the hint counts the right entries
and names the wrong ones, never their values.
"""
from __future__ import annotations

from typing import Any, Mapping

from t32sim.lab.exercise import UNANSWERED_MESSAGE, Result, right, wrong


def compare_predictions(answer: Mapping[str, Any], truth: Mapping[str, Any], *, hint: str,
                        praise: str) -> Result:
    """``right(praise)`` when every key of ``truth`` is predicted right, else a hint naming the
    wrong keys (an unfilled ``...`` counts as not answered)."""
    if any(answer.get(key, None) is Ellipsis for key in truth):
        return wrong(UNANSWERED_MESSAGE)
    missing = [key for key in truth if key not in answer]
    if missing:
        return wrong(f"give a prediction for every case; missing: {', '.join(map(str, missing))}.")
    off = [key for key, value in truth.items() if not _same(answer[key], value)]
    if off:
        return wrong(f"{len(truth) - len(off)} of {len(truth)} right; look again at "
                     f"{', '.join(map(str, off))}. {hint}")
    return right(praise)


def _same(predicted: Any, actual: Any) -> bool:
    if isinstance(actual, float) or isinstance(predicted, float):
        try:
            return abs(float(predicted) - float(actual)) < 1e-9
        except (TypeError, ValueError):
            return False
    return predicted == actual and type(predicted) is not bool or predicted is actual

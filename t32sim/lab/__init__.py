"""Notebook helpers: the control panel, display helpers and checked exercises.

    from t32sim.lab import ControlPanel, show, check, exercises
"""
from t32sim.lab.display import FigurePNG, find_examples, pods_table, show
from t32sim.lab.exercise import Exercise, Result, check, exercises
from t32sim.lab.panel import RUN_STEPS, VIEWS, ControlPanel

__all__ = ["ControlPanel", "RUN_STEPS", "VIEWS", "FigurePNG", "find_examples", "pods_table",
           "show", "Exercise", "Result", "check", "exercises"]

"""Notebook helpers: the control panel, display helpers and checked exercises.

    from t32sim.lab import ControlPanel, show, check, exercises

Imported in a notebook, it also makes matplotlib figures display as PNGs (``figures_inline``),
so ``plots.pod_timeline(c)`` on the last line of a cell draws the plot.
"""
from t32sim.lab.display import FigurePNG, figures_inline, find_examples, pods_table, show
from t32sim.lab.exercise import Exercise, Result, check, exercises
from t32sim.lab.panel import RUN_STEPS, VIEWS, ControlPanel

figures_inline()

__all__ = ["ControlPanel", "RUN_STEPS", "VIEWS", "FigurePNG", "figures_inline", "find_examples",
           "pods_table", "show", "Exercise", "Result", "check", "exercises"]

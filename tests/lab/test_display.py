"""Figures show as PNGs in a notebook without pyplot (t32sim/lab/display.py)."""
from __future__ import annotations

from types import SimpleNamespace

from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure

from t32sim.lab import figures_inline
from t32sim.observe.plots import figure_png


def test_a_figure_is_formatted_as_the_png_of_figure_png():
    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([0, 1], [1, 0])
    assert "image/png" not in shell.display_formatter.format(figure)[0]
    assert figures_inline(shell) is True
    data, _ = shell.display_formatter.format(figure)
    assert data["image/png"] == figure_png(figure)
    assert data["text/plain"] == "<Figure size 200x100 with 1 Axes>"


def test_outside_ipython_nothing_happens():
    assert figures_inline() is False

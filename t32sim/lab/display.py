"""Display helpers for notebooks: figures as PNG bundles, pods as a table, examples on disk.

Everything here builds plain MIME bundles, so it works the same in a kernel, in a
headless test and in a notebook saved with its outputs.
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from t32sim.observe import frames
from t32sim.observe.plots import figure_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from t32sim.engine.cluster import Cluster

__all__ = ["find_examples", "pods_table", "figure_bundle", "table_bundle", "FigurePNG",
           "show", "figures_inline"]


def find_examples(directory: str | Path | None = None) -> dict[str, Path]:
    """Example Service files by name (``api-v1`` -> path), from ``directory`` or the first
    ``examples/`` found beside the current directory, above it, or beside the package."""
    if directory is not None:
        candidates = [Path(directory)]
    else:
        here = Path.cwd()
        candidates = [here / "examples", here.parent / "examples",
                      Path(__file__).resolve().parents[2] / "examples"]
    for folder in candidates:
        if folder.is_dir():
            files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
            return {f.stem: f for f in files}
    return {}


def pods_table(cluster: "Cluster", service: str | None = None) -> pd.DataFrame:
    """The live pods like ``kubectl get pods``: name, revision, version, status, ready,
    restarts and age in simulated seconds."""
    data = frames.pods(cluster, service)
    table = pd.DataFrame({
        "pod": data["pod"], "revision": data["revision"], "version": data["version"],
        "status": data["status"], "ready": data["ready"].map({True: "1/1", False: "0/1"}),
        "restarts": data["restarts"],
        "age (s)": (cluster.now - data["created_at"]).round(1),
    })
    return table.reset_index(drop=True)


def figure_bundle(figure: "Figure", dpi: int = 80) -> dict[str, Any]:
    """A display_data output showing ``figure`` as a PNG."""
    title = figure.axes[0].get_title() if figure.axes else "figure"
    return {"output_type": "display_data",
            "data": {"image/png": base64.b64encode(figure_png(figure, dpi)).decode("ascii"),
                     "text/plain": f"<figure: {title}>"},
            "metadata": {}}


def table_bundle(table: pd.DataFrame) -> dict[str, Any]:
    """A display_data output showing a DataFrame as HTML (and text)."""
    return {"output_type": "display_data",
            "data": {"text/html": table.to_html(index=False, border=0),
                     "text/plain": table.to_string(index=False)},
            "metadata": {}}


class FigurePNG:
    """A figure that notebooks display as a PNG (``text/plain`` is its title)."""

    def __init__(self, figure: "Figure", dpi: int = 90):
        self.figure, self.dpi = figure, dpi

    def _repr_mimebundle_(self, include=None, exclude=None):
        return figure_bundle(self.figure, self.dpi)["data"]


def show(figure: "Figure", dpi: int = 90) -> None:
    """Display ``figure`` as a PNG in the notebook (works with any matplotlib backend)."""
    from IPython.display import display

    display(FigurePNG(figure, dpi))


def figures_inline(shell: Any = None) -> bool:
    """In IPython (a notebook), show every matplotlib ``Figure`` as a PNG, so a plot function
    on the last line of a cell draws without pyplot. Returns whether a shell was found."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
    return True

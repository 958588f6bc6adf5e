"""The latency histogram as Prometheus keeps it: counts per bucket and the quantiles
``histogram_quantile`` reads from them (chapter 06).

Drawn from ``frames.latency_buckets``: one bar per bucket on an even axis (the buckets are
not even in seconds), and a dashed line per quantile where ``histogram_quantile`` puts it,
by the same linear interpolation inside its bucket.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from t32sim.engine.histogram import histogram_quantile
from t32sim.observe import frames
from t32sim.observe.style import (count_axis, finish, legend_outside, lighter, new_axes,
                                  note, pick_service, series_style)

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["latency_buckets", "bucket_label"]

_DASHES = ("--", "-.", ":", (0, (5, 2, 1, 2)))


def bucket_label(high: float) -> str:
    """A bucket by its upper bound in ms, as ``le`` names it: ``'≤25'``, ``'+Inf'``."""
    return "+Inf" if math.isinf(high) else f"≤{high * 1000:g}"


def latency_buckets(cluster: "Cluster", service: str | None = None, *,
                    quantiles: Sequence[float] = (0.5, 0.9, 0.99),
                    ax: Axes | None = None) -> Figure:
    """Routed requests per latency bucket (ms), with ``histogram_quantile``'s quantiles."""
    service = pick_service(cluster, service)
    data = frames.latency_buckets(cluster, service)
    figure, ax = new_axes(ax, (9, 3.6))
    bounds = data["le"].tolist()
    counts = data["count"].tolist()
    lows = [0.0] + bounds[:-1]
    colour = series_style(0)["color"]
    bars = ax.bar(range(len(counts)), counts, width=0.9, color=lighter(colour),
                  edgecolor=colour, label="requests in the bucket")
    ax.set_xticks(range(len(counts)), [bucket_label(high) for high in bounds], fontsize=8)
    marks = []
    for i, (q, dash) in enumerate(zip(quantiles, _DASHES)):
        value = histogram_quantile(q, counts)
        if value is None:
            continue
        index = next((i for i, b in enumerate(bounds) if value <= b), len(bounds) - 1)
        low, high = lows[index], bounds[index]
        inside = (value - low) / (high - low) if high > low and not math.isinf(high) else 1.0
        marks.append(ax.axvline(index - 0.45 + 0.9 * inside, color=series_style(i + 1)["color"],
                                linestyle=dash, linewidth=1.4,
                                label=f"p{q * 100:g} = {value * 1000:.1f} ms"))
    if not sum(counts):
        note(ax, "no routed requests yet")
    count_axis(ax)
    legend_outside(ax, [bars] + marks)
    finish(ax, f"Latency buckets of {service} (histogram_quantile)", "latency bucket: at most (ms)",
           "requests")
    return figure

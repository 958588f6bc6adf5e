"""The game day's dashboard: golden signals of several services, the commands marked.

``golden_signals`` draws a frame with one row per service and sample (columns ``time``,
``service``, ``error_rate`` (0..1), ``cpu`` (%), ``ready``; chapter 10's sampler makes one)
as three panels sharing the time axis: the share of failed requests, CPU, Ready pods. Each
service keeps one colour, marker and line style in all three; each mark ``(time, label)``
is a dotted line across the panels, labelled in the top one (marks at the same time share
one line, their labels side by side), above the data.
"""
from __future__ import annotations

from typing import Iterable

import pandas as pd
from matplotlib.figure import Figure

from t32sim.observe.style import (ROLES, TIME_LABEL, count_axis, legend_outside, series_style)

__all__ = ["golden_signals", "PANELS"]

#: how much higher than the data the top panel reaches when commands are marked
HEADROOM = 2.6
#: column, axis label, scale the column is multiplied by
PANELS = (("error_rate", "failed requests (%)", 100.0), ("cpu", "CPU (% of request)", 1.0),
          ("ready", "Ready pods", 1.0))


def golden_signals(frame: pd.DataFrame, marks: Iterable[tuple[float, str]] = (), *,
                   title: str = "Golden signals", services: Iterable[str] | None = None
                   ) -> Figure:
    """Failed requests, CPU and Ready pods per service over time, commands marked."""
    names = list(services) if services is not None else list(dict.fromkeys(frame["service"]))
    figure = Figure(figsize=(10, 6.4), layout="constrained")
    axes = figure.subplots(len(PANELS), 1, sharex=True)
    grouped: dict[float, list[str]] = {}
    for time, text in marks:
        grouped.setdefault(time, []).append(text)
    for ax, (column, label, scale) in zip(axes, PANELS):
        for i, service in enumerate(names):
            mine = frame[frame["service"] == service]
            look = series_style(i)
            ax.plot(mine["time"].to_numpy(), (mine[column] * scale).to_numpy(),
                    color=look["color"], linestyle=look["linestyle"], marker=look["marker"],
                    markersize=3, markevery=6, linewidth=1.6, label=service)
        for time in grouped:
            ax.axvline(time, **ROLES["command"], label="_command")
        ax.set_ylabel(label)
        ax.set_xlabel(TIME_LABEL)
        ax.set_ylim(bottom=0)
    if grouped:
        top = float((frame["error_rate"] * 100).max()) if len(frame) else 0.0
        axes[0].set_ylim(0, max(top, 1.0) * HEADROOM)     # room for the labels above the data
        axes[0].set_yticks([t for t in axes[0].get_yticks() if 0 <= t <= max(top, 1.0)])
    for time, texts in grouped.items():
        axes[0].annotate("\n".join(texts), xy=(time, 1.0), xycoords=("data", "axes fraction"),
                         xytext=(2, -2), textcoords="offset points", ha="left", va="top",
                         fontsize=7, rotation=90, color="#555555")
    count_axis(axes[-1])
    axes[0].set_title(title)
    legend_outside(axes[-1], title="service")
    return figure

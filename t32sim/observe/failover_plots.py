"""Plots of the failover monitor: a watch's checks and switches, and the threshold trade-off.

``failover_timeline`` draws from ``FailoverWatch.frame()`` (what you see is what the frame
says): the active version as a step line, each check as a point on the version it asked
(ok: a filled circle, failed: a cross), each cooldown as a band and each switch labelled.
``failover_tradeoff`` draws a table of false failovers per threshold, one line per column.
Both return a ``Figure`` and take ``ax=``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from t32sim.observe.style import (OKABE_ITO, TIME_LABEL, count_axis, finish, legend_outside,
                                  lighter, new_axes, note, series_style)

if TYPE_CHECKING:
    from t32sim.engine.failover_sim import FailoverWatch

__all__ = ["failover_timeline", "failover_tradeoff", "checked_versions", "CHECK_STYLES"]

#: a passed and a failed check: colour and shape both differ
CHECK_STYLES = {True: {"color": OKABE_ITO["bluish green"], "marker": "o", "label": "check ok"},
                False: {"color": OKABE_ITO["vermillion"], "marker": "X",
                        "label": "check failed"}}
COOLDOWN_COLOUR = lighter(OKABE_ITO["orange"])


def checked_versions(frame: pd.DataFrame) -> pd.Series:
    """The version each row's check asked: on a failover the one switched away from."""
    return frame["previous"].where(frame["decision"] == "failover", frame["active"])


def failover_timeline(watch: "FailoverWatch", title: str | None = None, *,
                      until: float | None = None, ax: Axes | None = None) -> Figure:
    """The monitor's story: active version (step line), checks (● ok, ✕ failed) on the
    version they asked, a band for each cooldown, ``v1 → v2`` at each switch."""
    frame = watch.frame()
    versions = list(watch.services)
    rows = {version: i + 1 for i, version in enumerate(versions)}
    figure, ax = new_axes(ax, (10, 3.4))
    checks = frame[frame["decision"] != "manual"]
    asked = checked_versions(checks).map(rows)
    end = until if until is not None else (frame["time"].max() if len(frame) else 1.0)
    if len(frame):
        times = list(frame["time"]) + [end]
        active = list(frame["active"].map(rows)) + [rows[frame["active"].iloc[-1]]]
        ax.step(times, active, where="post", color=OKABE_ITO["black"], linewidth=1.6,
                label="active version")
    for ok, look in CHECK_STYLES.items():
        part = checks["ok"] == ok
        ax.plot(checks.loc[part, "time"].to_numpy(), asked[part].to_numpy(), linestyle="none",
                marker=look["marker"], color=look["color"], markersize=5, label=look["label"],
                zorder=3)
    for switch in watch.switches:
        ax.axvspan(switch.time, switch.time + watch.config.cooldown, color=COOLDOWN_COLOUR,
                   alpha=0.5, linewidth=0, label="_cooldown")
        ax.annotate(f"{switch.previous} → {switch.active}",
                    xy=(switch.time, rows[switch.active] + 0.28), ha="center", fontsize=9)
    handles = [h for h in ax.get_legend_handles_labels()[0]]
    if watch.switches:
        handles.append(Patch(color=COOLDOWN_COLOUR, alpha=0.5,
                             label=f"cooldown ({watch.config.cooldown:g} s)"))
    legend_outside(ax, handles)
    ax.set_yticks(list(rows.values()), versions)
    ax.set_ylim(0.5, len(versions) + 0.7)
    start = frame["time"].min() if len(frame) else 0.0
    ax.set_xlim(start - 1, end + 1)
    if frame.empty:
        note(ax, "no checks yet")
    config = watch.config
    finish(ax, title or (f"Failover monitor: {config.threshold} failures within "
                         f"{config.window:g} s, cooldown {config.cooldown:g} s"),
           TIME_LABEL, "version")
    return figure


def failover_tradeoff(table: pd.DataFrame, title: str = "False failovers against the "
                      "threshold", *, ax: Axes | None = None) -> Figure:
    """One line per column of ``table`` (index: threshold, values: false failovers per
    hour), on a symmetric log scale; the threshold axis has whole-number ticks."""
    figure, ax = new_axes(ax, (8, 3.6))
    for i, column in enumerate(table.columns):
        look = series_style(i)
        ax.plot(table.index.to_numpy(), table[column].to_numpy(), color=look["color"],
                marker=look["marker"], linestyle=look["linestyle"], label=str(column))
    ax.set_yscale("symlog")
    ax.set_ylim(bottom=0)
    count_axis(ax, axis="x", top=max(table.index, default=1) + 0.5)
    ax.set_xlim(left=min(table.index, default=1) - 0.5)
    legend_outside(ax, [Line2D([], [], **{k: v for k, v in series_style(i).items()},
                               label=str(c)) for i, c in enumerate(table.columns)])
    finish(ax, title, f"threshold {table.index.name or 'N'} (failed checks that switch)",
           "false failovers per hour")
    return figure

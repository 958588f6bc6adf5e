"""Plots of pods' lives: the pod timeline, restarts, and the CrashLoopBackOff waits.

Each function draws only from ``t32sim.observe.frames`` (what you see is what the frames
say), returns a ``Figure`` and takes ``ax=`` to compose several plots in one figure.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from t32sim.observe import frames
from t32sim.observe.style import (ROLES, TIME_LABEL, count_axis, finish, legend_outside,
                                  new_axes, note, pick_service, series_style, state_style,
                                  version_style)
from t32sim.observe.timeline import STATES

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["pod_timeline", "restarts_and_backoff", "backoff_delays", "pod_label"]


def pod_label(pod: str) -> str:
    """The short name a plot shows for a pod: its random suffix (``api-6f9c-x2kq7`` -> ``x2kq7``)."""
    return pod.rsplit("-", 1)[-1]


def pod_timeline(cluster: "Cluster", service: str | None = None, *, ax: Axes | None = None,
                 include_gone: bool = True) -> Figure:
    """Each pod a row of bars coloured (and, for trouble, hatched) by state; rows grouped
    by revision, newest revision on top, each revision's label in its version's colour. A
    thin gap between two bars of the same colour is a container restart."""
    service = pick_service(cluster, service)
    data = frames.intervals(cluster, service)
    if not include_gone:
        data = data[data["pod"].isin(set(cluster.store.pods))]
    figure, ax = new_axes(ax, (10, 0.35 * max(data["pod"].nunique(), 4) + 1.6))
    order = (data.groupby("pod", sort=False)
             .agg(revision=("revision", "first"), start=("start", "min"))
             .reset_index().sort_values(["revision", "start", "pod"], kind="stable"))
    rows = {pod: i for i, pod in enumerate(order["pod"])}
    styles = [state_style(s) for s in data["state"]]
    ax.barh(data["pod"].map(rows).to_numpy(dtype=float), data["duration"].to_numpy(),
            left=data["start"].to_numpy(), height=0.8, color=[s["color"] for s in styles],
            hatch=[s["hatch"] for s in styles], edgecolor="white", linewidth=0.6,
            label="_intervals")
    ax.set_yticks(range(len(rows)), [pod_label(p) for p in order["pod"]], fontsize=8)
    ax.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    for revision, group in order.groupby("revision", sort=True):
        top, bottom = rows[group["pod"].iloc[-1]], rows[group["pod"].iloc[0]]
        version = data.loc[data["revision"] == revision, "version"].iloc[0]
        ax.axhline(bottom - 0.5, color="#444444", linewidth=0.8)
        ax.annotate(f"rev {revision} ({version})", xy=(1.0, (top + bottom) / 2),
                    xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8,
                    color=version_style(version)["color"], fontweight="bold")
    present = set(data["state"])
    seen = [s for s in STATES if s in present] + sorted(present - set(STATES))
    legend_outside(ax, [Patch(facecolor=state_style(s)["color"], hatch=state_style(s)["hatch"],
                              edgecolor="white", label=s) for s in seen],
                   columns=min(len(seen), 8) or 1)
    ax.set_xlim(0, max(cluster.now, 1.0))
    if data.empty:
        note(ax, "no pods yet")
    finish(ax, f"Pod timeline: {service}", TIME_LABEL, "pod (grouped by revision)")
    return figure


def restarts_and_backoff(cluster: "Cluster", service: str | None = None, *,
                         pod: str | None = None, ax: Axes | None = None) -> Figure:
    """Cumulative restarts per pod (steps, a marker at each restart) and each
    CrashLoopBackOff wait as a thick bar from the exit to the restart, labelled with its
    length (0, 10, 20, 40 ... 300 s)."""
    service = pick_service(cluster, service)
    data = frames.restarts(cluster, service)
    if pod is not None:
        data = data[data["pod"] == pod]
    figure, ax = new_axes(ax, (9, 3.6))
    now, archive = cluster.now, cluster.store.pod_archive
    for i, (name, group) in enumerate(data.groupby("pod", sort=False)):
        style = series_style(i)
        pod_info = archive.get(name)
        born = pod_info.created_at if pod_info is not None else group["exited_at"].iloc[0]
        end = pod_info.deleted_at if pod_info is not None and pod_info.deleted_at else now
        times = np.concatenate([[born], group["time"].to_numpy(), [max(end, born)]])
        counts = np.concatenate([[0], group["restart"].to_numpy(),
                                 [group["restart"].iloc[-1]]])
        ax.step(times, counts, where="post", color=style["color"],
                linestyle=style["linestyle"], linewidth=1.4, label=pod_label(name))
        ax.plot(group["time"].to_numpy(), group["restart"].to_numpy(), linestyle="none",
                marker=style["marker"], color=style["color"], markersize=5,
                label="_restarts")
        ax.hlines(group["restart"].to_numpy() - 1, group["exited_at"].to_numpy(),
                  group["time"].to_numpy(), colors=style["color"], linewidth=6, alpha=0.35)
        for row in group.itertuples():
            if row.backoff_seconds > 0:
                ax.annotate(f"{row.backoff_seconds:g} s", xy=((row.exited_at + row.time) / 2,
                                                               row.restart - 1),
                            xytext=(0, 5), textcoords="offset points", ha="center", fontsize=7)
    if data.empty:
        note(ax, "no restarts")
    else:
        legend_outside(ax, title="pod")
    count_axis(ax)
    ax.set_xlim(0, max(now, 1.0))
    finish(ax, f"Restarts and CrashLoopBackOff: {service}", TIME_LABEL,
           "restarts (bars: back-off waits)")
    return figure


def backoff_delays(cluster: "Cluster", service: str | None = None, *, pod: str | None = None,
                   cap: float | None = None, ax: Axes | None = None) -> Figure:
    """The wait before each restart of one pod (a bar per restart, labelled in seconds),
    with the back-off cap as a line: the doubling you can read off ``frames.restarts``."""
    service = pick_service(cluster, service)
    data = frames.restarts(cluster, service)
    pods = list(dict.fromkeys(data["pod"]))
    if pod is None and len(pods) > 1:
        raise ValueError(f"pod: expected one of {pods}, got None (the service has several "
                         "restarted pods)")
    if pod is not None:
        data = data[data["pod"] == pod]
    figure, ax = new_axes(ax, (9, 3.6))
    numbers = data["restart"].to_numpy()
    waits = data["backoff_seconds"].to_numpy()
    bars = ax.bar(numbers, waits, color=series_style(1)["color"], label="wait before restart")
    ax.bar_label(bars, labels=[f"{w:g}" for w in waits], fontsize=8)
    if cap is not None:
        ax.axhline(cap, **ROLES["expected"], label=f"cap {cap:g} s")
        ax.set_ylim(0, cap * 1.15)
    if data.empty:
        note(ax, "no restarts")
    else:
        legend_outside(ax)
    count_axis(ax, axis="x", top=max(len(numbers), 1) + 0.6)
    ax.set_xlim(left=0.4)
    name = f"{service}/{pod_label(pod)}" if pod else service
    finish(ax, f"CrashLoopBackOff waits: {name}", "restart number",
           "wait before the restart (s)")
    return figure

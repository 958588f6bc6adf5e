"""Plots for lessons. Each function takes a cluster, returns a matplotlib ``Figure`` with a
title and labelled axes, draws only from the frames in ``t32sim.observe.frames`` (so
what you see is what the frames say), and accepts ``ax=`` to compose several plots.

Figures are made with ``matplotlib.figure.Figure`` (no pyplot state): nothing leaks
between calls and the same cluster always gives the same picture.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from t32sim.observe import frames
from t32sim.observe.timeline import STATES

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["STATE_COLOURS", "VERSION_COLOURS", "pod_timeline", "desired_vs_ready",
           "cpu_vs_replicas", "traffic_share", "restarts_and_backoff", "figure_png"]

#: one colour per timeline state (Ready green, trouble in reds, on the way in blues)
STATE_COLOURS = {
    "Pending": "#c7c7c7",
    "ContainerCreating": "#9ecae1",
    "ErrImagePull": "#fc9272",
    "ImagePullBackOff": "#de2d26",
    "Running": "#fdd0a2",          # running, not (yet) ready
    "Ready": "#31a354",
    "CrashLoopBackOff": "#a50f15",
    "Terminating": "#756bb1",
}
#: colours for versions, in order of first appearance
VERSION_COLOURS = ("#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#e7ba52")
TIME_LABEL = "simulated time (s)"


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def _one_service(cluster: "Cluster", service: str | None) -> str:
    """``service``, or the cluster's only service; a clear error otherwise."""
    names = cluster.services()
    if service is None:
        if len(names) != 1:
            raise ValueError(f"service: expected one of {names}, got None "
                             "(the cluster has more than one service)" if names else
                             "service: the cluster has no service yet; apply one first")
        return names[0]
    if service not in names:
        raise ValueError(f"service: expected one of {names}, got {service!r}")
    return service


# -- pod timeline ----------------------------------------------------------------------------

def pod_timeline(cluster: "Cluster", service: str | None = None, *, ax: Axes | None = None,
                 include_gone: bool = True) -> Figure:
    """Each pod a row of bars coloured by state (Pending ... Ready ... Terminating), rows
    grouped by revision, newest revision on top; a thin gap between two bars of the same
    colour is a container restart."""
    service = _one_service(cluster, service)
    data = frames.intervals(cluster, service)
    if not include_gone:
        data = data[data["pod"].isin(set(cluster.store.pods))]
    figure, ax = _axes(ax, (10, 0.35 * max(data["pod"].nunique(), 4) + 1.6))
    order = (data.groupby("pod", sort=False)
             .agg(revision=("revision", "first"), start=("start", "min"))
             .reset_index().sort_values(["revision", "start", "pod"], kind="stable"))
    rows = {pod: i for i, pod in enumerate(order["pod"])}
    y = data["pod"].map(rows).to_numpy(dtype=float)
    ax.barh(y, data["duration"].to_numpy(), left=data["start"].to_numpy(), height=0.8,
            color=[STATE_COLOURS.get(s, "#000000") for s in data["state"]],
            edgecolor="white", linewidth=0.6, label="_intervals")
    ax.set_yticks(range(len(rows)), [p.rsplit("-", 1)[-1] for p in order["pod"]], fontsize=8)
    ax.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    for revision, group in order.groupby("revision", sort=True):
        top, bottom = rows[group["pod"].iloc[-1]], rows[group["pod"].iloc[0]]
        version = data.loc[data["revision"] == revision, "version"].iloc[0]
        ax.axhline(bottom - 0.5, color="#444444", linewidth=0.8)
        ax.annotate(f"rev {revision} ({version})", xy=(1.0, (top + bottom) / 2),
                    xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8)
    seen = [s for s in STATES if s in set(data["state"])]
    ax.legend(handles=[Patch(color=STATE_COLOURS[s], label=s) for s in seen],
              loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=min(len(seen), 8) or 1,
              fontsize=8, frameon=False)
    ax.set_xlim(0, max(cluster.now, 1.0))
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("pod (grouped by revision)")
    ax.set_title(f"Pod timeline: {service}")
    return figure


# -- desired vs ready ------------------------------------------------------------------------

def desired_vs_ready(cluster: "Cluster", service: str | None = None, *,
                     ax: Axes | None = None) -> Figure:
    """Desired, current and Ready replicas over time (from the sampled history)."""
    service = _one_service(cluster, service)
    data = frames.history(cluster, service)
    figure, ax = _axes(ax, (9, 3.6))
    t = data["time"].to_numpy()
    ax.step(t, data["current"].to_numpy(), where="post", label="current (live pods)",
            color="#6baed6", linewidth=4, alpha=0.45, zorder=1)
    ax.step(t, data["ready"].to_numpy(), where="post", label="ready", color="#31a354",
            linewidth=2.2, zorder=2)
    ax.step(t, data["desired"].to_numpy(), where="post", label="desired", color="#222222",
            linestyle=(0, (4, 3)), linewidth=1.6, zorder=3)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0, top=max(1, int(data[["desired", "current", "ready"]].to_numpy().max(
        initial=0))) + 1)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("pods")
    ax.set_title(f"Desired vs Ready: {service}")
    ax.legend(loc="lower right", fontsize=8)
    return figure


# -- CPU vs replicas -------------------------------------------------------------------------

def cpu_vs_replicas(cluster: "Cluster", service: str | None = None, *,
                    ax: Axes | None = None) -> Figure:
    """Average CPU % (left axis) against desired and Ready replicas (right axis), with the
    autoscaler's target as a dashed line: the HPA's view of the world."""
    service = _one_service(cluster, service)
    data = frames.history(cluster, service)
    if "cpu" not in data.columns:
        raise ValueError("cpu_vs_replicas: the history has no 'cpu' column "
                         "(this cluster has no load model)")
    figure, ax = _axes(ax, (9, 3.6))
    t = data["time"].to_numpy()
    ax.step(t, data["cpu"].to_numpy(dtype=float), where="post", color="#e6550d",
            linewidth=1.8, label="CPU %")
    spec = cluster.service(service).spec
    if spec.autoscale is not None:
        ax.axhline(spec.autoscale.target_cpu, color="#e6550d", linestyle="--", linewidth=1,
                   label=f"target {spec.autoscale.target_cpu} %")
    ax.set_ylim(bottom=0)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("average CPU of Ready pods (%)")
    replicas = ax.twinx()
    replicas.step(t, data["desired"].to_numpy(), where="post", color="#222222",
                  linestyle=":", linewidth=1.4, label="desired replicas")
    replicas.step(t, data["ready"].to_numpy(), where="post", color="#31a354", linewidth=1.6,
                  label="ready replicas")
    replicas.yaxis.set_major_locator(MaxNLocator(integer=True))
    replicas.set_ylim(bottom=0, top=max(1, int(data[["desired", "ready"]].to_numpy().max(
        initial=0))) + 1)
    replicas.set_ylabel("replicas")
    handles = ax.get_legend_handles_labels()[0] + replicas.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=8)
    ax.set_title(f"CPU vs replicas: {service}")
    return figure


# -- traffic share by version ----------------------------------------------------------------

def traffic_share_frame(cluster: "Cluster", service: str, bin_seconds: float = 5.0) -> pd.DataFrame:
    """Requests per time bin and version as shares (rows: bin start; columns: versions;
    each row sums to 1). Requests without a pod (503) are the column ``"no endpoint"``."""
    data = frames.requests(cluster, service)
    if data.empty:
        return pd.DataFrame(dtype="float64")
    count = data["count"] if "count" in data.columns else pd.Series(1, index=data.index)
    version = data["version"].fillna("no endpoint").astype(str)
    bins = (np.floor(data["time"].to_numpy() / bin_seconds) * bin_seconds)
    table = (pd.DataFrame({"bin": bins, "version": version.to_numpy(),
                           "count": count.to_numpy()})
             .pivot_table(index="bin", columns="version", values="count", aggfunc="sum",
                          fill_value=0))
    table = table[sorted(table.columns, key=lambda v: (v == "no endpoint", v))]
    return table.div(table.sum(axis=1), axis=0).astype("float64")


def traffic_share(cluster: "Cluster", service: str | None = None, *, ax: Axes | None = None,
                  bin_seconds: float = 5.0) -> Figure:
    """The share of routed requests each version answered, per ``bin_seconds`` bin
    (a stacked area: watch a canary's slice grow)."""
    service = _one_service(cluster, service)
    share = traffic_share_frame(cluster, service, bin_seconds)
    figure, ax = _axes(ax, (9, 3.6))
    if share.empty:
        ax.text(0.5, 0.5, "no requests yet: send some with c.request or c.send",
                ha="center", va="center", transform=ax.transAxes)
    else:
        colours = [("#bbbbbb" if v == "no endpoint" else VERSION_COLOURS[i % len(VERSION_COLOURS)])
                   for i, v in enumerate(share.columns)]
        # steps drawn "post": repeat the last bin at its end so it has a width too
        x = np.append(share.index.to_numpy(dtype=float), share.index[-1] + bin_seconds)
        ax.stackplot(x, *[np.append(share[v].to_numpy(), share[v].iloc[-1]) * 100
                          for v in share.columns],
                     labels=list(share.columns), colors=colours, step="post")
        ax.legend(loc="upper left", fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(f"share of requests per {bin_seconds:g} s (%)")
    ax.set_title(f"Traffic share by version: {service}")
    return figure


# -- restarts and backoff --------------------------------------------------------------------

def restarts_and_backoff(cluster: "Cluster", service: str | None = None, *,
                         pod: str | None = None, ax: Axes | None = None) -> Figure:
    """Cumulative restarts per pod (steps) and each CrashLoopBackOff wait as a thick bar
    from the exit to the restart, labelled with its length (0, 10, 20, 40 ... 300 s)."""
    service = _one_service(cluster, service)
    data = frames.restarts(cluster, service)
    if pod is not None:
        data = data[data["pod"] == pod]
    figure, ax = _axes(ax, (9, 3.6))
    now, archive = cluster.now, cluster.store.pod_archive
    for i, (name, group) in enumerate(data.groupby("pod", sort=False)):
        colour = VERSION_COLOURS[i % len(VERSION_COLOURS)]
        pod_info = archive.get(name)
        born = pod_info.created_at if pod_info is not None else group["exited_at"].iloc[0]
        end = pod_info.deleted_at if pod_info is not None and pod_info.deleted_at else now
        times = np.concatenate([[born], group["time"].to_numpy(), [max(end, born)]])
        counts = np.concatenate([[0], group["restart"].to_numpy(),
                                 [group["restart"].iloc[-1]]])
        ax.step(times, counts, where="post", color=colour, linewidth=1.4,
                label=name.rsplit("-", 1)[-1])
        ax.hlines(group["restart"].to_numpy() - 1, group["exited_at"].to_numpy(),
                  group["time"].to_numpy(), colors=colour, linewidth=6, alpha=0.35)
        for row in group.itertuples():
            if row.backoff_seconds > 0:
                ax.annotate(f"{row.backoff_seconds:g} s", xy=((row.exited_at + row.time) / 2,
                                                               row.restart - 1),
                            xytext=(0, 5), textcoords="offset points", ha="center", fontsize=7)
    if data.empty:
        ax.text(0.5, 0.5, "no restarts", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.legend(title="pod", loc="upper left", fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, max(now, 1.0))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("restarts (bars: back-off waits)")
    ax.set_title(f"Restarts and CrashLoopBackOff: {service}")
    return figure


def figure_png(figure: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (for widgets and ``IPython.display.Image``)."""
    from io import BytesIO

    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()

"""Plots of traffic: who answered the requests, how the shares settle, how long requests
took, and a rollout's pods and traffic by version.

Each function draws only from ``t32sim.observe.frames`` (the routed requests, the pod
intervals, the history), returns a ``Figure`` and takes ``ax=`` to compose plots. Every
version has the same colour (and hatch, marker, line style) in all of them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from t32sim.observe import frames
from t32sim.observe.pod_plots import pod_label
from t32sim.observe.style import (MARKERS, NO_ENDPOINT, ROLES, TIME_LABEL, count_axis, finish,
                                  legend_outside, new_axes, note, pick_service, series_style,
                                  version_style)

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["traffic_share_frame", "traffic_share", "requests_per_pod", "version_share",
           "latency_histogram", "pods_by_version", "rollout_progress"]

#: hatches for stacked areas and bars, by a version's place in its style table
_HATCHES = ("", "//", "\\\\", "..", "xx", "oo", "++", "--")


def _hatch(version: str) -> str:
    if version == NO_ENDPOINT:
        return "xx"
    return _HATCHES[MARKERS.index(version_style(version)["marker"]) % len(_HATCHES)]


def _counts(data: pd.DataFrame) -> pd.Series:
    return data["count"] if "count" in data.columns else pd.Series(1, index=data.index)


def _versions(data: pd.DataFrame) -> pd.Series:
    return data["version"].astype("object").where(data["version"].notna(), NO_ENDPOINT)


def traffic_share_frame(cluster: "Cluster", service: str, bin_seconds: float = 5.0) -> pd.DataFrame:
    """Requests per time bin and version as shares (rows: bin start; columns: versions;
    each row sums to 1). Requests without a pod (503) are the column ``"no endpoint"``."""
    data = frames.requests(cluster, service)
    if data.empty:
        return pd.DataFrame(dtype="float64")
    bins = np.floor(data["time"].to_numpy() / bin_seconds) * bin_seconds
    table = (pd.DataFrame({"bin": bins, "version": _versions(data).to_numpy(),
                           "count": _counts(data).to_numpy()})
             .pivot_table(index="bin", columns="version", values="count", aggfunc="sum",
                          fill_value=0))
    table = table[sorted(table.columns, key=lambda v: (v == NO_ENDPOINT, v))]
    return table.div(table.sum(axis=1), axis=0).astype("float64")


def traffic_share(cluster: "Cluster", service: str | None = None, *, ax: Axes | None = None,
                  bin_seconds: float = 5.0) -> Figure:
    """The share of routed requests each version answered, per ``bin_seconds`` bin
    (a stacked area, one colour and hatch a version: watch a canary's slice grow)."""
    service = pick_service(cluster, service)
    share = traffic_share_frame(cluster, service, bin_seconds)
    figure, ax = new_axes(ax, (9, 3.6))
    if share.empty:
        note(ax, "no requests yet: send some with c.request or c.send")
    else:
        # steps drawn "post": repeat the last bin at its end so it has a width too
        x = np.append(share.index.to_numpy(dtype=float), share.index[-1] + bin_seconds)
        ax.stackplot(x, *[np.append(share[v].to_numpy(), share[v].iloc[-1]) * 100
                          for v in share.columns],
                     labels=list(share.columns), step="post", edgecolor="white",
                     colors=[version_style(v)["color"] for v in share.columns],
                     hatch=[_hatch(v) for v in share.columns])
        legend_outside(ax, title="version")
    ax.set_ylim(0, 100)
    finish(ax, f"Traffic share by version: {service}", TIME_LABEL,
           f"share of requests per {bin_seconds:g} s (%)")
    return figure


def requests_per_pod(cluster: "Cluster", service: str | None = None, *,
                     since: float | None = None, ax: Axes | None = None) -> Figure:
    """Requests answered by each pod (a bar a pod, in its version's colour; 503s that found
    no pod as a grey bar), with the equal share of the pods as a dashed line."""
    service = pick_service(cluster, service)
    data = frames.requests(cluster, service)
    if since is not None:
        data = data[data["time"] >= since]
    figure, ax = new_axes(ax, (9, 3.6))
    table = (pd.DataFrame({"pod": data["pod"].astype("object").where(data["pod"].notna(),
                                                                     NO_ENDPOINT),
                           "version": _versions(data), "count": _counts(data)})
             .groupby(["pod", "version"], as_index=False)["count"].sum()
             .sort_values(["pod"], key=lambda p: p == NO_ENDPOINT, kind="stable"))
    if table.empty:
        note(ax, "no requests yet: send some with c.request or c.send")
    else:
        labels = [NO_ENDPOINT if p == NO_ENDPOINT else pod_label(p) for p in table["pod"]]
        bars = ax.bar(labels, table["count"].to_numpy(),
                      color=[version_style(v)["color"] for v in table["version"]],
                      hatch=[_hatch(v) for v in table["version"]], edgecolor="white",
                      label="_bars")
        ax.bar_label(bars, fontsize=8)
        answered = table[table["pod"] != NO_ENDPOINT]
        if len(answered):
            ax.axhline(answered["count"].sum() / len(answered), **ROLES["expected"],
                       label="equal share")
        legend_outside(ax, [Patch(facecolor=version_style(v)["color"], hatch=_hatch(v),
                                  edgecolor="white", label=v)
                            for v in dict.fromkeys(table["version"])]
                       + ax.get_legend_handles_labels()[0])
    count_axis(ax, top=float(table["count"].max()) * 1.15 if len(table) else None)
    finish(ax, f"Requests per pod: {service}", "pod (the last part of its name)", "requests")
    return figure


def _runs(runs: "Cluster | Mapping[str, Cluster]") -> dict[str, "Cluster"]:
    if isinstance(runs, Mapping):
        if not runs:
            raise ValueError("runs: expected at least one {label: cluster}, got none")
        return dict(runs)
    return {"": runs}


def version_share(runs: "Cluster | Mapping[str, Cluster]", service: str | None = None, *,
                  version: str, expected: float | None = None,
                  ax: Axes | None = None) -> Figure:
    """The share (%) of the requests sent so far that ``version`` answered, against the
    number of requests (log scale): how fast a weighted split settles. ``runs`` is a
    cluster or ``{label: cluster}`` to compare (round robin against random, say)."""
    figure, ax = new_axes(ax, (9, 3.6))
    for i, (label, cluster) in enumerate(_runs(runs).items()):
        data = frames.requests(cluster, pick_service(cluster, service))
        count = _counts(data).to_numpy()
        sent = np.cumsum(count)
        hits = np.cumsum(np.where(_versions(data).to_numpy() == version, count, 0))
        style = series_style(i)
        ax.plot(sent, 100 * hits / np.maximum(sent, 1), label=label or version,
                color=style["color"], linestyle=style["linestyle"], linewidth=1.6)
    if expected is not None:
        ax.axhline(expected, **ROLES["expected"], label=f"weight {expected:g} %")
    ax.set_xscale("log")
    ax.set_ylim(0, 100)
    legend_outside(ax)
    finish(ax, f"Share of requests answered by {version}", "requests sent so far (log scale)",
           f"% answered by {version}")
    return figure


def latency_histogram(runs: "Cluster | Mapping[str, Cluster]", service: str | None = None, *,
                      bins: int = 30, quantiles: Sequence[float] = (),
                      ax: Axes | None = None) -> Figure:
    """A histogram of request latencies (ms) per run, each an outline in its own line
    style, with optional quantile lines (``quantiles=(0.5, 0.99)``). Requests that found
    no pod have no latency and are left out."""
    figure, ax = new_axes(ax, (9, 3.6))
    chosen = {label: frames.requests(cluster, pick_service(cluster, service))
              for label, cluster in _runs(runs).items()}
    chosen = {label: data[data["pod"].notna()] for label, data in chosen.items()}
    values = [data["latency"].to_numpy() * 1000 for data in chosen.values()]
    edges = np.histogram_bin_edges(np.concatenate(values) if values else [], bins=bins)
    outlines, marks = [], []
    for i, (label, data) in enumerate(chosen.items()):
        style = series_style(i)
        *_, patches = ax.hist(data["latency"].to_numpy() * 1000, bins=edges,
                              weights=_counts(data).to_numpy(), histtype="step", linewidth=1.8,
                              color=style["color"], linestyle=style["linestyle"],
                              label=label or "requests")
        outlines.append(patches[0])
        for q, dash in zip(quantiles, _QUANTILE_DASHES):
            at = _weighted_quantile(data["latency"].to_numpy() * 1000, _counts(data).to_numpy(), q)
            marks.append(ax.axvline(at, color=style["color"], linestyle=dash, linewidth=1.2,
                                    label=f"{label + ' ' if label else ''}p{q * 100:g} = "
                                          f"{at:.1f} ms"))
    if not any(len(v) for v in values):
        note(ax, "no answered requests yet")
    count_axis(ax)
    legend_outside(ax, outlines + marks)
    finish(ax, "Latency of the answered requests", "latency (ms)", "requests")
    return figure


_QUANTILE_DASHES = (":", "-.", (0, (1, 1)), (0, (5, 2, 1, 2)))


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if not len(values):
        return float("nan")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])


def pods_by_version(cluster: "Cluster", service: str) -> pd.DataFrame:
    """Live (not terminating) pods per version at each sampled time: rows are the history's
    times, columns the versions in order of their first revision."""
    data = frames.intervals(cluster, service)
    live = data[data["state"] != "Terminating"]
    times = frames.history(cluster, service)["time"].to_numpy()
    order = (live.groupby("version")["revision"].min().sort_values(kind="stable").index
             if len(live) else [])
    table = {}
    for version in order:
        rows = live[live["version"] == version]
        start, end = rows["start"].to_numpy(), rows["end"].to_numpy()
        still = rows["open"].to_numpy()
        inside = (start[None, :] <= times[:, None]) & (
            (times[:, None] < end[None, :]) | (still[None, :] & (times[:, None] <= end[None, :])))
        table[str(version)] = inside.sum(axis=1)
    return pd.DataFrame(table, index=pd.Index(times, name="time"), dtype="int64")


def rollout_progress(cluster: "Cluster", service: str | None = None, *,
                     version: str | None = None, ax: Axes | None = None,
                     title: str | None = None) -> Figure:
    """A rollout at a glance: live pods per version stacked (left axis) and the share of
    each second's requests answered by ``version`` (right axis; the spec's version by
    default), so you see both who runs and who serves during the change."""
    service = pick_service(cluster, service)
    version = version or cluster.service(service).spec.version
    pods = pods_by_version(cluster, service)
    figure, ax = new_axes(ax, (9, 3.6))
    if pods.empty:
        note(ax, "no pods yet")
    else:
        x = pods.index.to_numpy(dtype=float)
        ax.stackplot(x, *[pods[v].to_numpy() for v in pods.columns],
                     labels=[f"{v} pods" for v in pods.columns], step="post", alpha=0.55,
                     colors=[version_style(v)["color"] for v in pods.columns],
                     hatch=[_hatch(v) for v in pods.columns], edgecolor="white")
    count_axis(ax, top=int(pods.sum(axis=1).max()) + 1 if len(pods) else None)
    share = traffic_share_frame(cluster, service, bin_seconds=1.0)
    handles = ax.get_legend_handles_labels()[0]
    if not share.empty:
        served = ax.twinx()
        column = share[version] if version in share.columns else share.iloc[:, 0] * 0
        served.step(share.index.to_numpy(dtype=float), column.to_numpy() * 100, where="post",
                    color="#000000", linewidth=1.6, label=f"% of requests answered by {version}")
        served.set_ylim(-5, 105)
        served.set_ylabel(f"% answered by {version}")
        handles += served.get_legend_handles_labels()[0]
    legend_outside(ax, handles, columns=3)
    finish(ax, title or f"Rollout of {version}: {service}", TIME_LABEL, "live pods")
    return figure

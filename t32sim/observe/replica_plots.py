"""Plots of replica counts over time: desired vs ready, CPU vs replicas (the HPA's view),
and one quantity compared across runs or services.

Each function draws only from ``t32sim.observe.frames`` (the sampled history, the events,
the journal), returns a ``Figure`` and takes ``ax=`` to compose several plots in one figure.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Union

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from t32sim.observe import frames
from t32sim.observe.style import (ROLES, TIME_LABEL, count_axis, finish, legend_outside,
                                  new_axes, pick_service, series_style)

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["desired_vs_ready", "cpu_vs_replicas", "compare", "command_marks", "COUNT_COLUMNS",
           "hpa_decisions"]

#: history columns that count pods (drawn with whole-number ticks from 0)
COUNT_COLUMNS = {"desired": "desired replicas", "current": "live pods", "ready": "Ready pods",
                 "available": "available pods", "updated": "pods of the newest revision"}
#: the other history columns a comparison can draw, with their axis labels
OTHER_COLUMNS = {"cpu": "average CPU of Ready pods (%)", "rps": "offered load (requests/s)",
                 "canary_weight": "canary traffic weight (%)",
                 "requests": "requests routed so far", "errors": "5xx answers so far"}
#: the journal's verbs worth marking on a time axis, and how each is labelled
_MARKED_VERBS = {"kill": lambda a: f"kill {a.get('count', 1)}",
                 "scale": lambda a: (f"scale to {a['replicas']}" if "replicas" in a
                                     else f"scale {a['delta']:+d}"),
                 "apply": lambda a: f"apply {_image_tag(a)}",
                 "set_load": lambda a: ("load " + (f"{a['cpu']:g} % CPU" if "cpu" in a
                                                   else f"{a['rps']:g} rps")),
                 "break_probe": lambda a: f"break {a.get('kind', 'readiness')}",
                 "heal": lambda a: "heal", "promote": lambda a: "promote",
                 "undo": lambda a: "undo"}


def _image_tag(args: Mapping) -> str:
    image = str(args.get("spec", {}).get("spec", {}).get("image", ""))
    return image.rsplit("@", 1)[-1] if "@" in image else image


def command_marks(cluster: "Cluster", service: str) -> list[tuple[float, str]]:
    """``(time, label)`` of the journal's commands on ``service`` that change it (kill,
    scale, apply, load, chaos, promote, undo), the first apply left out."""
    marks = []
    for command in cluster.journal:
        label = _MARKED_VERBS.get(command.verb)
        args = command.args
        target = args.get("service", args.get("target"))
        if command.verb == "apply":
            target = args["spec"]["metadata"]["name"]
        if label is None or (target is not None and target != service):
            continue
        marks.append((command.time, label(args)))
    if marks and marks[0][1].startswith("apply") and marks[0][0] == 0:
        marks = marks[1:]
    return marks


def _draw_marks(ax: Axes, marks: list[tuple[float, str]]) -> None:
    for time, label in marks:
        ax.axvline(time, **ROLES["command"], label="_command")
        ax.annotate(label, xy=(time, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                    textcoords="offset points", ha="left", va="top", fontsize=7,
                    rotation=90, color="#555555")


def desired_vs_ready(cluster: "Cluster", service: str | None = None, *,
                     ax: Axes | None = None, marks: bool = False) -> Figure:
    """Desired, current and Ready replicas over time (from the sampled history); with
    ``marks=True`` also a dotted line per command from the journal (kill, scale ...)."""
    service = pick_service(cluster, service)
    data = frames.history(cluster, service)
    figure, ax = new_axes(ax, (9, 3.6))
    t = data["time"].to_numpy()
    ax.step(t, data["current"].to_numpy(), where="post", label="current (live pods)",
            zorder=1, **ROLES["current"])
    ax.step(t, data["ready"].to_numpy(), where="post", label="ready", zorder=2,
            **ROLES["ready"])
    ax.step(t, data["desired"].to_numpy(), where="post", label="desired", zorder=3,
            **ROLES["desired"])
    if marks:
        _draw_marks(ax, command_marks(cluster, service))
    top = int(data[["desired", "current", "ready"]].to_numpy().max(initial=0))
    count_axis(ax, top=max(1, top) + 1)
    legend_outside(ax)
    finish(ax, f"Desired vs Ready: {service}", TIME_LABEL, "pods")
    return figure


def hpa_decisions(cluster: "Cluster", service: str) -> pd.DataFrame:
    """The autoscaler's decisions from the events: time, kind (``up``, ``down`` or
    ``held``) and the desired replicas after it."""
    events = frames.events(cluster, service=service)
    history = frames.history(cluster, service).set_index("time")["desired"]
    rows = []
    for row in events.itertuples():
        if row.reason not in ("SuccessfulRescale", "ScaleDownStabilized"):
            continue
        after = int(history.asof(row.time)) if len(history) else 0
        before = int(history.asof(row.time - 1e-9)) if row.time > history.index.min() else after
        kind = "held" if row.reason == "ScaleDownStabilized" else (
            "up" if "scale up" in row.message else "down")
        rows.append({"time": row.time, "kind": kind, "replicas": after, "before": before})
    return pd.DataFrame(rows, columns=["time", "kind", "replicas", "before"]).astype(
        {"time": "float64", "kind": "string", "replicas": "int64", "before": "int64"})


_DECISION_MARKERS = {"up": ("^", "HPA: scale up"), "down": ("v", "HPA: scale down"),
                     "held": ("s", "HPA: scale-down held by the window")}


def cpu_vs_replicas(cluster: "Cluster", service: str | None = None, *,
                    ax: Axes | None = None, decisions: bool = True) -> Figure:
    """Average CPU % (left axis) against desired and Ready replicas (right axis), with the
    autoscaler's target as a dotted line and a marker at each HPA decision (▲ up, ▼ down,
    ■ a scale-down held by the stabilisation window): the HPA's view of the world."""
    service = pick_service(cluster, service)
    data = frames.history(cluster, service)
    if "cpu" not in data.columns:
        raise ValueError("cpu_vs_replicas: the history has no 'cpu' column "
                         "(this cluster has no load model)")
    figure, ax = new_axes(ax, (9, 3.6))
    t = data["time"].to_numpy()
    ax.step(t, data["cpu"].to_numpy(dtype=float), where="post", label="CPU %", **ROLES["cpu"])
    spec = cluster.service(service).spec
    if spec.autoscale is not None:
        ax.axhline(spec.autoscale.target_cpu, label=f"target {spec.autoscale.target_cpu} %",
                   **ROLES["target"])
    ax.set_ylim(bottom=0)
    replicas = ax.twinx()
    replicas.step(t, data["desired"].to_numpy(), where="post", label="desired replicas",
                  zorder=3, **ROLES["desired"])
    replicas.step(t, data["ready"].to_numpy(), where="post", label="ready replicas",
                  zorder=2, **ROLES["ready"])
    if decisions:
        table = hpa_decisions(cluster, service)
        for kind, (marker, label) in _DECISION_MARKERS.items():
            rows = table[table["kind"] == kind]
            if len(rows):
                replicas.plot(rows["time"].to_numpy(), rows["replicas"].to_numpy(),
                              linestyle="none", marker=marker, color=ROLES["desired"]["color"],
                              markerfacecolor="white", markersize=6, label=label, zorder=4)
    top = int(data[["desired", "ready"]].to_numpy().max(initial=0))
    count_axis(replicas, top=max(1, top) + 1)
    replicas.set_ylabel("replicas")
    legend_outside(ax, ax.get_legend_handles_labels()[0]
                   + replicas.get_legend_handles_labels()[0], columns=3)
    finish(ax, f"CPU vs replicas: {service}", TIME_LABEL, "average CPU of Ready pods (%)")
    return figure


Run = Union["Cluster", tuple["Cluster", str]]


def compare(runs: Mapping[str, Run], column: str = "ready", *, service: str | None = None,
            ax: Axes | None = None, title: str | None = None) -> Figure:
    """One history ``column`` over time for several runs: ``{label: cluster}`` (the same
    ``service`` in each) or ``{label: (cluster, service)}``; each run its own colour, line
    style and marker."""
    labels = {**COUNT_COLUMNS, **OTHER_COLUMNS}
    if column not in labels:
        raise ValueError(f"column: expected one of {sorted(labels)}, got {column!r}")
    if not runs:
        raise ValueError("runs: expected at least one {label: cluster}, got none")
    figure, ax = new_axes(ax, (9, 3.6))
    top = 0.0
    for i, (label, run) in enumerate(runs.items()):
        cluster, name = run if isinstance(run, tuple) else (run, service)
        data = frames.history(cluster, pick_service(cluster, name))
        style = series_style(i)
        values = data[column].to_numpy(dtype=float)
        ax.step(data["time"].to_numpy(), values, where="post", label=label,
                color=style["color"], linestyle=style["linestyle"], linewidth=1.8,
                marker=style["marker"], markevery=max(1, len(values) // 12), markersize=5)
        top = max(top, float(values.max(initial=0)))
    if column in COUNT_COLUMNS:
        count_axis(ax, top=max(1, int(top)) + 1)
    else:
        ax.set_ylim(bottom=0)
    legend_outside(ax)
    finish(ax, title or f"{labels[column]} over time", TIME_LABEL, labels[column])
    return figure


"""A drawing of the engine's architecture, from what a live cluster actually wires.

The boxes and arrows come from ``architecture.wiring``; this module only knows where each
kind of component sits on the page (``LAYOUT``) and what to call it. A component the
layout does not know yet is still drawn, in a row of its own marked "not placed yet", and
``unplaced()`` names it (a test fails until the layout follows the code).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch

from t32sim.observe.architecture import FACADE, Wiring, wiring
from t32sim.observe.style import GREY, OKABE_ITO, legend_outside, lighter, new_axes

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["Place", "LAYOUT", "GROUPS", "LINK_STYLES", "architecture", "unplaced"]


@dataclass(frozen=True)
class Place:
    """Where a component's box is drawn (its centre), what it is called, and its group."""
    x: float
    y: float
    label: str
    group: str
    width: float = 2.5


#: the groups a box can belong to, and their fill colours
GROUPS = {"facade": "#EEEEEE", "store": lighter(OKABE_ITO["yellow"]),
          "controller": lighter(OKABE_ITO["sky blue"]),
          "data path": lighter(OKABE_ITO["bluish green"]),
          "record": lighter(OKABE_ITO["reddish purple"]), "not placed yet": "#FFFFFF"}

#: each component class the engine has, by the name of its class
LAYOUT: dict[str, Place] = {
    FACADE: Place(6.0, 7.4, "Cluster (the facade)\nchecks each command, journals it, applies it",
                  "facade", width=7.0),
    "Store": Place(6.0, 4.0, "Store (the API server)\ndesired and observed objects, watches",
                   "store", width=4.4),
    "DeploymentController": Place(1.5, 5.7, "Deployment controller\nReplicaSets and pods",
                                  "controller"),
    "RolloutController": Place(4.5, 5.7, "Rollout controller\nrolling, blue/green, canary",
                               "controller"),
    "Autoscaler": Place(7.5, 5.7, "HPA (Autoscaler)\nreplicas from CPU, every 15 s",
                        "controller"),
    "AlertManager": Place(10.5, 5.7, "Alert manager\nUP / DOWN alerts", "controller"),
    "Kubelet": Place(1.5, 2.2, "Kubelet\npulls, starts, probes, restarts", "data path"),
    "Traffic": Place(4.5, 2.2, "Traffic\noffered load, CPU per pod", "data path"),
    "LoadBalancer": Place(7.5, 2.2, "Load balancer\na Ready pod per request",
                          "data path"),
    "ClusterRegistry": Place(10.5, 2.2, "Metrics registry\nPrometheus, read on scrape",
                             "record"),
    "EventLog": Place(6.0, 0.5, "Event log\nevery transition, explained", "record",
                      width=4.4),
    "History": Place(10.5, 0.5, "History\nstatus sampled every second", "record"),
    "Statuses": Place(1.5, 0.5, "Statuses\neach service's status, cached", "record"),
}

#: how each kind of link is drawn (and named in the legend)
LINK_STYLES = {
    "uses": {"color": "#222222", "linestyle": "-", "linewidth": 1.1,
             "label": "uses (holds a reference, calls it)"},
    "logs": {"color": GREY, "linestyle": "-", "linewidth": 0.8,
             "label": "writes events to the event log"},
    "calls back": {"color": OKABE_ITO["vermillion"], "linestyle": "-.", "linewidth": 1.1,
                   "label": "calls back into the facade"},
    "watches": {"color": OKABE_ITO["blue"], "linestyle": "--", "linewidth": 1.3,
                "label": "watches (told of every change)"},
}
_BOX_HEIGHT = 0.95


def unplaced(found: Wiring | None = None) -> list[str]:
    """Components the engine wires that ``LAYOUT`` has no place for (should be none)."""
    found = found if found is not None else wiring()
    return [name for name in found.names() if name not in LAYOUT]


def _link_kind(source: str, target: str, kind: str) -> str:
    if kind == "watches":
        return "watches"
    if target == FACADE:
        return "calls back"
    if target == "EventLog":
        return "logs"
    return "uses"


def architecture(cluster: "Cluster | None" = None, *, ax: Axes | None = None) -> Figure:
    """The engine drawn from ``wiring(cluster)``: a box per component (and the facade), an
    arrow per link. Each box's ``gid`` is its component's class name; each arrow's is
    ``"kind:source->target"``."""
    found = wiring(cluster)
    figure, ax = new_axes(ax, (12, 7.6))
    places = dict(LAYOUT)
    for i, name in enumerate(unplaced(found)):
        places[name] = Place(1.5 + 3.0 * (i % 4), -1.2 - 1.2 * (i // 4), name, "not placed yet")
    boxes = {}
    for name in [FACADE, *found.names()]:
        place = places[name]
        box = FancyBboxPatch((place.x - place.width / 2, place.y - _BOX_HEIGHT / 2),
                             place.width, _BOX_HEIGHT, boxstyle="round,pad=0.04,rounding_size=0.12",
                             facecolor=GROUPS[place.group], edgecolor="#333333", linewidth=1.0,
                             hatch="//" if place.group == "not placed yet" else "",
                             gid=name, zorder=2)
        ax.add_patch(box)
        ax.text(place.x, place.y, place.label, ha="center", va="center", fontsize=8.5,
                zorder=3, gid=f"label:{name}")
        boxes[name] = box
    for link in found.links:
        kind = _link_kind(link.source, link.target, link.kind)
        style = LINK_STYLES[kind]
        # a watch is drawn from the watched object to its watcher: the news flows that way
        start, end = ((link.target, link.source) if kind == "watches"
                      else (link.source, link.target))
        a, b = places[start], places[end]
        ax.annotate("", xy=(b.x, b.y), xytext=(a.x, a.y), zorder=1,
                    gid=f"{link.kind}:{link.source}->{link.target}",
                    arrowprops={"arrowstyle": "-|>", "color": style["color"],
                                "linestyle": style["linestyle"], "linewidth": style["linewidth"],
                                "patchA": boxes[start], "patchB": boxes[end],
                                "shrinkA": 1, "shrinkB": 1, "mutation_scale": 11,
                                "connectionstyle": "arc3,rad=0.08"})
    lowest = min(p.y for n, p in places.items() if n in boxes)
    ax.set_xlim(-0.1, 12.1)
    ax.set_ylim(lowest - 0.7, 8.0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    kinds = sorted({_link_kind(l.source, l.target, l.kind) for l in found.links},
                   key=list(LINK_STYLES).index)
    groups = sorted({places[n].group for n in boxes}, key=list(GROUPS).index)
    legend_outside(ax, [Line2D([], [], **{k: v for k, v in LINK_STYLES[kind].items()})
                        for kind in kinds]
                   + [Patch(facecolor=GROUPS[g], edgecolor="#333333", label=g) for g in groups],
                   columns=3)
    ax.set_title("The engine, as a live cluster wires it")
    ax.set_xlabel("")
    ax.set_ylabel("")
    return figure

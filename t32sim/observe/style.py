"""One plot style for every chapter: a colour-blind-safe palette with redundant markers and
line styles, a stable colour per version, integer ticks for counts, legends outside the data.

The palette is Okabe and Ito's eight colours ("Color Universal Design", 2008), which stay
distinct for the common kinds of colour blindness. Colour is never the only cue: each
series also gets its own marker and line style, and the trouble states of a pod timeline
are hatched. A version keeps its colour in every plot (``v1`` is always blue), so two
plots of one rollout can be read side by side.
"""
from __future__ import annotations

import zlib
from typing import Any, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy

__all__ = ["OKABE_ITO", "SERIES_COLOURS", "MARKERS", "LINESTYLES", "ROLES", "STATE_STYLES",
           "NO_ENDPOINT", "TIME_LABEL", "series_style", "version_style", "revision_style",
           "state_style", "lighter", "new_axes", "finish", "legend_outside", "count_axis", "note",
           "pick_service"]

#: Okabe-Ito, by the names its authors gave the colours
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
_C = OKABE_ITO
#: the order series take colours in (yellow last: it is faint on white)
SERIES_COLOURS = (_C["blue"], _C["orange"], _C["bluish green"], _C["vermillion"],
                  _C["reddish purple"], _C["sky blue"], _C["black"], _C["yellow"])
#: one marker and one line style a series, cycled with the colours
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 2)), (0, (6, 2, 1, 2)))
#: neutral grey, for what is not a version: requests that found no endpoint, Pending pods
GREY = "#999999"
NO_ENDPOINT = "no endpoint"
TIME_LABEL = "simulated time (s)"
#: how far under the axes a legend starts: room for tick labels and the x label
LEGEND_DROP_POINTS = 34

#: the same quantity drawn the same way in every plot
ROLES: dict[str, dict[str, Any]] = {
    "desired": {"color": _C["black"], "linestyle": (0, (4, 3)), "linewidth": 1.6},
    "current": {"color": _C["sky blue"], "linestyle": "-", "linewidth": 4, "alpha": 0.6},
    "ready": {"color": _C["bluish green"], "linestyle": "-", "linewidth": 2.2},
    "cpu": {"color": _C["vermillion"], "linestyle": "-", "linewidth": 1.8},
    "target": {"color": _C["vermillion"], "linestyle": ":", "linewidth": 1.2},
    "expected": {"color": GREY, "linestyle": "--", "linewidth": 1.0},
    "command": {"color": GREY, "linestyle": ":", "linewidth": 1.0},
}

#: the pod timeline's states: colour, and a hatch for the states that mean trouble
STATE_STYLES: dict[str, dict[str, str]] = {
    "Pending": {"color": "#DDDDDD", "hatch": ""},
    "ContainerCreating": {"color": _C["sky blue"], "hatch": ""},
    "ErrImagePull": {"color": _C["yellow"], "hatch": "//"},
    "ImagePullBackOff": {"color": _C["orange"], "hatch": "//"},
    "Running": {"color": _C["blue"], "hatch": ""},            # running, not (yet) ready
    "Ready": {"color": _C["bluish green"], "hatch": ""},
    "CrashLoopBackOff": {"color": _C["vermillion"], "hatch": "xx"},
    "Error": {"color": _C["vermillion"], "hatch": "..", },
    "Completed": {"color": GREY, "hatch": ""},
    "Terminating": {"color": _C["reddish purple"], "hatch": ""},
    "Unknown": {"color": _C["black"], "hatch": ""},
}
_UNKNOWN_STATE = {"color": _C["black"], "hatch": "++"}

#: the demo images keep one colour each in every plot
_KNOWN_VERSIONS = {"v1": 0, "v2": 1, "v3": 2, "flaky": 3, "slow": 4, "never-ready": 5,
                   "crash": 6}


def series_style(index: int) -> dict[str, Any]:
    """Colour, marker and line style of the ``index``-th series of a plot."""
    return {"color": SERIES_COLOURS[index % len(SERIES_COLOURS)],
            "marker": MARKERS[index % len(MARKERS)],
            "linestyle": LINESTYLES[index % len(LINESTYLES)]}


def version_style(version: str) -> dict[str, Any]:
    """The style of one version in every plot: the demo versions by a fixed table, any other
    by a checksum of its name (the same in every process, unlike ``hash``)."""
    if version == NO_ENDPOINT:
        return {"color": GREY, "marker": "x", "linestyle": ":"}
    index = _KNOWN_VERSIONS.get(version)
    if index is None:
        index = zlib.crc32(version.encode("utf-8")) % len(SERIES_COLOURS)
    return series_style(index)


def revision_style(revision: int) -> dict[str, Any]:
    """The style of a revision number (1 the first colour, 2 the second ...)."""
    return series_style(max(revision, 1) - 1)


def state_style(state: str) -> dict[str, str]:
    """Colour and hatch of a pod timeline state (unknown states: black, cross-hatched)."""
    return STATE_STYLES.get(state, _UNKNOWN_STATE)


def lighter(colour: str, amount: float = 0.55) -> str:
    """``colour`` mixed with ``amount`` of white (a fill that keeps black text readable)."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    mixed = (round(c + (255 - c) * amount) for c in (red, green, blue))
    return "#" + "".join(f"{c:02X}" for c in mixed)


def new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new figure of ``size`` inches with one axes. Figures are
    ``matplotlib.figure.Figure`` (no pyplot state leaks between calls)."""
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def finish(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    """Every plot has a title and both axis labels."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def count_axis(ax: Axes, top: float | None = None, axis: str = "y") -> None:
    """A count axis: whole-number ticks, starting at 0 (and ending at ``top`` if given)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(integer=True))
    if axis == "y":
        ax.set_ylim(bottom=0, top=top)
    else:
        ax.set_xlim(left=0, right=top)


def legend_outside(ax: Axes, handles: Sequence[Any] | None = None, *, title: str | None = None,
                   columns: int | None = None) -> Any:
    """A legend under the axes, below the tick labels and the x label: never over the data.
    (Anchored a fixed distance in points under the axes, so it holds for any figure size.)"""
    if handles is None:
        handles = ax.get_legend_handles_labels()[0]
    if not handles:
        return None
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-LEGEND_DROP_POINTS, units="points")
    return ax.legend(handles=list(handles), loc="upper center", bbox_to_anchor=(0.5, 0),
                     bbox_transform=below, ncols=columns or min(len(handles), 4), fontsize=8,
                     frameon=False, title=title, title_fontsize=8)


def note(ax: Axes, text: str) -> None:
    """A message in the middle of an empty plot (no data yet, and why)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=GREY)


def pick_service(cluster: Any, service: str | None) -> str:
    """``service``, or the cluster's only service; a ValueError naming the choices otherwise."""
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

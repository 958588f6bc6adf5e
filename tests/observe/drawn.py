"""Reading what a plot drew: its lines, legends, colours and tick values (not its pixels)."""
from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.legend import Legend

from t32sim.observe import style

#: every colour a plot may fill or stroke with: the palette, its lighter fills, greys, white
ALLOWED = ({c.upper() for c in style.OKABE_ITO.values()}
           | {style.lighter(c) for c in style.OKABE_ITO.values()})


def allowed(colour) -> bool:
    code = to_hex(colour).upper()
    red, green, blue = code[1:3], code[3:5], code[5:7]
    return code in ALLOWED or red == green == blue


def rendered(figure):
    """Draw ``figure`` with Agg (laying it out) and return the renderer, for extents."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def legends(figure) -> list[Legend]:
    return [ax.get_legend() for ax in figure.axes if ax.get_legend()] + list(figure.legends)


def drawn_colours(figure) -> list:
    """The stroke colour of every line and the face colour of every filled patch and
    collection (bars, areas, boxes) in the figure."""
    colours = []
    for ax in figure.axes:
        colours += [line.get_color() for line in ax.get_lines()]
        colours += [p.get_facecolor() for p in ax.patches if p.get_fill()]
        for collection in ax.collections:
            colours += list(collection.get_facecolor()) + list(collection.get_edgecolor())
    return [c for c in colours if len(c) != 4 or c[3] > 0]


def whole_ticks(axis) -> bool:
    low, high = sorted(axis.get_view_interval())
    ticks = [t for t in axis.get_majorticklocs() if low <= t <= high]
    return bool(ticks) and all(float(t).is_integer() for t in ticks)

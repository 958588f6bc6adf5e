"""The one plot style: palette, series and version styles, count axes, legends outside
(t32sim/observe/style.py)."""
from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from t32sim.observe import style
from tests.observe.drawn import rendered
from tests.support import run_python


def test_the_palette_is_okabe_ito():
    assert list(style.OKABE_ITO.values()) == ["#000000", "#E69F00", "#56B4E9", "#009E73",
                                              "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
    assert set(style.SERIES_COLOURS) == set(style.OKABE_ITO.values())


def test_series_never_differ_by_colour_alone():
    styles = [style.series_style(i) for i in range(8)]
    for key in ("color", "marker", "linestyle"):
        assert len({str(s[key]) for s in styles}) == 8, key
    assert style.series_style(8) == style.series_style(0)


def test_a_version_keeps_its_style_everywhere():
    assert style.version_style("v1")["color"] == style.OKABE_ITO["blue"]
    assert style.version_style("v2")["color"] == style.OKABE_ITO["orange"]
    assert style.version_style("v3")["color"] == style.OKABE_ITO["bluish green"]
    assert style.version_style("flaky")["color"] == style.OKABE_ITO["vermillion"]
    assert style.version_style(style.NO_ENDPOINT)["color"] == style.GREY
    assert style.revision_style(2) == style.series_style(1)


def test_an_unknown_versions_style_is_the_same_in_every_process():
    here = style.version_style("v42-beta")["color"]
    code = ("from t32sim.observe import style; "
            "print(style.version_style('v42-beta')['color'])")
    for seed in ("0", "123"):
        assert run_python(code, hash_seed=seed).strip() == here


def test_trouble_states_are_hatched_and_unknown_states_still_drawn():
    assert style.state_style("CrashLoopBackOff")["hatch"]
    assert style.state_style("ImagePullBackOff")["hatch"]
    assert style.state_style("Ready")["hatch"] == ""
    assert style.state_style("SomethingNew") == {"color": "#000000", "hatch": "++"}


def test_lighter_mixes_with_white():
    assert style.lighter("#000000", 0.5) == "#808080"
    assert style.lighter("#0072B2", 0.0) == "#0072B2"
    assert style.lighter("#0072B2", 1.0) == "#FFFFFF"


def test_a_count_axis_has_whole_ticks_from_zero():
    figure = Figure()
    ax = figure.add_subplot()
    ax.plot([0, 1], [0.2, 2.7])
    style.count_axis(ax)
    rendered(figure)
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ax.get_ylim()[0] == 0 and ticks == [int(t) for t in ticks]


def test_the_legend_sits_under_the_axes_and_its_x_label():
    figure = Figure(figsize=(6, 3), layout="constrained")
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, 1], label="a")
    ax.set_xlabel("time")
    legend = style.legend_outside(ax)
    renderer = rendered(figure)
    box = legend.get_window_extent(renderer)
    assert box.y1 <= ax.get_window_extent(renderer).y0
    assert box.y1 <= ax.xaxis.label.get_window_extent(renderer).y0
    assert style.legend_outside(Figure().add_subplot()) is None


def test_pick_service_names_the_choices(scenario):
    assert style.pick_service(scenario, "web") == "web"
    with pytest.raises(ValueError, match=r"^service: expected one of \['api', 'web'\], got None"):
        style.pick_service(scenario, None)

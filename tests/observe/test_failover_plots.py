"""Failover plots draw exactly what the watch's frame says (t32sim/observe/failover_plots.py)."""
from __future__ import annotations

import pandas as pd
from matplotlib.colors import to_rgba

from t32sim.failover import FailoverConfig
from t32sim.lab.chapters import ch07
from t32sim.observe import plots
from t32sim.observe.failover_plots import CHECK_STYLES, COOLDOWN_COLOUR
from tests.observe.drawn import allowed, drawn_colours, legend_texts, lines_by_label, whole_ticks


def cascade():
    """v1 at 80 % CPU from t = 20, v2 corrupted at t = 26: switches at 25 and 40 (cooldown)."""
    cluster, watch = ch07.watched()
    cluster.run(20)
    watch.set_cpu("v1", 80)
    cluster.run(26)
    watch.corrupt("v2")
    cluster.run(45)
    return watch


def test_the_timeline_draws_each_check_on_the_version_it_asked():
    watch = cascade()
    ax = plots.failover_timeline(watch).axes[0]
    lines = lines_by_label(ax)
    failed = [(o.time, {"v1": 1, "v2": 2}[o.previous or o.active])
              for o in watch.outcomes if o.ok is False]
    drawn = lines["check failed"]
    assert list(zip(drawn.get_xdata(), drawn.get_ydata())) == failed
    assert failed[4] == (25.0, 1) and failed[5] == (27.0, 2)     # the failover check asked v1
    assert drawn.get_marker() == "X" and lines["check ok"].get_marker() == "o"
    ok = lines["check ok"]
    assert list(ok.get_xdata()) == [o.time for o in watch.outcomes if o.ok]
    assert to_rgba(drawn.get_color()) == to_rgba(CHECK_STYLES[False]["color"])


def test_the_timeline_steps_through_the_active_versions_and_marks_switches():
    watch = cascade()
    ax = plots.failover_timeline(watch, until=45).axes[0]
    step = lines_by_label(ax)["active version"]
    xs, ys = list(step.get_xdata()), list(step.get_ydata())
    assert (xs[0], ys[0]) == (10.0, 1) and (xs[-1], ys[-1]) == (45, 3)
    assert [x for x, y, before in zip(xs[1:], ys[1:], ys) if y != before] == [25.0, 40.0]
    assert [t.get_text() for t in ax.texts] == ["v1 → v2", "v2 → v3"]
    bands = [p for p in ax.patches if p.get_label() == "_cooldown"]
    assert [(b.get_x(), b.get_width()) for b in bands] == [(25.0, 15.0), (40.0, 15.0)]
    assert to_rgba(bands[0].get_facecolor(), 0.5) == to_rgba(COOLDOWN_COLOUR, 0.5)
    assert legend_texts(ax) == ["active version", "check ok", "check failed",
                                "cooldown (15 s)"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["v1", "v2", "v3"]
    assert ax.get_title() == "Failover monitor: 5 failures within 10 s, cooldown 15 s"
    assert ax.get_xlabel() == "simulated time (s)" and ax.get_ylabel() == "version"


def test_a_ridden_out_blip_has_no_switch_and_no_cooldown():
    cluster, watch = ch07.watched()
    cluster.run(20)
    watch.crash("v1")
    cluster.run(30)
    ax = plots.failover_timeline(watch, "a blip").axes[0]
    assert list(ax.texts) == [] and [p for p in ax.patches if p.get_label() == "_cooldown"] == []
    assert list(lines_by_label(ax)["check failed"].get_xdata()) == [21.0]
    assert legend_texts(ax) == ["active version", "check ok", "check failed"]
    assert ax.get_title() == "a blip"


def test_the_timeline_colours_come_from_the_palette():
    figure = plots.failover_timeline(cascade())
    assert all(allowed(c) for c in drawn_colours(figure))


def test_the_tradeoff_draws_one_line_per_column_with_whole_thresholds():
    table = pd.DataFrame({"window 10 s": [153, 104, 41, 10, 1],
                          "window 30 s": [153, 136, 104, 68, 40]},
                         index=pd.Index([1, 2, 3, 4, 5], name="N"))
    figure = plots.failover_tradeoff(table)
    ax = figure.axes[0]
    lines = lines_by_label(ax)
    assert list(lines["window 10 s"].get_ydata()) == [153, 104, 41, 10, 1]
    assert list(lines["window 30 s"].get_xdata()) == [1, 2, 3, 4, 5]
    assert lines["window 10 s"].get_marker() != lines["window 30 s"].get_marker()
    assert legend_texts(ax) == ["window 10 s", "window 30 s"]
    assert ax.get_yscale() == "symlog" and whole_ticks(ax.xaxis)
    assert ax.get_ylabel() == "false failovers per hour"
    assert all(allowed(c) for c in drawn_colours(figure))


def test_the_chapter_tradeoff_numbers_are_the_policy_s():
    assert ch07.false_failovers(5, 10) == 1
    assert ch07.false_failovers(1, 10) == 153
    assert FailoverConfig().threshold == 5

"""The game day's golden signals draw what the sampled frame says (observe/gameday_plots.py)."""
from __future__ import annotations

import pytest

from t32sim.lab.chapters import ch10
from t32sim.observe import plots, style
from tests.observe.drawn import legend_texts, lines_by_label, whole_ticks, rendered


@pytest.fixture(scope="module")
def frame():
    return ch10.game_day(until=ch10.RESPONSE_AT)[1].frame()


def test_three_panels_one_line_per_service_each(frame):
    figure = plots.golden_signals(frame, [(120, "bad rollout")], title="game day")
    errors, cpu, ready = figure.axes
    shop = frame[frame["service"] == "shop"]
    line = lines_by_label(errors)["shop"]
    assert list(line.get_xdata()) == list(shop["time"])
    assert list(line.get_ydata()) == list(shop["error_rate"] * 100)
    assert max(line.get_ydata()) == pytest.approx(30.0)
    assert list(lines_by_label(cpu)["search"].get_ydata()) == list(
        frame[frame["service"] == "search"]["cpu"])
    assert list(lines_by_label(ready)["auth"].get_ydata())[-1] == 0
    assert [ax.get_ylabel() for ax in figure.axes] == ["failed requests (%)",
                                                       "CPU (% of request)", "Ready pods"]
    assert errors.get_title() == "game day"
    rendered(figure)
    assert whole_ticks(ready.yaxis)


def test_each_service_keeps_its_style_in_every_panel(frame):
    figure = plots.golden_signals(frame)
    for ax in figure.axes:
        lines = lines_by_label(ax)
        for i, service in enumerate(ch10.SERVICES):
            look = style.series_style(i)
            assert lines[service].get_marker() == look["marker"]
            assert lines[service].get_color() == look["color"]
    assert legend_texts(figure.axes[-1]) == list(ch10.SERVICES)


def test_marks_cross_every_panel_and_are_labelled_once(frame):
    figure = plots.golden_signals(frame, [(120, "bad rollout"), (200, "probe broken"),
                                          (200, "heal")])
    for ax in figure.axes:
        assert [l.get_xdata()[0] for l in ax.get_lines() if l.get_label() == "_command"] == [
            120, 200]
    assert [t.get_text() for t in figure.axes[0].texts] == ["bad rollout", "probe broken\nheal"]
    top = figure.axes[0]
    assert top.get_ylim() == (0, 100 * 2.6)                  # room above auth's 100 %
    assert max(top.get_yticks()) == 100
    assert [t.get_text() for t in figure.axes[1].texts] == []

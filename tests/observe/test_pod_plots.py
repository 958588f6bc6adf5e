"""Pod plots draw exactly what the frames say (t32sim/observe/pod_plots.py)."""
from __future__ import annotations

import pytest
from matplotlib.colors import to_rgba

import t32sim as t3
from t32sim.observe import frames, plots, style
from tests.observe.drawn import legend_texts


def test_pod_timeline_bars_are_the_intervals_grouped_by_revision(scenario):
    ax = plots.pod_timeline(scenario, "api").axes[0]
    data = frames.intervals(scenario, "api")
    bars = ax.containers[0].patches
    assert len(bars) == len(data)
    rows = [tick.get_text() for tick in ax.get_yticklabels()]
    for bar, row in zip(bars, data.itertuples()):
        assert (bar.get_x(), bar.get_width()) == (row.start, row.duration)
        assert rows[round(bar.get_y() + bar.get_height() / 2)] == row.pod.rsplit("-", 1)[-1]
        assert bar.get_facecolor() == to_rgba(style.state_style(row.state)["color"])
        assert bar.get_hatch() == style.state_style(row.state)["hatch"]
    assert legend_texts(ax) == ["ContainerCreating", "Running", "Ready", "Terminating"]
    assert [t.get_text() for t in ax.texts] == ["rev 1 (v1)"]
    assert to_rgba(ax.texts[0].get_color()) == to_rgba(style.version_style("v1")["color"])


def test_a_crash_loop_is_hatched_on_the_timeline(scenario):
    ax = plots.pod_timeline(scenario, "web").axes[0]
    hatched = {bar.get_hatch() for bar in ax.containers[0].patches
               if bar.get_facecolor() == to_rgba(style.state_style("CrashLoopBackOff")["color"])}
    assert hatched == {"xx"}
    assert "CrashLoopBackOff" in legend_texts(ax)


def test_pod_timeline_puts_newer_revisions_above_older_ones(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=30)
    c.apply(examples / "api-v2.yaml")
    c.run(until=90)
    ax = plots.pod_timeline(c).axes[0]
    data = frames.intervals(c)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    revisions = [data.loc[data["pod"].str.endswith("-" + r), "revision"].iloc[0] for r in rows]
    assert revisions == sorted(revisions) and set(revisions) == {1, 2}
    assert [t.get_text() for t in ax.texts] == ["rev 1 (v1)", "rev 2 (v2)"]
    assert [to_rgba(t.get_color()) for t in ax.texts] == [
        to_rgba(style.version_style(v)["color"]) for v in ("v1", "v2")]


def test_restarts_and_backoff_draws_each_restart_and_each_wait(scenario):
    ax = plots.restarts_and_backoff(scenario, "web").axes[0]
    restarts = frames.restarts(scenario, "web")
    (pod,) = scenario.pods("web")
    label = pod.name.rsplit("-", 1)[-1]
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    assert list(line.get_xdata()) == [0.0, *restarts["time"], 100.0]
    assert list(line.get_ydata()) == [0, *restarts["restart"], restarts["restart"].iloc[-1]]
    (points,) = [line for line in ax.get_lines() if line.get_label() == "_restarts"]
    assert list(points.get_xdata()) == list(restarts["time"])
    assert points.get_marker() == style.series_style(0)["marker"]
    (waits,) = ax.collections
    assert [tuple(map(tuple, seg)) for seg in waits.get_segments()] == [
        ((r.exited_at, r.restart - 1), (r.time, r.restart - 1)) for r in restarts.itertuples()]
    assert [t.get_text() for t in ax.texts] == ["10 s", "20 s", "40 s"]
    assert legend_texts(ax) == [label]


def test_restarts_without_any_say_so(scenario):
    ax = plots.restarts_and_backoff(scenario, "api").axes[0]
    assert [t.get_text() for t in ax.texts] == ["no restarts"]


def test_backoff_delays_are_a_bar_per_restart_with_the_cap(scenario):
    ax = plots.backoff_delays(scenario, "web", cap=300).axes[0]
    restarts = frames.restarts(scenario, "web")
    bars = ax.containers[0].patches
    assert [b.get_x() + b.get_width() / 2 for b in bars] == list(restarts["restart"])
    assert [b.get_height() for b in bars] == [0.0, 10.0, 20.0, 40.0]
    assert [t.get_text() for t in ax.texts] == ["0", "10", "20", "40"]
    (cap,) = [line for line in ax.get_lines() if line.get_label() == "cap 300 s"]
    assert list(cap.get_ydata()) == [300, 300]
    assert ax.get_title() == "CrashLoopBackOff waits: web"


def test_backoff_delays_need_a_pod_when_several_restarted():
    c = t3.Cluster(seed=1)
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"replicas": 2, "image": "local://demo@crash"}})
    c.run(until=30)
    names = list(dict.fromkeys(frames.restarts(c, "web")["pod"]))
    with pytest.raises(ValueError, match=r"^pod: expected one of"):
        plots.backoff_delays(c, "web")
    ax = plots.backoff_delays(c, "web", pod=names[1]).axes[0]
    assert ax.get_title() == f"CrashLoopBackOff waits: web/{names[1].rsplit('-', 1)[-1]}"

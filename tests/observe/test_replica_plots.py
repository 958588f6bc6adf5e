"""Replica plots draw exactly what the history, the events and the journal say
(t32sim/observe/replica_plots.py)."""
from __future__ import annotations

import numpy as np
import pytest

import t32sim as t3
from t32sim.observe import frames, plots, style
from t32sim.observe.replica_plots import command_marks, hpa_decisions
from tests.observe.drawn import legend_texts, lines_by_label

HPA = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
       "spec": {"replicas": 3, "image": "local://demo@v1",
                "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2},
                "autoscale": {"targetCPU": 60, "min": 2, "max": 10}}}


@pytest.fixture(scope="module")
def autoscaled():
    c = t3.Cluster(seed=7)
    c.apply(HPA)
    c.run(until=30)
    c.set_load("api", cpu=90)
    c.run(until=200)
    c.set_load("api", cpu=10)
    c.run(until=560)
    return c


def test_desired_vs_ready_lines_are_the_history(scenario):
    ax = plots.desired_vs_ready(scenario, "api").axes[0]
    history = frames.history(scenario, "api")
    lines = lines_by_label(ax)
    assert set(lines) == {"desired", "current (live pods)", "ready"}
    for label, column, role in (("desired", "desired", "desired"),
                                ("current (live pods)", "current", "current"),
                                ("ready", "ready", "ready")):
        assert np.array_equal(lines[label].get_xdata(), history["time"].to_numpy())
        assert np.array_equal(lines[label].get_ydata(), history[column].to_numpy())
        assert lines[label].get_color() == style.ROLES[role]["color"]
    assert lines["ready"].get_drawstyle() == "steps-post"
    assert legend_texts(ax) == ["current (live pods)", "ready", "desired"]


def test_marks_are_the_journals_commands(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    c.kill("api", count=2)
    c.run(until=20)
    c.scale("api", replicas=5)
    c.run(until=30)
    c.scale("api", delta=-1)
    c.set_load("api", rps=50)
    c.run(until=40)
    assert command_marks(c, "api") == [(10.0, "kill 2"), (20.0, "scale to 5"),
                                       (30.0, "scale -1"), (30.0, "load 50 rps")]
    ax = plots.desired_vs_ready(c, "api", marks=True).axes[0]
    marked = [line for line in ax.get_lines() if line.get_label() == "_command"]
    assert [line.get_xdata()[0] for line in marked] == [10.0, 20.0, 30.0, 30.0]
    assert [t.get_text() for t in ax.texts] == ["kill 2", "scale to 5", "scale -1", "load 50 rps"]
    assert not [line for line in plots.desired_vs_ready(c, "api").axes[0].get_lines()
                if line.get_label() == "_command"]


def test_cpu_vs_replicas_draws_cpu_the_target_the_replicas_and_the_decisions(autoscaled):
    cpu_ax, replicas_ax = plots.cpu_vs_replicas(autoscaled, "api").axes
    assert replicas_ax.get_ylabel() == "replicas"
    history = frames.history(autoscaled, "api")
    assert history["desired"].max() > 3                       # the HPA did scale out
    cpu = lines_by_label(cpu_ax)
    assert np.array_equal(cpu["CPU %"].get_ydata(), history["cpu"].to_numpy())
    assert list(cpu["target 60 %"].get_ydata()) == [60, 60]
    replicas = lines_by_label(replicas_ax)
    for label, column in (("desired replicas", "desired"), ("ready replicas", "ready")):
        assert np.array_equal(replicas[label].get_xdata(), history["time"].to_numpy())
        assert np.array_equal(replicas[label].get_ydata(), history[column].to_numpy())
    decisions = hpa_decisions(autoscaled, "api")
    assert set(decisions["kind"]) == {"up", "down", "held"}
    for kind, label, marker in (("up", "HPA: scale up", "^"), ("down", "HPA: scale down", "v"),
                                ("held", "HPA: scale-down held by the window", "s")):
        rows = decisions[decisions["kind"] == kind]
        assert list(replicas[label].get_xdata()) == list(rows["time"])
        assert list(replicas[label].get_ydata()) == list(rows["replicas"])
        assert replicas[label].get_marker() == marker
    assert legend_texts(cpu_ax)[:4] == ["CPU %", "target 60 %", "desired replicas",
                                        "ready replicas"]


def test_hpa_decisions_follow_the_events(autoscaled):
    decisions = hpa_decisions(autoscaled, "api")
    events = frames.events(autoscaled, service="api")
    chosen = events[events["reason"].isin(["SuccessfulRescale", "ScaleDownStabilized"])]
    assert list(decisions["time"]) == list(chosen["time"])
    for row in decisions.itertuples():
        if row.kind == "up":
            assert row.replicas > row.before
        elif row.kind == "down":
            assert row.replicas < row.before
        else:
            assert row.replicas == row.before


def test_cpu_vs_replicas_without_autoscaler_has_no_target_line(scenario):
    ax = plots.cpu_vs_replicas(scenario, "api").axes[0]
    assert set(lines_by_label(ax)) == {"CPU %"}


def test_compare_draws_one_styled_line_per_run(scenario, autoscaled):
    ax = plots.compare({"api here": (scenario, "api"), "autoscaled": autoscaled},
                       "desired", service="api").axes[0]
    lines = lines_by_label(ax)
    assert list(lines) == ["api here", "autoscaled"]
    for i, (label, cluster) in enumerate((("api here", scenario), ("autoscaled", autoscaled))):
        history = frames.history(cluster, "api")
        assert np.array_equal(lines[label].get_ydata(), history["desired"].to_numpy())
        assert lines[label].get_color() == style.series_style(i)["color"]
        assert lines[label].get_marker() == style.series_style(i)["marker"]
    assert ax.get_ylabel() == "desired replicas" and ax.get_title() == "desired replicas over time"


def test_compare_refuses_what_it_cannot_draw(scenario):
    with pytest.raises(ValueError, match=r"^column: expected one of .*, got 'colour'"):
        plots.compare({"a": (scenario, "api")}, "colour")
    with pytest.raises(ValueError, match=r"^runs: expected at least one"):
        plots.compare({})

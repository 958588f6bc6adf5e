"""Every plot draws exactly what the frames say (t32sim/observe/plots.py)."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from t32sim.observe import frames, plots


def labelled(ax):
    assert ax.get_title() and ax.get_xlabel() == "simulated time (s)" and ax.get_ylabel()
    return ax


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_pod_timeline_bars_are_the_intervals_grouped_by_revision(scenario):
    figure = plots.pod_timeline(scenario, "api")
    (ax,) = figure.axes
    labelled(ax)
    data = frames.intervals(scenario, "api")
    bars = ax.containers[0].patches
    assert len(bars) == len(data)
    rows = [tick.get_text() for tick in ax.get_yticklabels()]
    for bar, row in zip(bars, data.itertuples()):
        assert (bar.get_x(), bar.get_width()) == (row.start, row.duration)
        assert rows[round(bar.get_y() + bar.get_height() / 2)] == row.pod.rsplit("-", 1)[-1]
        assert bar.get_facecolor() == to_rgba(plots.STATE_COLOURS[row.state])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["ContainerCreating", "Running", "Ready", "Terminating"]
    assert [t.get_text() for t in ax.texts] == ["rev 1 (v1)"]


def test_pod_timeline_puts_newer_revisions_above_older_ones(examples):
    import t32sim as t3
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


def test_desired_vs_ready_lines_are_the_history(scenario):
    ax = labelled(plots.desired_vs_ready(scenario, "api").axes[0])
    history = frames.history(scenario, "api")
    lines = lines_by_label(ax)
    assert set(lines) == {"desired", "current (live pods)", "ready"}
    for label, column in (("desired", "desired"), ("current (live pods)", "current"),
                          ("ready", "ready")):
        assert np.array_equal(lines[label].get_xdata(), history["time"].to_numpy())
        assert np.array_equal(lines[label].get_ydata(), history[column].to_numpy())
    assert lines["ready"].get_drawstyle() == "steps-post"


def test_restarts_and_backoff_draws_each_restart_and_each_wait(scenario):
    ax = labelled(plots.restarts_and_backoff(scenario, "web").axes[0])
    restarts = frames.restarts(scenario, "web")
    (pod,) = scenario.pods("web")
    (line,) = [line for line in ax.get_lines() if line.get_label() == pod.name.rsplit("-", 1)[-1]]
    assert list(line.get_xdata()) == [0.0, *restarts["time"], 100.0]
    assert list(line.get_ydata()) == [0, *restarts["restart"], restarts["restart"].iloc[-1]]
    (waits,) = ax.collections
    assert [tuple(map(tuple, seg)) for seg in waits.get_segments()] == [
        ((r.exited_at, r.restart - 1), (r.time, r.restart - 1)) for r in restarts.itertuples()]
    assert [t.get_text() for t in ax.texts] == ["10 s", "20 s", "40 s"]


def test_cpu_vs_replicas_draws_cpu_the_target_and_the_replicas():
    import t32sim as t3
    c = t3.Cluster(seed=7)
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
             "spec": {"replicas": 3, "image": "local://demo@v1",
                      "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2},
                      "autoscale": {"targetCPU": 60, "min": 2, "max": 10}}})
    c.run(until=30)
    c.set_load("api", cpu=90)
    c.run(until=200)
    figure = plots.cpu_vs_replicas(c, "api")
    cpu_ax, replicas_ax = figure.axes
    labelled(cpu_ax)
    assert replicas_ax.get_ylabel() == "replicas"
    history = frames.history(c, "api")
    assert history["desired"].max() > 3                       # the HPA did scale out
    cpu = lines_by_label(cpu_ax)
    assert np.array_equal(cpu["CPU %"].get_ydata(), history["cpu"].to_numpy())
    assert list(cpu["target 60 %"].get_ydata()) == [60, 60]
    replicas = lines_by_label(replicas_ax)
    for label, column in (("desired replicas", "desired"), ("ready replicas", "ready")):
        assert np.array_equal(replicas[label].get_xdata(), history["time"].to_numpy())
        assert np.array_equal(replicas[label].get_ydata(), history[column].to_numpy())
    legend = [t.get_text() for t in cpu_ax.get_legend().get_texts()]
    assert legend == ["CPU %", "target 60 %", "desired replicas", "ready replicas"]


def test_cpu_vs_replicas_without_autoscaler_has_no_target_line(scenario):
    ax = plots.cpu_vs_replicas(scenario, "api").axes[0]
    assert set(lines_by_label(ax)) == {"CPU %"}


def test_traffic_share_stacks_the_share_of_each_version_per_bin(examples):
    import t32sim as t3
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=30)
    c.apply(examples / "api-canary.yaml")
    for t in range(31, 70):
        c.run(until=t)
        c.send("api", count=20)
    share = plots.traffic_share_frame(c, "api", bin_seconds=5)
    requests = frames.requests(c, "api")
    per_bin = requests.groupby([requests["time"] // 5 * 5, "version"])["count"].sum().unstack(
        fill_value=0)
    assert np.allclose(share.to_numpy(), (per_bin.T / per_bin.sum(axis=1)).T.to_numpy())
    assert list(share.columns) == ["v1", "v2"] and share["v2"].iloc[0] == 0
    assert share["v2"].iloc[-1] == 1.0

    ax = labelled(plots.traffic_share(c, "api", bin_seconds=5).axes[0])
    layers = ax.collections
    assert [layer.get_label() for layer in layers] == ["v1", "v2"]
    top = share.cumsum(axis=1) * 100
    for layer, version in zip(layers, share.columns):
        vertices = {tuple(np.round(v, 9)) for v in layer.get_paths()[0].vertices}
        for start, height in top[version].items():
            assert (start, round(height, 9)) in vertices and \
                (start + 5, round(height, 9)) in vertices, (version, start)


def test_traffic_share_without_requests_says_so(scenario):
    ax = plots.traffic_share(scenario, "api").axes[0]
    assert ax.texts[0].get_text().startswith("no requests yet")


def test_plots_compose_into_one_figure_with_ax(scenario):
    figure = Figure(figsize=(10, 8))
    top, bottom = figure.subplots(2, 1)
    assert plots.pod_timeline(scenario, "api", ax=top) is figure
    assert plots.desired_vs_ready(scenario, "api", ax=bottom) is figure
    assert len(figure.axes) == 2 and bottom.get_title() == "Desired vs Ready: api"


def test_plots_are_deterministic(examples):
    import t32sim as t3

    def picture():
        c = t3.Cluster(seed=7)
        c.apply(examples / "api-v1.yaml")
        c.run(until=20)
        c.kill("api", count=2)
        c.run(until=60)
        return plots.figure_png(plots.pod_timeline(c, "api"))

    assert picture() == picture()


def test_a_service_is_needed_when_there_are_several(scenario):
    with pytest.raises(ValueError, match=r"^service: expected one of \['api', 'web'\], got None"):
        plots.desired_vs_ready(scenario)
    with pytest.raises(ValueError, match=r"^service: expected one of \['api', 'web'\], got 'db'"):
        plots.pod_timeline(scenario, "db")

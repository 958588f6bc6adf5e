"""Traffic plots draw exactly what the requests and pod intervals say
(t32sim/observe/traffic_plots.py)."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba

import t32sim as t3
from t32sim.observe import frames, plots, style
from t32sim.observe.traffic_plots import pods_by_version
from tests.observe.drawn import legend_texts, lines_by_label


def test_traffic_share_stacks_the_share_of_each_version_per_bin(canary):
    share = plots.traffic_share_frame(canary, "api", bin_seconds=5)
    requests = frames.requests(canary, "api")
    per_bin = requests.groupby([requests["time"] // 5 * 5, "version"])["count"].sum().unstack(
        fill_value=0)
    assert np.allclose(share.to_numpy(), (per_bin.T / per_bin.sum(axis=1)).T.to_numpy())
    assert list(share.columns) == ["v1", "v2"] and share["v2"].iloc[0] == 0
    assert share["v2"].iloc[-1] == 1.0

    ax = plots.traffic_share(canary, "api", bin_seconds=5).axes[0]
    layers = ax.collections
    assert [layer.get_label() for layer in layers] == ["v1", "v2"]
    assert [to_rgba(layer.get_facecolor()[0]) for layer in layers] == [
        to_rgba(style.version_style(v)["color"]) for v in ("v1", "v2")]
    assert layers[0].get_hatch() != layers[1].get_hatch()
    top = share.cumsum(axis=1) * 100
    for layer, version in zip(layers, share.columns):
        vertices = {tuple(np.round(v, 9)) for v in layer.get_paths()[0].vertices}
        for start, height in top[version].items():
            assert (start, round(height, 9)) in vertices and \
                (start + 5, round(height, 9)) in vertices, (version, start)


def test_traffic_share_without_requests_says_so(scenario):
    ax = plots.traffic_share(scenario, "api").axes[0]
    assert ax.texts[0].get_text().startswith("no requests yet")


def test_requests_per_pod_is_a_bar_per_pod_in_its_versions_colour(examples):
    c = t3.Cluster(seed=3)
    c.apply(examples / "api-v1.yaml")
    c.run(until=10)
    c.send("api", 30)
    c.scale("api", replicas=0)
    c.run_for(1)
    c.send("api", 4)
    ax = plots.requests_per_pod(c, "api").axes[0]
    bars = ax.containers[0].patches
    names = sorted(p for p in frames.requests(c, "api")["pod"].dropna().unique())
    assert [t.get_text() for t in ax.get_xticklabels()] == [n.rsplit("-", 1)[-1]
                                                           for n in names] + ["no endpoint"]
    assert [b.get_height() for b in bars] == [10, 10, 10, 4]
    assert [to_rgba(b.get_facecolor()) for b in bars] == [to_rgba(style.OKABE_ITO["blue"])] * 3 \
        + [to_rgba(style.GREY)]
    (share,) = [line for line in ax.get_lines() if line.get_label() == "equal share"]
    assert list(share.get_ydata()) == [10, 10]
    assert legend_texts(ax) == ["v1", "no endpoint", "equal share"]
    since = plots.requests_per_pod(c, "api", since=11).axes[0]
    assert [b.get_height() for b in since.containers[0].patches] == [4]


def test_version_share_is_the_running_share_of_one_version(canary, examples):
    ax = plots.version_share({"canary": canary}, "api", version="v2", expected=25).axes[0]
    lines = lines_by_label(ax)
    requests = frames.requests(canary, "api")
    sent = requests["count"].cumsum().to_numpy()
    hits = (requests["count"] * (requests["version"] == "v2")).cumsum().to_numpy()
    assert np.array_equal(lines["canary"].get_xdata(), sent)
    assert np.allclose(lines["canary"].get_ydata(), 100 * hits / sent)
    assert list(lines["weight 25 %"].get_ydata()) == [25, 25]
    assert ax.get_xscale() == "log"
    alone = lines_by_label(plots.version_share(canary, "api", version="v1").axes[0])
    assert list(alone) == ["v1"]


def test_latency_histogram_counts_every_answered_request(canary):
    ax = plots.latency_histogram({"canary": canary}, "api", bins=10, quantiles=(0.5,)).axes[0]
    requests = frames.requests(canary, "api")
    answered = requests[requests["pod"].notna()]
    (outline,) = ax.patches
    heights = outline.get_xy()[1:-1:2, 1]
    assert heights.sum() == answered["count"].sum()
    (median,) = [line for line in ax.get_lines() if line.get_label().startswith("canary p50")]
    latencies = np.repeat(answered["latency"].to_numpy() * 1000, answered["count"].to_numpy())
    assert median.get_xdata()[0] == pytest.approx(np.sort(latencies)[
        int(np.searchsorted(np.arange(1, len(latencies) + 1), 0.5 * len(latencies)))])
    assert ax.get_xlabel() == "latency (ms)"


def test_pods_by_version_counts_live_pods_at_each_sample(canary):
    table = pods_by_version(canary, "api")
    assert list(table.columns) == ["v1", "v2"]
    assert list(table.index) == list(frames.history(canary, "api")["time"])
    live = [p.version for p in canary.pods("api") if not p.terminating]
    assert table.loc[canary.now].to_dict() == {v: live.count(v) for v in ("v1", "v2")}
    assert table.loc[0.0].to_dict() == {"v1": 3, "v2": 0}


def test_rollout_progress_stacks_pods_and_draws_the_served_share(canary):
    pods_ax, served_ax = plots.rollout_progress(canary, "api").axes
    table = pods_by_version(canary, "api")
    layers = pods_ax.collections
    assert [layer.get_label() for layer in layers] == ["v1 pods", "v2 pods"]
    tops = table.cumsum(axis=1)
    for layer, version in zip(layers, table.columns):
        vertices = {tuple(v) for v in layer.get_paths()[0].vertices}
        assert all((t, float(h)) in vertices for t, h in tops[version].items())
    (served,) = served_ax.get_lines()
    share = plots.traffic_share_frame(canary, "api", bin_seconds=1)
    assert np.allclose(served.get_ydata(), share["v2"].to_numpy() * 100)
    assert pods_ax.get_title() == "Rollout of v2: api"

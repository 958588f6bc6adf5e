"""The latency buckets plot draws the Prometheus buckets and histogram_quantile's answers
(t32sim/observe/latency_plots.py), and its frame is what /metrics exposes."""
from __future__ import annotations

import pytest

import t32sim as t3
from tests.conftest import EXAMPLES
from t32sim.engine.histogram import histogram_quantile
from t32sim.observe import frames, plots
from tests.observe.drawn import allowed, legend_texts


@pytest.fixture(scope="module")
def sent():
    c = t3.Cluster(seed=7)
    c.apply(EXAMPLES / "api-v1.yaml")
    c.run(until=30)
    c.send("api", 10_000)
    return c


def test_the_frame_is_the_scraped_histogram(sent):
    data = frames.latency_buckets(sent, "api")
    assert data["count"].tolist() == list(sent.lb.latency_counts("api"))
    assert data["cumulative"].iloc[-1] == 10_000 and data["le"].iloc[-1] == float("inf")
    for le, cumulative in zip(data["le"], data["cumulative"]):
        label = "+Inf" if le == float("inf") else repr(le)
        assert (f't32sim_request_duration_seconds_bucket{{le="{label}",service="api",'
                f'version="v1"}} {float(cumulative)}') in sent.metrics_text()


def test_bars_are_the_bucket_counts_and_lines_the_quantiles(sent):
    figure = plots.latency_buckets(sent, "api")
    ax = figure.axes[0]
    counts = list(sent.lb.latency_counts("api"))
    assert [round(p.get_height()) for p in ax.patches] == counts
    assert [t.get_text() for t in ax.get_xticklabels()][:4] == ["≤5", "≤10", "≤25", "≤50"]
    expected = [f"p{q * 100:g} = {histogram_quantile(q, counts) * 1000:.1f} ms"
                for q in (0.5, 0.9, 0.99)]
    assert legend_texts(ax) == ["requests in the bucket"] + expected
    p50 = ax.get_lines()[0].get_xdata()[0]         # inside the 10-25 ms bar (index 2)
    assert 1.55 < p50 < 2.45
    assert ax.get_xticklabels()[-1].get_text() == "+Inf"
    assert ax.get_title() == "Latency buckets of api (histogram_quantile)"
    assert ax.get_xlabel() and ax.get_ylabel() == "requests"
    assert all(allowed(p.get_facecolor()) and allowed(p.get_edgecolor()) for p in ax.patches)


def test_an_empty_histogram_says_so():
    c = t3.Cluster(seed=1)
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"},
             "spec": {"image": "local://demo@v1"}})
    ax = plots.latency_buckets(c).axes[0]
    assert [t.get_text() for t in ax.texts] == ["no routed requests yet"]
    assert ax.get_lines() == []

"""Every plot function keeps the one style: a title and axis labels, legends that cover no
data, colours from the palette only, whole-number ticks on counts, the same picture twice
(t32sim/observe/plots.py)."""
from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import t32sim as t3
from t32sim.observe import plots
from tests.observe.conftest import canary_rollout
from tests.observe.drawn import allowed, drawn_colours, legends, rendered, whole_ticks

CRASHING = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"replicas": 1, "image": "local://demo@crash"}}
AUTOSCALED = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop"},
              "spec": {"replicas": 2, "image": "local://demo@v1",
                       "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2},
                       "autoscale": {"targetCPU": 60, "min": 2, "max": 8}}}


def _busy(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.apply(CRASHING)
    c.apply(AUTOSCALED)
    c.run(until=20)
    c.kill("api", count=2)
    c.set_load("shop", cpu=120)
    c.run(until=120)
    c.set_load("shop", cpu=10)
    c.run(until=200)
    return c


def _crash_loop():
    from t32sim.lab.chapters import ch07
    cluster, watch = ch07.watched()
    cluster.run(20)
    ch07.crash_loop(watch, "v1")
    cluster.run(45)
    return watch


def _game_day():
    from t32sim.lab.chapters import ch10
    cluster, signals = ch10.game_day(until=200)
    return signals.frame(), [(120, "bad rollout"), (150, "kill")]


def _tradeoff():
    import pandas as pd
    return pd.DataFrame({"window 10 s": [153, 104, 41], "window 30 s": [153, 136, 104]},
                        index=pd.Index([1, 2, 3], name="N"))


@pytest.fixture(scope="module")
def gallery(request):
    """Every public plot function, drawn once on a known scenario: name -> (figure, count
    axes that must have whole-number ticks)."""
    from tests.conftest import EXAMPLES
    busy, rollout = _busy(EXAMPLES), canary_rollout()

    def count_axes(figure, *which):
        return [getattr(figure.axes[i], f"{axis}axis") for i, axis in which]

    made = {}
    for name, draw, counted in [
        ("pod_timeline", lambda: plots.pod_timeline(busy, "api"), ()),
        ("restarts_and_backoff", lambda: plots.restarts_and_backoff(busy, "web"), ((0, "y"),)),
        ("backoff_delays", lambda: plots.backoff_delays(busy, "web", cap=300), ((0, "x"),)),
        ("desired_vs_ready", lambda: plots.desired_vs_ready(busy, "api", marks=True),
         ((0, "y"),)),
        ("cpu_vs_replicas", lambda: plots.cpu_vs_replicas(busy, "shop"), ((1, "y"),)),
        ("compare", lambda: plots.compare({"api": (busy, "api"), "shop": (busy, "shop")},
                                          "ready"), ((0, "y"),)),
        ("traffic_share", lambda: plots.traffic_share(rollout, "api"), ()),
        ("requests_per_pod", lambda: plots.requests_per_pod(rollout, "api"), ((0, "y"),)),
        ("version_share", lambda: plots.version_share(rollout, "api", version="v2",
                                                      expected=25), ()),
        ("latency_histogram", lambda: plots.latency_histogram({"canary": rollout}, "api",
                                                              quantiles=(0.5,)), ((0, "y"),)),
        ("rollout_progress", lambda: plots.rollout_progress(rollout, "api"), ((0, "y"),)),
        ("latency_buckets", lambda: plots.latency_buckets(rollout, "api"), ((0, "y"),)),
        ("failover_timeline", lambda: plots.failover_timeline(_crash_loop()), ()),
        ("failover_tradeoff", lambda: plots.failover_tradeoff(_tradeoff()), ((0, "x"),)),
        ("golden_signals", lambda: plots.golden_signals(*_game_day()), ((2, "y"),)),
        ("architecture", lambda: plots.architecture(busy), ()),
    ]:
        figure = draw()
        made[name] = (figure, count_axes(figure, *counted))
    return made


PLOTS = [name for name in plots.__all__ if callable(getattr(plots, name))
         and name not in ("figure_png", "traffic_share_frame", "version_style")]


def test_the_gallery_covers_every_plot_function(gallery):
    assert sorted(gallery) == sorted(PLOTS)


@pytest.mark.parametrize("name", PLOTS)
def test_every_plot_has_a_title_and_axis_labels(gallery, name):
    figure, _ = gallery[name]
    ax = figure.axes[0]
    assert ax.get_title()
    if name != "architecture":                 # a diagram has no axes to label
        assert ax.get_xlabel() and ax.get_ylabel()
        assert all(twin.get_ylabel() for twin in figure.axes[1:])


@pytest.mark.parametrize("name", PLOTS)
def test_no_legend_covers_the_data(gallery, name):
    figure, _ = gallery[name]
    renderer = rendered(figure)
    boxes = legends(figure)
    assert boxes, f"{name} has no legend"
    for legend in boxes:
        box = legend.get_window_extent(renderer)
        for ax in figure.axes:
            area = ax.get_window_extent(renderer)
            assert box.y1 <= area.y0 or box.x1 <= area.x0 or box.x0 >= area.x1, name
            label = ax.xaxis.label
            if label.get_text():
                assert box.y1 <= label.get_window_extent(renderer).y0, name


@pytest.mark.parametrize("name", PLOTS)
def test_colours_come_from_the_palette(gallery, name):
    figure, _ = gallery[name]
    strange = [c for c in drawn_colours(figure) if not allowed(c)]
    assert strange == [], name


@pytest.mark.parametrize("name", PLOTS)
def test_counts_have_whole_number_ticks(gallery, name):
    figure, counted = gallery[name]
    rendered(figure)
    assert all(whole_ticks(axis) for axis in counted), name


def test_plots_compose_into_one_figure_with_ax(scenario):
    figure = Figure(figsize=(10, 8))
    top, bottom = figure.subplots(2, 1)
    assert plots.pod_timeline(scenario, "api", ax=top) is figure
    assert plots.desired_vs_ready(scenario, "api", ax=bottom) is figure
    assert len(figure.axes) == 2 and bottom.get_title() == "Desired vs Ready: api"


def test_plots_are_deterministic(examples):
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

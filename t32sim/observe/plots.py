"""Plots for lessons, in one style (``t32sim.observe.style``): every chapter draws through
these functions.

Each function takes a cluster (or ``{label: cluster}`` to compare runs), draws only from
the frames in ``t32sim.observe.frames`` (so what you see is what the frames say), returns a
matplotlib ``Figure`` with a title and labelled axes, and accepts ``ax=`` to compose several
plots in one figure. Figures are ``matplotlib.figure.Figure`` (no pyplot state): nothing
leaks between calls and the same cluster always gives the same picture.

    pods       pod_timeline, restarts_and_backoff, backoff_delays
    replicas   desired_vs_ready, cpu_vs_replicas, compare
    traffic    traffic_share, requests_per_pod, version_share, latency_histogram,
               rollout_progress
    latency    latency_buckets (the Prometheus buckets and histogram_quantile)
    failover   failover_timeline, failover_tradeoff (the failover monitor of chapter 07)
    game day   golden_signals (several services' errors, CPU and Ready pods, chapter 10)
    the kit    architecture (the engine's components, read from a live cluster)
"""
from __future__ import annotations

from io import BytesIO

from matplotlib.figure import Figure

from t32sim.observe.diagram import architecture
from t32sim.observe.failover_plots import failover_timeline, failover_tradeoff
from t32sim.observe.gameday_plots import golden_signals
from t32sim.observe.latency_plots import latency_buckets
from t32sim.observe.pod_plots import backoff_delays, pod_timeline, restarts_and_backoff
from t32sim.observe.replica_plots import compare, cpu_vs_replicas, desired_vs_ready
from t32sim.observe.style import STATE_STYLES, TIME_LABEL, version_style
from t32sim.observe.traffic_plots import (latency_histogram, requests_per_pod, rollout_progress,
                                          traffic_share, traffic_share_frame, version_share)

__all__ = ["pod_timeline", "restarts_and_backoff", "backoff_delays", "desired_vs_ready",
           "cpu_vs_replicas", "compare", "traffic_share", "traffic_share_frame",
           "requests_per_pod", "version_share", "latency_histogram", "rollout_progress",
           "latency_buckets", "failover_timeline", "failover_tradeoff", "golden_signals",
           "architecture", "figure_png",
           "STATE_STYLES", "TIME_LABEL", "version_style"]


def figure_png(figure: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (for widgets and ``IPython.display.Image``)."""
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()

"""``GET /metrics``: the cluster's registry, with the server's own collector registered in it.

``ServerCollector`` reads the pacer and the SSE hub at scrape time (real
``prometheus_client`` metric families, no hand-written text); ``register(live)`` puts it
into ``live.cluster.registry`` so one exposition has both.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from t32sim.server.live import LiveCluster

__all__ = ["ServerCollector", "register", "metrics_text", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServerCollector(Collector):
    """Speed, pause and SSE figures of one live server."""

    def __init__(self, live: "LiveCluster"):
        self.live = live

    def collect(self) -> Iterator[Metric]:
        stats = self.live.hub.stats()
        yield GaugeMetricFamily("t32sim_server_speed",
                                "Simulated seconds per wall-clock second.",
                                value=self.live.pacer.speed)
        yield GaugeMetricFamily("t32sim_server_paused", "1 while simulated time is paused.",
                                value=int(self.live.pacer.paused))
        yield GaugeMetricFamily("t32sim_server_sse_clients",
                                "Connected Server-Sent Events clients.", value=stats["clients"])
        yield CounterMetricFamily("t32sim_server_sse_updates",
                                  "Updates published to SSE clients.", value=stats["seq"])
        yield CounterMetricFamily("t32sim_server_sse_skipped",
                                  "Times a slow SSE client was skipped ahead.",
                                  value=stats["skipped"])
        yield CounterMetricFamily("t32sim_server_sse_dropped",
                                  "SSE clients dropped for not reading.", value=stats["dropped"])


def register(live: "LiveCluster") -> ServerCollector:
    collector = ServerCollector(live)
    live.cluster.registry.register(collector)
    return collector


def metrics_text(live: "LiveCluster") -> str:
    """The exposition of the cluster's registry (engine metrics, then the server's)."""
    return live.cluster.metrics_text()

"""``GET /metrics``: the engine's Prometheus exposition plus the server's own gauges."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from t32sim.server.live import LiveCluster

__all__ = ["metrics_text"]


def metrics_text(live: "LiveCluster") -> str:
    body = live.cluster.metrics_text()
    if body and not body.endswith("\n"):
        body += "\n"
    return body + _server_metrics(live)


def _server_metrics(live: "LiveCluster") -> str:
    stats = live.hub.stats()
    gauges = [
        ("t32sim_server_speed", "Simulated seconds per wall-clock second.", "gauge",
         live.pacer.speed),
        ("t32sim_server_paused", "1 while simulated time is paused.", "gauge",
         int(live.pacer.paused)),
        ("t32sim_server_sse_clients", "Connected Server-Sent Events clients.", "gauge",
         stats["clients"]),
        ("t32sim_server_sse_updates_total", "Updates published to SSE clients.", "counter",
         stats["seq"]),
        ("t32sim_server_sse_skipped_total", "Times a slow SSE client was skipped ahead.",
         "counter", stats["skipped"]),
        ("t32sim_server_sse_dropped_total", "SSE clients dropped for not reading.", "counter",
         stats["dropped"]),
    ]
    lines = []
    for name, help_text, kind, value in gauges:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value:g}"]
    return "\n".join(lines) + "\n"

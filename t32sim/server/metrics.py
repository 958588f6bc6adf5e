"""``GET /metrics``: the engine's Prometheus exposition plus the server's own gauges.

If the engine has no ``metrics_text()`` (yet), a small exposition is made from the
snapshot so the original ``/metrics`` curl still shows the replica counts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from t32sim.server.live import LiveCluster

__all__ = ["metrics_text"]


def metrics_text(live: "LiveCluster") -> str:
    engine = getattr(live.cluster, "metrics_text", None)
    body = engine() if callable(engine) else _from_snapshot(live.cluster.snapshot())
    if body and not body.endswith("\n"):
        body += "\n"
    return body + _server_metrics(live)


def _server_metrics(live: "LiveCluster") -> str:
    stats = live.hub.stats()
    gauges = [
        ("t32sim_server_sim_time_seconds", "Simulated time of the live cluster.",
         "gauge", live.cluster.now),
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


def _from_snapshot(snapshot: dict) -> str:
    services = snapshot.get("services", {})
    fields = ("desired", "current", "ready", "available", "updated")
    lines: list[str] = []
    for field in fields:
        name = f"t32sim_service_{field}_replicas"
        lines += [f"# HELP {name} The service's {field} replicas.", f"# TYPE {name} gauge"]
        for service, info in sorted(services.items()):
            value = info.get("status", {}).get(field)
            if isinstance(value, (int, float)):
                lines.append(f'{name}{{service="{_label(service)}"}} {value:g}')
    counts: dict[tuple[str, str], int] = {}
    for pod in snapshot.get("pods", []):
        key = (str(pod.get("service", "")), str(pod.get("phase", "")))
        counts[key] = counts.get(key, 0) + 1
    lines += ["# HELP t32sim_pods Pods by service and phase.", "# TYPE t32sim_pods gauge"]
    for (service, phase), count in sorted(counts.items()):
        lines.append(f't32sim_pods{{service="{_label(service)}",phase="{_label(phase)}"}} {count}')
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

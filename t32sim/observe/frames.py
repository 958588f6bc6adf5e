"""Tidy pandas DataFrames over a cluster: events, history, requests, pods, phase intervals,
restarts and alerts. Time is always simulated seconds (float64); every column is typed."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from t32sim.engine.histogram import LATENCY_BUCKETS
from t32sim.observe.timeline import pod_intervals, pod_restarts, state_of

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["events", "history", "requests", "pods", "intervals", "restarts", "alerts"]

INTERVAL_COLUMNS = {"service": "string", "pod": "string", "revision": "int64",
                    "version": "string", "state": "string", "status": "string",
                    "phase": "string", "ready": "bool",
                    "start": "float64", "end": "float64", "duration": "float64", "open": "bool"}
RESTART_COLUMNS = {"service": "string", "pod": "string", "revision": "int64", "restart": "int64",
                   "exited_at": "float64", "time": "float64", "backoff_seconds": "float64",
                   "cause": "string"}
POD_COLUMNS = {"service": "string", "pod": "string", "revision": "int64", "version": "string",
               "phase": "string", "status": "string", "ready": "bool", "restarts": "int64", "created_at": "float64",
               "started_at": "float64", "deleted_at": "float64", "gone": "bool"}
REQUEST_COLUMNS = {"time": "float64", "service": "string", "path": "string", "pod": "string",
                   "version": "string", "status": "int64", "latency": "float64",
                   "count": "int64"}


def events(cluster: "Cluster", *, service: str | None = None, pod: str | None = None,
           reason: str | None = None, level: str | None = None, since: float | None = None,
           until: float | None = None) -> pd.DataFrame:
    """The event log, optionally filtered (``reason``/``level`` by their string values)."""
    frame = cluster.events
    mask = pd.Series(True, index=frame.index)
    for column, value in (("service", service), ("pod", pod), ("reason", reason),
                          ("level", level)):
        if value is not None:
            mask &= frame[column] == str(value)
    if since is not None:
        mask &= frame["time"] >= since
    if until is not None:
        mask &= frame["time"] <= until
    return frame[mask].reset_index(drop=True)


def history(cluster: "Cluster", service: str | None = None) -> pd.DataFrame:
    """The sampled history (one row per service per sample), optionally of one service."""
    frame = cluster.history
    if service is not None:
        frame = frame[frame["service"] == service].reset_index(drop=True)
    return frame


def requests(cluster: "Cluster", service: str | None = None) -> pd.DataFrame:
    """Requests routed by the load balancer: time, service, path, pod, version, status,
    latency and count (a ``send`` batch is one row per pod and status, with the mean
    latency). ``pod`` and ``version`` are missing (NA) for a 503 that found no pod."""
    source = getattr(cluster, "requests", None)
    frame = source() if callable(source) else source
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in REQUEST_COLUMNS.items()})
    frame = frame.astype({c: t for c, t in REQUEST_COLUMNS.items() if c in frame.columns})
    if service is not None:
        frame = frame[frame["service"] == service].reset_index(drop=True)
    return frame


def pods(cluster: "Cluster", service: str | None = None, *, include_gone: bool = False) -> pd.DataFrame:
    """One row per pod (live ones; with ``include_gone`` also those that are gone):
    ``phase`` is Kubernetes' (a gone pod's is Succeeded or Failed), ``status`` the word
    ``kubectl get pods`` shows, ``deleted_at`` the deletion timestamp."""
    store = cluster.store
    source = store.pod_archive.values() if include_gone else store.pods.values()
    rows = [{"service": p.service, "pod": p.name, "revision": p.revision, "version": p.version,
             "phase": p.phase.value, "status": p.status.value, "ready": p.ready,
             "restarts": p.restarts,
             "created_at": p.created_at, "started_at": _nan(p.started_at),
             "deleted_at": _nan(p.deleted_at), "gone": p.name not in store.pods}
            for p in source if service is None or p.service == service]
    return _typed(rows, POD_COLUMNS)


def intervals(cluster: "Cluster", service: str | None = None) -> pd.DataFrame:
    """Each pod's intervals (from the events): state, status, phase, ready, start, end.

    ``status`` is kubectl's STATUS word, ``phase`` Kubernetes' phase, ``state`` the status
    or "Ready" while a Running pod is ready; ``open`` marks a pod's current state (its
    ``end`` is now).
    """
    archive = cluster.store.pod_archive
    rows = []
    for i in pod_intervals(cluster.event_log, cluster.now):
        if service is not None and i.service != service:
            continue
        pod = archive.get(i.pod)
        rows.append({"service": i.service, "pod": i.pod,
                     "revision": pod.revision if pod else 0,
                     "version": pod.version if pod else "",
                     "state": state_of(i.status, i.ready), "status": i.status,
                     "phase": i.phase, "ready": i.ready, "start": i.start, "end": i.end,
                     "duration": i.end - i.start, "open": i.open})
    return _typed(rows, INTERVAL_COLUMNS)


def restarts(cluster: "Cluster", service: str | None = None) -> pd.DataFrame:
    """Every container restart with the backoff that preceded it and what stopped it."""
    archive = cluster.store.pod_archive
    rows = [{"service": r.service, "pod": r.pod,
             "revision": archive[r.pod].revision if r.pod in archive else 0,
             "restart": r.restart, "exited_at": r.exited_at, "time": r.time,
             "backoff_seconds": r.backoff_seconds, "cause": r.cause}
            for r in pod_restarts(cluster.event_log) if service is None or r.service == service]
    return _typed(rows, RESTART_COLUMNS)


def alerts(cluster: "Cluster") -> pd.DataFrame:
    """The alerts raised so far: health (UP, DEGRADED, DOWN, SCALED) and symptom rules'
    (FIRING, RESOLVED)."""
    return cluster.alerts.frame()


def latency_buckets(cluster: "Cluster", service: str) -> pd.DataFrame:
    """The service's latency histogram as Prometheus keeps it: one row per bucket, ``le``
    its upper bound in seconds (inf last), ``count`` the routed requests in it and
    ``cumulative`` those at most ``le`` (what ``_bucket{le=...}`` exposes)."""
    counts = list(cluster.lb.latency_counts(service)) or [0] * (len(LATENCY_BUCKETS) + 1)
    total, rows = 0, []
    for bound, count in zip(LATENCY_BUCKETS + (float("inf"),), counts):
        total += count
        rows.append({"le": float(bound), "count": int(count), "cumulative": int(total)})
    return _typed(rows, {"le": "float64", "count": "int64", "cumulative": "int64"})


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _typed(rows: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)

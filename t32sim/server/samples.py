"""What the dashboard's charts draw: one sample per service per simulated second, kept for
the last ``keep`` seconds, so a page opened mid-demo shows the last minutes.

A sample is plain JSON::

    {"t": 41.0, "desired": 3, "ready": 6, "serving": 3, "cpu": 66.7, "target": null,
     "rps": 240.0, "by_template": {"896388562f": 0.0, "e6f0d619e6": 240.0}}

``cpu`` is the engine's average over the serving pods, ``target`` the HPA's target CPU
(null without an autoscaler), ``rps`` the offered load and ``by_template`` the requests
per second each revision serves, keyed by its pod-template hash (an undo renumbers a
revision, the hash stays): its share of the offered load plus the requests routed to it
explicitly (``/send``, ``/proxy``) since the last sample. Samples are made from the
snapshot the server publishes anyway and never advance the cluster.
"""
from __future__ import annotations

import math
from collections import deque
from itertools import islice
from typing import Any, Mapping

__all__ = ["Samples", "KEEP_SECONDS", "TAIL", "make_sample"]

KEEP_SECONDS = 600           # ten simulated minutes of charts
TAIL = 8                     # samples each SSE update carries (enough for 20x speed)


def make_sample(t: float, service: Mapping[str, Any], offered: Mapping[str, float],
                routed_rate: Mapping[str, float]) -> dict[str, Any]:
    """One service's sample from its snapshot entry, the offered rps each revision serves
    and the routed requests per second, both by pod-template hash."""
    status, load, hpa = service["status"], service["load"], service.get("autoscaler")
    hashes = [r["template_hash"] for r in service["revisions"]]
    by_template = {h: offered.get(h, 0.0) + routed_rate.get(h, 0.0) for h in hashes}
    return {"t": t, "desired": status["desired"], "ready": status["ready"],
            "serving": len(service.get("serving", ())), "cpu": load["cpu"],
            "target": hpa["target_cpu"] if hpa else None, "rps": load["rps"],
            "by_template": {h: rate for h, rate in by_template.items() if rate}}


class Samples:
    """Bounded per-service chart samples, one per simulated second."""

    def __init__(self, keep: int = KEEP_SECONDS):
        self.keep = keep
        self._series: dict[str, deque[dict[str, Any]]] = {}
        self._routed: dict[str, dict[str, int]] = {}       # service -> template -> total
        self._last: float | None = None

    def record(self, snapshot: Mapping[str, Any], offered: Mapping[str, Mapping[str, float]],
               routed: Mapping[str, Mapping[str, int]]) -> bool:
        """Add a sample per service when a new simulated second began; True if it did.

        ``offered[service][hash]`` is rps of offered load, ``routed[service][hash]`` the
        routed requests so far (by pod-template hash)."""
        t = float(math.floor(snapshot["time"]))
        if self._last is not None and t <= self._last:
            return False
        elapsed = t - self._last if self._last is not None else 0.0
        self._last = t
        for name, service in snapshot["services"].items():
            totals = dict(routed.get(name, {}))
            before = self._routed.get(name, {})
            rate = {h: (n - before.get(h, 0)) / elapsed for h, n in totals.items()} \
                if elapsed else {}
            self._routed[name] = totals
            series = self._series.setdefault(name, deque(maxlen=self.keep))
            series.append(make_sample(t, service, offered.get(name, {}), rate))
        for gone in set(self._series) - set(snapshot["services"]):
            del self._series[gone]
            self._routed.pop(gone, None)
        return True

    def series(self, service: str) -> list[dict[str, Any]]:
        return list(self._series.get(service, ()))

    def tail(self, count: int = TAIL) -> dict[str, list[dict[str, Any]]]:
        return {name: _last(series, count) for name, series in self._series.items()}


def _last(series: deque, count: int) -> list:
    """The last ``count`` items of ``series``, in order, without copying the rest."""
    items = list(islice(reversed(series), count))
    items.reverse()
    return items

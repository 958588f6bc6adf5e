"""Latency histograms: Prometheus' default buckets and ``histogram_quantile``.

A histogram keeps one count per bucket (requests that took at most ``le`` seconds and
more than the bucket below). ``histogram_quantile`` answers the way PromQL's does: find
the bucket the q-th request falls in and interpolate linearly inside it (from 0 for the
first bucket); a quantile in the ``+Inf`` bucket is the highest finite bound.
"""
from __future__ import annotations

import bisect
import math
from typing import Sequence

__all__ = ["LATENCY_BUCKETS", "bucket_index", "histogram_quantile"]

#: request latency buckets in simulated seconds (Prometheus' defaults)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                   7.5, 10.0)


def bucket_index(seconds: float, bounds: Sequence[float] = LATENCY_BUCKETS) -> int:
    """The bucket of a latency: the first bound ``>= seconds`` (``len(bounds)``: +Inf)."""
    return bisect.bisect_left(bounds, seconds)


def histogram_quantile(q: float, counts: Sequence[float],
                       bounds: Sequence[float] = LATENCY_BUCKETS) -> float | None:
    """The ``q`` quantile (0..1) of per-bucket ``counts`` (``len(bounds) + 1`` of them, the
    last for +Inf); None when the histogram is empty."""
    if not 0 <= q <= 1:
        raise ValueError(f"q: expected a quantile between 0 and 1, got {q!r}")
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    below = 0.0
    for index, count in enumerate(counts):
        if count > 0 and below + count >= rank:
            if index >= len(bounds):
                return float(bounds[-1])
            low = 0.0 if index == 0 else float(bounds[index - 1])
            return low + (float(bounds[index]) - low) * (rank - below) / count
        below += count
    return float(bounds[-1]) if len(counts) > len(bounds) else math.nan

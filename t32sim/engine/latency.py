"""Request latency: each request's time drawn from its image's distribution.

Response times are skewed: most requests are a little faster than the mean, a few are much
slower. The engine draws them from a **log-normal** distribution with the pod's mean
latency (``Traffic.mean_latency``: the image's, plus injected latency, slower over 100 %
CPU) and the image's ``latency_sigma`` (the spread of ``log(latency)``, 0.5 for the demo
images: the median is 0.88 x the mean, the 99th percentile 2.8 x). So a latency histogram
has many bars, and ``histogram_quantile`` has something to find.

* ``draw_one`` turns one uniform draw of ``cluster.rng`` into one request's latency
  (``request``; the inverse of the distribution's CDF, so a request still takes exactly one
  draw, as the uniform jitter before it did, and no pod name or chaos victim moves);
* ``draw_buckets`` draws a whole ``send`` batch at once: how many of ``n`` requests fall in
  each histogram bucket (one multinomial draw over the buckets' probabilities), and their
  total time (each bucket's count times the distribution's mean inside that bucket). The
  cost does not grow with ``n``.

A batch draws from the cluster's latency stream (``t32sim.rng.derived(seed, "latency")``),
apart from ``cluster.rng``. Either way the same seed and journal give the same latencies.
"""
from __future__ import annotations

import math
import operator
from functools import lru_cache
from statistics import NormalDist
from typing import Sequence

from t32sim.engine.histogram import LATENCY_BUCKETS

__all__ = ["DEFAULT_SIGMA", "bucket_shares", "draw_one", "draw_buckets", "quantile"]

DEFAULT_SIGMA = 0.5
_NORMAL = NormalDist()


def _phi(x: float) -> float:
    """The standard normal CDF."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@lru_cache(maxsize=4096)
def bucket_shares(mean: float, sigma: float,
                  bounds: Sequence[float] = LATENCY_BUCKETS) -> tuple[tuple[float, ...],
                                                                      tuple[float, ...]]:
    """For a log-normal with ``mean`` and ``sigma``: the probability of each bucket
    (``len(bounds) + 1``, the last +Inf) and the expected latency *inside* each bucket."""
    if mean <= 0 or sigma <= 0:
        index = next((i for i, b in enumerate(bounds) if max(mean, 0.0) <= b), len(bounds))
        probs = tuple(1.0 if i == index else 0.0 for i in range(len(bounds) + 1))
        return probs, tuple(max(mean, 0.0) for _ in probs)
    mu = math.log(mean) - sigma * sigma / 2
    cdf, partial = [0.0], [0.0]                 # P(X <= b), E[X; X <= b] / mean
    for bound in bounds:
        z = (math.log(bound) - mu) / sigma
        cdf.append(_phi(z))
        partial.append(_phi(z - sigma))
    cdf.append(1.0)
    partial.append(1.0)
    probs = tuple(max(cdf[i + 1] - cdf[i], 0.0) for i in range(len(bounds) + 1))
    means = tuple(mean * (partial[i + 1] - partial[i]) / p if p > 1e-300 else
                  (bounds[min(i, len(bounds) - 1)])
                  for i, p in enumerate(probs))
    return probs, means


def draw_one(uniform: float, mean: float, sigma: float) -> float:
    """One request's latency in seconds, from one ``uniform`` draw in [0, 1)."""
    if mean <= 0:
        return 0.0
    if sigma <= 0:
        return mean
    u = min(max(uniform, 1e-12), 1 - 1e-12)
    return math.exp(math.log(mean) - sigma * sigma / 2 + sigma * _NORMAL.inv_cdf(u))


def draw_buckets(generator, count: int, mean: float, sigma: float
                 ) -> tuple[tuple[int, ...], float]:
    """``count`` requests at once: how many fall in each latency bucket, and their total
    seconds."""
    first, probs, means, size = _support(float(mean), float(sigma))
    if count <= 0:
        return (0,) * size, 0.0
    drawn = generator.multinomial(count, probs).tolist()
    seconds = sum(map(operator.mul, drawn, means))
    return (0,) * first + tuple(drawn) + (0,) * (size - first - len(drawn)), float(seconds)


@lru_cache(maxsize=4096)
def _support(mean: float, sigma: float):
    """The buckets a draw can reach (probability above 1e-12): the first one's index, their
    probabilities (normalised, as numpy wants them), their means, and the bucket count."""
    import numpy as np

    probs, means = bucket_shares(mean, sigma)
    reach = [i for i, p in enumerate(probs) if p > 1e-12]
    first, last = reach[0], reach[-1] + 1
    part = np.array(probs[first:last], dtype=float)
    return first, part / part.sum(), means[first:last], len(probs)


def quantile(q: float, mean: float, sigma: float) -> float:
    """The exact ``q`` quantile of the distribution (for explanations and tests)."""
    if not 0 < q < 1:
        raise ValueError(f"q: expected a quantile strictly between 0 and 1, got {q!r}")
    return draw_one(q, mean, sigma)

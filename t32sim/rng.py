"""The kit's only source of randomness: a generator seeded by whoever owns the simulation.

The engine never touches the global ``random`` module; a Cluster asks for one of these and
passes it down, so the same seed always gives the same pod names, victims and jitter.
"""
from __future__ import annotations

from random import Random


def seeded(seed: int) -> Random:
    """A private random generator that depends on ``seed`` alone."""
    return Random(seed)


def derived(seed: int, stream: str):
    """A numpy generator for one named ``stream`` of a simulation seeded with ``seed``.

    It depends on ``seed`` and ``stream`` alone (a SHA-256 of both, so not on
    ``PYTHONHASHSEED``), and drawing from it leaves ``seeded(seed)``'s sequence as it was:
    adding draws of one kind (request latencies) moves no pod name or chaos victim.
    """
    import hashlib

    import numpy as np

    digest = hashlib.sha256(f"t32sim:{seed!r}:{stream}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))

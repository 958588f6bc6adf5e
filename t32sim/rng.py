"""The kit's only source of randomness: a generator seeded by whoever owns the simulation.

The engine never touches the global ``random`` module; a Cluster asks for one of these and
passes it down, so the same seed always gives the same pod names, victims and jitter.
"""
from __future__ import annotations

from random import Random


def seeded(seed: int) -> Random:
    """A private random generator that depends on ``seed`` alone."""
    return Random(seed)

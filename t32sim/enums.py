"""StrEnum: the base of every reason, phase and kind (Python 3.10 has no enum.StrEnum).

A leaf below every layer (spec, engine, audit, auth, notify, monitor import it). failover.py
keeps its own ``__str__``: it imports nothing but the standard library, and a test holds it to that."""
from __future__ import annotations

import enum


class StrEnum(str, enum.Enum):
    """A str-Enum whose members print as their value: ``str(Phase.HEALTHY) == "Healthy"``."""

    def __str__(self) -> str:
        return self.value

"""SpecError: every problem with a spec, as ``(path, message)`` pairs."""
from __future__ import annotations


class SpecError(ValueError):
    """A spec that cannot be accepted. ``errors`` lists ``(path, message)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__("\n".join(f"{path}: {message}" if path else message
                                   for path, message in self.errors))

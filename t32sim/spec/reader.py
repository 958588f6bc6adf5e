"""The Reader: the fields of one mapping at one path, converted, with errors collected."""
from __future__ import annotations

from typing import Any, Mapping

from t32sim.spec.checks import Check, Invalid, closest, show


#: Hints for fields a student copies from a real Kubernetes manifest.
FOREIGN_FIELD_HINTS = {
    "status": "status is reported by the cluster, not written in a spec; remove it",
    "template": "t32sim has no pod template; put image, env and probes directly under spec",
    "containers": "t32sim has no pod template; put image, env and probes directly under spec",
    "selector": "t32sim selects pods by the Service name; remove selector",
    "exec": "t32sim probes are httpGet probes only",
    "tcpSocket": "t32sim probes are httpGet probes only",
    "grpc": "t32sim probes are httpGet probes only",
}


class Reader:
    """Reads the fields of one mapping at ``path``, appending problems to ``errors``."""

    def __init__(self, errors: list[tuple[str, str]], path: str, data: dict[str, Any]):
        self.errors = errors
        self.path = path
        self.data = data
        self.bad: set[str] = set()

    @classmethod
    def open(cls, errors: list[tuple[str, str]], path: str, value: Any,
             fields: tuple[str, ...], what: str) -> Reader | None:
        """A reader over ``value`` if it is a mapping; unknown field names are errors."""
        if not isinstance(value, Mapping):
            errors.append((path, f"expected {what}, got {show(value)}"))
            return None
        data: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                errors.append((path, f"expected field names to be strings, got {show(key)}"))
            elif key not in fields:
                errors.append((join_path(path, key), unknown_field(key, fields)))
            else:
                data[key] = item
        return cls(errors, path, data)

    def at(self, key: str) -> str:
        return join_path(self.path, key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def ok(self, *keys: str) -> bool:
        """True if none of ``keys`` had an error."""
        return not self.bad.intersection(keys)

    def error(self, key: str, message: str) -> None:
        self.errors.append((self.at(key), message))
        self.bad.add(key)

    def get(self, key: str, check: Check, default: Any = None) -> Any:
        """The checked value of ``key``, or ``default`` if it is absent or invalid."""
        value = self.data.get(key)
        if value is None:
            return default
        try:
            return check.parse(value)
        except Invalid as invalid:
            hint = f"; {invalid.hint}" if invalid.hint else ""
            self.error(key, f"expected {check.expected}, got {show(value)}{hint}")
            return default

    def require(self, key: str, check: Check) -> Any:
        if not self.has(key):
            self.error(key, f"missing required field; expected {check.expected}")
            return None
        return self.get(key, check)

    def mapping(self, key: str, fields: tuple[str, ...], what: str,
                required: bool = False) -> Reader | None:
        """A reader for the nested mapping at ``key`` (None if absent or not a mapping)."""
        if not self.has(key):
            if required:
                self.error(key, f"missing required field; expected {what}")
            return None
        reader = Reader.open(self.errors, self.at(key), self.data[key], fields, what)
        if reader is None:
            self.bad.add(key)
        return reader

    def items(self, key: str, what: str) -> list[tuple[str, Any]] | None:
        """``(path, item)`` for each item of the list at ``key`` (None if absent or bad)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            self.error(key, f"expected {what}, got {show(value)}")
            return None
        return [(f"{self.at(key)}[{index}]", item) for index, item in enumerate(value)]


def join_path(path: str, key: str) -> str:
    shown = key if len(key) <= 40 else key[:37] + "..."
    return f"{path}.{shown}" if path else shown


def unknown_field(key: str, fields: tuple[str, ...]) -> str:
    if key in FOREIGN_FIELD_HINTS:
        return f"unknown field; {FOREIGN_FIELD_HINTS[key]}"
    guess = closest(key, fields)
    if guess:
        return f"unknown field; did you mean {guess!r}?"
    return "unknown field; expected one of " + ", ".join(repr(f) for f in fields)



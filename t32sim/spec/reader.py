"""The Reader: the fields of one mapping at one path, converted, with errors collected."""
from __future__ import annotations

from typing import Any, Mapping

from t32sim.spec.checks import Check, Invalid, closest, show


#: Hints for fields a student copies from a real Kubernetes manifest into t32sim's format.
FOREIGN_FIELD_HINTS = {
    "status": "status is reported by the cluster, not written in a spec; remove it",
    "template": "a pod template belongs in a Deployment (apps/v1) or Rollout manifest; in "
                "t32sim's own format put image, env and probes directly under spec",
    "containers": "a pod template belongs in a Deployment (apps/v1) or Rollout manifest; in "
                  "t32sim's own format put image, env and probes directly under spec",
    "selector": "in t32sim's own format a Service's pods are its own (metadata.labels are "
                "their labels); a selector belongs in a Deployment or Rollout manifest",
}


class Reader:
    """Reads the fields of one mapping at ``path``, appending problems to ``errors``."""

    def __init__(self, errors: list[tuple[str, str]], path: str, data: dict[str, Any],
                 notes: list[tuple[str, str]] | None = None):
        self.errors = errors
        self.path = path
        self.data = data
        self.bad: set[str] = set()
        #: ``(path, why)`` of fields accepted but not simulated (real manifests only; None
        #: in t32sim's own format, where every field is simulated)
        self.notes = notes

    @classmethod
    def open(cls, errors: list[tuple[str, str]], path: str, value: Any,
             fields: tuple[str, ...], what: str, *,
             unsimulated: Mapping[str, str] | None = None,
             notes: list[tuple[str, str]] | None = None) -> Reader | None:
        """A reader over ``value`` if it is a mapping; unknown field names are errors.

        Fields in ``unsimulated`` (name -> why) are accepted and noted in ``notes``."""
        if not isinstance(value, Mapping):
            errors.append((path, f"expected {what}, got {show(value)}"))
            return None
        unsimulated = unsimulated or {}
        data: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                errors.append((path, f"expected field names to be strings, got {show(key)}"))
            elif key in unsimulated and notes is not None:
                if item is not None:
                    notes.append((join_path(path, key), f"not simulated: {unsimulated[key]}"))
            elif key not in fields:
                known = tuple(fields) + (tuple(unsimulated) if notes is not None else ())
                errors.append((join_path(path, key),
                               unknown_field(key, known, hints=notes is None)))
            else:
                data[key] = item
        return cls(errors, path, data, notes)

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

    def note(self, key: str, why: str) -> None:
        """Record that the given field ``key`` is accepted but not simulated."""
        if self.notes is not None:
            self.notes.append((self.at(key), f"not simulated: {why}"))

    def mapping(self, key: str, fields: tuple[str, ...], what: str,
                required: bool = False, *,
                unsimulated: Mapping[str, str] | None = None) -> Reader | None:
        """A reader for the nested mapping at ``key`` (None if absent or not a mapping)."""
        if not self.has(key):
            if required:
                self.error(key, f"missing required field; expected {what}")
            return None
        reader = Reader.open(self.errors, self.at(key), self.data[key], fields, what,
                             unsimulated=unsimulated, notes=self.notes)
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


def unknown_field(key: str, fields: tuple[str, ...], *, hints: bool = True) -> str:
    """Why ``key`` is refused: a hint for a foreign field, a likely typo, or the choices."""
    if hints and key in FOREIGN_FIELD_HINTS:
        return f"unknown field; {FOREIGN_FIELD_HINTS[key]}"
    guess = closest(key, fields)
    if guess:
        return f"unknown field; did you mean {guess!r}?"
    return "unknown field; expected one of " + ", ".join(repr(f) for f in fields)



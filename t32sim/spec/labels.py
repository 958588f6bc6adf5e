"""Kubernetes labels: names like ``app`` or ``example.com/tier``, short values, as pairs."""
from __future__ import annotations

import re
from typing import Any, Mapping

from t32sim.spec.checks import Check, Invalid, show
from t32sim.spec.reader import Reader, join_path

_LABEL_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_LABEL_PREFIX_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def read_labels(meta: Reader, key: str = "labels") -> tuple[tuple[str, str], ...]:
    """The label map at ``key`` as sorted ``(name, value)`` pairs; bad names and values are
    errors."""
    value = meta.data.get(key)
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        meta.error(key, f"expected a mapping of label names to strings, got {show(value)}")
        return ()
    labels = []
    for name, item in value.items():
        if not is_label_key(name):
            meta.error(key, "expected label names like 'app' or 'example.com/tier' "
                       f"(at most 63 letters, digits, '-', '_', '.'), got {show(name)}")
        elif not isinstance(item, str) or not (item == "" or is_label_name(item)):
            meta.errors.append((join_path(meta.at(key), name),
                                "expected a label value (a string of at most 63 letters, "
                                f"digits, '-', '_', '.'), got {show(item)}"))
        else:
            labels.append((name, item))
    return tuple(sorted(labels))


def is_label_name(text: str) -> bool:
    return len(text) <= 63 and _LABEL_NAME_RE.fullmatch(text) is not None


def is_label_key(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _LABEL_PREFIX_RE.fullmatch(prefix)):
        return False
    return is_label_name(name)


def show_labels(labels: tuple[tuple[str, str], ...]) -> str:
    """``app=nginx,tier=web`` (``(none)`` for no labels)."""
    return ",".join(f"{k}={v}" for k, v in labels) or "(none)"


def _label_key_parse(value: Any) -> str:
    if not is_label_key(value):
        raise Invalid
    return value


LABEL_KEY = Check("a label name like 'app' or 'example.com/tier'", _label_key_parse)

"""State deltas for the SSE stream: ``diff(old, new)`` and ``apply_delta(old, delta)``.

Pure functions over JSON-like snapshots. A top-level value that changed is sent
whole, except:

* a dict of records (``services: {name: {...}}``) sends only the changed records;
* a list of records that carry a key (``pods: [{name, ...}]``, ``events: [{seq, ...}]``)
  sends changed records by key, appended ones in order, and the key order only when
  it changed some other way.

The dashboard's JavaScript applies the same format (``static/dashboard.js``).
"""
from __future__ import annotations

from typing import Any

__all__ = ["diff", "apply_delta", "list_patch", "RECORD_KEYS"]

RECORD_KEYS = ("name", "seq", "id")


def diff(old: dict, new: dict, known: dict[str, dict | None] | None = None) -> dict:
    """What turns ``old`` into ``new``: ``{"set": {...}, "del": [...], "patch": {...}}``.

    ``known``: the patches of keys whose change the caller already worked out (``key ->
    patch``, None when the value did not change), used instead of comparing the values;
    each must be the patch this function would find (``list_patch`` makes a list's)."""
    delta: dict[str, Any] = {}
    changed: dict[str, Any] = {}
    patches: dict[str, Any] = {}
    known = known or {}
    for key, value in new.items():
        if key not in old:
            changed[key] = value
            continue
        if key in known:
            if known[key] is not None:
                patches[key] = known[key]
            continue
        before = old[key]
        if before == value:
            continue
        patch = _patch(before, value)
        if patch is None:
            changed[key] = value
        else:
            patches[key] = patch
    removed = [key for key in old if key not in new]
    if changed:
        delta["set"] = changed
    if removed:
        delta["del"] = removed
    if patches:
        delta["patch"] = patches
    return delta


def apply_delta(old: dict, delta: dict) -> dict:
    """``old`` with ``delta`` applied (``old`` is not modified)."""
    state = dict(old)
    for key in delta.get("del", ()):
        state.pop(key, None)
    state.update(delta.get("set", {}))
    for key, patch in delta.get("patch", {}).items():
        before = state.get(key)
        if patch["kind"] == "map":
            removed = set(patch.get("del", ()))
            after = {k: v for k, v in before.items() if k not in removed}
            after.update(patch.get("set", {}))
        else:
            after = _apply_list(before, patch)
        state[key] = after
    return state


def _patch(before: Any, after: Any) -> dict | None:
    if _is_record_map(before) and _is_record_map(after):
        removed = [k for k in before if k not in after]
        changed = {k: v for k, v in after.items() if before.get(k) != v or k not in before}
        if list(after) != [k for k in before if k in after] + [k for k in after
                                                             if k not in before]:
            return None          # a reordered map: cheaper and simpler to send whole
        return _compact({"kind": "map", "set": changed, "del": removed})
    key = _record_key(before, after)
    if key is None:
        return None
    old_keys = [item[key] for item in before]
    new_keys = [item[key] for item in after]
    if len(set(old_keys)) != len(old_keys) or len(set(new_keys)) != len(new_keys):
        return None
    old_by_key = dict(zip(old_keys, before))
    new_set = set(new_keys)
    removed = [k for k in old_keys if k not in new_set]
    kept = [k for k in old_keys if k in new_set]
    appended = [item for item in after if item[key] not in old_by_key]
    changed = [item for item in after if item[key] in old_by_key and old_by_key[item[key]] != item]
    patch = {"kind": "list", "key": key, "del": removed, "set": changed, "append": appended}
    if new_keys != kept + [item[key] for item in appended]:
        patch["order"] = new_keys
    return _compact(patch)


def list_patch(key: str, removed: list, changed: list, appended: list) -> dict | None:
    """The patch of a list of records with unique ``key`` whose kept records stay in order
    and whose new ones come last: the ``key`` of the ``removed`` records (in the old order),
    the ``changed`` and ``appended`` records (in the new order). None: nothing changed."""
    if not (removed or changed or appended):
        return None
    return _compact({"kind": "list", "key": key, "del": removed, "set": changed,
                     "append": appended})


def _apply_list(before: list, patch: dict) -> list:
    key = patch["key"]
    removed = set(patch.get("del", ()))
    replaced = {item[key]: item for item in patch.get("set", ())}
    items = [replaced.get(item[key], item) for item in before if item[key] not in removed]
    items.extend(patch.get("append", ()))
    if "order" in patch:
        by_key = {item[key]: item for item in items}
        items = [by_key[k] for k in patch["order"]]
    return items


def _is_record_map(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, dict)
                                                           for v in value.values())


def _record_key(before: Any, after: Any) -> str | None:
    if not isinstance(before, list) or not isinstance(after, list):
        return None
    items = before + after
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in RECORD_KEYS:
        if all(key in item and isinstance(item[key], (str, int)) for item in items):
            return key
    return None


def _compact(patch: dict) -> dict:
    return {k: v for k, v in patch.items() if v or k in ("kind", "key")}

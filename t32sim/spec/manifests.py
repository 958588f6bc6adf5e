"""Several documents, of any kind ``kubectl apply -f`` takes, -> one ``Manifests`` bundle.

Each document is read by what it is:

- t32sim's own format (``kind: Service`` with ``spec.image``; also ``Deployment`` or
  ``Rollout`` with ``spec.image``) -> a ServiceSpec, exactly as before;
- ``apps/v1 Deployment`` and ``argoproj.io/v1alpha1 Rollout`` with a pod template -> a
  ServiceSpec named after the workload;
- ``v1 Service`` (a selector, ports, a type; no image) -> a ServiceSelector;
- ``autoscaling/v2 HorizontalPodAutoscaler`` -> a HorizontalPodAutoscaler;
- any other kind (ConfigMap, Secret, Ingress, Pod, ...) -> Skipped, with a note.

With several documents, paths start with ``documents[i]`` (0-based, in file order); the
objects of a ``kind: List`` are read in its place, at ``items[j]``.
Every error of every document is raised at once; nothing is returned half-read.
"""
from __future__ import annotations

import base64
import datetime
import math
import os
from pathlib import Path
from typing import Any, Mapping

from t32sim.spec.checks import choice_check, closest, show
from t32sim.spec.errors import SpecError
from t32sim.spec.flat import read_document
from t32sim.spec.guarded_yaml import decode, is_path, parse_yaml_documents, read_file
from t32sim.spec.kube_objects import SERVICE_UNSIMULATED, read_hpa, read_service
from t32sim.spec.limits import KINDS, MAX_YAML_DEPTH
from t32sim.spec.model import ServiceSpec
from t32sim.spec.objects import Entry, Manifests, Note, ServiceSelector, Skipped
from t32sim.spec.reader import Reader
from t32sim.spec.workloads import TOP_FIELDS, TOP_UNSIMULATED, read_workload

#: the kinds t32sim simulates, and the apiVersions each is read from as a manifest
MANIFEST_API_VERSIONS = {"Deployment": ("apps/v1",), "Rollout": ("argoproj.io/v1alpha1",),
                         "Service": ("v1",),
                         "HorizontalPodAutoscaler": ("autoscaling/v2", "autoscaling/v1")}
#: apiVersions that older tutorials still show but Kubernetes no longer serves
REMOVED_API_VERSIONS = {"extensions/v1beta1": "1.16", "apps/v1beta1": "1.16",
                        "apps/v1beta2": "1.16", "autoscaling/v2beta1": "1.25",
                        "autoscaling/v2beta2": "1.26"}
_DOCUMENT = "a Service document (a mapping with apiVersion, kind, metadata, spec)"

Source = str | Path | bytes | Mapping[str, Any] | list | tuple | ServiceSpec | Manifests


def load_manifests(source: Source) -> Manifests:
    """Every document of ``source`` (a path, YAML text or bytes, a mapping, a list of
    mappings, a ServiceSpec), read and checked; raises ``SpecError`` listing every problem."""
    if isinstance(source, Manifests):
        return source
    if isinstance(source, ServiceSpec):
        return Manifests((Entry(source),), (source.to_dict(),))
    documents = _documents(source)
    if not documents:
        raise SpecError([("", f"expected {_DOCUMENT}, got an empty document")])
    errors: list[tuple[str, str]] = []
    placed = _placed(documents, errors)
    if not placed and not errors:
        raise SpecError([("items", "expected at least one object, got a List without items "
                                   "(kubectl: no objects passed to apply)")])
    entries: list[Entry] = []
    prefixes: list[str] = []
    for prefix, doc in placed:
        found: list[tuple[str, str]] = []
        notes: list[tuple[str, str]] = []
        obj, manifest = _read(doc, found, notes)
        errors += [(_within(prefix, path), message) for path, message in found]
        if obj is not None:
            entries.append(Entry(obj, tuple(Note(_within(prefix, p), m) for p, m in notes),
                                 manifest))
            prefixes.append(prefix)
    errors += _duplicates(entries, prefixes)
    if errors:
        raise SpecError(errors)
    return Manifests(tuple(entries), tuple(json_safe(doc) for _, doc in placed))


def _placed(documents: list[Any], errors: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    """``(path prefix, document)`` for every document, the items of a ``kind: List`` (what
    ``kubectl get -o yaml`` prints for several objects) in its place, as kubectl applies
    them."""
    several = len(documents) > 1
    placed: list[tuple[str, Any]] = []
    for index, doc in enumerate(documents):
        prefix = f"documents[{index}]" if several else ""
        if not (isinstance(doc, Mapping) and doc.get("kind") == "List"
                and doc.get("apiVersion") == "v1"):
            placed.append((prefix, doc))
        elif not isinstance(doc.get("items"), list):
            errors.append((_within(prefix, "items"), "expected a list of objects, got "
                                                     f"{show(doc.get('items'))}"))
        else:
            placed += [(_within(prefix, f"items[{j}]"), item)
                       for j, item in enumerate(doc["items"])]
    return placed


def _documents(source: Any) -> list[Any]:
    if is_path(source):
        return parse_yaml_documents(read_file(Path(os.fspath(source).strip())))
    if isinstance(source, (bytes, bytearray)):
        return parse_yaml_documents(decode(bytes(source)))
    if isinstance(source, str):
        return parse_yaml_documents(source)
    if isinstance(source, (list, tuple)) and source:
        return list(source)
    return [source]


def _within(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix and path else prefix or path


def _read(doc: Any, errors: list[tuple[str, str]], notes: list[tuple[str, str]]
          ) -> tuple[Any, bool]:
    """One document -> (its object or None, whether it was a real manifest)."""
    if not isinstance(doc, Mapping):
        errors.append(("", f"expected {_DOCUMENT}, got {show(doc)}"))
        return None, False
    kind = doc.get("kind")
    if not _is_manifest(doc):
        if isinstance(kind, str) and isinstance(doc.get("apiVersion"), str) \
                and not _near(kind, KINDS) and kind != "HorizontalPodAutoscaler":
            return _skipped(doc, kind, errors, notes), True
        if isinstance(kind, str) and kind not in KINDS and not _has_image(doc):
            expected = ", ".join(repr(k) for k in KINDS)
            errors.append(("kind", f"expected one of {expected}, got {kind!r}; did you mean "
                                   f"{closest(kind, KINDS)!r}?"))
            return None, False          # a misspelt kind: its fields cannot be judged
        return read_document(doc, errors), False
    top = Reader.open(errors, "", doc, TOP_FIELDS, _DOCUMENT, unsimulated=TOP_UNSIMULATED,
                      notes=notes)
    if top is None:
        return None, True
    api_version = _read_api_version(top, kind)
    if kind in ("Deployment", "Rollout"):
        return read_workload(top, kind), True
    if kind == "Service":
        return read_service(top), True
    return read_hpa(top, api_version), True


def _read_api_version(top: Reader, kind: str) -> str | None:
    """The document's apiVersion, one of those ``kind`` is served at; a version Kubernetes
    no longer serves is named as such."""
    wanted = MANIFEST_API_VERSIONS[kind]
    given = top.data.get("apiVersion")
    if given in REMOVED_API_VERSIONS:
        top.error("apiVersion", f"expected {' or '.join(map(repr, wanted))}, got {given!r}, "
                                f"which Kubernetes no longer serves (removed in "
                                f"{REMOVED_API_VERSIONS[given]}): write "
                                f"apiVersion: {wanted[0]}")
        return None
    return top.require("apiVersion", choice_check(wanted))


def _is_manifest(doc: Mapping[str, Any]) -> bool:
    """A real Kubernetes / Argo object of a simulated kind, not t32sim's own format."""
    kind, spec = doc.get("kind"), doc.get("spec")
    if kind == "HorizontalPodAutoscaler":
        return True
    if not isinstance(spec, Mapping) or _has_image(doc):
        return False
    if kind in ("Deployment", "Rollout"):
        return True
    return kind == "Service" and any(key in spec for key in ("selector",
                                                             *SERVICE_UNSIMULATED))


def _has_image(doc: Mapping[str, Any]) -> bool:
    spec = doc.get("spec")
    return isinstance(spec, Mapping) and "image" in spec


def _near(kind: str, kinds: tuple[str, ...]) -> bool:
    """A misspelling of a simulated kind (an error, not a kind to skip)."""
    return kind in kinds or closest(kind, kinds) is not None


def _skipped(doc: Mapping[str, Any], kind: str, errors: list, notes: list) -> Skipped | None:
    guess = closest(kind, ("HorizontalPodAutoscaler",))
    if guess:
        errors.append(("kind", f"expected {guess!r} or a kind t32sim skips, got {kind!r}; "
                               f"did you mean {guess!r}?"))
        return None
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    name = name if isinstance(name, str) else ""
    notes.append(("", f"{kind} {name}".rstrip() + ": skipped, t32sim does not simulate "
                  f"{kind} objects"))
    return Skipped(doc["apiVersion"], kind, name)


def _duplicates(entries: list[Entry], prefixes: list[str]) -> list[tuple[str, str]]:
    """Two objects of one kind with one name in one source: the second would replace the
    first, which is almost surely a mistake."""
    seen: dict[tuple[type, str], str] = {}
    errors = []
    for entry, prefix in zip(entries, prefixes):
        obj = entry.object
        if isinstance(obj, Skipped):
            continue
        key = (type(obj), obj.name)
        if key in seen:
            what = {ServiceSpec: "workload", ServiceSelector: "Service"}.get(
                type(obj), "HorizontalPodAutoscaler")
            errors.append((_within(prefix, "metadata.name"),
                           f"expected one {what} named {obj.name!r}, but {seen[key]} "
                           "has that name too"))
        seen.setdefault(key, prefix)
    return errors


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` with only JSON types (what YAML may add: dates, bytes, sets, odd keys and
    NaN become strings or lists), so the journal can store the documents as given."""
    if depth > MAX_YAML_DEPTH:
        raise SpecError([("", f"expected documents nested at most {MAX_YAML_DEPTH} levels "
                              "deep (is a mapping inside itself?)")])
    if isinstance(value, Mapping):
        return {key if isinstance(key, str) else str(key): json_safe(item, depth + 1)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item, depth + 1) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((json_safe(item, depth + 1) for item in value), key=repr)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return show(value)

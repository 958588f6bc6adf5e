"""load_spec: any accepted source -> one validated ServiceSpec."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from t32sim.spec.errors import SpecError
from t32sim.spec.flat import read_document
from t32sim.spec.guarded_yaml import decode, is_path, parse_yaml, read_file
from t32sim.spec.model import ServiceSpec


def load_spec(source: str | Path | bytes | Mapping[str, Any] | ServiceSpec) -> ServiceSpec:
    """Accept a path, YAML text (str or bytes), a mapping or a ServiceSpec.

    Returns a validated ``ServiceSpec``; raises ``SpecError`` listing every problem.
    A str without newlines ending in .yaml/.yml is a path; other strings are YAML text.
    """
    if isinstance(source, ServiceSpec):
        return source
    if is_path(source):
        doc = parse_yaml(read_file(Path(os.fspath(source).strip())))
    elif isinstance(source, (bytes, bytearray)):
        doc = parse_yaml(decode(bytes(source)))
    elif isinstance(source, str):
        doc = parse_yaml(source)
    else:
        doc = source
    if doc is None:
        raise SpecError([("", "expected a Service document (a mapping with apiVersion, "
                              "kind, metadata, spec), got an empty document")])
    errors: list[tuple[str, str]] = []
    spec = read_document(doc, errors)
    if errors or spec is None:
        raise SpecError(errors)
    return spec

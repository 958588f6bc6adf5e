"""Strict validators for exported documents: the Kubernetes API's own JSON schemas
(kubernetes-validate, strict: unknown fields are errors) and the Argo Rollouts CRD's
OpenAPI schema (vendored in ``data/``, made strict the same way)."""
from __future__ import annotations

import copy
import importlib.resources as resources
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

DATA = Path(__file__).parent / "data"
#: the Kubernetes version whose schemas the exports are checked against
KUBERNETES_VERSION = "1.33"


class Invalid(Exception):
    """A document the official schema refuses; ``message`` and ``path`` say why and where."""

    def __init__(self, message: str, path: list):
        super().__init__(f"{'.'.join(map(str, path))}: {message}")
        self.message, self.path = message, path


def validate(doc: dict[str, Any]) -> None:
    """Raise ``Invalid`` unless ``doc`` passes its kind's official schema, strictly."""
    if doc.get("apiVersion") == "argoproj.io/v1alpha1" and doc.get("kind") == "Rollout":
        errors = sorted(rollout_validator().iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            raise Invalid(errors[0].message, list(errors[0].path))
        return
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        raise Invalid(error.message, list(error.path)) from None


@lru_cache(maxsize=1)
def rollout_crd() -> dict[str, Any]:
    return yaml.safe_load((DATA / "rollout-crd.yaml").read_text())


@lru_cache(maxsize=1)
def rollout_validator() -> jsonschema.Draft7Validator:
    [version] = [v for v in rollout_crd()["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema = strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
    return jsonschema.Draft7Validator(schema)


def strict(schema: Any) -> Any:
    """An OpenAPI v3 schema as JSON Schema that refuses unknown fields: every object with
    ``properties`` gets ``additionalProperties: false`` (unless it preserves unknown
    fields, as the API server's strict field validation does), and Kubernetes'
    int-or-string becomes ``anyOf: [integer, string]``."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: strict(value) for key, value in schema.items()}
    if schema.get("x-kubernetes-int-or-string") and "anyOf" not in schema:
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in schema and "additionalProperties" not in schema \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        schema["additionalProperties"] = False
    return schema


def properties(schema_file: str, version: str = KUBERNETES_VERSION) -> set[str]:
    """The field names of one Kubernetes type in ``version`` ("latest": the newest that
    kubernetes-validate ships), from its schema files."""
    version = kubernetes_validate.latest_version() if version == "latest" else f"{version}.0"
    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema" / \
        f"v{version}-local-strict"
    return set(json.loads((folder / schema_file).read_text())["properties"])

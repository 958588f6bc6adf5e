"""Building spec documents for the tests: the smallest valid Service with a few fields
changed, and the expected-message fragments the tables share."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from t32sim.spec import SpecError, load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DELETE = object()


def base() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
            "spec": {"image": "local://demo@v1"}}


def top(**fields: Any) -> dict[str, Any]:
    """The minimal document with top-level ``fields`` set (DELETE removes one)."""
    doc = base()
    for key, value in fields.items():
        if value is DELETE:
            del doc[key]
        else:
            doc[key] = value
    return doc


def spec(**fields: Any) -> dict[str, Any]:
    """The minimal document with ``spec`` fields set (DELETE removes one)."""
    doc = base()
    for key, value in fields.items():
        if value is DELETE:
            del doc["spec"][key]
        else:
            doc["spec"][key] = value
    return doc


def probe(**fields: Any) -> dict[str, Any]:
    return {"httpGet": {"path": "/healthz"}, **fields}


def canary(**fields: Any) -> dict[str, Any]:
    return spec(rollout={"strategy": "Canary", **fields})


def errors_of(source: Any) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        load_spec(source)
    return caught.value.errors


DNS = ("expected a DNS-1123 label (1..63 lowercase letters, digits and '-', starting and "
       "ending with a letter or digit)")
IMAGE = "a non-empty image reference without spaces, like 'local://demo@v1'"
API_VERSIONS = "one of 'v1', 'apps/v1', 't32sim/v1', 'argoproj.io/v1alpha1'"
KINDS = "one of 'Service', 'Deployment', 'Rollout'"
STRATEGIES = "one of 'RollingUpdate', 'BlueGreen', 'Canary'"
ENV_NAME = ("an environment variable name (letters, digits and '_', not starting with a "
            "digit)")
SURGE = "an integer 0..1000 or a percentage '0%'..'1000%'"
UNAVAILABLE = "an integer 0..1000 or a percentage '0%'..'100%'"
DURATION = "(or a duration like '30s', '5m', '1h')"
DOCUMENT = "expected a Service document (a mapping with apiVersion, kind, metadata, spec)"
ONE_STEP_KEY = "expected exactly one of 'percent', 'setWeight', 'pause'"

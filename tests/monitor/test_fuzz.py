"""Schemathesis fuzzes the monitor from its own OpenAPI schema, signed in as admin, with the
demo services unreachable: no 5xx but the 502 of an unreachable service, every error in
the {error, detail, field} shape, a refused request leaves the active version as it was,
and every answer is one the schema declares: its status, its content type, its body."""
from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, settings

from t32sim.monitor.app import create_monitor_app
from t32sim.monitor.config import MonitorConfig

from .conftest import ADMIN, ADMIN_PASSWORD

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def monitor(tmp_path_factory):
    db = tmp_path_factory.mktemp("monitor") / "monitor.db"
    config = MonitorConfig.for_ports({"v1": 1, "v2": 2, "v3": 3}, db=db,
                                     admin_password=ADMIN_PASSWORD, notifier=None,
                                     audit_key=b"a" * 32, interval=3600.0, env={})
    app = create_monitor_app(config)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield app, client


APP_FOR_SCHEMA = create_monitor_app(MonitorConfig.for_ports(
    {"v1": 1, "v2": 2, "v3": 3}, db=__import__("tempfile").mkdtemp() + "/schema.db",
    admin_password=ADMIN_PASSWORD, notifier=None, audit_key=b"a" * 32, env={}))
schema = schemathesis.openapi.from_dict(APP_FOR_SCHEMA.openapi())


def send(client, case):
    kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1:8000")
    request = {k: kwargs[k] for k in ("method", "url", "params", "headers") if kwargs.get(k)}
    request["headers"] = {**request.get("headers", {}), **ADMIN}
    if kwargs.get("json") is not None:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"] if isinstance(kwargs["data"], (bytes, str)) \
            else str(kwargs["data"])
    return client.request(**request)


def state(app) -> tuple:
    return app.state.monitor.policy.active


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_monitor_never_fails_and_refusals_change_nothing(monitor, case):
    app, client = monitor
    before = state(app)
    response = send(client, case)
    assert response.status_code < 500 or response.status_code == 502, response.text
    if response.status_code >= 400:
        assert set(response.json()) >= {"error", "detail", "field"}, response.text
        assert state(app) == before, (case.method, case.path, response.text)
    case.validate_response(response, checks=CONFORMANCE)

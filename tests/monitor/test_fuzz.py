"""Schemathesis fuzzes the monitor from its own OpenAPI schema (a few hundred examples in
all), each example sent by an admin (Basic), an admin's X-API-Key, a viewer, an anonymous
caller, a wrong API key and a guesser whose wrong passwords get it locked out. The demo
services are unreachable. Every answer is one the schema declares (status, content type,
body, headers); no 5xx but the 502 of an unreachable service; only an admin ever gets a
2xx for an action; and a refused request leaves the monitor exactly as it was."""
from __future__ import annotations

import tempfile
import warnings

import pytest
from hypothesis import HealthCheck, settings

from t32sim.monitor.app import create_monitor_app
from t32sim.monitor.config import MonitorConfig
from tests.support import wait_for

from .conftest import ADMIN, ADMIN_PASSWORD, VIEWER, add_viewer, basic

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import (content_type_conformance,  # noqa: E402
                                 response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = "http://127.0.0.1:8000"
API_KEY = "fuzz-api-key-0123456789"
IDENTITIES = {
    "admin": ADMIN,
    "api-key": {"X-API-Key": API_KEY},
    "viewer": VIEWER,
    "anonymous": {},
    "wrong-key": {"X-API-Key": "not-the-key-0123456789"},
    "guesser": basic("mallory", "wrong-password"),      # locked out after five (429)
}
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
SEEN: dict[str, int] = {}           # examples per operation, checked by the last test
ANSWERED: dict[str, set[int]] = {}  # the statuses each identity got, checked by the last test


def config(db) -> MonitorConfig:
    return MonitorConfig.for_ports({"v1": 1, "v2": 2, "v3": 3}, db=db,
                                   admin_password=ADMIN_PASSWORD, api_key=API_KEY,
                                   notifier=None, audit_key=b"a" * 32, interval=3600.0, env={})


schema = schemathesis.openapi.from_dict(
    create_monitor_app(config(tempfile.mkdtemp() + "/schema.db")).openapi())


@pytest.fixture(scope="module")
def monitor(tmp_path_factory):
    settings_ = config(tmp_path_factory.mktemp("monitor") / "monitor.db")
    add_viewer(settings_)
    app = create_monitor_app(settings_)
    with TestClient(app, base_url=BASE) as client:
        wait_for(lambda: app.state.monitor.checks >= 1, timeout=10, what="the first check")
        yield app, client              # the next check is an hour away: nothing moves alone


def fingerprint(app) -> dict:
    """Everything the monitor shows, but the clock's share (cooldown and incident age)."""
    snapshot = app.state.monitor.snapshot()
    return {k: v for k, v in snapshot.items() if k not in ("cooldown_remaining", "incident")}


def send(client, case, identity: dict):
    kwargs = case.as_transport_kwargs(base_url=BASE)
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items()
               if k.lower() not in ("authorization", "x-api-key")}
    request = {key: kwargs[key] for key in ("method", "url", "params") if kwargs.get(key)}
    request["headers"] = {**headers, **identity}
    if kwargs.get("json") is not None:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data if isinstance(data, (bytes, str)) else str(data)
    return client.request(**request)


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_monitor_answers_by_its_schema_and_refusals_change_nothing(monitor, case):
    app, client = monitor
    label = f"{case.method} {case.path}"
    SEEN[label] = SEEN.get(label, 0) + 1
    for who, identity in IDENTITIES.items():
        before = fingerprint(app)
        response = send(client, case, identity)
        status = response.status_code
        ANSWERED.setdefault(who, set()).add(status)
        assert status < 500 or status == 502, (who, label, response.text)
        case.validate_response(response, checks=CHECKS)
        if status >= 400:
            assert set(response.json()) >= {"error", "detail", "field"}, response.text
            assert fingerprint(app) == before, (who, label, response.text)
        if who in ("anonymous", "wrong-key", "guesser"):
            assert status >= 400, (who, label, status)
        if who == "viewer" and case.method == "POST":
            assert status >= 400, (who, label, status)


def test_the_fuzz_reached_every_operation_and_every_kind_of_answer():
    operations = {f"{op.method.upper()} {op.path}" for op in
                  (result.ok() for result in schema.get_all_operations())}
    assert operations <= set(SEEN)                  # (plus unsupported methods, 405 each)
    assert sum(SEEN[label] for label in operations) >= 150, SEEN
    expected = {"admin": {200, 409, 415, 422, 502}, "api-key": {200, 502}, "viewer": {200, 403},
                "anonymous": {401}, "wrong-key": {401}, "guesser": {401, 429}}
    for who, statuses in expected.items():
        assert statuses <= ANSWERED[who], (who, ANSWERED[who])

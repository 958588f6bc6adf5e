"""Schemathesis fuzzes the live server from its own OpenAPI schema: every operation, a few
dozen examples each (a few hundred in all, bounded by a deadline). No answer is a 5xx of
the server's own (a simulated pod's 500/503 says ``X-Simulated: true``), every answer
matches the schema (status, content type, body, headers), and a refused request leaves
the journal and the state exactly as they were. Each example starts from a fresh cluster
(api-v1, 3 Ready pods), so one accepted command cannot slow the next."""
from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, settings

from t32sim.server import ServerSettings, create_app
from t32sim.server.live import LiveCluster

from .helpers import EXAMPLES

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import (content_type_conformance,  # noqa: E402
                                 response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BASE = "http://127.0.0.1:8080"
SETTINGS = ServerSettings(paused=True, seed=5, apply=(str(EXAMPLES / "api-v1.yaml"),))
APP = create_app(SETTINGS, pace=False)
schema = schemathesis.openapi.from_dict(APP.openapi()).exclude(path="/events")
SEEN: dict[str, int] = {}           # examples per operation, checked by the last test
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture(scope="module")
def client():
    with TestClient(APP, base_url=BASE) as running:
        yield running


def fresh_cluster() -> LiveCluster:
    live = LiveCluster.open(SETTINGS)
    live.run_for(10, actor="test")
    return live


def fingerprint(live: LiveCluster) -> tuple:
    return (live.journal.commands(), live.cluster.snapshot(), live.server_info())


def send(client, case):
    """The case through the module's TestClient (the app keeps its state between calls)."""
    kwargs = case.as_transport_kwargs(base_url=BASE)
    request = {key: kwargs[key] for key in ("method", "url", "params", "headers", "cookies")
               if kwargs.get(key)}
    if kwargs.get("json") is not None:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data if isinstance(data, (bytes, str)) else str(data)
    return client.request(**request)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_server_answers_by_its_schema(client, case):
    old, APP.state.live = APP.state.live, fresh_cluster()
    old.close()
    before = fingerprint(APP.state.live)
    label = f"{case.method} {case.path}"
    SEEN[label] = SEEN.get(label, 0) + 1
    response = send(client, case)
    simulated = response.headers.get("X-Simulated") == "true"
    assert response.status_code < 500 or simulated, (response.status_code, response.text)
    case.validate_response(response, checks=CHECKS)
    if response.status_code >= 400 and not simulated:
        assert fingerprint(APP.state.live) == before, (case.method, case.path, response.text)


def test_the_fuzz_reached_every_operation_a_few_hundred_times_in_all():
    operations = {f"{op.method.upper()} {op.path}" for op in
                  (result.ok() for result in schema.get_all_operations())}
    assert operations <= set(SEEN)                  # (plus unsupported methods, 405 each)
    assert sum(SEEN[label] for label in operations) >= 300, SEEN

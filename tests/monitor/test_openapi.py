"""The monitor's published schema (t32sim/monitor/openapi.py, schemas.py): behind a login,
every status a route can answer with the {error, detail, field} body and its headers, the
security schemes, the versions it watches, 421 where Host is checked. The fuzz test
(test_fuzz.py) holds the answers to it."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from t32sim.monitor.app import create_monitor_app
from t32sim.web import LOOPBACK_HOSTS
from tests.monitor.conftest import VIEWER, add_viewer

READ = ["200", "401", "413", "429", "500", "503"]
ACT = ["200", "400", "401", "403", "413", "415", "422", "429", "500", "503"]
CHAOS = sorted(ACT + ["409", "502"])
STATUSES = {
    ("get", "/api/status"): READ, ("get", "/api/audit/verify"): READ,
    ("get", "/api/whoami"): READ,
    ("get", "/api/health"): sorted(READ + ["422"]), ("get", "/api/audit"): sorted(READ + ["422"]),
    ("post", "/api/chaos/cpu"): CHAOS, ("post", "/api/chaos/corruption"): CHAOS,
    ("post", "/api/chaos/reset"): CHAOS, ("post", "/api/chaos/crash"): CHAOS,
    ("post", "/api/failover"): sorted(ACT + ["409"]), ("post", "/api/reset"): ACT,
}


@pytest.fixture
def schema(config_for):
    config = config_for()
    add_viewer(config)
    with TestClient(create_monitor_app(config)) as client:
        assert client.get("/openapi.json").status_code == 401       # a viewer at least
        assert client.get("/docs").status_code == 404
        return client.get("/openapi.json", headers=VIEWER).json()


def operations(schema):
    return {(method, path): op for path, ops in schema["paths"].items()
            for method, op in ops.items()}


def test_every_route_documents_each_status_it_can_answer(schema):
    found = {key: sorted(op["responses"]) for key, op in operations(schema).items()}
    assert found == STATUSES


def test_every_error_is_the_shared_body_not_fastapis_validation_error(schema):
    for (method, path), op in operations(schema).items():
        for code, response in op["responses"].items():
            if code == "200":
                continue
            body = response["content"]["application/json"]["schema"]
            assert (body["required"], body["title"]) == (["error", "detail", "field"],
                                                         "ErrorBody"), (method, path, code)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_401_says_how_to_log_in_and_429_503_when_to_retry(schema):
    for op in operations(schema).values():
        responses = op["responses"]
        assert list(responses["401"]["headers"]) == ["WWW-Authenticate"]
        assert responses["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
        assert responses["503"]["headers"]["Retry-After"]["required"] is True


def test_every_route_needs_basic_credentials_or_an_api_key(schema):
    assert schema["security"] == [{"basic": []}, {"apiKey": []}]
    schemes = schema["components"]["securitySchemes"]
    assert (schemes["basic"]["type"], schemes["basic"]["scheme"]) == ("http", "basic")
    assert (schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == ("header", "X-API-Key")


def test_targets_are_the_versions_the_monitor_watches(schema):
    models = schema["components"]["schemas"]
    for name in ("TargetBody", "CpuBody", "CrashBody"):
        assert models[name]["properties"]["target"]["anyOf"][0] == {
            "type": "string", "enum": ["v1", "v2", "v3"]}, name
    assert models["FailoverBody"]["properties"]["to"]["anyOf"][0]["enum"] == ["v1", "v2", "v3"]
    assert models["ResetBody"].get("properties", {}) == {}
    assert models["ResetBody"]["additionalProperties"] is False


def test_421_is_documented_only_where_the_host_is_checked(config_for, schema):
    checked = create_monitor_app(config_for(allowed_hosts=LOOPBACK_HOSTS)).openapi()
    for key, op in operations(checked).items():
        assert sorted(op["responses"]) == sorted(STATUSES[key] + ["421"]), key
        assert op["responses"]["421"]["content"]["application/json"]["schema"]["title"] == \
            "ErrorBody"
    assert all("421" not in op["responses"] for op in operations(schema).values())

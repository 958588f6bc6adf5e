"""The demo services v1/v2/v3 (services/demo.py): timing, chaos, the per-run token."""
from __future__ import annotations

import importlib

import pytest
from fastapi.testclient import TestClient

from services.demo import make_app


def client_for(version: str, stable: bool = False, scale: float | None = 1.0, token=None):
    app = make_app(version, stable=stable, delay_scale=scale, token=token)
    delays: list[float] = []

    async def record(seconds: float) -> None:
        delays.append(round(seconds, 6))
    app.state.sleep = record
    return TestClient(app), delays


@pytest.mark.parametrize("version,stable", [("v1", False), ("v2", False), ("v3", True)])
def test_each_app_module_serves_its_version(version, stable):
    module = importlib.import_module(f"services.{version}.app")
    demo = module.app.state.demo
    assert (demo.version, demo.stable) == (version, stable)
    client = TestClient(module.app)
    client.post("/simulate/reset")
    body = client.get("/").json()
    assert body == {"version": version, "message": body["message"], "load": "%0", "cpu_load": 0.0}
    assert body["message"].startswith(f"Hello from {version}")
    assert client.get("/health").json() == {"status": "healthy", "version": version,
                                            "cpu_load": 0.0}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_root_waits_load_over_20_seconds_as_the_original(version):
    client, delays = client_for(version)
    assert client.post("/simulate/cpu/80").json() == {
        "version": version, "cpu_load": 80.0, "is_corrupted": False, "stable": False,
        "message": f"{version} is now at 80 % CPU load."}
    assert client.get("/").json()["load"] == "%80"
    assert delays == [4.0]                           # 80 / 20 s
    client.post("/simulate/reset")
    assert client.get("/").json()["load"] == "%0"
    assert delays == [4.0]                           # no load: no wait at all


def test_health_takes_two_seconds_above_50_percent_longer_than_the_check_timeout():
    client, delays = client_for("v1")
    client.post("/simulate/cpu/50")
    assert client.get("/health").status_code == 200 and delays == []
    client.post("/simulate/cpu/60")
    assert client.get("/health").json()["status"] == "healthy"
    assert delays == [2.0]


def test_the_delay_scale_multiplies_every_delay(monkeypatch):
    client, delays = client_for("v1", scale=0.05)
    client.post("/simulate/cpu/90")
    client.get("/")
    client.get("/health")
    assert delays == [0.225, 0.1]
    monkeypatch.setenv("T32SIM_DEMO_DELAY_SCALE", "0.01")
    assert make_app("v1").state.delay_scale == 0.01
    monkeypatch.setenv("T32SIM_DEMO_DELAY_SCALE", "nonsense")
    assert make_app("v1").state.delay_scale == 1.0
    monkeypatch.delenv("T32SIM_DEMO_DELAY_SCALE")
    assert make_app("v1").state.delay_scale == 1.0


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_corruption_breaks_root_and_health_and_reset_restores(version):
    client, _ = client_for(version)
    assert client.post("/simulate/corruption").json()["is_corrupted"] is True
    root = client.get("/")
    assert (root.status_code, root.json()) == (500, {
        "error": "data_corruption", "detail": "DATA_ERR", "field": None, "version": version})
    health = client.get("/health")
    assert (health.status_code, health.json()) == (503, {
        "error": "data_corruption", "detail": "DATA_ERR", "field": None, "status": "unhealthy",
        "version": version})
    assert client.get("/simulate/state").json() == {
        "version": version, "cpu_load": 0.0, "is_corrupted": True, "stable": False}
    client.post("/simulate/reset")
    assert client.get("/").status_code == 200
    assert client.get("/health").json()["status"] == "healthy"


def test_the_state_endpoint_is_never_delayed():
    client, delays = client_for("v2")
    client.post("/simulate/cpu/100")
    assert client.get("/simulate/state").json()["cpu_load"] == 100.0
    assert delays == []


def test_v3_is_stable():
    client, _ = client_for("v3", stable=True)
    refused = client.post("/simulate/corruption")
    assert (refused.status_code, refused.json()) == (409, {
        "error": "stable_service", "detail": "v3 is the stable release and cannot be corrupted",
        "field": None})
    assert client.get("/").status_code == 200
    assert client.get("/health").json() == {"status": "healthy", "version": "v3", "cpu_load": 0.0}
    client.post("/simulate/cpu/40")                  # it still slows down, but always answers
    assert client.get("/").status_code == 200 and client.get("/health").status_code == 200


@pytest.mark.parametrize("level,message", [
    ("101", "level: Input should be less than or equal to 100"),
    ("-1", "level: Input should be greater than or equal to 0"),
    ("abc", "level: Input should be a valid number, unable to parse string as a number"),
    ("nan", "level: Input should be a finite number"),
    ("inf", "level: Input should be a finite number"),
])
def test_bad_cpu_levels_are_422_naming_the_field(level, message):
    client, _ = client_for("v1")
    response = client.post(f"/simulate/cpu/{level}")
    assert (response.status_code, response.json()) == (
        422, {"error": "validation_error", "detail": message, "field": "level"})
    assert client.get("/").json()["load"] == "%0"


def test_chaos_needs_post():
    client, _ = client_for("v1")
    assert client.get("/simulate/corruption").status_code == 405
    assert client.get("/health").status_code == 200


# -- the per-run token of a spawned service ------------------------------------------
@pytest.mark.parametrize("path", ["/simulate/cpu/90", "/simulate/corruption", "/simulate/reset"])
@pytest.mark.parametrize("headers", [{}, {"X-Demo-Token": "wrong"}, {"X-Demo-Token": ""}])
def test_with_a_token_chaos_needs_it(path, headers):
    client, _ = client_for("v1", token="run-token-0123456789")
    response = client.post(path, headers=headers)
    assert (response.status_code, response.json()) == (403, {
        "error": "forbidden", "field": "X-Demo-Token",
        "detail": "chaos on v1 needs the X-Demo-Token header of the monitor that started it"})
    assert client.get("/simulate/state").json()["cpu_load"] == 0.0
    assert client.get("/health").status_code == 200          # reading needs no token


def test_with_the_right_token_chaos_works():
    client, _ = client_for("v1", token="run-token-0123456789")
    ok = client.post("/simulate/corruption", headers={"X-Demo-Token": "run-token-0123456789"})
    assert ok.status_code == 200 and client.get("/health").status_code == 503


def test_the_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("T32SIM_DEMO_TOKEN", "from-the-env-0123456789")
    app = make_app("v2")
    assert TestClient(app).post("/simulate/reset").status_code == 403
    monkeypatch.delenv("T32SIM_DEMO_TOKEN")
    assert TestClient(make_app("v2")).post("/simulate/reset").status_code == 200

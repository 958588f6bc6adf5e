"""The demo services v1/v2/v3 (services/demo.py and services/vN/app.py)."""
from __future__ import annotations

import importlib

import pytest
from fastapi.testclient import TestClient

from services.demo import make_app


def client_for(version: str, stable: bool = False, scale: float | None = 0.3):
    app = make_app(version, stable=stable, delay_scale=scale)
    delays: list[float] = []

    async def record(seconds: float) -> None:
        delays.append(round(seconds, 6))
    app.state.sleep = record
    return TestClient(app), delays


@pytest.mark.parametrize("version,stable", [("v1", False), ("v2", False), ("v3", True)])
def test_each_app_module_serves_its_version(version, stable):
    module = importlib.import_module(f"services.{version}.app")
    assert (module.app.state.version, module.app.state.stable) == (version, stable)
    client = TestClient(module.app)
    body = client.get("/").json()
    assert body["version"] == version and body["message"].startswith(f"Hello from {version}")
    assert client.get("/health").json() == {"status": "UP", "version": version, "load": 0.0}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_cpu_simulation_and_reset(version):
    client, delays = client_for(version)
    assert client.post("/simulate/cpu/80").json() == {
        "version": version, "load": 80.0, "corrupted": False, "stable": False}
    assert client.get("/").json()["load"] == 80.0
    assert delays == [0.24]                          # 80 % of 0.3 s
    client.post("/simulate/reset")
    assert client.get("/").json()["load"] == 0.0
    assert delays == [0.24]                          # no load: no wait at all


def test_health_slows_only_above_50_percent():
    client, delays = client_for("v1")
    client.post("/simulate/cpu/50")
    assert client.get("/health").status_code == 200 and delays == []
    client.post("/simulate/cpu/60")
    assert client.get("/health").json()["status"] == "UP"
    assert delays == [0.18]


def test_delay_scale_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("T32SIM_DEMO_DELAY_SCALE", "0.01")
    assert make_app("v1").state.delay_scale == 0.01
    monkeypatch.setenv("T32SIM_DEMO_DELAY_SCALE", "nonsense")
    assert make_app("v1").state.delay_scale == 0.3


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_corruption_breaks_root_and_health_and_reset_restores(version):
    client, _ = client_for(version)
    assert client.post("/simulate/corruption").json()["corrupted"] is True
    root = client.get("/")
    assert (root.status_code, root.json()) == (500, {"error": "data_corruption", "detail": "DATA_ERR",
                                                     "version": version})
    health = client.get("/health")
    assert (health.status_code, health.json()) == (503, {"status": "DOWN", "version": version,
                                                         "detail": "DATA_ERR"})
    client.post("/simulate/reset")
    assert client.get("/").status_code == 200
    assert client.get("/health").json()["status"] == "UP"


def test_v3_is_stable():
    client, _ = client_for("v3", stable=True)
    refused = client.post("/simulate/corruption")
    assert (refused.status_code, refused.json()) == (409, {
        "error": "stable_service", "detail": "v3 is the stable release and cannot be corrupted",
        "field": None})
    assert client.get("/").status_code == 200
    assert client.get("/health").json() == {"status": "UP", "version": "v3", "load": 0.0}
    client.post("/simulate/cpu/90")                  # it still slows down, but always answers
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
    assert client.get("/").json()["load"] == 0.0


def test_chaos_needs_post():
    client, _ = client_for("v1")
    assert client.get("/simulate/corruption").status_code == 405
    assert client.get("/health").status_code == 200

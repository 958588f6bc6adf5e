"""The original project's service tests, written anew: the module-level apps and ``APP_STATE``.

The original ``tests/test_services.py`` imported exactly these names and drove the apps with
FastAPI's TestClient; these cases hold ``services/`` to the same contract.
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.v1.app import app as v1_app, APP_STATE as v1_state
from services.v2.app import app as v2_app, APP_STATE as v2_state
from services.v3.app import app as v3_app

BREAKABLE = [(v1_app, v1_state, "v1"), (v2_app, v2_state, "v2")]


@pytest.mark.parametrize("app,state,version", BREAKABLE, ids=["v1", "v2"])
def test_a_cpu_level_shows_in_the_state_and_in_the_load_text(app, state, version):
    client = TestClient(app)
    assert client.post("/simulate/reset").status_code == 200
    assert (state["cpu_load"], state["is_corrupted"]) == (0, False)
    assert state["is_corrupted"] is False

    assert client.post("/simulate/cpu/10").status_code == 200
    assert state["cpu_load"] == 10
    root = client.get("/")                       # waits 10 / 20 = 0.5 s, as the original did
    assert root.status_code == 200
    body = root.json()
    assert body["version"] == version and "%10" in body["load"]
    assert body["load"] == "%10"

    assert client.post("/simulate/reset").status_code == 200
    assert state["cpu_load"] == 0 and state["is_corrupted"] is False


@pytest.mark.parametrize("app,state,version", BREAKABLE, ids=["v1", "v2"])
def test_corruption_breaks_root_and_health_until_a_reset(app, state, version):
    client = TestClient(app)
    client.post("/simulate/reset")
    assert client.post("/simulate/corruption").status_code == 200
    assert state["is_corrupted"] is True

    root = client.get("/")
    assert root.status_code == 500 and root.json()["detail"] == "DATA_ERR"
    assert client.get("/health").status_code == 503

    client.post("/simulate/reset")
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert state["is_corrupted"] is False


def test_v3_answers_root_and_health():
    client = TestClient(v3_app)
    root = client.get("/")
    assert root.status_code == 200 and root.json()["version"] == "v3"
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert health.json()["version"] == "v3"


def test_the_module_view_is_the_apps_own_state_not_a_shared_global():
    from services.demo import make_app
    assert dict(v1_state) == {"version": "v1", "cpu_load": v1_state["cpu_load"],
                              "is_corrupted": v1_state["is_corrupted"], "stable": False}
    other = make_app("v1", delay_scale=0)
    TestClient(other).post("/simulate/cpu/70")
    assert other.state.demo.cpu_load == 70 and v1_state["cpu_load"] != 70
    v1_state["cpu_load"] = 30                     # the original could write APP_STATE too
    assert v1_app.state.demo.cpu_load == 30.0 and other.state.demo.cpu_load == 70
    v1_state["cpu_load"] = 0
    with pytest.raises(KeyError):
        v1_state["version"] = "v9"

"""launch(): a server in a background thread, usable from a running event loop (Jupyter)."""
from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

import t32sim as t3
from t32sim.server import launch
from t32sim.server.launcher import PortInUseError

from .helpers import EXAMPLES, wait_for


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_launch_serves_and_stop_frees_the_port_idempotently():
    server = launch(port=0, speed=20, apply=[EXAMPLES / "api-v1.yaml"])
    try:
        assert server.url == f"http://127.0.0.1:{server.port}/"
        assert server.running
        response = httpx.get(server.url + "healthz")
        assert response.status_code == 200 and response.json()["services"] == 1
        wait_for(lambda: httpx.get(server.url + "state").json()["services"]["api"]["status"]
                 ["ready"] == 3, 20, "3 ready pods")
    finally:
        server.stop()
    server.stop()                                     # again: nothing happens
    assert not server.running
    assert port_is_free(server.settings.port)


def test_launch_inside_a_running_event_loop():
    async def notebook_cell():
        assert asyncio.get_running_loop().is_running()   # like a Jupyter kernel
        return launch(port=0)

    server = asyncio.run(notebook_cell())
    try:
        assert httpx.get(server.url + "healthz").json()["ok"] is True
    finally:
        server.stop()


def test_a_taken_port_fails_at_once_and_clearly():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            launch(port=port)


def test_a_bad_spec_fails_before_the_thread_starts(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {}\n")
    with pytest.raises(t3.SpecError, match="spec.image"):
        launch(port=0, apply=[bad])


def test_handle_displays_the_dashboard_in_an_iframe():
    server = launch(port=0)
    try:
        html = server._repr_html_()
        assert html.startswith(f'<iframe src="{server.url}" width="100%" height="720"')
        frame = server.dashboard(height=500)
        assert frame.src == server.url and frame.height == 500
    finally:
        server.stop()
    assert server._repr_html_() == "<p>t32sim server (stopped)</p>"


def test_context_manager_stops():
    with launch(port=0) as server:
        port = server.port
        assert httpx.get(server.url + "healthz").status_code == 200
    assert port_is_free(port)

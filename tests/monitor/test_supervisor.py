"""Real uvicorn subprocesses (t32sim/monitor/supervisor.py): start, crash, restart, stop."""
from __future__ import annotations

import asyncio
import os
import socket

import httpx
import pytest

from t32sim.monitor.supervisor import ProcState, Supervisor, SupervisorError
from tests.support import free_port, process_gone


async def wait_async(probe, timeout=15.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not probe():
        if loop.time() > deadline:
            raise AssertionError("condition not reached before the deadline")
        await asyncio.sleep(0.02)


def test_start_crash_restart_and_stop(tmp_path):
    ports = {"v1": free_port(), "v3": free_port()}
    events = []
    env = {**os.environ, "T32SIM_ADMIN_PASSWORD": "secret-admin", "T32SIM_AUDIT_KEY": "k" * 20,
           "T32SIM_SMTP_PASSWORD": "smtp-secret", "T32SIM_DEMO_DELAY_SCALE": "0.01",
           "T32SIM_DEMO_TOKEN": "planted-by-someone-else"}
    supervisor = Supervisor(ports, backoff=0.2, log_dir=tmp_path / "logs", env=env,
                            on_event=lambda kind, version, detail: events.append((kind, version)),
                            token="this-run-0123456789")

    async def scenario():
        await supervisor.start()
        try:
            assert await supervisor.wait_ready(15) == []
            async with httpx.AsyncClient(trust_env=False) as client:
                body = (await client.get(f"http://127.0.0.1:{ports['v3']}/")).json()
                assert body["version"] == "v3"
            first = supervisor.snapshot()
            pid = first["v1"]["pid"]
            with open(f"/proc/{pid}/environ", "rb") as handle:
                environ = handle.read().split(b"\0")
            assert b"T32SIM_DEMO_DELAY_SCALE=0.01" in environ
            assert [v for v in environ if v.startswith(b"T32SIM_DEMO_TOKEN=")] == [
                b"T32SIM_DEMO_TOKEN=this-run-0123456789"]
            async with httpx.AsyncClient(trust_env=False) as client:    # chaos needs the token
                url = f"http://127.0.0.1:{ports['v1']}/simulate/reset"
                assert (await client.post(url)).status_code == 403
                assert (await client.post(url, headers={"X-Demo-Token": "this-run-0123456789"})
                        ).status_code == 200
            assert not [v for v in environ if v.startswith((b"T32SIM_ADMIN_PASSWORD", b"T32SIM_AUDIT_KEY",
                                                            b"T32SIM_SMTP_PASSWORD"))]
            assert await supervisor.kill("v1") == pid
            await wait_async(lambda: process_gone(pid))
            await wait_async(lambda: supervisor.snapshot()["v1"]["restarts"] == 1
                             and supervisor.snapshot()["v1"]["pid"] is not None)
            assert await supervisor.wait_ready(15) == []
            second = supervisor.snapshot()["v1"]
            assert (second["state"], second["last_exit"]) == ("running", -9)
            assert second["pid"] != pid
            pids = [c["pid"] for c in supervisor.snapshot().values()]
        finally:
            await supervisor.stop()
        return pids
    pids = asyncio.run(scenario())
    assert all(process_gone(pid) for pid in pids)
    assert {c["state"] for c in supervisor.snapshot().values()} == {ProcState.STOPPED.value}
    assert events == [("started", "v1"), ("started", "v3"), ("killed", "v1"), ("exited", "v1"),
                      ("started", "v1")]


def test_a_stop_during_backoff_does_not_restart(tmp_path):
    supervisor = Supervisor({"v2": free_port()}, backoff=5.0, log_dir=tmp_path)

    async def scenario():
        await supervisor.start()
        try:
            pid = supervisor.snapshot()["v2"]["pid"]
            await supervisor.kill("v2")
            await wait_async(lambda: supervisor.snapshot()["v2"]["state"] == "backoff")
        finally:
            await supervisor.stop()
        return pid
    pid = asyncio.run(scenario())
    assert process_gone(pid)
    assert supervisor.snapshot()["v2"] == {"pid": None, "port": supervisor.children["v2"].port,
                                           "state": "stopped", "restarts": 0, "last_exit": -9,
                                           "exited_ago": None, "restart_in": None}


def test_a_busy_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        supervisor = Supervisor({"v1": free_port(), "v2": busy}, log_dir=tmp_path)
        with pytest.raises(SupervisorError, match=f"port already in use: v2 on 127.0.0.1:{busy}"):
            asyncio.run(supervisor.start())
    assert all(c.proc is None for c in supervisor.children.values())


def test_a_process_kept_down_waits_and_a_release_starts_it_at_once(tmp_path):
    supervisor = Supervisor({"v2": free_port()}, backoff=0.2, log_dir=tmp_path,
                            env={**os.environ, "T32SIM_DEMO_DELAY_SCALE": "0"})

    async def scenario():
        await supervisor.start()
        try:
            pid = supervisor.snapshot()["v2"]["pid"]
            assert supervisor.restart_delay("v2") == 0.2 and supervisor.restart_delay("v2", 60) == 60
            await supervisor.kill("v2", down_for=60)
            await wait_async(lambda: supervisor.snapshot()["v2"]["state"] == "held")
            held = supervisor.snapshot()["v2"]
            assert held["pid"] is None and 59 < held["restart_in"] <= 60
            assert held["exited_ago"] < 1
            assert supervisor.release("v2") is True
            await wait_async(lambda: supervisor.snapshot()["v2"]["state"] == "running")
            again = supervisor.snapshot()["v2"]
            assert again["pid"] not in (None, pid) and again["restarts"] == 1
            assert (again["exited_ago"], again["restart_in"]) == (None, None)
            assert supervisor.release("v2") is False           # running: nothing to release
        finally:
            await supervisor.stop()
    asyncio.run(scenario())

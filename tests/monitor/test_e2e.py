"""End to end: three real uvicorn services, the monitor app, a real SMTP server.

corrupt v1 -> failover to v2 within threshold x interval + 2 s; crash v2 -> the cooldown
holds, then failover to v3; every step audited; the chain verifies; DOWN/UP/failover mails.
"""
from __future__ import annotations

import argparse
import io
import os
import time

from fastapi.testclient import TestClient

from t32sim.monitor.app import create_monitor_app
from t32sim.monitor.cli import cmd_audit_verify
from t32sim.notify import EmailNotifier
from tests.monitor.conftest import ADMIN
from tests.support import process_gone, wait_for

INTERVAL, THRESHOLD, COOLDOWN = 0.2, 5, 3.0


def test_failover_chain_with_real_processes(config_for, tmp_path, smtp, monkeypatch):
    inbox, smtp_port = smtp
    errors = []
    notifier = EmailNotifier(host="127.0.0.1", port=smtp_port, starttls=False,
                             recipients=["ops@t32sim.test"], sender="monitor@t32sim.test",
                             on_error=lambda n, e: errors.append(e))
    config = config_for(spawn=True, interval=INTERVAL, timeout=1.0, threshold=THRESHOLD,
                        window=10.0, cooldown=COOLDOWN, restart_backoff=30.0,
                        service_log_dir=tmp_path / "logs", notifier=notifier,
                        env={**os.environ, "T32SIM_DEMO_DELAY_SCALE": "0.01"})
    app = create_monitor_app(config)
    policy = app.state.monitor.policy
    try:
        with TestClient(app) as client:
            def status():
                return client.get("/api/status", headers=ADMIN).json()

            wait_for(lambda: status()["status"] == "UP", what="v1 UP")
            pids = {v: p["pid"] for v, p in status()["processes"].items()}
            assert all(pids.values()) and status()["active"] == "v1"

            # 1. corrupt v1: failover to v2 within threshold x interval + 2 s
            corrupted = client.post("/api/chaos/corruption", json={}, headers=ADMIN)
            assert (corrupted.status_code, corrupted.json()["target"]) == (200, "v1")
            started = time.monotonic()
            wait_for(lambda: status()["active"] == "v2", timeout=THRESHOLD * INTERVAL + 2,
                     what="failover to v2")
            assert time.monotonic() - started <= THRESHOLD * INTERVAL + 2
            first_switch = policy.last_switch
            wait_for(lambda: status()["status"] == "UP", what="v2 confirmed UP")

            # 2. crash v2 well inside the cooldown: the failures pile up, the cooldown holds
            crashed = client.post("/api/chaos/crash", json={}, headers=ADMIN)
            assert (crashed.status_code, crashed.json()["service"]) == (
                200, {"killed_pid": pids["v2"], "restart_in": 30.0})
            wait_for(lambda: process_gone(pids["v2"]), what="v2 process gone")
            held = wait_for(lambda: (s := status())["last_decision"] == "cooldown" and s,
                            timeout=COOLDOWN + 2, what="cooldown decision")
            assert held["active"] == "v2" and held["failures_in_window"] >= THRESHOLD
            assert held["cooldown_remaining"] > 0

            # 3. after the cooldown: v3
            wait_for(lambda: status()["active"] == "v3",
                     timeout=COOLDOWN + THRESHOLD * INTERVAL + 2, what="failover to v3")
            assert policy.last_switch - first_switch >= COOLDOWN
            wait_for(lambda: status()["status"] == "UP", what="v3 UP")
            final = status()
            assert [(s["from"], s["to"], s["by"]) for s in final["switches"]] == [
                ("v1", "v2", "monitor"), ("v2", "v3", "monitor")]
            assert final["processes"]["v2"]["state"] == "backoff"
            assert final["processes"]["v2"]["last_exit"] == -9

            verify = client.get("/api/audit/verify", headers=ADMIN).json()
            assert verify["ok"] is True
            health = client.get("/api/health?limit=1000", headers=ADMIN).json()["rows"]
            decisions = [r["decision"] for r in reversed(health)]
            assert decisions.count("failover") == 2 and "cooldown" in decisions
    finally:
        notifier.close(timeout=10)

    # every spawned process is gone after the app stopped
    assert all(process_gone(pid) for pid in pids.values())

    rows = app.state.audit.rows(limit=None, newest_first=False)
    steps = [(r.who, r.action, r.target, r.result) for r in rows if not r.action.startswith("process.")]
    assert steps == [
        ("monitor", "monitor.start", "v1", "ok"),
        ("admin", "chaos.corruption", "v1", "ok"),
        ("monitor", "failover", "v1->v2", "ok"),
        ("admin", "chaos.crash", "v2", "ok"),
        ("monitor", "failover", "v2->v3", "ok"),
        ("monitor", "monitor.stop", "v3", "ok"),
    ]
    assert [(r.action, r.target) for r in rows if r.action.startswith("process.")] == [
        ("process.exited", "v2")]
    assert [r.detail for r in rows if r.action == "chaos.crash"] == [
        f"killed pid {pids['v2']} with SIGKILL"]

    # `t32sim audit verify` agrees the chain is intact (the key comes from the environment)
    monkeypatch.setenv("T32SIM_AUDIT_KEY", "a" * 32)
    out = io.StringIO()
    assert cmd_audit_verify(argparse.Namespace(db=config.db, anchor=None), out=out) == 0
    assert out.getvalue() == f"{config.db}: OK, {len(rows)} rows, chain intact\n"

    # the mails, in order, and no delivery errors
    wait_for(lambda: len(inbox.messages) >= 6, what="six mails")
    assert inbox.subjects == ["[t32sim] v1 is DOWN", "[t32sim] failover v1 -> v2", "[t32sim] v2 is UP",
                              "[t32sim] v2 is DOWN", "[t32sim] failover v2 -> v3", "[t32sim] v3 is UP"]
    assert errors == []

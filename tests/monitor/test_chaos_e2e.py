"""The three chaos toggles with real processes, as in the original: CPU load fails over, a
crash is a blip the policy rides out (and says so), a crash kept down fails over."""
from __future__ import annotations

import os
import re

from fastapi.testclient import TestClient

from t32sim.monitor.app import create_monitor_app
from tests.monitor.conftest import ADMIN
from tests.support import wait_for

# half the original's timing: /health takes 1 s above 50 % load, the check waits 0.5 s, so a
# healthy answer delayed by a loaded machine still passes. 8 failures at one check every 0.5 s
# leave 4 s for the supervisor to restart a crashed service (a Python start on a busy CI
# machine), and a service kept down for 10 s fails over for sure. Every wait has a deadline.
SCALE, TIMEOUT, INTERVAL, THRESHOLD, WINDOW, DOWN_FOR = 0.5, 0.5, 0.5, 8, 10.0, 10


def test_cpu_load_then_a_blip_then_an_outage(config_for, tmp_path):
    config = config_for(spawn=True, interval=INTERVAL, timeout=TIMEOUT, threshold=THRESHOLD,
                        window=WINDOW, cooldown=1.0, restart_backoff=0.2,
                        service_log_dir=tmp_path / "logs",
                        env={**os.environ, "T32SIM_DEMO_DELAY_SCALE": str(SCALE)})
    app = create_monitor_app(config)
    with TestClient(app) as client:
        def status():
            return client.get("/api/status", headers=ADMIN).json()

        def act(path, **body):
            response = client.post(path, json=body, headers=ADMIN)
            assert response.status_code == 200, response.text
            return response.json()

        wait_for(lambda: status()["status"] == "UP", timeout=30, what="v1 UP")

        # 1. CPU load above 50 %: /health is slower than the check timeout -> failover
        loaded = act("/api/chaos/cpu", level=80)
        assert loaded["message"] == (
            "v1 is at 80 % load: above 50 % its /health takes 1 s, longer than the 0.5 s "
            "check timeout, so every check fails; 8 failures within 10 s fail over.")
        assert status()["chaos"]["v1"]["cpu_load"] == 80.0      # the slider's value on reload
        wait_for(lambda: status()["active"] == "v2", timeout=THRESHOLD * INTERVAL + 10,
                 what="failover to v2")
        failed = [r for r in client.get("/api/health?limit=50", headers=ADMIN).json()["rows"]
                  if r["target"] == "v1" and not r["ok"]]
        assert {r["error"] for r in failed} == {
            "timeout after 0.5 s: v1 is at 80 % load (above 50 % its /health takes 1 s)"}
        wait_for(lambda: status()["status"] == "UP" and status()["cooldown_remaining"] == 0,
                 what="v2 UP, cooldown over")

        # 2. crash v2: the supervisor restarts it at once, a blip the policy rides out
        blip = act("/api/chaos/crash", target="v2")
        assert blip["message"] == (
            f"Killed v2 (pid {blip['service']['killed_pid']}); the supervisor restarts it in "
            "0.2 s: about 2 failed checks, fewer than 8 failures within 10 s: a blip the policy "
            "rides out.")
        note = wait_for(lambda: [n for n in status()["notes"] if n["kind"] == "ridden_out"],
                        timeout=20, what="the blip told")[0]["text"]
        told = re.fullmatch(r"v2 crashed and was restarted in \d+\.\d s: (\d) failures? < 8 in "
                            r"10 s, no failover", note)
        assert told and 1 <= int(told[1]) < THRESHOLD, note
        assert status()["active"] == "v2"

        # 3. crash v2 and keep it down: fails over to v3
        outage = act("/api/chaos/crash", target="v2", down_for=DOWN_FOR)
        assert outage["message"] == (
            f"Killed v2 (pid {outage['service']['killed_pid']}); it stays down 10 s: about 21 "
            "failed checks, enough for a failover (8 failures within 10 s).")
        held = wait_for(lambda: (s := status())["processes"]["v2"]["state"] == "held" and s,
                        what="v2 held down")
        assert 0 < held["processes"]["v2"]["restart_in"] <= DOWN_FOR
        wait_for(lambda: status()["active"] == "v3", timeout=THRESHOLD * INTERVAL + 10,
                 what="failover to v3")
        reasons = [r["error"] for r in client.get("/api/health?limit=30", headers=ADMIN).json()["rows"]
                   if r["target"] == "v2" and not r["ok"]]
        assert any(re.fullmatch(r"connection refused: v2 crashed \d+\.\d s ago and is kept down; "
                                r"it starts again in \d+\.\d s", r) for r in reasons), reasons

        # reset brings the kept-down process back at once
        act("/api/reset")
        wait_for(lambda: status()["processes"]["v2"]["state"] == "running", what="v2 restarted")
    actions = [(r.action, r.target, r.detail.split(" with ")[0].split(";")[0])
               for r in app.state.audit.rows(limit=None, newest_first=False)
               if r.action.startswith(("chaos", "failover"))]
    assert [a[:2] for a in actions] == [("chaos.cpu", "v1"), ("failover", "v1->v2"),
                                        ("chaos.crash", "v2"), ("chaos.crash", "v2"),
                                        ("failover", "v2->v3")]
    assert app.state.audit.verify().ok

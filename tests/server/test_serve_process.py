"""A real ``t32sim serve`` process: the original README's curl commands, and SIGKILL restarts."""
from __future__ import annotations

import json
import shlex
import signal
import shutil
import subprocess
import sys
from pathlib import Path

from fastapi.responses import JSONResponse

import t32sim as t3

from .helpers import ROOT, wait_for

README_CURLS = {
    "apply": 'curl -X POST http://localhost:8080/apply   -H "Content-Type: application/yaml"   '
             '--data-binary @examples/api-v1.yaml',
    "kill": 'curl -X POST "http://localhost:8080/chaos/kill?service=api&count=2"',
    "load": 'curl -X POST "http://localhost:8080/load?service=api&cpu=80"',
    "scale_up": 'curl -X POST "http://localhost:8080/scale?service=api&delta=1"',
    "scale_down": 'curl -X POST "http://localhost:8080/scale?service=api&delta=-1"',
    "lb": 'curl "http://localhost:8080/lb/select?service=api"',
    "state": "curl http://localhost:8080/state",
    "metrics": "curl http://localhost:8080/metrics",
    "docs": "curl http://localhost:8080/docs",
}


def curl(command: str, base_url: str) -> tuple[int, str]:
    """Run a README curl line against ``base_url`` (with curl if installed, else httpx)."""
    command = command.replace("http://localhost:8080/", base_url)
    args = shlex.split(command)
    if shutil.which("curl"):
        out = subprocess.run([*args[:1], "-s", "-w", "\n%{http_code}", *args[1:]], cwd=ROOT,
                             capture_output=True, text=True, timeout=20, check=True).stdout
        body, _, code = out.rpartition("\n")
        return int(code), body
    import httpx
    method, headers, data, url = "GET", {}, None, None
    it = iter(args[1:])
    for arg in it:
        if arg == "-X":
            method = next(it)
        elif arg == "-H":
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "--data-binary":
            data = (ROOT / next(it).lstrip("@")).read_bytes()
            method = "POST" if method == "GET" else method
        else:
            url = arg
    response = httpx.request(method, url, headers=headers, content=data, timeout=20)
    return response.status_code, response.text


def ready(server, want: int) -> bool:
    service = server.http.get("/state").json()["services"].get("api")
    return bool(service) and service["status"]["ready"] == want


def test_readme_curl_commands_against_a_real_server(serve):
    server = serve("--speed", "25")
    code, body = curl(README_CURLS["apply"], server.url)
    assert code == 200 and '"service":"api"' in body
    wait_for(lambda: ready(server, 3), 20, "3 ready pods")

    code, body = curl(README_CURLS["kill"], server.url)
    assert code == 200
    killed = json.loads(body)["killed"]
    assert len(killed) == 2
    pods = {p["name"]: p for p in server.http.get("/state").json()["pods"]}
    assert all(name not in pods or pods[name]["status"] == "Terminating" for name in killed)
    wait_for(lambda: ready(server, 3), 20, "the replacements to become ready")

    code, body = curl(README_CURLS["scale_up"], server.url)
    assert code == 200 and '"replicas":4' in body
    wait_for(lambda: ready(server, 4), 20, "4 ready pods")
    code, body = curl(README_CURLS["scale_down"], server.url)
    assert code == 200 and '"replicas":3' in body
    wait_for(lambda: ready(server, 3), 20, "back to 3 ready pods")

    code, body = curl(README_CURLS["load"], server.url)
    assert code == 200 and json.loads(body)["cpu"] == 80.0
    wait_for(lambda: server.http.get("/state").json()["services"]["api"]["load"]["cpu"] > 0,
             10, "the offered load to show")

    code, body = curl(README_CURLS["lb"], server.url)
    assert code == 200
    picked = json.loads(body)
    live = {p["name"] for p in server.http.get("/state").json()["pods"] if p["ready"]}
    assert picked["service"] == "api" and picked["pod"] in live and picked["version"] == "v1"

    code, body = curl(README_CURLS["state"], server.url)
    assert code == 200 and '"services":{"api"' in body
    code, body = curl(README_CURLS["metrics"], server.url)
    assert code == 200 and "t32sim_server_speed 25" in body
    code, body = curl(README_CURLS["docs"], server.url)
    assert code == 200 and "/static/swagger/swagger-ui-bundle.js" in body

    verbs = [c["verb"] for c in server.http.get("/journal").json()["commands"]
             if c["verb"] != "run"]
    assert verbs == ["apply", "kill", "scale", "scale", "set_load", "select"]


def render(data) -> bytes:
    return JSONResponse(data).body


def test_sigkill_mid_demo_then_restart_gives_the_replayed_state(serve, tmp_path):
    db = tmp_path / "live.db"
    args = ("--speed", "25", "--db", str(db), "--seed", "3",
            "--apply", "examples/api-v1.yaml")
    first = serve(*args)
    wait_for(lambda: ready(first, 3), 20, "3 ready pods")
    first.http.post("/chaos/kill?service=api&count=2").raise_for_status()
    first.http.post("/scale?service=api&delta=2").raise_for_status()
    wait_for(lambda: first.http.get("/healthz").json()["time"] > 40, 20, "t > 40")
    first.http.post("/apply", content=(ROOT / "examples/api-v2.yaml").read_bytes(),
                    headers={"Content-Type": "application/yaml"}).raise_for_status()
    first.http.post("/pause").raise_for_status()
    before = first.http.get("/state").content
    first.kill()                                    # SIGKILL: no shutdown code runs

    second = serve(*args)                           # same DB; --apply is skipped on resume
    assert "resumed" in second.banner() and "paused" in second.banner()
    after = second.http.get("/state").content
    assert after == before                          # byte-identical
    scenario = second.http.get("/journal").json()
    replayed = t3.replay(scenario["commands"], scenario["seed"])
    assert render(replayed.snapshot()) == after
    assert [c["verb"] for c in scenario["commands"] if c["verb"] != "run"] == [
        "apply", "kill", "scale", "apply"]
    # and it carries on from there
    second.http.post("/resume").raise_for_status()
    wait_for(lambda: second.http.get("/healthz").json()["time"] > replayed.now + 5, 20,
             "time to move on after resume")


def test_sigkill_while_running_keeps_every_acknowledged_command(serve, tmp_path):
    db = tmp_path / "live.db"
    first = serve("--speed", "50", "--db", str(db), "--apply", "examples/api-v1.yaml")
    wait_for(lambda: ready(first, 3), 20, "3 ready pods")
    for _ in range(3):
        first.http.post("/scale?service=api&delta=1").raise_for_status()
    first.http.post("/chaos/kill?service=api&count=1").raise_for_status()
    seen = first.http.get("/healthz").json()["time"]
    first.kill()
    second = serve("--speed", "50", "--db", str(db))
    verbs = [c["verb"] for c in second.http.get("/journal").json()["commands"]
             if c["verb"] != "run"]
    assert verbs == ["apply", "scale", "scale", "scale", "kill"]
    assert second.http.get("/healthz").json()["time"] >= seen - 50 * 0.2
    assert second.http.get("/state").json()["services"]["api"]["spec"]["spec"]["replicas"] == 6


def test_a_taken_port_fails_clearly(serve):
    server = serve()
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    second = subprocess.run([sys.executable, "-m", "t32sim.cli", "serve", "--port", port],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert second.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in second.stderr


def test_bad_apply_file_fails_clearly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {replicas: 2}\n")
    result = subprocess.run([sys.executable, "-m", "t32sim.cli", "serve", "--port", "0",
                             "--apply", str(bad)], cwd=ROOT, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith("t32sim serve: error: spec.image: missing required field")
    assert Path(ROOT / "t32sim.db").exists() is False


def test_ctrl_c_stops_cleanly_and_saves_the_journal(serve, tmp_path):
    db = tmp_path / "live.db"
    server = serve("--speed", "20", "--db", str(db), "--apply", "examples/api-v1.yaml")
    server.http.post("/chaos/kill?service=api").raise_for_status()
    server.kill(signal.SIGINT)
    server._drain.join(10)
    assert server.proc.returncode == 0
    output = server.banner()
    assert "Traceback" not in output
    assert "t32sim live server stopped at simulated t=" in output
    assert f"; the journal is in {db}" in output
    again = serve("--db", str(db))
    verbs = [c["verb"] for c in again.http.get("/journal").json()["commands"]]
    assert [v for v in verbs if v != "run"] == ["apply", "kill"]

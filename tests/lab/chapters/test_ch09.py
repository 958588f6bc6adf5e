"""Chapter 09's worked and wrong answers; the journal it predicts, held against a real live
server; and the dashboard picture its saved output shows."""
from __future__ import annotations

import json
import struct
import time

import httpx

from t32sim.lab.chapters.ch09 import CHAPTER_JOURNAL_VERBS
from t32sim.server import launch
from tests.support import ROOT

EXAMPLE = str(ROOT / "examples" / "api-v1.yaml")
HURRIED = """\
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  image: local://demo@v2
  replica: 4
  readinessProbe:
    httpGet: {path: healthz}
    periodSeconds: 0
"""
FIXED = HURRIED.replace("replica:", "replicas:").replace("path: healthz", "path: /healthz") \
    .replace("periodSeconds: 0", "periodSeconds: 2")
SCENARIO = [
    {"time": 0, "verb": "apply", "args": {"spec": EXAMPLE}},
    {"time": 30, "verb": "kill", "args": {"service": "api", "count": 2}},
    {"time": 40, "verb": "scale", "args": {"service": "api", "replicas": 5}},
    {"time": 40, "verb": "run", "args": {"until": 90}},
]

RIGHT = {
    "09.1": FIXED,
    "09.2": ["apply", "run", "kill", "run"],
    "09.3": SCENARIO,
    "09.q1": "c", "09.q2": "a", "09.q3": "d", "09.q4": "b",
}
WRONG = {
    "09.1": [HURRIED,
             HURRIED.replace("replica:", "replicas:").replace("path: healthz", "path: /healthz"),
             FIXED.replace("replicas: 4", "replicas: 3"),
             FIXED.replace("periodSeconds: 2", "periodSeconds: 5"),
             FIXED.replace("/healthz", "/ready"),
             FIXED.replace("name: shop", "name: api")],
    "09.2": [["apply", "run", "kill", "run", "run"], ["apply", "apply", "run", "kill", "run"],
             ["apply", "advance", "kill", "advance"], ["apply", "run", "kill", "run", "speed"],
             ["apply", "run", "kill"]],
    "09.3": [SCENARIO[:3] + [{"time": 40, "verb": "run", "args": {"until": 60}}],
             [SCENARIO[0], {**SCENARIO[1], "args": {"service": "api", "count": 1}},
              *SCENARIO[2:]],
             [SCENARIO[0], {**SCENARIO[1], "time": 20}, *SCENARIO[2:]],
             [SCENARIO[0], SCENARIO[1], {**SCENARIO[2], "args": {"service": "api",
                                                                  "replicas": 4}},
              SCENARIO[3]],
             [SCENARIO[0], SCENARIO[2], SCENARIO[3]],
             [SCENARIO[0], SCENARIO[1], {**SCENARIO[2], "time": 85}, SCENARIO[3]]],
    "09.q1": ["a", "b", "d"], "09.q2": ["b", "c", "d"], "09.q3": ["a", "b", "c"],
    "09.q4": ["a", "c", "d"],
}


def test_the_chapters_requests_journal_the_predicted_verbs():
    server = launch(port=0, seed=7, paused=True)
    try:
        api = httpx.Client(base_url=server.url, timeout=10)
        yaml = {"Content-Type": "application/yaml"}
        assert api.post("/apply", content=open(EXAMPLE).read(), headers=yaml).is_success
        api.post("/advance", params={"seconds": 30})
        api.post("/chaos/kill", params={"service": "api", "count": 1})
        api.post("/advance", params={"seconds": 20})
        assert api.post("/chaos/kill", params={"service": "api", "count": -1}).status_code == 422
        assert api.post("/chaos/kill", params={"service": "web", "count": 1}).status_code == 404
        assert api.post("/apply", content=HURRIED, headers=yaml).status_code == 422
        with api.stream("GET", "/events") as stream:
            next(stream.iter_lines())
        api.post("/speed", params={"value": 20})
        api.post("/resume")
        deadline = time.monotonic() + 30
        while api.get("/healthz").json()["time"] < 80 and time.monotonic() < deadline:
            time.sleep(0.05)
        api.post("/pause")
        verbs = [c["verb"] for c in api.get("/journal").json()["commands"]]
    finally:
        server.stop()
    assert verbs == CHAPTER_JOURNAL_VERBS


def test_the_saved_dashboard_picture_is_a_real_screenshot():
    data = (ROOT / "notebooks" / "images" / "09-dashboard.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 720)
    assert len(data) > 30_000           # a page full of text and colour, not a blank image


def test_the_saved_chapter_shows_the_picture_and_no_iframe():
    for path in ("notebooks/09-live-demo.ipynb", "notebooks/solutions/09-live-demo.ipynb"):
        cells = json.loads((ROOT / path).read_text())["cells"]
        outputs = [json.dumps(o) for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
        assert not [o for o in outputs if "iframe" in o.lower()], path
        live_view = next(c for c in cells if "display_id=True" in "".join(c["source"]))
        assert [sorted(o["data"]) for o in live_view["outputs"]] == [["text/markdown",
                                                                     "text/plain"]]
        assert "server has stopped" in "".join(live_view["outputs"][0]["data"]["text/markdown"])
        shown = [c for c in cells if c["cell_type"] == "markdown"
                 and "images/09-dashboard.png)" in "".join(c["source"])]
        assert len(shown) == 1, path

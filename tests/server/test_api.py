"""The HTTP API, in process: exact status codes, bodies, journal rows and audit rows."""
from __future__ import annotations

import json

import pytest

import t32sim as t3
from t32sim.audit import AuditLog
from t32sim.server.security import MemoryAudit
from .conftest import BASE_URL
from .helpers import EXAMPLES, canonical, spec_yaml

YAML = {"Content-Type": "application/yaml"}


def journal(client) -> list[dict]:
    return client.get("/journal").json()["commands"]


def test_apply_yaml_then_pods_become_ready(make_client):
    client = make_client()
    response = client.post("/apply", content=spec_yaml(), headers=YAML)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "service": "api", "image": "local://demo@v1",
                               "replicas": 3, "time": 0.0,
                               "message": "Applied service api: 3 x local://demo@v1"}
    assert client.post("/advance?seconds=30").json() == {
        "ok": True, "speed": 1.0, "paused": True, "api_key": False, "time": 30.0}
    state = client.get("/state").json()
    assert state["time"] == 30.0
    assert state["services"]["api"]["status"]["ready"] == 3
    assert [p["ready"] for p in state["pods"]] == [True, True, True]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-yaml",
                                          "application/yaml; charset=utf-8"])
def test_apply_accepts_yaml_media_types(make_client, content_type):
    client = make_client()
    response = client.post("/apply", content=spec_yaml(replicas=2),
                           headers={"Content-Type": content_type})
    assert response.status_code == 200 and response.json()["replicas"] == 2


def test_apply_accepts_json(make_client):
    client = make_client()
    doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"image": "local://demo@v2", "replicas": 1}}
    response = client.post("/apply", json=doc)
    assert response.status_code == 200
    assert response.json()["service"] == "web"
    assert response.json()["image"] == "local://demo@v2"


def test_commands_are_journaled_with_actor_time_and_engine_args(make_client):
    client = make_client()
    client.post("/apply", content=spec_yaml(), headers=YAML)
    client.post("/advance?seconds=20")
    killed = client.post("/chaos/kill?service=api&count=2", headers={"X-Actor": "alice"}).json()
    # X-Actor is not a credential: without an API key every caller is "http"
    assert killed["ok"] is True and killed["time"] == 20.0 and len(killed["killed"]) == 2
    assert client.post("/scale?service=api&delta=1").json() == {
        "ok": True, "service": "api", "replicas": 4, "time": 20.0}
    assert client.post("/scale?service=api&replicas=2").json()["replicas"] == 2
    rows = journal(client)
    assert [(r["time"], r["actor"], r["verb"]) for r in rows] == [
        (0.0, "http", "apply"), (0.0, "http", "run"), (20.0, "http", "kill"),
        (20.0, "http", "scale"), (20.0, "http", "scale")]
    assert rows[1]["args"] == {"until": 20.0}
    assert rows[2]["args"] == {"service": "api", "count": 2}
    assert rows[3]["args"] == {"service": "api", "delta": 1}
    assert rows[4]["args"] == {"service": "api", "replicas": 2}
    assert rows[0]["args"]["spec"]["metadata"] == {"name": "api"}


def test_journal_replays_into_the_same_state(make_client):
    client = make_client(seed=11)
    client.post("/apply", content=spec_yaml(), headers=YAML)
    client.post("/advance?seconds=12.5")
    client.post("/chaos/kill?service=api&count=1")
    client.post("/advance?seconds=7")
    client.post("/scale?service=api&delta=2")
    client.post("/advance?seconds=40")
    scenario = client.get("/journal")
    assert scenario.headers["content-disposition"] == 'attachment; filename="t32sim-journal.json"'
    body = scenario.json()
    assert body["format"] == "t32sim-journal/1" and body["seed"] == 11
    replayed = t3.replay(body["commands"], body["seed"])
    assert canonical(client.get("/state").json()) == canonical(replayed.snapshot())


def test_state_is_json_of_the_cluster_snapshot(make_client):
    client = make_client()
    client.post("/apply", content=spec_yaml(replicas=1), headers=YAML)
    state = client.get("/state").json()
    assert set(state) >= {"time", "seed", "services", "pods"}
    assert state["seed"] == 7
    assert state["services"]["api"]["spec"]["spec"]["replicas"] == 1


# ---- bad input: exact 4xx bodies, and nothing changed ----------------------------------
#: a "billion laughs": 10 ** 6 nodes once its aliases are expanded, from a few hundred bytes
ALIAS_BOMB = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
    b"%s: &%s [%s]\n" % (name, name, b", ".join([b"*" + previous] * 10))
    for previous, name in zip([b"a", b"b", b"c", b"d", b"e"], [b"b", b"c", b"d", b"e", b"f"]))
BAD = [
    ("POST", "/chaos/kill?service=api&count=-1", None, None, 422, "invalid_parameter", "count"),
    ("POST", "/chaos/kill?service=api&count=abc", None, None, 422, "invalid_parameter", "count"),
    ("POST", "/chaos/kill?service=api&count=0", None, None, 422, "invalid_parameter", "count"),
    ("POST", "/chaos/kill?count=1", None, None, 422, "invalid_parameter", "service"),
    ("POST", "/chaos/kill?service=Not_A_Name", None, None, 422, "invalid_parameter", "service"),
    ("POST", "/chaos/kill?service=ghost&count=1", None, None, 404, "not_found", "service"),
    ("POST", "/load?service=api&cpu=5000", None, None, 422, "invalid_parameter", "cpu"),
    ("POST", "/load?service=api&cpu=-1", None, None, 422, "invalid_parameter", "cpu"),
    ("POST", "/load?service=api&cpu=nan", None, None, 422, "invalid_parameter", "cpu"),
    ("POST", "/load?service=api", None, None, 422, "invalid_parameter", "cpu"),
    ("POST", "/scale?service=api&delta=abc", None, None, 422, "invalid_parameter", "delta"),
    ("POST", "/scale?service=api&delta=1.5", None, None, 422, "invalid_parameter", "delta"),
    ("POST", "/scale?service=api", None, None, 422, "invalid_parameter", "delta"),
    ("POST", "/scale?service=api&delta=1&replicas=3", None, None, 422, "invalid_parameter",
     "delta"),
    ("POST", "/scale?service=api&delta=-5", None, None, 422, "invalid_command", "delta"),
    ("POST", "/scale?service=ghost&delta=1", None, None, 404, "not_found", "service"),
    ("POST", "/scale?service=api&replicas=100000", None, None, 422, "invalid_parameter",
     "replicas"),
    ("POST", "/speed?value=0", None, None, 422, "invalid_parameter", "value"),
    ("POST", "/speed?value=inf", None, None, 422, "invalid_parameter", "value"),
    ("POST", "/speed", None, None, 422, "invalid_parameter", "value"),
    ("POST", "/advance?seconds=-1", None, None, 422, "invalid_parameter", "seconds"),
    ("POST", "/undo?service=api&to_revision=0", None, None, 422, "invalid_parameter",
     "to_revision"),
    ("GET", "/lb/select", None, None, 422, "invalid_parameter", "service"),
    ("GET", "/lb/select?service=ghost", None, None, 404, "not_found", "service"),
    ("POST", "/apply", b"kind: [unclosed", "application/yaml", 400, "bad_yaml", "body"),
    ("POST", "/apply", b"", "application/yaml", 400, "empty_body", "body"),
    ("POST", "/apply", b"- a\n- b\n", "application/yaml", 422, "invalid_spec", "body"),
    ("POST", "/apply", b"a: &x [1]\nb: *x\n", "application/yaml", 422, "invalid_spec", "a"),
    ("POST", "/apply", ALIAS_BOMB, "application/yaml", 400, "bad_yaml", "body"),
    ("POST", "/apply", b"spec: " + b"[" * 40 + b"]" * 40, "application/yaml", 400, "bad_yaml",
     "body"),
    ("POST", "/apply", b"a: *nowhere\n", "application/yaml", 400, "bad_yaml", "body"),
    ("POST", "/apply", b"a: !!python/object:os.system x\n", "application/yaml", 400, "bad_yaml",
     "body"),
    ("POST", "/apply", b"a: 1\n---\nb: 2\n", "application/yaml", 422, "invalid_spec",
     "documents[0].a"),
    ("POST", "/apply", b"{not json", "application/json", 400, "bad_json", "body"),
    ("POST", "/apply", b"\xff\xfe", "text/plain", 400, "bad_encoding", "body"),
    ("POST", "/apply", b"x", "image/png", 415, "unsupported_media_type", "Content-Type"),
    ("POST", "/apply", spec_yaml().replace("replicas", "replicaz").encode(), "application/yaml",
     422, "invalid_spec", "spec.replicaz"),
    ("POST", "/apply", spec_yaml(replicas=-3).encode(), "application/yaml", 422, "invalid_spec",
     "spec.replicas"),
    ("POST", "/apply", b"examples/api-v1.yaml", "text/plain", 422, "invalid_spec", "body"),
    ("POST", "/apply", str(EXAMPLES / "api-v1.yaml").encode(), "application/yaml", 422,
     "invalid_spec", "body"),
    ("POST", "/apply", b'"examples/api-v1.yaml"', "application/json", 422, "invalid_spec",
     "body"),
    ("POST", "/apply", b"a: " + b"x" * 70_000, "application/yaml", 413, "payload_too_large",
     "body"),
    ("POST", "/apply", b"a: " + b"x" * 300_000, "application/yaml", 413, "payload_too_large",
     "body"),
    ("GET", "/examples/..%2F..%2Fetc%2Fpasswd", None, None, 404, "not_found", None),
    ("GET", "/examples/secret.txt", None, None, 404, "not_found", "name"),
    ("GET", "/no/such/endpoint", None, None, 404, "not_found", None),
    ("DELETE", "/state", None, None, 405, "method_not_allowed", None),
    ("GET", "/apply", None, None, 405, "method_not_allowed", None),
]


@pytest.mark.parametrize("method,url,body,ctype,status,error,field", BAD,
                         ids=[f"{m} {u[:40]} {str(b)[:20]}" for m, u, b, *_ in BAD])
def test_bad_input_is_a_4xx_json_body_and_changes_nothing(make_client, method, url, body, ctype,
                                                          status, error, field):
    client = make_client()
    client.post("/apply", content=spec_yaml(), headers=YAML)
    client.post("/advance?seconds=5")
    before_state, before_journal = client.get("/state").json(), journal(client)
    headers = {"Content-Type": ctype} if ctype else {}
    response = client.request(method, url, content=body, headers=headers)
    assert response.status_code == status, response.text
    data = response.json()
    assert data["error"] == error
    assert data["field"] == field
    assert isinstance(data["detail"], str) and data["detail"]
    assert journal(client) == before_journal
    assert client.get("/state").json() == before_state


def test_validation_detail_names_the_parameter_and_value(make_client):
    client = make_client()
    client.post("/apply", content=spec_yaml(), headers=YAML)
    data = client.post("/load?service=api&cpu=5000").json()
    assert data["detail"] == ("The query parameter 'cpu' is invalid: Input should be less than "
                              "or equal to 1000 (got '5000').")
    data = client.post("/scale?service=ghost&delta=1").json()
    assert data == {"error": "not_found", "field": "service",
                    "detail": "service: no service named 'ghost' (known: api)"}


ANCHORED = b"""apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  image: local://demo@v1
  replicas: 2
  readinessProbe: &probe { httpGet: { path: /healthz }, initialDelaySeconds: 1, periodSeconds: 2 }
  livenessProbe: *probe
"""


def test_a_spec_with_small_anchors_is_accepted(make_client):
    client = make_client()
    response = client.post("/apply", content=ANCHORED, headers=YAML)
    assert response.status_code == 200, response.text
    spec = client.get("/state").json()["services"]["api"]["spec"]["spec"]
    assert spec["livenessProbe"] == spec["readinessProbe"]
    assert spec["readinessProbe"]["httpGet"] == {"path": "/healthz"}
    assert journal(client)[0]["args"]["spec"] == client.get("/state").json()[
        "services"]["api"]["spec"]                      # the journal keeps the canonical doc


@pytest.mark.parametrize("body,ctype,detail", [
    (ALIAS_BOMB, "application/yaml",
     "Refused YAML with more than 10000 nodes once aliases are expanded (an alias bomb?), "
     "at line 4, column ..."),                 # where the budget ran out is the library's
    (b"kind: [unclosed", "application/yaml",
     "Invalid YAML at line 2, column 1: did not find expected ',' or ']' (while parsing a "
     "flow sequence started at line 1, column 7)."),
    (b"examples/api-v1.yaml", "text/plain",
     "Expected a Service document (a mapping with apiVersion, kind, metadata, spec), got "
     "'examples/api-v1.yaml'."),
    (b'"examples/api-v1.yaml"', "application/json",
     "The body must be one mapping (a kind: Service document), not str."),
    (b"a: " + b"x" * 70_000, "application/yaml",
     "The body is larger than 65536 bytes; a Service spec is far smaller."),
])
def test_refused_bodies_say_why(make_client, body, ctype, detail):
    client = make_client()
    answer = client.post("/apply", content=body, headers={"Content-Type": ctype}).json()
    if detail.endswith("..."):
        assert answer["detail"].startswith(detail[:-3]), answer["detail"]
    else:
        assert answer["detail"] == detail
    assert journal(client) == [] and client.get("/state").json()["services"] == {}


def test_spec_errors_list_every_problem(make_client):
    client = make_client()
    data = client.post("/apply", content=b"a: 1", headers=YAML).json()
    assert data["error"] == "invalid_spec" and data["field"] == "a"
    assert [e["field"] for e in data["errors"]] == ["a", "apiVersion", "kind", "metadata", "spec"]


# ---- pacing ------------------------------------------------------------------------------
def test_pause_resume_speed_and_advance(make_client):
    client = make_client(paused=False, speed=2.0)
    assert client.get("/healthz").json()["paused"] is False
    assert client.post("/pause").json()["paused"] is True
    time_paused = client.get("/state").json()["time"]
    assert client.post("/speed?value=25").json()["speed"] == 25.0
    assert client.get("/state").json()["time"] == time_paused     # paused: time stands still
    assert client.post("/advance?seconds=10").json()["time"] == time_paused + 10
    resumed = client.post("/resume").json()
    assert resumed["paused"] is False and resumed["speed"] == 25.0
    health = client.get("/healthz").json()
    assert health["ok"] is True and health["seed"] == 7 and health["speed"] == 25.0


# ---- API key, actor, audit -----------------------------------------------------------------
MUTATING = ["/apply", "/chaos/kill?service=api", "/load?service=api&cpu=10",
            "/scale?service=api&delta=1", "/promote?service=api", "/undo?service=api",
            "/speed?value=2", "/pause", "/resume", "/advance?seconds=1"]


@pytest.mark.parametrize("url", MUTATING)
def test_mutating_endpoints_need_the_api_key(make_client, url):
    client = make_client(api_key="correct-horse-battery-staple")
    missing = client.post(url, content=spec_yaml(), headers=YAML)
    assert missing.status_code == 401
    assert missing.json() == {"error": "unauthorized", "field": "X-API-Key",
                              "detail": "This server needs an API key: send it in the "
                                        "X-API-Key header."}
    wrong = client.post(url, content=spec_yaml(), headers={**YAML, "X-API-Key": "nope"})
    assert wrong.status_code == 401 and wrong.json()["field"] == "X-API-Key"
    assert journal(client) == []


def test_right_key_works_and_reads_need_none(make_client):
    client = make_client(api_key="correct-horse-battery-staple")
    ok = client.post("/apply", content=spec_yaml(),
                     headers={**YAML, "X-API-Key": "correct-horse-battery-staple"})
    assert ok.status_code == 200
    for url in ["/state", "/healthz", "/journal", "/metrics", "/", "/docs", "/examples"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/healthz").json()["api_key"] is True


def test_every_mutating_request_is_audited_in_memory(make_client):
    client = make_client(api_key="correct-horse-battery-staple")
    client.post("/pause")
    client.post("/apply", content=spec_yaml(),
                headers={**YAML, "X-API-Key": "correct-horse-battery-staple", "X-Actor": "bob"})
    client.post("/scale?service=api&delta=abc",
                headers={"X-API-Key": "correct-horse-battery-staple"})
    sink = client.app.state.audit
    assert isinstance(sink, MemoryAudit)
    assert [(r.who, r.action, r.target, r.detail, r.result, r.source) for r in sink.rows] == [
        ("-", "http.post", "/pause", "status 401", "denied", "testclient"),
        ("api-key", "http.post", "/apply", "status 200", "ok", "testclient"),
        ("api-key", "http.post", "/scale?service=api&delta=abc", "status 422", "error",
         "testclient"),
    ]


def test_audit_goes_to_the_shared_audit_log_with_a_db(make_client, tmp_path):
    db = tmp_path / "live.db"
    client = make_client(db=db)
    client.post("/apply", content=spec_yaml(), headers={**YAML, "X-Actor": "carol"})
    client.post("/chaos/kill?service=ghost")
    rows = AuditLog(db).rows(newest_first=False)
    assert [(r.who, r.action, r.target, r.result, r.source) for r in rows] == [
        ("http", "http.post", "/apply", "ok", "testclient"),
        ("http", "http.post", "/chaos/kill?service=ghost", "error", "testclient")]
    assert AuditLog(db).verify().ok


# ---- reads -------------------------------------------------------------------------------
def test_metrics_are_prometheus_text(make_client):
    client = make_client()
    client.post("/apply", content=spec_yaml(), headers=YAML)
    client.post("/advance?seconds=30")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert "t32sim_server_paused 1.0\n" in text
    assert "# TYPE t32sim_server_sse_updates_total counter\n" in text
    # the server's figures are a collector in the cluster's own registry, read on scrape
    registry = client.app.state.live.cluster.registry
    assert registry.get_sample_value("t32sim_server_paused") == 1.0
    client.post("/speed?value=5")
    assert registry.get_sample_value("t32sim_server_speed") == 5.0
    assert "t32sim_simulated_time_seconds 30.0\n" in text
    assert 'service="api"' in text


def test_docs_use_only_packaged_assets(make_client):
    client = make_client()
    page = client.get("/docs").text
    assert '<script src="/static/swagger/swagger-ui-bundle.js">' in page
    assert 'href="/static/swagger/swagger-ui.css"' in page
    assert "cdn" not in page.lower() and "https://" not in page
    js = client.get("/static/swagger/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert client.get("/static/swagger/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "t32sim live server"


def test_dashboard_has_no_external_assets(make_client):
    client = make_client()
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for asset in ["/static/dashboard.js", "/static/dashboard.css", "/static/favicon.svg"]:
        assert client.get(asset).status_code == 200, asset
    for text in [page.text, client.get("/static/dashboard.js").text,
                 client.get("/static/dashboard.css").text]:
        assert "http://" not in text and "https://" not in text


def test_examples_are_served(make_client):
    client = make_client()
    assert client.get("/examples").json() == {
        "examples": ["api-argo-canary.yaml", "api-autoscale.yaml", "api-canary.yaml",
                     "api-crash.yaml", "api-rolling.yaml", "api-v1.yaml", "api-v2.yaml",
                     "nginx-deployment.yaml", "php-apache.yaml", "rollout-bluegreen.yaml",
                     "rollout-canary.yaml"]}
    text = client.get("/examples/api-v1.yaml").text
    assert "local://demo@v1" in text


def test_no_cors_headers_by_default(make_client):
    client = make_client()
    response = client.get("/state", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options("/apply", headers={"Origin": "http://evil.example",
                                                 "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers


def test_error_body_is_valid_json_for_unknown_route(make_client):
    client = make_client()
    response = client.get("/nope")
    assert json.loads(response.text) == {
        "error": "not_found", "field": None,
        "detail": "There is no endpoint /nope; see /docs for the API."}


# ---- traffic and rollouts ------------------------------------------------------------------
def ready_cluster(make_client, spec=None, seconds=30):
    client = make_client()
    client.post("/apply", content=spec or spec_yaml(), headers=YAML)
    client.post(f"/advance?seconds={seconds}")
    return client


def test_lb_select_round_robins_over_ready_pods_and_is_journaled(make_client):
    client = ready_cluster(make_client)
    ready = sorted(p["name"] for p in client.get("/state").json()["pods"] if p["ready"])
    picks = [client.get("/lb/select?service=api").json() for _ in range(6)]
    assert sorted({p["pod"] for p in picks}) == ready
    assert [p["pod"] for p in picks[:3]] == [p["pod"] for p in picks[3:]]
    assert {(p["service"], p["version"], p["revision"], p["phase"]) for p in picks} == {
        ("api", "v1", 1, "Running")}
    # six identical selects at one instant: one journal row that says six
    assert [(r["time"], r["verb"], r["args"]) for r in journal(client)[-2:]] == [
        (0.0, "run", {"until": 30.0}), (30.0, "select", {"service": "api", "count": 6})]


def test_lb_select_with_no_ready_pod_is_a_simulated_503(make_client):
    client = make_client()
    client.post("/apply", content=spec_yaml(), headers=YAML)       # pods not started yet
    response = client.get("/lb/select?service=api")
    assert response.status_code == 503
    assert response.headers["x-simulated"] == "true"
    assert response.json() == {"error": "no_ready_pods", "field": "service",
                               "detail": "No pod of api is Ready to take traffic."}


def test_proxy_is_answered_by_the_selected_pod(make_client):
    client = ready_cluster(make_client)
    response = client.get("/proxy/hello/world?service=api")
    assert response.status_code == 200
    body = response.json()
    assert response.headers["x-pod"] == body["pod"] and body["pod"].startswith("api-")
    assert response.headers["x-version"] == body["version"] == "v1"
    assert body["path"] == "/hello/world" and body["status"] == 200 and body["latency"] > 0
    assert journal(client)[-1]["verb"] == "request"
    assert journal(client)[-1]["args"] == {"service": "api", "path": "/hello/world", "count": 1}


def test_send_spreads_requests_over_pods(make_client):
    client = ready_cluster(make_client)
    body = client.post("/send?service=api&count=30").json()
    assert body["requests"] == 30 and body["errors"] == 0 and body["unserved"] == 0
    assert body["by_version"] == {"v1": 30}
    assert sorted(body["by_pod"].values()) == [10, 10, 10]


def test_load_sets_the_offered_cpu(make_client):
    client = ready_cluster(make_client)
    assert client.post("/load?service=api&cpu=80").json() == {
        "ok": True, "service": "api", "cpu": 80.0, "time": 30.0,
        "message": "Offered load on api: 240 rps (80 % average CPU on 3 serving pod(s)); api "
                   "has no autoscaler, so only CPU changes, not the replica count"}
    assert client.get("/state").json()["services"]["api"]["load"]["cpu"] == pytest.approx(80.0)
    rps = client.post("/load?service=api&rps=50").json()
    assert rps["rps"] == 50.0


CANARY = """apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  image: local://demo@IMAGE
  replicas: 4
  readinessProbe: { httpGet: { path: /healthz }, initialDelaySeconds: 1, periodSeconds: 2 }
  rollout:
    strategy: Canary
    steps: [ { setWeight: 25 }, { pause: {} }, { setWeight: 100 } ]
"""


def test_promote_a_paused_canary_then_undo(make_client):
    client = ready_cluster(make_client, CANARY.replace("IMAGE", "v1"))
    client.post("/apply", content=CANARY.replace("IMAGE", "v2"), headers=YAML)
    client.post("/advance?seconds=20")
    status = client.get("/state").json()["services"]["api"]["status"]
    assert (status["phase"], status["weight"]) == ("Paused", 25)
    promoted = client.post("/promote?service=api")
    assert promoted.status_code == 200 and promoted.json()["ok"] is True
    client.post("/advance?seconds=60")
    status = client.get("/state").json()["services"]["api"]["status"]
    assert (status["phase"], status["revision"]) == ("Healthy", 2)
    undone = client.post("/undo?service=api")
    assert undone.status_code == 200
    answer = undone.json()
    assert (answer["revision"], answer["new_revision"]) == (1, 3)
    assert answer["message"] == (
        "Rolling api back to revision 1 (local://demo@v1) with the Canary strategy: its "
        "template becomes revision 3, as kubectl rollout undo makes the old template the "
        "newest revision")
    client.post("/advance?seconds=1")
    revisions = client.get("/state").json()["services"]["api"]["revisions"]
    assert [(r["revision"], r["image"]) for r in revisions] == [
        (2, "local://demo@v2"), (3, "local://demo@v1")]
    assert client.get("/state").json()["services"]["api"]["status"]["revision"] == 3
    assert [r["verb"] for r in journal(client) if r["verb"] != "run"] == [
        "apply", "apply", "promote", "undo"]
    again = client.post("/promote?service=ghost")
    assert again.status_code == 404 and again.json()["field"] == "service"


# ---- journal coalescing of traffic commands --------------------------------------------------
def db_rows(db) -> list[tuple]:
    import sqlite3
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT pos, time, actor, verb, args FROM commands "
                            "ORDER BY pos").fetchall()


def test_many_selects_and_proxies_are_few_rows_and_replay_and_restart_are_identical(tmp_path):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from t32sim.server import ServerSettings, create_app

    db = tmp_path / "live.db"
    settings = ServerSettings(db=db, seed=3, paused=True)
    with TestClient(create_app(settings, pace=False), base_url=BASE_URL) as client:
        client.post("/apply", content=spec_yaml(image="local://demo@flaky"), headers=YAML)
        client.post("/advance?seconds=30")
        picks = [client.get("/lb/select?service=api").json()["pod"] for _ in range(200)]
        answers = [client.get("/proxy/orders?service=api") for _ in range(100)]
        client.get("/proxy/other?service=api")
        for _ in range(3):
            client.get("/lb/select?service=api", headers={"X-Actor": "ann"})
        client.post("/advance?seconds=1")
        client.get("/lb/select?service=api")
        client.get("/lb/select?service=api")
        assert [row for row in db_rows(db) if row[3] != "apply"] == [
            (1, 0.0, "http", "run", '{"until": 30.0}'),
            (2, 30.0, "http", "select", '{"service": "api", "count": 200}'),
            (3, 30.0, "http", "request", '{"service": "api", "path": "/orders", "count": 100}'),
            (4, 30.0, "http", "request", '{"service": "api", "path": "/other", "count": 1}'),
            (5, 30.0, "http", "select", '{"service": "api", "count": 3}'),
            (6, 30.0, "http", "run", '{"until": 31.0}'),
            (7, 31.0, "http", "select", '{"service": "api", "count": 2}')]
        assert client.get("/healthz").json()["journal"] == 8
        state, scenario = client.get("/state").json(), client.get("/journal").json()

    replayed = t3.replay(scenario["commands"], scenario["seed"])
    assert canonical(replayed.snapshot()) == canonical(state)
    assert [c.to_dict() for c in replayed.journal] == scenario["commands"]
    orders = replayed.requests[replayed.requests["path"] == "/orders"]
    assert list(orders["pod"]) == [a.headers["x-pod"] for a in answers]     # the same answers
    assert list(orders["status"]) == [a.status_code for a in answers]
    assert {a.status_code for a in answers} == {200, 500}                    # flaky: both kinds
    assert len(set(picks)) == 3

    with TestClient(create_app(settings.with_(seed=None), pace=False),
                    base_url=BASE_URL) as again:
        assert canonical(again.get("/state").json()) == canonical(state)
        assert again.get("/journal").json() == scenario
        nxt = again.get("/lb/select?service=api").json()["pod"]
    assert nxt == replayed.lb.select("api").name
    assert db_rows(db)[-1] == (7, 31.0, "http", "select", '{"service": "api", "count": 3}')

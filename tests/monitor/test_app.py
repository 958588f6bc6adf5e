"""The monitor app over HTTP (t32sim/monitor/app.py, routes.py, security.py): auth, roles, CSRF,
API."""
from __future__ import annotations

import stat

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from t32sim.auth import default_users_path
from t32sim.monitor.app import create_monitor_app
from tests.monitor.conftest import ADMIN, ADMIN_PASSWORD, VIEWER, add_viewer, basic


@pytest.fixture
def app_client(config_for):
    config = config_for()
    add_viewer(config)
    app = create_monitor_app(config)
    with TestClient(app) as client:
        yield client, app


def audit_rows(app):
    return [(r.who, r.action, r.result, r.detail)
            for r in app.state.audit.rows(limit=None, newest_first=False)
            if not r.action.startswith("monitor.")]


# -- authentication (the original's checks, and more) ---------------------------
def test_dashboard_requires_auth(app_client):
    client, _ = app_client
    response = client.get("/")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="t32sim monitor", charset="UTF-8"'
    assert response.json() == {"error": "unauthorized", "detail": "authentication required",
                               "field": None}
    assert client.get("/api/status").status_code == 401


def test_dashboard_with_auth_renders_without_external_assets(app_client):
    client, _ = app_client
    response = client.get("/", headers=ADMIN)
    assert response.status_code == 200
    page = response.text
    assert "signed in as <strong>admin</strong>" in page
    assert '<script src="/static/monitor.js" defer></script>' in page
    assert "http://" not in page and "https://" not in page          # nothing from a CDN
    assert 'data-action="chaos/crash" class="danger" >' in page     # admin: buttons enabled
    for asset in ("monitor.js", "monitor.css"):
        assert client.get(f"/static/{asset}").status_code == 200
    js = client.get("/static/monitor.js").text
    assert "innerHTML" not in js and "http" not in js.replace("http://www.w3.org/2000/svg", "")


def test_viewer_sees_the_dashboard_with_disabled_buttons(app_client):
    client, _ = app_client
    page = client.get("/", headers=VIEWER).text
    assert 'data-action="chaos/crash" class="danger" disabled>' in page
    assert client.get("/api/whoami", headers=VIEWER).json() == {"name": "viewer", "role": "viewer",
                                                                "via": "basic"}


def test_security_headers(app_client):
    client, _ = app_client
    headers = client.get("/", headers=ADMIN).headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]


# -- roles ---------------------------------------------------------------------------
@pytest.mark.parametrize("path,body", [
    ("/api/chaos/cpu", {"level": 90}), ("/api/chaos/corruption", {}), ("/api/chaos/reset", {}),
    ("/api/chaos/crash", {}), ("/api/failover", {}), ("/api/reset", {}),
])
def test_a_viewer_cannot_act_and_the_attempt_is_audited(app_client, path, body):
    client, app = app_client
    response = client.post(path, json=body, headers=VIEWER)
    action = {"/api/failover": "failover.manual", "/api/reset": "reset"}.get(
        path, "chaos." + path.rsplit("/", 1)[1])
    assert (response.status_code, response.json()) == (403, {
        "error": "forbidden", "detail": f"{action} needs the admin role", "field": None})
    assert audit_rows(app) == [("viewer", action, "forbidden",
                                f"role viewer may not {action}; needs admin")]
    assert app.state.monitor.policy.active == "v1"


def test_a_viewer_can_read_everything(app_client):
    client, _ = app_client
    for path in ("/api/status", "/api/health", "/api/audit", "/api/audit/verify", "/api/whoami"):
        assert client.get(path, headers=VIEWER).status_code == 200, path


# -- cross-site requests -------------------------------------------------------------
@pytest.mark.parametrize("headers,field,detail", [
    ({"Origin": "http://evil.example"}, "Origin",
     "Origin 'http://evil.example' is not this server: requests from other sites may not change it."),
    ({"Origin": "null"}, "Origin",
     "Origin 'null' is not this server: requests from other sites may not change it."),
    ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site",
     "Sec-Fetch-Site is 'cross-site': only pages of this server may change it."),
    ({"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"}, "Sec-Fetch-Site",
     "Sec-Fetch-Site is 'same-site': only pages of this server may change it."),
])
def test_a_cross_site_post_is_refused_before_anything_happens(app_client, headers, field, detail):
    client, app = app_client
    response = client.post("/api/failover", json={}, headers={**ADMIN, **headers})
    assert (response.status_code, response.json()) == (403, {
        "error": "cross_site_refused", "detail": detail, "field": field})
    assert app.state.monitor.policy.active == "v1"                 # nothing switched
    assert audit_rows(app) == [("-", "http.post", "refused", detail)]


def test_a_same_origin_post_from_the_dashboard_passes(app_client):
    client, app = app_client
    headers = {**ADMIN, "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    response = client.post("/api/failover", json={"to": "v3"}, headers=headers)
    assert (response.status_code, response.json()) == (200, {
        "ok": True, "action": "failover.manual", "from": "v1", "active": "v3"})
    assert audit_rows(app) == [("admin", "failover.manual", "ok", "An operator switched from v1 to v3.")]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain",
                                          "multipart/form-data; boundary=x", None])
def test_a_post_that_a_form_could_send_is_refused(app_client, content_type):
    client, app = app_client
    headers = dict(ADMIN)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/api/failover", content=b"to=v3", headers=headers)
    assert response.status_code == 415
    assert response.json()["field"] == "Content-Type"
    assert app.state.monitor.policy.active == "v1"


def test_no_get_has_a_side_effect(app_client):
    client, app = app_client
    for path in ("/api/chaos/cpu", "/api/chaos/corruption", "/api/chaos/crash",
                 "/api/chaos/reset", "/api/failover", "/api/reset"):
        response = client.get(path, headers=ADMIN)
        assert (response.status_code, response.json()["error"]) == (405, "method_not_allowed"), path
    assert audit_rows(app) == [] and app.state.monitor.policy.active == "v1"
    get_routes = [r.path for r in app.routes if "GET" in getattr(r, "methods", set())]
    assert sorted(get_routes) == ["/", "/api/audit", "/api/audit/verify", "/api/health",
                                  "/api/status", "/api/whoami", "/openapi.json"]


# -- lockout ---------------------------------------------------------------------------
def test_lockout_after_five_failures_is_per_user_and_audited(app_client):
    client, app = app_client
    for _ in range(5):
        assert client.get("/api/status", headers=basic("admin", "guess")).status_code == 401
    locked = client.get("/api/status", headers=ADMIN)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "60"
    assert locked.json()["error"] == "locked"
    assert client.get("/api/status", headers=VIEWER).status_code == 200   # others unaffected
    assert [(who, action, result) for who, action, result, _ in audit_rows(app)] == (
        [("admin", "auth.login", "denied")] * 5
        + [("admin", "auth.lockout", "locked"), ("admin", "auth.login", "locked")])
    assert app.state.audit.verify().ok


# -- API keys, input errors, audit views ---------------------------------------------
def test_an_api_key_can_act_as_admin(config_for):
    app = create_monitor_app(config_for(api_key="k" * 32))
    with TestClient(app) as client:
        ok = client.post("/api/failover", json={}, headers={"X-API-Key": "k" * 32})
        assert (ok.status_code, ok.json()["active"]) == (200, "v2")
        assert client.post("/api/failover", json={}, headers={"X-API-Key": "nope"}).status_code == 401
    assert [(r.who, r.action, r.result) for r in app.state.audit.rows(newest_first=False)
            if not r.action.startswith("monitor.")] == [
        ("api-key", "failover.manual", "ok"), ("-", "auth.api_key", "denied")]


@pytest.mark.parametrize("path,body,field,detail", [
    ("/api/chaos/cpu", {"level": 150}, "level",
     "The body field 'level' is invalid: Input should be less than or equal to 100 (got 150)."),
    ("/api/chaos/cpu", {}, "level", "The body field 'level' is required."),
    ("/api/chaos/cpu", {"level": "lots"}, "level",
     "The body field 'level' is invalid: Input should be a valid number, unable to parse string "
     "as a number (got 'lots')."),
    ("/api/chaos/reset", {"target": "v9"}, "target", "target: expected one of v1, v2, v3, got 'v9'"),
    ("/api/chaos/reset", {"tagret": "v1"}, "tagret",
     "The body field 'tagret' is invalid: Extra inputs are not permitted (got 'v1')."),
    ("/api/failover", {"to": "v7"}, "to", "to: expected one of v1, v2, v3, got 'v7'"),
    ("/api/chaos/crash", {"down_for": -1}, "down_for",
     "The body field 'down_for' is invalid: Input should be greater than or equal to 0 (got -1)."),
])
def test_bad_input_is_422_naming_the_field(app_client, path, body, field, detail):
    client, app = app_client
    response = client.post(path, json=body, headers=ADMIN)
    answer = response.json()
    assert (response.status_code, answer["error"], answer["detail"], answer["field"]) == (
        422, "invalid_parameter", detail, field)
    assert answer.get("errors", [{"field": field}])[0]["field"] == field
    assert app.state.monitor.policy.active == "v1"


@pytest.mark.parametrize("body,status,error,detail", [
    (b"\xff", 400, "bad_request", "There was an error parsing the body"),
    (b"{not json", 422, "invalid_parameter", "The body is not valid JSON: JSON decode error."),
    (b'{"level": ', 422, "invalid_parameter", "The body is not valid JSON: JSON decode error."),
])
def test_an_unreadable_json_body_names_the_body(app_client, body, status, error, detail):
    client, app = app_client
    headers = {**ADMIN, "Content-Type": "application/json"}
    response = client.post("/api/chaos/cpu", content=body, headers=headers)
    answer = response.json()
    assert (response.status_code, answer["error"], answer["detail"], answer["field"]) == (
        status, error, detail, "body")
    assert audit_rows(app) == []


@pytest.mark.parametrize("headers", [{}, ADMIN], ids=["anonymous", "admin"])
def test_a_body_over_64_kib_is_refused_before_it_is_read(app_client, headers):
    client, app = app_client
    padding = "x" * (64 * 1024)
    response = client.post("/api/chaos/cpu", content=f'{{"level": 80, "pad": "{padding}"}}',
                           headers={**headers, "Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (413, {
        "error": "payload_too_large", "detail": "The body is larger than 65536 bytes.",
        "field": "body"})
    assert app.state.monitor.demo["v1"].cpu_load == 0 and audit_rows(app) == []
    small = client.post("/api/chaos/cpu", json={"level": 80, "pad": "x" * 1000}, headers=ADMIN)
    assert small.status_code == 422 and small.json()["field"] == "pad"


def test_unknown_paths_are_json_404(app_client):
    client, _ = app_client
    response = client.get("/api/nothing", headers=ADMIN)
    assert (response.status_code, response.json()) == (404, {
        "error": "not_found", "field": None,
        "detail": "There is no endpoint /api/nothing; see /openapi.json for the API."})


def test_an_unreachable_service_is_a_502_and_audited(app_client):
    client, app = app_client
    response = client.post("/api/chaos/corruption", json={}, headers=ADMIN)
    assert (response.status_code, response.json()["error"]) == (502, "service_unreachable")
    assert audit_rows(app) == [("admin", "chaos.corruption", "error", "v1 did not answer (ConnectError)")]


def test_audit_api_and_verify(app_client):
    client, app = app_client
    client.post("/api/failover", json={}, headers=ADMIN)
    rows = client.get("/api/audit?limit=1", headers=VIEWER).json()["rows"]
    assert [(r["id"], r["who"], r["action"], r["target"]) for r in rows] == [
        (2, "admin", "failover.manual", "v1->v2")]
    assert client.get("/api/audit/verify", headers=VIEWER).json() == {
        "ok": True, "rows": 2, "first_bad_id": None, "reason": "2 rows, chain intact"}
    assert client.get("/api/audit?limit=0", headers=VIEWER).status_code == 422


# -- first start without a password ---------------------------------------------------
def test_first_start_generates_an_admin_password_shown_once(config_for, tmp_path):
    said = []
    config = config_for(admin_password=None, announce=said.append)
    app = create_monitor_app(config)
    assert len(said) == 1
    password = said[0].split("'admin': ")[1].split()[0]
    users_file = default_users_path(config.db)
    assert password not in users_file.read_text()
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    with TestClient(app) as client:
        assert client.get("/api/whoami", headers=basic("admin", password)).json()["role"] == "admin"
    create_monitor_app(config_for(admin_password=None, announce=said.append))
    assert len(said) == 1                                  # the second start says nothing
    assert ADMIN_PASSWORD != password


# -- mounting in another app (the live server) -------------------------------------------
def test_the_monitor_mounts_under_a_prefix(config_for):
    monitor = create_monitor_app(config_for())
    outer = FastAPI()
    outer.mount("/monitor", monitor)
    with TestClient(outer) as client:
        assert monitor.state.monitor.client is None          # Starlette skips mounted lifespans
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        async with monitor.router.lifespan_context(monitor):
            yield
    outer = FastAPI(lifespan=lifespan)
    outer.mount("/monitor", monitor)
    with TestClient(outer) as client:
        page = client.get("/monitor/", headers=ADMIN).text
        assert '<script src="/monitor/static/monitor.js" defer></script>' in page
        assert 'data-root="/monitor"' in page
        assert client.get("/monitor/static/monitor.js").status_code == 200
        assert client.get("/monitor/api/status", headers=ADMIN).json()["running"] is True
        moved = client.post("/monitor/api/failover", json={}, headers={
            **ADMIN, "Origin": "http://testserver"})
        assert moved.json()["active"] == "v2"
    assert monitor.state.monitor.client is None               # closed by the lifespan


# -- many admins at once, through a real server ------------------------------------------
def test_200_concurrent_actions_over_http_are_all_audited(config_for):
    import httpx

    from tests.monitor.conftest import serve
    from tests.support import run_together

    app = create_monitor_app(config_for())
    statuses = []
    with serve(app) as url:
        def admin_clicks(n):
            with httpx.Client(base_url=url, headers=ADMIN, trust_env=False, timeout=30) as http:
                for i in range(10):
                    to = ("v1", "v2", "v3")[(n + i) % 3]
                    statuses.append(http.post("/api/failover", json={"to": to}).status_code)

        errors = run_together(admin_clicks, 20, timeout=60)
    assert errors == [] and statuses == [200] * 200
    rows = app.state.audit.rows(limit=None, newest_first=False)
    assert len([r for r in rows if r.action == "failover.manual"]) == 200
    assert [r.id for r in rows] == list(range(1, len(rows) + 1))
    assert len(app.state.monitor.switches) == 100           # the newest 100 are kept in memory
    report = app.state.audit.verify()
    assert report.ok and report.rows == 202                  # + monitor.start and monitor.stop


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(config_for):
    app = create_monitor_app(config_for())

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    app.state.monitor.audit.rows = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/audit", headers=ADMIN)
    assert (response.status_code, response.json()) == (500, {
        "error": "internal_error",
        "detail": "The server failed (RuntimeError); its log has the details.", "field": None})
    assert "disk on fire" not in response.text


def test_on_loopback_a_dns_rebinding_host_is_refused(config_for):
    from t32sim.web import LOOPBACK_HOSTS
    app = create_monitor_app(config_for(allowed_hosts=LOOPBACK_HOSTS))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/api/whoami", headers=ADMIN).status_code == 200
        rebound = client.get("/api/whoami", headers={**ADMIN, "Host": "evil.example:8000"})
    assert (rebound.status_code, rebound.json()["error"], rebound.json()["field"]) == (
        421, "unknown_host", "Host")

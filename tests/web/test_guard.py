"""t32sim.web.guard.SiteGuard: unknown hosts, cross-site changes and non-JSON bodies are
refused with the standard body; every answer carries the security headers."""
from __future__ import annotations

import warnings

import pytest
from fastapi import FastAPI

from t32sim.web import LOOPBACK_FRAME_ANCESTORS, SiteGuard, host_name, install_error_handlers

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = "http://127.0.0.1:8080"


def make(refused=None, **options) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    calls = []

    @app.get("/read")
    async def read():
        return {"ok": True}

    @app.post("/act")
    async def act():
        calls.append("act")
        return {"ok": True}

    @app.get("/pick")
    async def pick():
        calls.append("pick")
        return {"ok": True}

    async def on_refused(scope, field, why):
        if refused is not None:
            refused.append((scope["path"], field))

    app.add_middleware(SiteGuard, on_refused=on_refused, **options)
    client = TestClient(app, base_url=BASE)
    client.calls = calls
    return client


@pytest.mark.parametrize("headers, field", [
    ({"Origin": "http://evil.example"}, "Origin"),
    ({"Origin": "null"}, "Origin"),
    ({"Origin": "http://127.0.0.1:8888"}, "Origin"),          # another port is another origin
    ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site"),
    ({"Sec-Fetch-Site": "same-site"}, "Sec-Fetch-Site"),
])
def test_cross_site_changes_are_refused_and_reported(headers, field):
    refused = []
    client = make(refused)
    response = client.post("/act", content="x", headers={"Content-Type": "text/plain", **headers})
    assert response.status_code == 403
    assert response.json()["error"] == "cross_site_refused"
    assert response.json()["field"] == field
    assert client.calls == [] and refused == [("/act", field)]


@pytest.mark.parametrize("headers", [{}, {"Origin": BASE}, {"Sec-Fetch-Site": "same-origin"},
                                     {"Sec-Fetch-Site": "none"}])
def test_same_origin_and_scripts_pass(headers):
    client = make()
    assert client.post("/act", headers=headers).status_code == 200
    assert client.calls == ["act"]


def test_trusted_origins_pass():
    client = make(trusted_origins=["http://jupyter.local:8888/"])
    assert client.post("/act", headers={"Origin": "http://jupyter.local:8888"}).status_code == 200


def test_reads_are_not_checked_for_origin_but_a_named_unsafe_get_is():
    client = make(is_unsafe=lambda scope: scope["method"] == "POST" or scope["path"] == "/pick")
    assert client.get("/read", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200
    response = client.get("/pick", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403 and client.calls == []


def test_unknown_host_is_refused_even_for_reads():
    refused = []
    client = make(refused, allowed_hosts=["127.0.0.1", "localhost"])
    assert client.get("/read").status_code == 200
    assert client.get("/read", headers={"Host": "localhost:8080"}).status_code == 200
    response = client.get("/read", headers={"Host": "evil.example:8080"})
    assert response.status_code == 421
    assert response.json() == {
        "error": "unknown_host", "field": "Host",
        "detail": "This server does not answer for the host 'evil.example:8080' (a "
                  "DNS-rebinding page?); use its address, like http://127.0.0.1:PORT/."}
    assert refused == [("/read", "Host")]


def test_ip_literals_pass_when_allowed():
    client = make(allowed_hosts=["localhost"], allow_ip_literals=True)
    assert client.get("/read", headers={"Host": "192.168.1.20:8080"}).status_code == 200
    assert client.get("/read", headers={"Host": "[fe80::1]:8080"}).status_code == 200
    assert client.get("/read", headers={"Host": "rebind.example"}).status_code == 421


def test_no_allow_list_means_no_host_check():
    assert make().get("/read", headers={"Host": "anything"}).status_code == 200


def test_json_only_refuses_a_form_body():
    client = make(require_json=True)
    response = client.post("/act", content="a=1",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and response.json()["field"] == "Content-Type"
    assert client.post("/act", json={}).status_code == 200


def test_headers_forbid_framing_by_default():
    response = make().get("/read")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_loopback_frame_ancestors_allow_a_local_notebook():
    response = make(frame_ancestors=LOOPBACK_FRAME_ANCESTORS).get("/read")
    assert "x-frame-options" not in response.headers
    assert response.headers["content-security-policy"].endswith(
        "frame-ancestors 'self' http://127.0.0.1:* http://localhost:*")


@pytest.mark.parametrize("header, name", [("127.0.0.1:8080", "127.0.0.1"), ("LocalHost", "localhost"),
                                          ("[::1]:80", "::1"), ("::1", "::1"), ("a.b", "a.b")])
def test_host_name(header, name):
    assert host_name(header) == name

"""The live server's edge, attacked: cross-site requests, a rebound Host, a short or missing
API key, a forged X-Actor, world-readable journals, a lost speed, GETs that write."""
from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from t32sim.server import ServerSettings
from t32sim.server.live import LiveCluster
from t32sim.server.security import ANONYMOUS, KEY_NAME

from .helpers import spec_yaml

YAML = {"Content-Type": "application/yaml"}
KEY = "correct-horse-battery-staple"
EVIL = [{"Origin": "http://evil.example"}, {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://127.0.0.1:8888"}]
MUTATIONS = [("POST", "/apply", spec_yaml()), ("POST", "/chaos/kill?service=api&count=2", None),
             ("POST", "/speed?value=5", None), ("GET", "/lb/select?service=api", None),
             ("POST", "/proxy/anything?service=api", None), ("DELETE", "/proxy/x?service=api", None)]


def applied(make_client, **settings):
    client = make_client(**settings)
    headers = {**YAML, **({"X-API-Key": settings["api_key"]} if "api_key" in settings else {})}
    assert client.post("/apply", content=spec_yaml(), headers=headers).status_code == 200
    assert client.post("/advance?seconds=10", headers=headers).status_code == 200
    return client


def fingerprint(client) -> tuple:
    live = client.app.state.live
    return (live.journal_length(), live.cluster.now, live.pacer.speed,
            client.get("/state").text)


@pytest.mark.parametrize("key", [None, KEY], ids=["no key", "with the key"])
@pytest.mark.parametrize("attack", EVIL, ids=lambda h: "=".join(next(iter(h.items()))))
def test_cross_site_mutations_are_refused_and_change_nothing(make_client, key, attack):
    client = applied(make_client, **({"api_key": key} if key else {}))
    before = fingerprint(client)
    for method, path, body in MUTATIONS:
        headers = {"Content-Type": "text/plain", **attack, **({"X-API-Key": key} if key else {})}
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"] == "cross_site_refused"
        assert response.json()["field"] in ("Origin", "Sec-Fetch-Site")
    assert fingerprint(client) == before
    audit = client.app.state.audit.rows
    assert [(r.who, r.result) for r in list(audit)[-len(MUTATIONS):]] == \
        [("-", "refused")] * len(MUTATIONS)


def test_the_dashboard_itself_passes_the_guard(make_client):
    client = applied(make_client)
    same = {"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/chaos/kill?service=api", headers=same).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.nip.io"])
def test_a_rebound_host_is_refused_even_for_reads(make_client, host):
    client = applied(make_client)
    response = client.get("/state", headers={"Host": host})
    assert response.status_code == 421
    assert response.json()["field"] == "Host"
    assert client.get("/state", headers={"Host": "localhost:8080"}).status_code == 200
    assert client.get("/state", headers={"Host": "[::1]:8080"}).status_code == 200


def test_configured_host_names_and_ip_literals_on_a_wildcard_bind(make_client):
    client = make_client(host="0.0.0.0", api_key=KEY, allowed_hosts=("classroom.local",))
    for host in ("classroom.local:8080", "192.168.1.20:8080", "127.0.0.1"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
    assert client.get("/healthz", headers={"Host": "rebind.example"}).status_code == 421


def test_dashboard_may_be_framed_only_by_loopback_pages(make_client):
    client = make_client()
    for path in ("/", "/docs", "/state"):
        csp = client.get(path).headers["content-security-policy"]
        assert csp.endswith("frame-ancestors 'self' http://127.0.0.1:* http://localhost:*")
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "x-frame-options" not in client.get("/").headers


def test_docs_page_has_no_inline_script(make_client):
    html = make_client().get("/docs").text
    assert '<script src="/static/docs.js"></script>' in html
    assert "<script>" not in html


@pytest.mark.parametrize("method, path", [("GET", "/lb/select?service=api"),
                                          ("GET", "/proxy/x?service=api"),
                                          ("POST", "/proxy/x?service=api"),
                                          ("PUT", "/proxy/x?service=api"),
                                          ("DELETE", "/proxy/x?service=api")])
def test_traffic_needs_the_key_and_is_audited(make_client, method, path):
    client = applied(make_client, api_key=KEY)
    before = client.app.state.live.journal_length()
    refused = client.request(method, path)
    assert refused.status_code == 401 and refused.json()["field"] == "X-API-Key"
    assert client.app.state.live.journal_length() == before
    allowed = client.request(method, path, headers={"X-API-Key": KEY})
    assert allowed.status_code == 200
    assert client.app.state.live.journal_length() == before + 1
    rows = list(client.app.state.audit.rows)[-2:]
    assert [(r.who, r.action, r.target, r.result) for r in rows] == [
        ("-", f"http.{method.lower()}", path, "denied"),
        (KEY_NAME, f"http.{method.lower()}", path, "ok")]


@pytest.mark.parametrize("key", ["x", "fifteen-chars-k"])
def test_short_api_keys_are_refused(key):
    with pytest.raises(ValueError, match="api_key: expected at least 16 characters"):
        ServerSettings(api_key=key)


def test_identity_comes_from_the_credential_not_x_actor(make_client):
    keyed = applied(make_client, api_key=KEY)
    keyed.post("/chaos/kill?service=api", headers={"X-API-Key": KEY, "X-Actor": "cli"})
    anonymous = applied(make_client)
    anonymous.post("/chaos/kill?service=api", headers={"X-Actor": "cli"})
    for client, who in ((keyed, KEY_NAME), (anonymous, ANONYMOUS)):
        kill = [c for c in client.get("/journal").json()["commands"] if c["verb"] == "kill"]
        assert [c["actor"] for c in kill] == [who]
        assert list(client.app.state.audit.rows)[-1].who == who


def test_coalescing_keeps_two_actors_apart(tmp_path):
    live = LiveCluster.open(ServerSettings(db=tmp_path / "j.db", paused=True, seed=1))
    try:
        live.command("apply", {"spec": {"apiVersion": "v1", "kind": "Service",
                                        "metadata": {"name": "api"},
                                        "spec": {"image": "local://demo@v1", "replicas": 2}}},
                     actor="cli", source="command line")
        live.run_for(10)
        for actor in ("ann", "ann", "bob", "bob", "ann"):
            live.command("select", {"service": "api", "count": 1}, actor=actor, source="x")
        rows = sqlite3.connect(tmp_path / "j.db").execute(
            "SELECT actor, args FROM commands WHERE verb = 'select' ORDER BY pos").fetchall()
        assert [(a, '"count": ' + args.split('"count": ')[1][0]) for a, args in rows] == [
            ("ann", '"count": 2'), ("bob", '"count": 2'), ("ann", '"count": 1')]
    finally:
        live.close()


def test_journal_and_audit_files_are_private(make_client, tmp_path):
    db = tmp_path / "live.db"
    client = applied(make_client, db=db)
    client.post("/chaos/kill?service=api")
    files = sorted(p.name for p in tmp_path.iterdir())
    assert {"live.db", "live.db-wal", "live.db-shm", "live.audit.key"} <= set(files)
    assert {name: stat.S_IMODE(os.stat(tmp_path / name).st_mode) for name in files} == \
        dict.fromkeys(files, 0o600)


def test_speed_survives_a_restart(tmp_path):
    db = tmp_path / "s.db"
    live = LiveCluster.open(ServerSettings(db=db, apply=("examples/api-v1.yaml",)))
    live.set_speed(5)
    live.close()
    again = LiveCluster.open(ServerSettings(db=db))
    assert again.pacer.speed == 5.0
    again.close()
    told = LiveCluster.open(ServerSettings(db=db, speed=2))
    assert told.pacer.speed == 2.0
    told.close()


def test_gets_have_no_side_effects(make_client, tmp_path):
    clock = {"now": 100.0}
    db = tmp_path / "g.db"
    client = make_client(db=db, paused=False, clock=lambda: clock["now"])
    client.post("/apply", content=spec_yaml(), headers=YAML)
    client.post("/advance?seconds=10")
    watcher = sqlite3.connect(db)
    version = watcher.execute("PRAGMA data_version").fetchone()[0]
    rows = watcher.execute("SELECT * FROM commands ORDER BY pos").fetchall()
    live = client.app.state.live
    now, length = live.cluster.now, live.journal_length()
    clock["now"] += 30                         # wall time moves on; only the pacer may follow
    for path in ("/state", "/metrics", "/journal", "/healthz", "/history?service=api",
                 "/spec?service=api", "/examples", "/openapi.json"):
        assert client.get(path).status_code == 200, path
    with client.stream("GET", "/events") as stream:
        assert stream.status_code == 200
    assert (live.cluster.now, live.journal_length()) == (now, length)
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == version
    assert watcher.execute("SELECT * FROM commands ORDER BY pos").fetchall() == rows
    watcher.close()


def test_the_audit_log_alone_creates_a_private_file(tmp_path):
    from t32sim.server.security import open_audit
    sink = open_audit(tmp_path / "audit.db")
    sink.record("http", "http.post", "/x")
    files = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("audit.db"))
    assert files and {n: stat.S_IMODE(os.stat(tmp_path / n).st_mode) for n in files} == \
        dict.fromkeys(files, 0o600)

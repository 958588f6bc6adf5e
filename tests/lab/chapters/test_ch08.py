"""Chapter 08's worked and wrong answers, and its tables held against the real monitor and the
real audit log (a table that stops telling the truth fails here)."""
from __future__ import annotations

import base64
import sqlite3

import pytest
from fastapi.testclient import TestClient

from t32sim.audit import AuditLog
from t32sim.lab.chapters.ch08 import ATTACKS, GUARD_CASES, OWN_ORIGIN, TAMPERINGS
from t32sim.monitor import MonitorConfig, create_monitor_app

PASSWORD = "chapter-08-test-password"


def lets_through(method, headers):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    if headers.get("origin", OWN_ORIGIN) != OWN_ORIGIN:
        return False
    return headers.get("content-type", "").split(";")[0].strip() == "application/json"


def no_content_type_rule(method, headers):
    if method == "GET":
        return True
    return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none") \
        and headers.get("origin", OWN_ORIGIN) == OWN_ORIGIN


def only_sec_fetch_site(method, headers):
    return method == "GET" or headers.get("sec-fetch-site") in (None, "same-origin", "none")


RIGHT = {
    "08.1": {"a": 405, "b": 403, "c": 403, "d": 415, "e": 200},
    "08.2": lets_through,
    "08.3": {"a": 1, "b": 3, "c": 3, "d": 3},
    "08.q1": "b", "08.q2": "c", "08.q3": "a", "08.q4": "d",
}
WRONG = {
    "08.1": [{"a": 403, "b": 403, "c": 403, "d": 415, "e": 200},
             {"a": 405, "b": 403, "c": 200, "d": 415, "e": 200},
             {"a": 405, "b": 403, "c": 403, "d": 200, "e": 200},
             {"a": 405, "b": 403, "c": 403, "d": 415}],
    "08.2": [no_content_type_rule, only_sec_fetch_site, lambda method, headers: True,
             lambda method, headers: method == "GET", lambda method, headers: "yes"],
    "08.3": [{"a": 1, "b": 2, "c": 3, "d": 3}, {"a": 1, "b": 3, "c": 3, "d": 4},
             {"a": 2, "b": 3, "c": 4, "d": 3}, {"a": 1, "b": 3}],
    "08.q1": ["a", "c", "d"], "08.q2": ["a", "b", "d"], "08.q3": ["b", "c", "d"],
    "08.q4": ["a", "b", "c"],
}


@pytest.fixture
def monitor(tmp_path):
    config = MonitorConfig.for_ports({"v1": 18001, "v2": 18002, "v3": 18003},
                                     db=tmp_path / "monitor.db", admin_password=PASSWORD,
                                     audit_key=b"chapter-08-test-audit-key-0123456789",
                                     notifier=None, env={})
    token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    client = TestClient(create_monitor_app(config), base_url=OWN_ORIGIN)
    client.headers["Authorization"] = f"Basic {token}"
    return client


@pytest.mark.parametrize("letter", sorted(ATTACKS))
def test_each_attack_gets_the_status_the_table_says(monitor, letter):
    _, method, path, headers, body, status = ATTACKS[letter]
    assert monitor.request(method, path, headers=headers, content=body).status_code == status


@pytest.mark.parametrize("case", GUARD_CASES, ids=[c[0] for c in GUARD_CASES])
def test_each_guard_case_is_what_the_monitor_does(monitor, case):
    _, method, headers, expected = case
    path = "/api/status" if method == "GET" else "/api/failover"
    body = b"{}" if method != "GET" else None
    response = monitor.request(method, path, headers=headers, content=body)
    refused = response.status_code == 415 or (
        response.status_code == 403 and response.json()["error"] == "cross_site_refused")
    assert refused is (not expected), (response.status_code, response.text)


def demo_log(path):
    log = AuditLog(path, key=b"chapter-08-fixed-audit-key-for-display")
    log.record("alice", "chaos.cpu", target="v1", detail="level 80", source="192.0.2.10")
    log.record("alice", "chaos.corruption", target="v1", source="192.0.2.10")
    log.record("monitor", "failover", target="v1->v2", detail="v1 failed 5 checks within 10 s")
    log.record("bob", "chaos.crash", target="v2", detail="killed pid 4242", source="192.0.2.77")
    log.record("monitor", "failover", target="v2->v3", detail="v2 failed 5 checks within 10 s")
    return log


@pytest.mark.parametrize("letter", sorted(TAMPERINGS))
def test_each_tampering_is_first_caught_where_the_table_says(tmp_path, letter):
    statements, first_bad = TAMPERINGS[letter]
    log = demo_log(tmp_path / "audit.db")
    assert log.verify().ok
    with sqlite3.connect(log.path) as conn:
        for sql in statements:
            conn.execute(sql)
    conn.close()
    assert log.verify().first_bad_id == first_bad

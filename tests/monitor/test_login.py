"""Attacks on the monitor's login (t32sim/monitor/login.py, routes.py): lockout that is no
denial of service, bounded hashing, bounded audit noise; answers as their models declare."""
from __future__ import annotations

import asyncio

import httpx
from fastapi.testclient import TestClient

from t32sim.auth import SESSION_COOKIE
from t32sim.monitor.app import create_monitor_app
from tests.monitor.conftest import ADMIN, VIEWER, add_viewer, basic


def client_from(app, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                             base_url="http://127.0.0.1:8000")


def test_answers_match_their_declared_models(config_for):
    """response_model filters and checks every answer: a field the schema lacks would vanish."""
    config = config_for()
    app = create_monitor_app(config)
    with TestClient(app) as client:
        client.post("/api/failover", json={"to": "v2"}, headers=ADMIN)
        status = client.get("/api/status", headers=ADMIN).json()
        snapshot = app.state.monitor.snapshot()
    assert status == snapshot | {"cooldown_remaining": status["cooldown_remaining"],
                                 "checks": status["checks"], "last_check": status["last_check"],
                                 "last_decision": status["last_decision"],
                                 "last_reason": status["last_reason"],
                                 "incident": status["incident"], "notes": status["notes"]}
    assert sorted(status) == sorted(snapshot)
    assert status["switches"][0]["from"] == "v1"


def test_a_guessing_neighbour_cannot_lock_out_the_admin(config_for):
    app = create_monitor_app(config_for())

    async def scenario():
        async with client_from(app, "10.0.0.66") as mallory, \
                client_from(app, "10.0.0.1") as teacher:
            guesses = [(await mallory.get("/api/whoami", headers=basic("admin", f"g{n}"))).status_code
                       for n in range(6)]
            locked = await mallory.get("/api/whoami", headers=ADMIN)
            other = await teacher.get("/api/whoami", headers=ADMIN)
            return guesses, locked, other
    with TestClient(app):                      # the lifespan: the monitor runs
        guesses, locked, other = asyncio.run(scenario())
    assert guesses == [401] * 5 + [429]
    assert (locked.status_code, locked.headers["retry-after"]) == (429, "60")
    assert other.status_code == 200


def test_an_open_dashboard_keeps_working_through_a_lockout_from_its_own_address(config_for):
    app = create_monitor_app(config_for())

    async def scenario():
        async with client_from(app, "127.0.0.1") as browser, \
                client_from(app, "127.0.0.1") as mallory:
            page = await browser.get("/", headers=ADMIN)
            cookie = page.cookies.get(SESSION_COOKIE)
            set_cookie = page.headers["set-cookie"]
            for n in range(5):
                await mallory.get("/api/whoami", headers=basic("admin", f"g{n}"))
            during = [(await browser.get(path, headers=ADMIN)).status_code
                      for path in ("/api/status", "/", "/api/whoami")]
            refused = await mallory.get("/api/whoami", headers=ADMIN)
            mallory.cookies.set(SESSION_COOKIE, "forged")
            forged = await mallory.get("/api/whoami", headers=ADMIN)
            return cookie, set_cookie, during, refused.status_code, forged.status_code
    with TestClient(app):
        cookie, set_cookie, during, refused, forged = asyncio.run(scenario())
    assert len(cookie) >= 40
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Path=/" in set_cookie
    assert during == [200, 200, 200]
    assert (refused, forged) == (429, 429)


def test_a_flood_of_logins_with_unknown_names_does_not_slow_a_signed_in_dashboard(config_for):
    app = create_monitor_app(config_for())
    gate = app.state.authenticator.hash_gate

    async def scenario():
        async with client_from(app, "10.0.0.1") as admin:
            assert (await admin.get("/api/status", headers=ADMIN)).status_code == 200

            async def stranger(n):
                async with client_from(app, f"10.1.{n // 250}.{n % 250}") as c:
                    return (await c.get("/api/status", headers=basic(f"nobody{n}", "x" * 10))
                            ).status_code
            flood = [asyncio.create_task(stranger(n)) for n in range(100)]
            await asyncio.sleep(0.2)
            meanwhile = [(await admin.get("/api/status", headers=ADMIN)).status_code
                         for _ in range(5)]
            still_hashing = sum(not t.done() for t in flood)
            statuses = await asyncio.gather(*flood)
            return meanwhile, still_hashing, statuses
    with TestClient(app):
        meanwhile, still_hashing, statuses = asyncio.run(scenario())
    assert meanwhile == [200] * 5
    assert still_hashing > 50                    # the admin was answered in the middle of it
    assert statuses == [401] * 100
    assert gate.peak <= gate.limit == 2


def test_a_flood_of_noise_is_a_bounded_number_of_audit_rows(config_for):
    app = create_monitor_app(config_for())
    with TestClient(app) as client:
        before = app.state.audit.count()
        for n in range(300):
            client.get("/api/status", headers={"Authorization": f"Basic garbage{n}"})
            client.get("/api/status", headers={"X-API-Key": f"wrong-key-{n}"})
            client.post("/api/failover", json={}, headers={**ADMIN, "Origin": "http://evil.example"})
        written = app.state.audit.count() - before
    assert written <= 30                        # 900 requests
    noise = [r for r in app.state.audit.rows(limit=None)
             if r.action in ("auth.login", "auth.api_key", "http.post")]
    summaries = [r for r in noise if "not recorded one by one" in r.detail]
    one_by_one = [r for r in noise if r not in summaries]
    assert len(one_by_one) == 20                # 10 denied, 10 refused: one source's budget
    assert {r.action for r in summaries} == {"auth.login", "auth.api_key", "http.post"}
    assert sum(int(r.detail.split()[0]) for r in summaries) + len(one_by_one) == 900
    assert app.state.audit.verify().ok


def test_beyond_the_waiting_room_a_login_is_refused_at_once(config_for):
    import threading

    from t32sim.auth import AuthError
    from t32sim.monitor.login import LoginQueue

    app = create_monitor_app(config_for())
    release = threading.Event()
    entered = []

    def slow_authenticate(*args, **kwargs):
        entered.append(args)
        release.wait(10)
        raise AuthError(401, "unauthorized", "invalid credentials")
    auth = app.state.authenticator
    auth.authenticate = slow_authenticate
    app.state.login = LoginQueue(auth, threads=1, max_waiting=2)

    async def scenario():
        async with client_from(app, "10.0.0.9") as c:
            calls = [asyncio.create_task(c.get("/api/whoami", headers=basic(f"u{n}", "password1")))
                     for n in range(3)]
            while not entered or app.state.login.limiter.statistics().tasks_waiting < 2:
                await asyncio.sleep(0.01)
            busy = await c.get("/api/whoami", headers=basic("u9", "password1"))
            release.set()
            return busy, [r.status_code for r in await asyncio.gather(*calls)]
    with TestClient(app):
        busy, others = asyncio.run(scenario())
    assert (busy.status_code, busy.headers["retry-after"], busy.json()) == (503, "1", {
        "error": "busy", "detail": "too many logins are being checked at once; retry in 1 s",
        "field": None})
    assert others == [401, 401, 401]

"""The dashboard in a real browser (chromium via playwright) against a real monitor server.

The page loads with no external assets and no console or CSP errors, shows the active version,
status, chart, health and audit logs; the admin's buttons act (CPU load, corruption -> failover);
a viewer's buttons are disabled; a form on another origin is refused.
"""
from __future__ import annotations

import os

import pytest

from t32sim.monitor.app import create_monitor_app
from tests.monitor.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD, add_viewer, serve
from tests.support import CHROMIUM, requires_chromium

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = requires_chromium


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()


def test_the_dashboard_end_to_end_in_a_browser(config_for, tmp_path, browser):
    config = config_for(spawn=True, interval=0.3, timeout=1.0, threshold=3, window=10,
                        cooldown=15.0, restart_backoff=30.0, service_log_dir=tmp_path / "logs",
                        env={**os.environ, "T32SIM_DEMO_DELAY_SCALE": "0.01"})
    add_viewer(config)
    app = create_monitor_app(config)
    with serve(app) as url:
        admin = browser.new_context(http_credentials={"username": "admin", "password": ADMIN_PASSWORD})
        page = admin.new_page()
        problems, requests = [], []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url + "/")
        expect(page.locator("#status")).to_have_text("UP")
        expect(page.locator("#active")).to_have_text("v1")
        expect(page.locator("#chart svg circle.ok").first).to_be_attached()
        expect(page.locator("#verify")).to_contain_text("chain intact")
        assert page.locator("#audit tbody tr").count() >= 1
        assert page.locator("#processes tbody tr").count() == 3

        page.fill("#level", "60")
        page.click('button[data-action="chaos/cpu"]')
        expect(page.locator("#message")).to_have_text("chaos/cpu: done on v1 (active v1)")

        page.click('button[data-action="chaos/corruption"]')
        expect(page.locator("#active")).to_have_text("v2", timeout=10_000)
        expect(page.locator("#chart svg circle.bad").nth(2)).to_be_attached()
        expect(page.locator("#status")).to_have_text("UP")

        expect(page.locator("#audit tbody")).to_contain_text("failover")

        assert problems == []                                   # no JS errors, no CSP violations
        assert all(r.startswith(url) for r in requests)         # nothing from elsewhere

        # a viewer sees everything but cannot press anything
        viewer = browser.new_context(http_credentials={"username": "viewer", "password": VIEWER_PASSWORD})
        viewer_page = viewer.new_page()
        viewer_page.goto(url + "/")
        assert viewer_page.inner_text("#role") == "viewer"
        for action in ("chaos/cpu", "chaos/corruption", "chaos/reset", "chaos/crash", "failover", "reset"):
            assert viewer_page.is_disabled(f'button[data-action="{action}"]'), action

        # a form on another origin, submitted by the admin's browser (credentials cached), is refused
        attacker = admin.new_page()
        attacker.set_content(f'<form method="post" action="{url}/api/failover">'
                             f'<input name="to" value="v1"><button>win a prize</button></form>')
        with attacker.expect_navigation():
            attacker.click("button")
        assert "cross_site_refused" in attacker.content()
        assert app.state.monitor.policy.active == "v2"
        admin.close()
        viewer.close()

    actions = [(r.who, r.action, r.result) for r in app.state.audit.rows(limit=None, newest_first=False)
               if r.action not in ("process.exited",)]
    assert actions == [
        ("monitor", "monitor.start", "ok"), ("admin", "chaos.cpu", "ok"),
        ("admin", "chaos.corruption", "ok"), ("monitor", "failover", "ok"),
        ("-", "http.post", "refused"), ("monitor", "monitor.stop", "ok")]
    assert app.state.audit.verify().ok

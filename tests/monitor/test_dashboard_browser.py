"""The dashboard in a real browser (chromium via playwright) against a real monitor server.

The page loads with no external assets and no console or CSP errors, shows the active version,
status, chart, health and audit logs; the admin's buttons act (CPU load, corruption -> failover);
a viewer's buttons are disabled; a form on another origin is refused. On a projector
(1280x720 and 1920x1080) the key numbers are large and above the fold, the chart marks versions
and failovers, and the chaos controls show the server's state after a reload.
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
        expect(page.locator('#chart svg [data-version="v1"]').first).to_be_attached()
        expect(page.locator("#verify")).to_contain_text("chain intact")
        assert page.locator("#audit tbody tr").count() >= 1
        assert page.locator("#services tbody tr").count() == 3

        page.fill("#level", "40")
        page.click('button[data-action="chaos/cpu"]')
        expect(page.locator("#message")).to_have_text(
            "v1 is at 40 % load: GET / now takes 0.02 s, /health still answers at once (it slows "
            "down above 50 %).")

        page.click('button[data-action="chaos/corruption"]')
        expect(page.locator("#active")).to_have_text("v2", timeout=10_000)
        expect(page.locator("#chart svg circle.fail").nth(2)).to_be_attached()
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


SIZES = [(1280, 720), (1920, 1080)]
KEY_NUMBERS = ["#active", "#status", "#failures", "#cooldown", "#reason"]


def inside_viewport(page, selector):
    """Whether the element is wholly inside the viewport (asked again for 3 s: the chart and
    tables are redrawn every second, and a box of an element being replaced is None)."""
    from tests.support import wait_for

    size = page.viewport_size

    def fits():
        box = page.locator(selector).first.bounding_box()
        return (box is not None and box["x"] >= 0 and box["y"] >= 0
                and box["x"] + box["width"] <= size["width"]
                and box["y"] + box["height"] <= size["height"])
    try:
        return wait_for(fits, timeout=3, what=selector)
    except AssertionError:
        return False


def test_the_dashboard_reads_from_the_back_row(config_for, tmp_path, browser):
    """A loaded v2 after a failover from corrupted v1, held by a long cooldown: the picture
    a class should read from the back row, at both projector sizes."""
    import re

    import httpx

    from tests.monitor.conftest import ADMIN
    from tests.support import wait_for

    # half the original's timing: a healthy answer delayed by a busy machine still passes
    config = config_for(spawn=True, interval=0.5, timeout=0.5, threshold=5, window=10,
                        cooldown=120.0, restart_backoff=0.2, service_log_dir=tmp_path / "logs",
                        env={**os.environ, "T32SIM_DEMO_DELAY_SCALE": "0.5"})
    app = create_monitor_app(config)
    shots = os.environ.get("T32SIM_SCREENSHOTS")          # a directory to keep them in, if set
    with serve(app) as url, httpx.Client(base_url=url, headers=ADMIN, trust_env=False,
                                         timeout=10) as http:
        def status():
            return http.get("/api/status").json()
        wait_for(lambda: status()["status"] == "UP", timeout=30, what="v1 UP")
        http.post("/api/chaos/corruption", json={})
        wait_for(lambda: status()["active"] == "v2", timeout=20, what="failover to v2")
        wait_for(lambda: status()["status"] == "UP", what="v2 UP")
        http.post("/api/chaos/cpu", json={"level": 80})
        wait_for(lambda: status()["status"] == "DOWN", what="v2 DOWN under load")
        for width, height in SIZES:
            context = browser.new_context(viewport={"width": width, "height": height},
                                          http_credentials={"username": "admin",
                                                            "password": ADMIN_PASSWORD})
            page = context.new_page()
            problems = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(url + "/")
            expect(page.locator("#active")).to_have_text("v2")
            expect(page.locator("#status")).to_have_text("DOWN")
            expect(page.locator("#reason")).to_have_text(
                "v2: timeout after 0.5 s: v2 is at 80 % load (above 50 % its /health takes 1 s)")
            expect(page.locator("#chart svg text.switch-label")).to_have_text("v1 → v2")
            expect(page.locator("#chart svg circle.fail").first).to_be_attached()
            expect(page.locator("#failures")).to_have_text(re.compile(r"\d+ / 5"))
            expect(page.locator("#cooldown")).to_have_text(re.compile(r"\d+\.\d s"))
            v1 = page.locator('#chart svg [data-version="v1"]')
            v2 = page.locator('#chart svg [data-version="v2"]')
            assert v1.count() >= 3 and v2.count() >= 3
            assert v1.first.evaluate("e => e.tagName") == "circle"     # a shape per version,
            assert v2.first.evaluate("e => e.tagName") == "rect"       # not only a colour
            assert v1.first.get_attribute("fill") != v2.first.get_attribute("fill")
            assert page.input_value("#level") == "80"           # the server's value, not 0
            assert page.inner_text("#target-state").startswith("v2: CPU 80 % · data ok")
            path = tmp_path / f"dashboard-{width}x{height}.png"
            page.screenshot(path=str(path))
            if shots:
                page.screenshot(path=os.path.join(shots, path.name))
            assert path.stat().st_size > 20_000
            for selector in KEY_NUMBERS + ["#chart svg", 'button[data-action="chaos/crash"]',
                                           'button[data-action="chaos/cpu"]']:
                assert inside_viewport(page, selector), (
                    f"{selector} is not visible at {width}x{height}: "
                    f"{page.locator(selector).first.bounding_box()}")
            for selector in ("#active", "#status", "#failures", "#cooldown"):
                size = float(page.eval_on_selector(selector, "e => getComputedStyle(e).fontSize")[:-2])
                assert size >= 0.065 * height, f"{selector}: {size} px at {width}x{height}"
            no_scroll = page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
            assert no_scroll, f"the page scrolls sideways at {width}x{height}"
            page.reload()                                       # the slider does not jump back
            expect(page.locator("#target-state")).to_contain_text("CPU 80 %")
            assert page.input_value("#level") == "80"
            assert problems == []
            context.close()

"""The dashboard in headless Chromium: apply, pods turn Ready, kill, see the event and recovery."""
from __future__ import annotations

from pathlib import Path

import pytest

from t32sim.server import launch
from tests.support import requires_chromium

from .helpers import ROOT, page_until

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = requires_chromium


@pytest.fixture
def server():
    handle = launch(port=0, speed=15, seed=2)
    yield handle
    handle.stop()


@pytest.fixture
def page(server):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        outside: list[str] = []
        errors: list[str] = []

        def only_local(route):
            if route.request.url.startswith("http://127.0.0.1:"):
                route.continue_()
            else:                                   # the classroom has no internet
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        assert outside == [], f"requests that left the machine: {outside}"
        assert errors == [], f"JavaScript errors: {errors}"
        browser.close()


def ready_tiles(page) -> int:
    return page.locator('.pod[data-ready="true"]').count()


def test_apply_see_ready_kill_and_recovery(server, page):
    page.goto(server.url)
    page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
    page.click("[data-testid=tab-editor]")
    page.select_option("#examples", "api-v1.yaml")
    page_until(page, "document.querySelector('#yaml').value.includes('demo@v1')")
    page.click("[data-testid=apply]")
    page.wait_for_selector("[data-testid=toast][data-kind=ok]", timeout=5_000)
    page_until(page, "document.querySelectorAll('.pod[data-ready=\"true\"]').length === 3",
                           timeout=20)
    card = page.locator('.svc[data-service="api"]')
    page_until(page, "document.querySelector('[data-f=serving]').textContent === '3 / 3'")

    page.click("[data-testid=kill1-api]")
    event = page.wait_for_selector(".event[data-reason=ChaosKill]", timeout=5_000)
    assert "Chaos killed pod api-" in event.inner_text()
    assert "creates a replacement" in event.inner_text()          # the explanation
    killed = event.query_selector(".eobj").inner_text()
    page_until(page, 
        f"""() => !document.querySelector('.pod[data-pod="{killed}"]') &&
                  document.querySelectorAll('.pod[data-ready="true"]').length === 3""",
        timeout=30)
    assert page.locator(".event[data-reason=SuccessfulCreate]").count() >= 4
    page_until(page, "document.querySelector('[data-f=serving]').textContent === '3 / 3'")
    assert card.locator('[data-f="ready"]').inner_text() == "3"

    page.fill("#event-filter", "ChaosKill")
    page_until(page, "document.querySelectorAll('#events .event').length === 1")

    ARTIFACTS.mkdir(exist_ok=True)
    page.fill("#event-filter", "")
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def test_bad_yaml_shows_the_error_with_its_field(server, page):
    page.goto(server.url)
    page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
    page.click("[data-testid=tab-editor]")
    page.fill("#yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n"
                       "  image: local://demo@v1\n  replicaz: 3\n")
    page.click("[data-testid=apply]")
    toast = page.wait_for_selector("[data-testid=toast][data-kind=error]", timeout=5_000)
    assert "did you mean 'replicas'" in toast.inner_text()
    assert "[spec.replicaz]" in toast.inner_text()


def test_pause_and_speed_controls(server, page):
    page.goto(server.url)
    page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
    page.click("[data-testid=pause]")
    page_until(page, "document.querySelector('#pause').textContent.includes('Resume')")
    frozen = page.inner_text("#sim-time")
    page.click("button.speed[data-speed='5']")
    page.wait_for_selector("button.speed.active[data-speed='5']")
    assert page.inner_text("#sim-time") == frozen
    assert server.live.pacer.paused and server.live.pacer.speed == 5.0


def test_docs_work_offline(server, page):
    page.goto(server.url + "docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert page.locator(".opblock-summary-path", has_text="/chaos/kill").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs.png"))


def test_artifacts_folder_is_ignored_by_git():
    assert "test-artifacts/" in Path(ROOT / ".gitignore").read_text().splitlines()


def test_api_key_prompt(page):
    with launch(port=0, speed=15, api_key="classroom-key-0123456789") as keyed:
        page.goto(keyed.url)
        page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
        assert page.is_visible("#api-key")                 # the server says a key is needed
        page.click("[data-testid=tab-editor]")
        page_until(page, "document.querySelector('#yaml').value.includes('kind')")
        page.click("[data-testid=apply]")
        toast = page.wait_for_selector("[data-testid=toast][data-kind=error]", timeout=5_000)
        assert "X-API-Key" in toast.inner_text()
        page.fill("#api-key", "classroom-key-0123456789")
        page.dispatch_event("#api-key", "change")
        page.click("[data-testid=apply]")
        page.wait_for_selector("[data-testid=toast][data-kind=ok]", timeout=5_000)
        page.wait_for_selector('.svc[data-service="api"]', timeout=5_000)


def test_pods_that_do_not_fit_become_one_more_tile_and_none_is_cut(server, page):
    import httpx
    from .helpers import spec_yaml
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(server.url)
    page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
    for name in ("api", "web"):              # two service cards leave room for a few tiles
        httpx.post(server.url + "apply", content=spec_yaml(name, replicas=12),
                   headers={"Content-Type": "application/yaml"})
    page_until(page, "document.querySelector('#pod-count').textContent.endsWith('of 24')")
    page_until(page, "!!document.querySelector('[data-testid=pods-more]')")
    api = httpx.Client(base_url=server.url)
    api.post("/pause")                       # the grid stands still while it is measured
    page_until(page, "document.querySelector('#pause').textContent.includes('Resume')")
    grid, tiles, more = page.evaluate("""() => {
        const bottom = (e) => e.getBoundingClientRect().bottom;
        const m = document.querySelector('[data-testid=pods-more]');
        return [bottom(document.querySelector('#pods')),
                [...document.querySelectorAll('.pod[data-pod]')].map(bottom),
                m && [m.textContent, bottom(m)]];
    }""")
    assert 0 < len(tiles) < 24 and all(b <= grid + 1 for b in tiles), (grid, tiles)
    assert more[0] == f"+{24 - len(tiles)} more" and more[1] <= grid + 1


def drawn(page, chart: str) -> list[dict]:
    """The series the dashboard drew on ``chart`` (web.js lineChart keeps them)."""
    return page.evaluate(f"document.getElementById('{chart}').drawn || []")


def test_charts_show_offered_load_a_colour_per_revision_and_a_target_only_with_an_hpa(server,
                                                                                      page):
    import httpx
    from .helpers import EXAMPLES, spec_yaml
    api = httpx.Client(base_url=server.url)
    yaml = {"Content-Type": "application/yaml"}
    page.goto(server.url)
    page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
    api.post("/apply", content=spec_yaml(), headers=yaml)
    api.post("/load?service=api&rps=120")
    page_until(page, "(document.getElementById('chart-requests').drawn || [])"
                     ".some(s => s.label === 'rev 1 v1' && s.points.some(p => p[1] > 0))", 20)
    assert [s["label"] for s in drawn(page, "chart-cpu")] == ["CPU"]      # no HPA, no target
    assert page.inner_text("#cpu-caption") == "CPU of the serving pods (%) · no autoscaler"
    # the model takes each update at once, the chart draws it at the next animation frame:
    # read both in one turn of the page's loop, once the chart has caught up
    offered, samples = page_until(page, """() => {
        const offered = (document.getElementById('chart-requests').drawn || [])[0];
        const samples = window.t32sim.model.samples.get('api').map(s => [s.t, s.rps]);
        return offered && JSON.stringify(offered.points) === JSON.stringify(samples)
            && [offered, samples];
    }""", 10, "the offered chart to show the model's samples")
    assert offered["label"] == "offered" and offered["points"] == samples
    assert offered["points"][-1][1] == 120

    api.post("/apply", content=spec_yaml(image="local://demo@v2"), headers=yaml)
    page_until(page, "(document.getElementById('chart-requests').drawn || [])"
                     ".some(s => s.label === 'rev 2 v2' && s.points.some(p => p[1] > 0))", 30)
    series = {s["label"]: s for s in drawn(page, "chart-requests")}
    v1, v2 = series["rev 1 v1"], series["rev 2 v2"]
    assert v1["color"] != v2["color"] and v1["marker"] != v2["marker"]   # colour and shape
    assert api.post("/undo?service=api").json()["new_revision"] == 3
    page_until(page, "(document.getElementById('chart-requests').drawn || [])"
                     ".some(s => s.label === 'rev 3 v1')", 20)
    again = {s["label"]: s for s in drawn(page, "chart-requests")}["rev 3 v1"]
    assert (again["color"], again["marker"]) == (v1["color"], v1["marker"])   # same template

    api.post("/apply", content=(EXAMPLES / "api-autoscale.yaml").read_bytes(), headers=yaml)
    page_until(page, "(document.getElementById('chart-cpu').drawn || [])"
                     ".map(s => s.label).join() === 'CPU,target'", 20)
    assert page.inner_text("#cpu-caption") == "CPU of the serving pods vs the HPA's target (%)"


def test_after_a_finished_canary_the_badge_and_the_editor_show_what_runs(server, page):
    import httpx
    from .helpers import EXAMPLES, spec_yaml
    api = httpx.Client(base_url=server.url)
    yaml = {"Content-Type": "application/yaml"}
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(server.url)
    page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
    api.post("/apply", content=spec_yaml(), headers=yaml)
    api.post("/advance?seconds=30")
    # the editor shows the running spec, not the example it suggested on an empty cluster ...
    page_until(page, "document.querySelector('#yaml').value.startsWith('apiVersion: t32sim/v1')"
                     " && document.querySelector('#yaml').value.includes('demo@v1')", 10)
    canary = (EXAMPLES / "api-canary.yaml").read_text()
    assert api.post("/apply", content=canary, headers=yaml).status_code == 200
    api.post("/advance?seconds=600")
    api.post("/pause")
    status = api.get("/state").json()["services"]["api"]["status"]
    assert (status["phase"], status["step"]) == ("Healthy", None)
    page_until(page, "document.querySelector('[data-service=api] [data-f=phase]')?.textContent"
                     " === 'Healthy'", 10)
    page.click("[data-testid=tab-editor]")
    applied = api.get("/spec?service=api").json()["yaml"]      # ... and follows an apply by curl
    page_until(page, f"document.querySelector('#yaml').value === {applied!r}", 10)
    assert "demo@v2" in applied
    assert page.inner_text("#editor-note") == "running: api as the cluster stores it"
    # every pacing button's label fits its button
    cut = page.evaluate("[...document.querySelectorAll('header button')]"
                        ".filter(b => b.scrollWidth > b.clientWidth).map(b => b.textContent)")
    assert cut == []

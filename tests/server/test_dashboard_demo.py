"""The scripted classroom demo in headless Chromium at 1280x720 and 1920x1080: apply, kill,
load, canary, promote, undo. At each stop the server is paused and every number the page
shows must equal /state (rounded only for display); nothing important may need scrolling.
Screenshots go to test-artifacts/ (look at them)."""
from __future__ import annotations

import httpx
import pytest

from t32sim.server import launch
from tests.support import requires_chromium, wait_for

from .helpers import EXAMPLES, ROOT, page_until

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
SIZES = [(1280, 720), (1920, 1080)]

pytestmark = requires_chromium


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def demo(request):
    width, height = request.param
    server = launch(port=0, speed=20, seed=3)
    api = httpx.Client(base_url=server.url, timeout=10)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": width, "height": height})
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(server.url) else route.abort())
        page.goto(server.url)
        page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
        yield server, api, page, f"{width}x{height}"
        assert problems == [], problems
        browser.close()
    api.close()
    server.stop()


def frozen(api, page) -> dict:
    """Pause, wait until the page shows the paused time, and return /state."""
    api.post("/pause")
    state = api.get("/state").json()
    page_until(page, f"document.querySelector('#sim-time').textContent === "
                     f"'{state['time']:.1f}'", 10)
    next_frame(page)                           # the last redraw is on screen
    return state


def next_frame(page) -> None:
    """Wait until the browser has drawn two more frames (the charts redraw on the next)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => "
                  "requestAnimationFrame(done)))")


def shown(page, service="api") -> dict:
    card = page.locator(f'.svc[data-service="{service}"]')
    return {f: card.locator(f'[data-f="{f}"]').inner_text()
            for f in ("serving", "ready", "updated", "revision", "cpu", "rps", "phase")}


def expected(state, service="api") -> dict:
    svc = state["services"][service]
    st, load = svc["status"], svc["load"]
    serving = {p for p in svc["serving"]}
    phase = st["phase"]
    if st["step"] is not None:
        phase += f" · step {st['step']}/{svc['canary_steps']} · {st['weight']} % canary"
    return {"serving": f"{len(serving)} / {st['desired']}", "ready": str(st["ready"]),
            "updated": str(st["updated"]), "revision": str(st["revision"]),
            "cpu": f"{round(load['cpu'])}%", "rps": str(round(load["rps"])), "phase": phase}


def check_page(server, page, state, name, size):
    assert shown(page) == expected(state)
    pods = page.locator(".pod[data-pod]")
    assert sorted(pods.evaluate_all("els => els.map(e => e.dataset.pod)")) == \
        sorted(p["name"] for p in state["pods"])
    serving = page.locator('.pod[data-serving="true"]').evaluate_all(
        "els => els.map(e => e.dataset.pod)")
    assert sorted(serving) == sorted(state["services"]["api"]["serving"])
    slider = page.locator("[data-testid=load-api]").input_value()
    assert int(slider) == min(100, round(state["services"]["api"]["load"]["cpu"]))
    # nothing important needs scrolling: the page is exactly one screen
    overflow = page.evaluate("[document.documentElement.scrollHeight, innerHeight,"
                             " document.documentElement.scrollWidth, innerWidth]")
    assert overflow[0] <= overflow[1] and overflow[2] <= overflow[3], overflow
    for selector in (".svc .svc-actions", "[data-testid=load-api]", "#chart-requests",
                     "#events .event", "#pause", "#advance"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["y"] + box["height"] <= overflow[1] + 1, selector
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"demo-{size}-{name}.png"))


def resume(api):
    api.post("/resume")


def test_scripted_demo_shows_the_servers_numbers(demo):
    server, api, page, size = demo
    page.click("[data-testid=tab-editor]")
    page.select_option("#examples", "api-v1.yaml")
    page_until(page, "document.querySelector('#yaml').value.includes('demo@v1')")
    page.click("[data-testid=apply]")
    page.wait_for_selector("[data-testid=toast][data-kind=ok]", timeout=5_000)
    assert "Applied service api: 3 x local://demo@v1" in page.inner_text("[data-testid=toast]")
    page.click(".tab[data-tab=charts]")
    wait_for(lambda: api.get("/state").json()["services"]["api"]["status"]["ready"] == 3, 20,
             "3 ready pods")
    check_page(server, page, frozen(api, page), "1-applied", size)
    resume(api)

    page.click("[data-testid=kill1-api]")
    page.wait_for_selector(".event[data-reason=ChaosKill]", timeout=5_000)
    check_page(server, page, frozen(api, page), "2-killed", size)
    resume(api)

    assert api.post("/load?service=api&cpu=80").status_code == 200
    state = frozen(api, page)
    assert round(state["services"]["api"]["load"]["cpu"]) == 80
    page_until(page, "document.querySelector('[data-testid=load-value-api]')"
                           ".textContent === '80%'")
    check_page(server, page, state, "3-load", size)
    resume(api)

    canary = (EXAMPLES / "api-argo-canary.yaml").read_text().replace("demo@flaky", "demo@v2")
    page.click("[data-testid=tab-editor]")
    page.fill("#yaml", canary)
    page.click("[data-testid=apply]")
    page.click(".tab[data-tab=charts]")
    wait_for(lambda: api.get("/state").json()["services"]["api"]["status"]["phase"] == "Paused",
             30, "the canary's first pause")
    state = frozen(api, page)
    assert state["services"]["api"]["status"]["step"] is not None
    check_page(server, page, state, "4-canary", size)
    resume(api)

    page.click("[data-testid=promote-api]")
    page.wait_for_selector("[data-testid=toast][data-kind=ok]", timeout=5_000)
    check_page(server, page, frozen(api, page), "5-promoted", size)
    resume(api)

    page.click("[data-testid=undo-api]")
    page.wait_for_selector(".event[data-reason=RolledBack]", timeout=5_000)
    # what Kubernetes does: the old template comes back as a new revision, and the toast says so
    page_until(page, "document.querySelector('[data-testid=toast]').textContent"
                     ".includes('becomes revision')")
    assert page.inner_text("[data-testid=toast]") == (
        "Rolling api back to revision 1 (local://demo@v1) with the Canary strategy: its "
        "template becomes revision 3, as kubectl rollout undo makes the old template the "
        "newest revision")
    state = frozen(api, page)
    assert state["services"]["api"]["status"]["revision"] == 3
    check_page(server, page, state, "6-undone", size)
    history = api.get("/history?service=api").json()["samples"]
    assert history and history[-1]["t"] <= state["time"]

    # a reload mid-demo: charts are filled from the server's history at once
    page.reload()
    page.wait_for_selector('[data-testid=connection][data-state="live"]', timeout=10_000)
    page_until(page, "window.t32sim.model.samples.get('api') && "
                           f"window.t32sim.model.samples.get('api').length >= {len(history)}")
    assert page.locator("[data-testid=load-api]").input_value() == \
        str(min(100, round(state["services"]["api"]["load"]["cpu"])))
    next_frame(page)
    page.screenshot(path=str(ARTIFACTS / f"demo-{size}-7-reloaded.png"))

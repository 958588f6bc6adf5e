"""A chapter in a real JupyterLab, driven by headless Chromium.

The test starts JupyterLab on 127.0.0.1 (a free port, a token, no browser) in a throw-away
directory holding a copy of one chapter and the examples, opens the chapter, runs every cell
from the Run menu, and checks what a student sees: every cell ran without an error, the
control panel is drawn as widgets (buttons and sliders, not the text fallback), and pressing
its "+30 s" button moves the cluster and redraws the panel. The server is stopped by its PID,
and its kernel with it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import CHROMIUM, ROOT, free_port, process_gone, requires_chromium, wait_for

playwright = pytest.importorskip("playwright.sync_api")

CHAPTER = "06-observability.ipynb"        # a chapter that ends with a ControlPanel
STARTUP_SECONDS = 90
RUN_ALL_SECONDS = 180

pytestmark = [
    requires_chromium,
    pytest.mark.skipif(importlib.util.find_spec("jupyterlab") is None and not os.environ.get("CI"),
                       reason="needs jupyterlab (the 'lab' extra; under CI the test runs)"),
]

# JupyterLab settings for a quiet, complete page: no news or update checks (no internet),
# and every cell rendered (the default windowing draws only the cells in view).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class Lab:
    """A JupyterLab server process on 127.0.0.1 serving ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(16)
        for name, values in SETTINGS.items():
            path = root / ".lab" / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {**os.environ,
               "JUPYTER_CONFIG_DIR": str(root / ".lab" / "config"),
               "JUPYTER_DATA_DIR": str(root / ".lab" / "data"),
               "JUPYTER_RUNTIME_DIR": str(root / ".lab" / "runtime"),
               "JUPYTERLAB_SETTINGS_DIR": str(root / ".lab" / "settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(root / ".lab" / "workspaces")}
        self.log = open(root / ".lab" / "server.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root}"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_up(self) -> None:
        def answers() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"JupyterLab exited with {self.process.returncode}:\n"
                                     f"{self.log_text()}")
            try:
                return httpx.get(f"{self.url}/api/status", timeout=2,
                                 headers={"Authorization": f"token {self.token}"}).is_success
            except httpx.HTTPError:
                return False

        wait_for(answers, STARTUP_SECONDS, "JupyterLab answering /api/status")

    def children(self) -> list[int]:
        """PIDs whose parent is the server (its kernels)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(") ", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def stop(self) -> None:
        """SIGTERM the server (it shuts its kernels down); SIGKILL its group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def log_text(self) -> str:
        self.log.flush()
        return (self.root / ".lab" / "server.log").read_text()[-3000:]


@pytest.fixture
def lab(tmp_path):
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / CHAPTER, tmp_path / "notebooks" / CHAPTER)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    server = Lab(tmp_path)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(lab):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        outside: list[str] = []

        def only_local(route):
            if route.request.url.startswith(lab.url):
                route.continue_()
            else:                               # a classroom without internet
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        try:
            yield page
        finally:
            browser.close()
        assert outside == [], f"requests that left the machine: {outside}"


def test_a_chapter_runs_in_jupyterlab_and_its_panel_is_live(lab, page):
    page.goto(f"{lab.url}/lab/tree/notebooks/{CHAPTER}?token={lab.token}")
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=60_000)
    kernels = lab.children()
    assert kernels, "the notebook's kernel did not start"

    page.click(".lm-MenuBar-item:has-text('Run')")
    page.click(".lm-Menu-item[data-command='runmenu:run-all']")

    # the last cells hold the panel: when its buttons exist, everything above it has run
    panel = page.locator(".jp-CodeCell").filter(has=page.locator(".widget-button",
                                                                 has_text="Kill"))
    panel.wait_for(timeout=RUN_ALL_SECONDS * 1000)
    wait_for(lambda: page.locator(".jp-InputPrompt:has-text('[*]')").count() == 0,
             RUN_ALL_SECONDS, "every cell finished")

    cells = page.locator(".jp-CodeCell")
    prompts = [cells.nth(i).locator(".jp-InputPrompt").inner_text() for i in range(cells.count())]
    assert all(p.strip().startswith("[") and p.strip()[1:-2].isdigit() for p in prompts), prompts
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                          ", .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
    assert errors.count() == 0, errors.first.inner_text()

    # drawn as widgets, not as the text/plain fallback
    output = panel.locator(".jp-Cell-outputArea")
    assert output.locator(".widget-vbox").count() >= 1
    assert output.locator(".widget-slider").count() >= 2
    for label in ("Apply", "Kill", "Send", "+30 s", "Promote", "Undo"):
        assert output.get_by_role("button", name=label, exact=True).count() == 1, label
    assert "ControlPanel(service=" not in output.inner_text()

    status = output.locator(".widget-html", has_text="at t = ")
    assert "at t = 30 s" in status.inner_text()
    before = output.locator("img").first.get_attribute("src")
    output.get_by_role("button", name="+30 s", exact=True).click()
    wait_for(lambda: "at t = 60 s" in status.inner_text(), 30, "the panel showing t = 60 s")
    wait_for(lambda: output.locator("img").first.get_attribute("src") != before, 30,
             "the plot redrawn")
    wait_for(lambda: "60.0" in output.locator("table").first.inner_text(), 30,
             "the pods table showing the pods' new age")

    lab.stop()
    assert lab.process.returncode is not None
    wait_for(lambda: all(process_gone(pid) for pid in kernels), 30, "the kernel stopped")

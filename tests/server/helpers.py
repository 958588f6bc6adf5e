"""Plain helpers for the live-server tests (fixtures are in conftest.py)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.support import wait_for  # noqa: F401  (the server tests import it from here)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
URL_LINE = re.compile(r"(http://[^\s]+/)")


def spec_yaml(name: str = "api", replicas: int = 3, image: str = "local://demo@v1") -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{ name: {name} }}\nspec:\n"
            f"  image: {image}\n  replicas: {replicas}\n"
            f"  readinessProbe:\n    httpGet: {{ path: /healthz }}\n"
            f"    initialDelaySeconds: 1\n    periodSeconds: 2\n")


class ServerProcess:
    """A real ``t32sim serve`` process on a free port; always stopped by the fixture."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None):
        self.args = args
        command = [sys.executable, "-m", "t32sim.cli", "serve", "--port", "0", *args]
        self.proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        line = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            match = URL_LINE.search(line)
            if match:
                self.url = match.group(1)
                break
        else:
            line = ""
        if not getattr(self, "url", None):
            self.kill()
            rest = self.proc.stdout.read() if self.proc.stdout else ""
            raise AssertionError(f"server did not start: {''.join(self.lines)}{rest}")
        # keep draining the pipe so the server never blocks on a full one
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()
        self.http = httpx.Client(base_url=self.url, timeout=10)
        wait_for(self._healthy, 15, "the server to answer /healthz")

    def _read_rest(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def _healthy(self) -> bool:
        try:
            return self.http.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if hasattr(self, "http"):
            self.http.close()

    def banner(self) -> str:
        return "".join(self.lines)


def canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def page_until(page, expression: str, timeout: float = 10.0, what: str = "") -> object:
    """Poll ``page.evaluate(expression)`` until it is truthy (the dashboard's CSP forbids the
    eval that ``page.wait_for_function`` needs)."""
    return wait_for(lambda: page.evaluate(expression), timeout, what or expression)

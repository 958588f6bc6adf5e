"""Helpers shared by the tests: free ports, polling with a deadline, threads released at once,
a fresh interpreter, process checks, an SMTP inbox and the Chromium marker.
Import them as ``from tests.support import ...``."""
from __future__ import annotations

import asyncio
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, TypeVar

import pytest

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"

requires_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason=f"needs {CHROMIUM} (under CI, which installs it, the test runs and fails instead)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Call ``predicate`` every 20 ms until it returns something truthy and return that; fail
    naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s (last: {value!r})")
        pause.wait(0.02)


def run_together(work: Callable[[int], object], count: int, timeout: float = 30.0
                 ) -> list[BaseException]:
    """Run ``work(0)`` ... ``work(count - 1)`` in as many threads, released at the same moment;
    wait up to ``timeout`` seconds for each and return what they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as exc:     # noqa: BLE001 - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    still = sum(thread.is_alive() for thread in threads)
    assert still == 0, f"{still} thread(s) still running after {timeout} s"
    return errors


def run_python(code: str, *argv: str, hash_seed: str, timeout: float = 120.0) -> str:
    """Run ``code`` in a fresh interpreter in the repository with ``PYTHONHASHSEED=hash_seed``;
    return what it printed. A non-zero exit fails the test."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=True).stdout


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs: it does not exist or it is a zombie."""
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] == "Z"
    except (ProcessLookupError, FileNotFoundError):
        return True


class SmtpInbox:
    """An aiosmtpd handler that records each envelope and its message (parsed with
    ``email.policy.default``) and answers ``reply``. While ``hold`` is clear the server sits on
    DATA (for up to 10 s), so a test can keep a sender waiting."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.hold = threading.Event()
        self.hold.set()
        self.envelopes: list = []
        self.messages: list[EmailMessage] = []

    @property
    def subjects(self) -> list[str]:
        return [message["Subject"] for message in self.messages]

    async def handle_DATA(self, server, session, envelope) -> str:
        if not self.hold.is_set():
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 10)
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=email.policy.default))
        return self.reply

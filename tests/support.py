"""Helpers shared by the tests: free ports, polling with a deadline, process checks, an SMTP
inbox and the Chromium marker. Import them as ``from tests.support import ...``."""
from __future__ import annotations

import asyncio
import email.policy
import os
import socket
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from typing import Callable, TypeVar

import pytest

T = TypeVar("T")
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

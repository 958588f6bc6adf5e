"""Shared fixtures: paths to the bundled examples, a real local SMTP server."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import SmtpInbox, free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1: yields ``(inbox, port)``."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        inbox.hold.set()
        controller.stop()

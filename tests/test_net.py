"""Loopback checks (t32sim/net.py)."""
from __future__ import annotations

import pytest

from t32sim.net import is_loopback


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.0.0.2", True),
                                           ("localhost", True), ("::1", True),
                                           ("0.0.0.0", False), ("192.168.1.5", False),
                                           ("example.org", False), ("", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback

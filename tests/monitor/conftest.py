"""Helpers for the monitor tests: Basic headers, users, a config factory, a real server."""
from __future__ import annotations

import base64
import functools
import threading
from contextlib import contextmanager

import pytest

from t32sim.monitor.config import MonitorConfig
from tests.support import free_port, wait_for

ADMIN_PASSWORD = "admin-password-for-tests"
VIEWER_PASSWORD = "viewer-password-for-tests"


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


ADMIN = basic("admin", ADMIN_PASSWORD)
VIEWER = basic("viewer", VIEWER_PASSWORD)


@pytest.fixture
def config_for(tmp_path):
    """A MonitorConfig in tmp_path with known passwords, no e-mail, unreachable services."""
    def make(**overrides) -> MonitorConfig:
        ports = overrides.pop("ports", None) or {v: free_port() for v in ("v1", "v2", "v3")}
        overrides.setdefault("db", tmp_path / "monitor.db")
        overrides.setdefault("admin_password", ADMIN_PASSWORD)
        overrides.setdefault("notifier", None)
        overrides.setdefault("audit_key", b"a" * 32)
        overrides.setdefault("interval", 5.0)
        overrides.setdefault("env", {})
        return MonitorConfig.for_ports(ports, **overrides)
    return make


@functools.lru_cache(maxsize=None)
def viewer_hash() -> str:
    """The viewer's scrypt hash, computed once per test session (scrypt is slow on purpose)."""
    from t32sim.auth import hash_password
    return hash_password(VIEWER_PASSWORD)


def add_viewer(config: MonitorConfig) -> None:
    from t32sim.auth import Role, UserStore, default_users_path
    UserStore(config.users_path or default_users_path(config.db)).set_user(
        "viewer", "", Role.VIEWER, password_hash=viewer_hash())


@contextmanager
def serve(app, port: int | None = None):
    """Run ``app`` under a real uvicorn server in a thread; stop it (and its lifespan) after."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="test-monitor-server", daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), timeout=30, what="server start")
        assert server.started, "the monitor server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        assert not thread.is_alive(), "the monitor server did not stop"

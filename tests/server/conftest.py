"""Fixtures for the live-server tests: in-process apps and real server processes."""
from __future__ import annotations

import os
import signal
import warnings
from typing import Callable, Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from t32sim.server import ServerSettings, create_app

from .helpers import ROOT, ServerProcess

BASE_URL = "http://127.0.0.1:8080"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/server" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.filterwarnings(
                "ignore:Using `httpx` with `starlette.testclient`:DeprecationWarning"))


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """Build an app inside the test: paused, no pacer task, so time only moves on /advance."""
    opened: list[TestClient] = []

    def make(clock=None, **settings) -> TestClient:
        settings.setdefault("paused", True)
        settings.setdefault("seed", 7)
        app = create_app(ServerSettings(**settings), pace=False,
                         **({"clock": clock} if clock is not None else {}))
        client = TestClient(app, base_url=BASE_URL)   # a Host the server answers for
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def serve() -> Iterator[Callable[..., ServerProcess]]:
    """Start real ``t32sim serve`` processes; each is stopped when the test ends."""
    started: list[ServerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        server = ServerProcess(list(args), cwd=ROOT, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill(signal.SIGTERM)

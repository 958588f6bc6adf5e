"""t32sim.web.source: one audit ``source`` format, the client's address without its port."""
from __future__ import annotations

from starlette.requests import Request

from t32sim.web import client_source


def test_address_without_the_ephemeral_port():
    assert client_source({"type": "http", "client": ("127.0.0.1", 53211)}) == "127.0.0.1"
    assert client_source({"type": "http", "client": ("::1", 1)}) == "::1"


def test_a_request_works_like_its_scope():
    request = Request({"type": "http", "client": ("10.1.2.3", 9), "headers": []})
    assert client_source(request) == "10.1.2.3"


def test_unknown_when_the_server_does_not_know():
    assert client_source({"type": "http", "client": None}) == "unknown"
    assert client_source({"type": "http"}) == "unknown"

"""``t32sim serve`` argument handling, without opening a port to the network."""
from __future__ import annotations

import argparse

import pytest

from t32sim.server import cli
from t32sim.server.launcher import bind_socket
from t32sim.server.settings import is_loopback


@pytest.fixture
def captured(monkeypatch, capsys):
    """Run ``serve`` up to the point where uvicorn would start; keep what it was given."""
    seen: dict = {}

    def capsys_text():
        text = capsys.readouterr().out
        print(text, end="")                     # put it back for the test
        return text

    def fake_bind(host, port, send_buffer=None):
        seen["host"] = host
        return bind_socket("127.0.0.1", 0)      # never listen beyond loopback in a test

    def fake_run(self, sockets=None):
        seen["settings"] = self.config.app.state.settings
        seen["printed before start"] = capsys_text()
        self.on_started()                       # uvicorn calls it once the server answers
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(cli, "bind_socket", fake_bind)
    monkeypatch.setattr(cli.LiveServer, "run", fake_run)
    monkeypatch.delenv("T32SIM_API_KEY", raising=False)
    return seen


def run(argv):
    parser = argparse.ArgumentParser(prog="t32sim")
    cli.add_serve_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", *argv])
    return args.func(args)


def test_a_non_loopback_host_without_a_key_gets_a_generated_one_shown_once(captured, capsys):
    assert run(["--host", "0.0.0.0", "--port", "0"]) == 0
    out = capsys.readouterr().out
    key = captured["settings"].api_key
    assert key and len(key) >= 24
    assert out.count(key) == 1
    assert f"X-API-Key: {key}" in out and "(shown once)" in out
    assert captured["host"] == "0.0.0.0"


def test_a_key_from_the_environment_is_used_and_not_printed(captured, capsys, monkeypatch):
    monkeypatch.setenv("T32SIM_API_KEY", "from-the-environment-123")
    assert run(["--host", "0.0.0.0", "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert captured["settings"].api_key == "from-the-environment-123"
    assert "from-the-environment-123" not in out
    assert "mutating requests need the X-API-Key header" in out


def test_loopback_needs_no_key_and_prints_the_url(captured, capsys):
    assert run(["--port", "0", "--speed", "3", "--seed", "9"]) == 0
    out = capsys.readouterr().out
    assert captured["settings"].api_key is None
    assert out.startswith("t32sim live server: http://127.0.0.1:")
    assert "seed 9, speed 3x; journal: memory only" in out


@pytest.mark.parametrize("argv,message", [
    (["--speed", "0"], "argument --speed: expected 0.01..1000, got 0"),
    (["--speed", "fast"], "argument --speed: expected a number, got 'fast'"),
    (["--port", "70000"], "argument --port: expected a port 0..65535"),
])
def test_bad_arguments_exit_2_naming_the_option(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.0.0.2", True),
                                           ("localhost", True), ("::1", True),
                                           ("0.0.0.0", False), ("192.168.1.5", False),
                                           ("example.org", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_the_url_is_printed_once_the_server_answers(captured, capsys):
    assert run(["--port", "0"]) == 0
    assert "t32sim live server: http" not in captured["printed before start"]
    assert capsys.readouterr().out.startswith("t32sim live server: http://127.0.0.1:")


@pytest.mark.parametrize("key", ["x", "fifteen-chars-k"])
def test_a_short_api_key_is_refused(captured, capsys, key):
    assert run(["--port", "0", "--api-key", key]) == 2
    assert "api_key: expected at least 16 characters" in capsys.readouterr().err
    assert "settings" not in captured


def test_extra_host_names_are_allowed(captured):
    assert run(["--port", "0", "--allow-host", "classroom.local"]) == 0
    assert "classroom.local" in captured["settings"].host_names()

"""Alert mails from the live server, through a real local SMTP server (aiosmtpd).

With ``T32SIM_SMTP_*`` set, the server mails the cluster's UP/DOWN alerts. It
subscribes after replaying its journal, so a restart does not mail an old outage
again: the tests restart on the same database and check the exact inbox.
"""
from __future__ import annotations

import socket
import threading
import warnings
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from t32sim.engine.events import Reason
from t32sim.server import ServerSettings, create_app
from t32sim.server.live import LiveCluster

from .helpers import spec_yaml, wait_for

YAML = {"Content-Type": "application/yaml"}
BROKEN = spec_yaml(image="local://demo@never-ready")     # never Ready: DOWN after the grace
FIXED = spec_yaml(image="local://demo@v1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  message_from_bytes(envelope.content)))
        return "250 OK"

    def subjects(self) -> list[str]:
        with self._lock:
            return [message["Subject"] for _, _, message in self.messages]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def text(message) -> str:
    return message.get_payload(decode=True).decode()


def smtp_env(port: int) -> dict[str, str]:
    return {"T32SIM_SMTP_HOST": "127.0.0.1", "T32SIM_SMTP_PORT": str(port),
            "T32SIM_SMTP_TO": "teacher@school.test", "T32SIM_SMTP_FROM": "t32sim@school.test",
            "T32SIM_SMTP_STARTTLS": "false", "T32SIM_SMTP_USER": "", "T32SIM_SMTP_PASSWORD": ""}


@pytest.fixture
def mail_env(monkeypatch):
    def set_env(port: int) -> None:
        for name, value in smtp_env(port).items():
            monkeypatch.setenv(name, value)
    return set_env


def app(db):
    return create_app(ServerSettings(db=db, seed=3, paused=True), pace=False)


def test_a_down_service_is_mailed_once_and_a_restart_does_not_mail_it_again(
        inbox, mail_env, tmp_path):
    handler, port = inbox
    mail_env(port)
    db = tmp_path / "live.db"
    with TestClient(app(db), base_url="http://127.0.0.1:8080") as client:
        assert client.app.state.live.mailer is not None
        client.post("/apply", content=BROKEN, headers=YAML)
        client.post("/advance?seconds=25")
        assert handler.subjects() == []                  # inside the start-up grace
        client.post("/advance?seconds=35")
        wait_for(handler.subjects, 10, "the DOWN mail")
        assert handler.subjects() == ["[t32sim] api is DOWN"]
        sender, recipients, message = handler.messages[0]
        assert (sender, recipients) == ("t32sim@school.test", ["teacher@school.test"])
        assert message["X-T32sim-Kind"] == "DOWN"
        assert "api is DOWN at t=30 s: 0 of 3 pods Ready" in text(message)

    with TestClient(app(db), base_url="http://127.0.0.1:8080") as again:                   # replays the outage: no new mail
        live = again.app.state.live
        assert live.resumed_commands == 2                # apply, run
        assert [e.reason for e in live.cluster.event_log].count(Reason.SERVICE_DOWN) == 1
        again.post("/advance?seconds=60")                # still DOWN: nothing new to say
        again.post("/apply", content=FIXED, headers=YAML)
        again.post("/advance?seconds=60")
        wait_for(lambda: len(handler.subjects()) >= 2, 10, "the UP mail")
        # one mailer thread sends in order: a repeated DOWN would have come before the UP
        assert handler.subjects() == ["[t32sim] api is DOWN", "[t32sim] api is UP"]
        assert "It was DOWN for" in text(handler.messages[1][2])
    assert handler.subjects() == ["[t32sim] api is DOWN", "[t32sim] api is UP"]


def test_a_mail_that_cannot_be_delivered_becomes_an_event(mail_env, tmp_path):
    mail_env(free_port())                                 # nobody listens there
    with TestClient(app(tmp_path / "live.db"), base_url="http://127.0.0.1:8080") as client:
        live = client.app.state.live
        client.post("/apply", content=BROKEN, headers=YAML)
        client.post("/advance?seconds=45")

        def not_sent():
            client.post("/advance?seconds=1")            # failures are reported by a run
            return [e for e in live.cluster.event_log if e.reason is Reason.ALERT_NOT_SENT]

        [event] = wait_for(not_sent, 10, "the AlertNotSent event")
        assert event.service == "api"
        assert event.message.startswith("Could not send '[t32sim] api is DOWN': ")


def test_without_smtp_settings_nothing_is_mailed(monkeypatch, tmp_path):
    for name in smtp_env(0):
        monkeypatch.delenv(name, raising=False)
    with TestClient(app(tmp_path / "live.db"), base_url="http://127.0.0.1:8080") as client:
        assert client.app.state.live.mailer is None


def test_bad_smtp_settings_refuse_to_start_naming_the_variable(monkeypatch, tmp_path):
    for name, value in smtp_env(25).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("T32SIM_SMTP_PORT", "smtp")
    with pytest.raises(ValueError, match="T32SIM_SMTP_PORT: expected a port number, got 'smtp'"):
        LiveCluster.open(ServerSettings(db=tmp_path / "live.db"))


def test_a_real_server_killed_and_restarted_mails_each_outage_once(inbox, serve, tmp_path):
    handler, port = inbox
    env = smtp_env(port)
    db = str(tmp_path / "live.db")
    first = serve("--db", db, "--paused", "--seed", "3", env=env)
    assert "alerts are mailed to teacher@school.test via 127.0.0.1:" in first.banner()
    first.http.post("/apply", content=BROKEN, headers=YAML)
    first.http.post("/advance?seconds=60")
    wait_for(handler.subjects, 10, "the DOWN mail")
    first.kill()                                           # SIGKILL: no orderly shutdown

    second = serve("--db", db, env=env)
    assert "resumed 2 commands" in second.banner()
    second.http.post("/advance?seconds=60")
    second.http.post("/apply", content=FIXED, headers=YAML)
    second.http.post("/advance?seconds=60")
    wait_for(lambda: len(handler.subjects()) >= 2, 10, "the UP mail")
    assert handler.subjects() == ["[t32sim] api is DOWN", "[t32sim] api is UP"]

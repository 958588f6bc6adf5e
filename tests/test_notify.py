"""E-mail alerts through a real local SMTP server (aiosmtpd) (t32sim/notify.py)."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from t32sim.notify import EmailNotifier, Notification, NotificationKind


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        threading.Event().wait(0.02)


class Inbox:
    """An aiosmtpd handler that keeps messages, or rejects them, or holds them."""

    def __init__(self, reply="250 OK"):
        self.reply = reply
        self.messages = []
        self.hold = threading.Event()
        self.hold.set()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 10)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content)))
        return self.reply


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        inbox.hold.set()
        controller.stop()


@pytest.fixture
def make_notifier():
    made = []

    def make(port, **kwargs):
        kwargs.setdefault("starttls", False)
        notifier = EmailNotifier(host="127.0.0.1", port=port, sender="monitor@t32sim.test",
                                 recipients=["ops@t32sim.test", "teacher@t32sim.test"],
                                 timeout=5, **kwargs)
        made.append(notifier)
        return notifier
    yield make
    for notifier in made:
        notifier.close(timeout=10)


def test_down_up_and_failover_mails_arrive(smtp, make_notifier):
    inbox, port = smtp
    sent, errors = [], []
    notifier = make_notifier(port, on_sent=sent.append, on_error=lambda n, e: errors.append(e))
    assert notifier.down("v1", "503 DATA_ERR") is True
    assert notifier.failover("v1", "v2", "v1 failed 5 checks within 10 s: switched to v2.")
    assert notifier.up("v2")
    wait_until(lambda: len(inbox.messages) == 3)
    assert errors == []
    subjects = [m["Subject"] for _, _, m in inbox.messages]
    assert subjects == ["[t32sim] v1 is DOWN", "[t32sim] failover v1 -> v2", "[t32sim] v2 is UP"]
    mail_from, rcpts, first = inbox.messages[0]
    assert (mail_from, rcpts) == ("monitor@t32sim.test", ["ops@t32sim.test", "teacher@t32sim.test"])
    assert first["X-T32sim-Kind"] == "DOWN"
    assert first.get_payload(decode=True).decode() == "v1 failed its health checks.\r\n503 DATA_ERR\r\n"
    assert "switched to v2" in inbox.messages[1][2].get_payload(decode=True).decode()
    wait_until(lambda: len(sent) == 3)
    assert [n.kind for n in sent] == [NotificationKind.DOWN, NotificationKind.FAILOVER,
                                      NotificationKind.UP]


def test_a_subject_cannot_inject_headers(smtp, make_notifier):
    inbox, port = smtp
    notifier = make_notifier(port)
    notifier.send(Notification(NotificationKind.INFO, "hi\r\nBcc: victim@example.com", "body\n"))
    wait_until(lambda: len(inbox.messages) == 1)
    message = inbox.messages[0][2]
    assert message["Bcc"] is None and message["Subject"] == "hi  Bcc: victim@example.com"


def test_a_rejecting_server_is_reported_not_raised(smtp, make_notifier):
    inbox, port = smtp
    inbox.reply = "554 5.7.1 rejected by policy"
    errors = []
    notifier = make_notifier(port, on_error=lambda n, e: errors.append((n.kind, type(e).__name__,
                                                                         str(e))))
    assert notifier.down("v1") is True               # the caller never sees the failure
    wait_until(lambda: errors)
    assert errors[0][:2] == (NotificationKind.DOWN, "SMTPDataError")
    assert "rejected by policy" in errors[0][2]


def test_an_unreachable_server_is_reported(make_notifier):
    errors = []
    notifier = make_notifier(free_port(), on_error=lambda n, e: errors.append(e))
    notifier.up("v2")
    wait_until(lambda: errors)
    assert isinstance(errors[0], ConnectionRefusedError)


def test_starttls_against_a_server_without_it_is_reported(smtp, make_notifier):
    _, port = smtp
    errors = []
    notifier = make_notifier(port, starttls=True, on_error=lambda n, e: errors.append(e))
    notifier.down("v1")
    wait_until(lambda: errors)
    assert "STARTTLS" in str(errors[0])


def test_send_never_blocks_and_a_full_queue_drops_with_a_report(smtp, make_notifier):
    inbox, port = smtp
    inbox.hold.clear()                                # the server sits on the first message
    errors = []
    notifier = make_notifier(port, queue_size=1, on_error=lambda n, e: errors.append((n.subject, str(e))))
    assert notifier.down("v1")                        # taken by the worker, stuck in DATA
    wait_until(lambda: notifier._queue.empty())
    assert notifier.failover("v1", "v2")              # waits in the queue
    assert notifier.up("v2") is False                 # queue full: dropped, reported, not raised
    assert errors == [("[t32sim] v2 is UP", "notification queue full (1); dropped")]
    inbox.hold.set()
    wait_until(lambda: len(inbox.messages) == 2)
    assert [m["Subject"] for _, _, m in inbox.messages] == ["[t32sim] v1 is DOWN",
                                                             "[t32sim] failover v1 -> v2"]


def test_a_broken_callback_does_not_stop_the_worker(smtp, make_notifier):
    inbox, port = smtp

    def explode(notification):
        raise RuntimeError("callback bug")
    notifier = make_notifier(port, on_sent=explode)
    notifier.down("v1")
    notifier.up("v1")
    wait_until(lambda: len(inbox.messages) == 2)


def test_close_sends_what_is_queued_and_later_sends_are_reported(smtp):
    inbox, port = smtp
    errors = []
    notifier = EmailNotifier(host="127.0.0.1", port=port, recipients=["ops@t32sim.test"],
                             starttls=False, on_error=lambda n, e: errors.append(str(e)))
    for version in ("v1", "v2", "v3"):
        notifier.up(version)
    notifier.close(timeout=10)
    assert len(inbox.messages) == 3
    assert notifier.down("v1") is False and errors == ["notifier is closed"]


def test_from_env():
    assert EmailNotifier.from_env({}) is None
    assert EmailNotifier.from_env({"T32SIM_SMTP_HOST": "smtp.example.com"}) is None
    notifier = EmailNotifier.from_env({
        "T32SIM_SMTP_HOST": "smtp.example.com", "T32SIM_SMTP_PORT": "2525",
        "T32SIM_SMTP_USER": "bot@example.com", "T32SIM_SMTP_PASSWORD": "app-password",
        "T32SIM_SMTP_TO": "a@example.com, b@example.com", "T32SIM_SMTP_STARTTLS": "yes"})
    assert (notifier.host, notifier.port, notifier.sender, notifier.recipients, notifier.starttls) == (
        "smtp.example.com", 2525, "bot@example.com", ("a@example.com", "b@example.com"), True)
    assert "app-password" not in repr(notifier)
    defaults = EmailNotifier.from_env({"T32SIM_SMTP_HOST": "h", "T32SIM_SMTP_TO": "a@x"})
    assert (defaults.port, defaults.starttls, defaults.sender) == (587, True, "t32sim@localhost")


@pytest.mark.parametrize("env,message", [
    ({"T32SIM_SMTP_PORT": "smtp"}, "T32SIM_SMTP_PORT: expected a port number, got 'smtp'"),
    ({"T32SIM_SMTP_PORT": "70000"}, "T32SIM_SMTP_PORT: expected a port 1-65535, got 70000"),
    ({"T32SIM_SMTP_STARTTLS": "maybe"}, "T32SIM_SMTP_STARTTLS: expected true or false, got 'maybe'"),
    ({"T32SIM_SMTP_STARTTLS": "false", "T32SIM_SMTP_USER": "u"},
     "T32SIM_SMTP_STARTTLS: refusing to send the SMTP password in clear text to smtp.example.com"),
])
def test_bad_settings_name_the_variable(env, message):
    base = {"T32SIM_SMTP_HOST": "smtp.example.com", "T32SIM_SMTP_TO": "a@example.com"}
    with pytest.raises(ValueError) as caught:
        EmailNotifier.from_env({**base, **env})
    assert str(caught.value).startswith(message)


def test_cleartext_login_is_allowed_to_a_loopback_relay():
    assert EmailNotifier.from_env({"T32SIM_SMTP_HOST": "127.0.0.1", "T32SIM_SMTP_TO": "a@x",
                                   "T32SIM_SMTP_USER": "u", "T32SIM_SMTP_STARTTLS": "false"})

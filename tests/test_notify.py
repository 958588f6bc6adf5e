"""E-mail alerts through a real local SMTP server (aiosmtpd) (t32sim/notify.py)."""
from __future__ import annotations

import pytest

from t32sim.notify import EmailNotifier, Notification, NotificationKind
from tests.support import free_port, wait_for


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
    wait_for(lambda: len(inbox.messages) == 3)
    assert errors == []
    assert inbox.subjects == ["[t32sim] v1 is DOWN", "[t32sim] failover v1 -> v2", "[t32sim] v2 is UP"]
    envelope, first = inbox.envelopes[0], inbox.messages[0]
    assert (envelope.mail_from, envelope.rcpt_tos) == ("monitor@t32sim.test",
                                                       ["ops@t32sim.test", "teacher@t32sim.test"])
    assert first["X-T32sim-Kind"] == "DOWN"
    assert first.get_payload(decode=True).decode() == "v1 failed its health checks.\r\n503 DATA_ERR\r\n"
    assert "switched to v2" in inbox.messages[1].get_payload(decode=True).decode()
    wait_for(lambda: len(sent) == 3)
    assert [n.kind for n in sent] == [NotificationKind.DOWN, NotificationKind.FAILOVER,
                                      NotificationKind.UP]


def test_a_subject_cannot_inject_headers(smtp, make_notifier):
    inbox, port = smtp
    notifier = make_notifier(port)
    notifier.send(Notification(NotificationKind.INFO, "hi\r\nBcc: victim@example.com", "body\n"))
    wait_for(lambda: len(inbox.messages) == 1)
    message = inbox.messages[0]
    assert message["Bcc"] is None and message["Subject"] == "hi  Bcc: victim@example.com"


def test_a_rejecting_server_is_reported_not_raised(smtp, make_notifier):
    inbox, port = smtp
    inbox.reply = "554 5.7.1 rejected by policy"
    errors = []
    notifier = make_notifier(port, on_error=lambda n, e: errors.append((n.kind, type(e).__name__,
                                                                         str(e))))
    assert notifier.down("v1") is True               # the caller never sees the failure
    wait_for(lambda: errors)
    assert errors[0][:2] == (NotificationKind.DOWN, "SMTPDataError")
    assert "rejected by policy" in errors[0][2]


def test_an_unreachable_server_is_reported(make_notifier):
    errors = []
    notifier = make_notifier(free_port(), on_error=lambda n, e: errors.append(e))
    notifier.up("v2")
    wait_for(lambda: errors)
    assert isinstance(errors[0], ConnectionRefusedError)


def test_starttls_against_a_server_without_it_is_reported(smtp, make_notifier):
    _, port = smtp
    errors = []
    notifier = make_notifier(port, starttls=True, on_error=lambda n, e: errors.append(e))
    notifier.down("v1")
    wait_for(lambda: errors)
    assert "STARTTLS" in str(errors[0])


def test_send_never_blocks_and_a_full_queue_drops_with_a_report(smtp, make_notifier):
    inbox, port = smtp
    inbox.hold.clear()                                # the server sits on the first message
    errors = []
    notifier = make_notifier(port, queue_size=1, on_error=lambda n, e: errors.append((n.subject, str(e))))
    assert notifier.down("v1")                        # taken by the worker, stuck in DATA
    wait_for(lambda: notifier._queue.empty())
    assert notifier.failover("v1", "v2")              # waits in the queue
    assert notifier.up("v2") is False                 # queue full: dropped, reported, not raised
    assert errors == [("[t32sim] v2 is UP", "notification queue full (1); dropped")]
    inbox.hold.set()
    wait_for(lambda: len(inbox.messages) == 2)
    assert inbox.subjects == ["[t32sim] v1 is DOWN", "[t32sim] failover v1 -> v2"]


def test_a_broken_callback_does_not_stop_the_worker(smtp, make_notifier):
    inbox, port = smtp

    def explode(notification):
        raise RuntimeError("callback bug")
    notifier = make_notifier(port, on_sent=explode)
    notifier.down("v1")
    notifier.up("v1")
    wait_for(lambda: len(inbox.messages) == 2)


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

"""The one notifier module: e-mail alerts over SMTP, sent off the caller's thread.

:meth:`EmailNotifier.from_env` reads ``T32SIM_SMTP_HOST``, ``T32SIM_SMTP_PORT``,
``T32SIM_SMTP_USER``, ``T32SIM_SMTP_PASSWORD``, ``T32SIM_SMTP_FROM``,
``T32SIM_SMTP_TO`` (comma-separated) and ``T32SIM_SMTP_STARTTLS`` and returns
None when no host or recipient is set (see ``.env.example``).

:meth:`EmailNotifier.send` only puts the message on a bounded queue and returns
at once; a background thread talks to the server. A full queue, a refused
connection or a rejected login never raises into the caller: it is reported
to the ``on_error(notification, exception)`` callback (default: logged).

Credentials are never sent in clear text to another machine: with a user
set, either STARTTLS, implicit TLS (port 465) or a loopback host is required.
"""
from __future__ import annotations

import logging
import os
import queue
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable, Mapping, Sequence

from t32sim.enums import StrEnum
from t32sim.net import is_loopback

__all__ = ["NotificationKind", "Notification", "EmailNotifier", "ENV_VARS"]

log = logging.getLogger(__name__)

ENV_VARS = ("T32SIM_SMTP_HOST", "T32SIM_SMTP_PORT", "T32SIM_SMTP_USER", "T32SIM_SMTP_PASSWORD",
            "T32SIM_SMTP_FROM", "T32SIM_SMTP_TO", "T32SIM_SMTP_STARTTLS")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class NotificationKind(StrEnum):
    DOWN = "DOWN"
    UP = "UP"
    FAILOVER = "FAILOVER"
    INFO = "INFO"


@dataclass(frozen=True)
class Notification:
    kind: NotificationKind
    subject: str
    body: str
    service: str = ""

    @classmethod
    def down(cls, service: str, detail: str = "") -> "Notification":
        return cls(NotificationKind.DOWN, f"[t32sim] {service} is DOWN",
                   f"{service} failed its health checks.\n{detail}".rstrip() + "\n", service)

    @classmethod
    def up(cls, service: str, detail: str = "") -> "Notification":
        return cls(NotificationKind.UP, f"[t32sim] {service} is UP",
                   f"{service} answers its health checks again.\n{detail}".rstrip() + "\n", service)

    @classmethod
    def failover(cls, previous: str, active: str, reason: str = "") -> "Notification":
        return cls(NotificationKind.FAILOVER, f"[t32sim] failover {previous} -> {active}",
                   f"The monitor switched traffic from {previous} to {active}.\n{reason}".rstrip()
                   + "\n", active)


def _one_line(text: str, limit: int = 200) -> str:
    """Header-safe text: no CR/LF or other control characters."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return cleaned[:limit]


@dataclass
class EmailNotifier:
    """Sends :class:`Notification` mails through one SMTP server from a background thread."""
    host: str
    port: int = 587
    sender: str = "t32sim@localhost"
    recipients: Sequence[str] = ()
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout: float = 10.0
    queue_size: int = 100
    on_error: Callable[[Notification, BaseException], None] | None = None
    on_sent: Callable[[Notification], None] | None = None

    def __post_init__(self) -> None:
        self.recipients = tuple(r.strip() for r in self.recipients if r.strip())
        if not self.host:
            raise ValueError("T32SIM_SMTP_HOST: expected an SMTP host name")
        if not self.recipients:
            raise ValueError("T32SIM_SMTP_TO: expected at least one recipient address")
        if not 0 < int(self.port) < 65536:
            raise ValueError(f"T32SIM_SMTP_PORT: expected a port 1-65535, got {self.port!r}")
        self.implicit_tls = int(self.port) == 465
        if self.user and not (self.starttls or self.implicit_tls or is_loopback(self.host)):
            raise ValueError("T32SIM_SMTP_STARTTLS: refusing to send the SMTP password in clear "
                             f"text to {self.host}; enable STARTTLS or use port 465")
        self._queue: queue.Queue[Notification | None] = queue.Queue(maxsize=self.queue_size)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None,
                 **overrides) -> "EmailNotifier | None":
        """A notifier from ``T32SIM_SMTP_*``, or None when host or recipient is not set."""
        env = os.environ if env is None else env
        host = env.get("T32SIM_SMTP_HOST", "").strip()
        to = [a for a in env.get("T32SIM_SMTP_TO", "").split(",") if a.strip()]
        if not host or not to:
            return None
        raw_port = env.get("T32SIM_SMTP_PORT", "").strip() or "587"
        try:
            port = int(raw_port)
        except ValueError:
            raise ValueError(f"T32SIM_SMTP_PORT: expected a port number, got {raw_port!r}") from None
        raw_tls = env.get("T32SIM_SMTP_STARTTLS", "").strip().lower() or "true"
        if raw_tls not in _TRUE | _FALSE:
            raise ValueError(f"T32SIM_SMTP_STARTTLS: expected true or false, got {raw_tls!r}")
        user = env.get("T32SIM_SMTP_USER", "").strip() or None
        return cls(host=host, port=port, user=user,
                   password=env.get("T32SIM_SMTP_PASSWORD") or None,
                   sender=env.get("T32SIM_SMTP_FROM", "").strip() or user or "t32sim@localhost",
                   recipients=to, starttls=raw_tls in _TRUE, **overrides)

    # -- the caller's side: never blocks, never raises ------------------------------
    def send(self, notification: Notification) -> bool:
        """Queue ``notification``; False (and ``on_error``) if the queue is full or closed.

        Any object with ``kind``, ``subject`` and ``body`` will do, e.g. the engine's
        ``Alert``, so ``cluster.alerts.subscribe(notifier.send)`` works as is.
        """
        if self._closed:
            self._report(notification, RuntimeError("notifier is closed"))
            return False
        self._ensure_thread()
        try:
            self._queue.put_nowait(notification)
        except queue.Full:
            self._report(notification, RuntimeError(
                f"notification queue full ({self.queue_size}); dropped"))
            return False
        return True

    def down(self, service: str, detail: str = "") -> bool:
        return self.send(Notification.down(service, detail))

    def up(self, service: str, detail: str = "") -> bool:
        return self.send(Notification.up(service, detail))

    def failover(self, previous: str, active: str, reason: str = "") -> bool:
        return self.send(Notification.failover(previous, active, reason))

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (up to ``timeout``), then stop the thread."""
        self._closed = True
        thread = self._thread
        if thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        thread.join(timeout)

    # -- the background thread ----------------------------------------------------
    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="t32sim-email",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._deliver(item)
            except BaseException as exc:   # reported, never raised: the monitor must go on
                self._report(item, exc)
            else:
                if self.on_sent is not None:
                    self._safe(self.on_sent, item)

    def _message(self, notification: Notification) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = _one_line(notification.subject)
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain="t32sim.local")
        message["X-T32sim-Kind"] = str(getattr(notification.kind, "value", notification.kind))
        message.set_content(notification.body)
        return message

    def _deliver(self, notification: Notification) -> None:
        context = ssl.create_default_context()
        if self.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                    context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if self.starttls and not self.implicit_tls:
                client.starttls(context=context)
                client.ehlo()
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(self._message(notification))

    def _report(self, notification: Notification, exc: BaseException) -> None:
        if self.on_error is None:
            log.warning("t32sim: e-mail %r not sent: %s", notification.subject, exc)
        else:
            self._safe(self.on_error, notification, exc)

    @staticmethod
    def _safe(callback: Callable, *args) -> None:
        try:
            callback(*args)
        except Exception:                   # a broken callback must not kill the thread
            log.exception("t32sim: notifier callback failed")

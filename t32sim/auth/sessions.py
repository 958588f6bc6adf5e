"""Dashboard sessions: a random token for a browser that opened the dashboard page.

A request that carries a valid session for the user it authenticates as is exempt from
the lockout: someone who guesses that user's password cannot lock out a dashboard that
is already open. The token is only an exemption, never a login: every request still
needs the right credentials.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from typing import Callable

__all__ = ["SessionStore", "SESSION_COOKIE"]

SESSION_COOKIE = "t32sim_session"


class SessionStore:
    """Token -> (user, expiry) in memory, at most ``max_sessions`` (the oldest go first)."""

    def __init__(self, seconds: float = 12 * 3600.0, clock: Callable[[], float] = time.monotonic,
                 max_sessions: int = 1000):
        self.seconds = seconds
        self.clock = clock
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, name: str) -> str:
        """A new token for ``name``."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[token] = (name, self.clock() + self.seconds)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return token

    def user(self, token: str | None) -> str | None:
        """The user ``token`` belongs to, or None when it is unknown or expired."""
        if not token:
            return None
        with self._lock:
            entry = self._sessions.get(token)
            if entry is None:
                return None
            if entry[1] <= self.clock():
                del self._sessions[token]
                return None
            return entry[0]

    def __len__(self) -> int:
        return len(self._sessions)

"""Failed-login lockout, counted per user name *and* source address, safe under concurrency.

- **Counted before hashing.** :meth:`LockoutTracker.admit` reserves an attempt atomically
  before the password is checked; attempts in flight count against the limit, so a
  hundred concurrent guesses check at most ``max_failures`` passwords.
- **Per user and source.** Five failures of ``admin`` from one address lock ``admin``
  for that address only: someone else on the network cannot lock the real admin out.
- **Back-off, not a wall.** The first lock lasts ``lock_seconds`` (60 s), each further
  lock of the same pair twice as long, up to ``max_lock_seconds`` (15 min); the strikes
  are forgotten ``max_lock_seconds`` after the last lock ended, or at the next success.
- **Failures expire** after ``window`` seconds (5 min), and a success clears them.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["LockoutTracker"]

IN_FLIGHT_WAIT = 1.0     # seconds to wait when the remaining attempts are all in flight


@dataclass
class _Entry:
    failures: deque = field(default_factory=deque)   # times of recent failures
    pending: int = 0             # attempts admitted and not settled yet
    locked_until: float = 0.0
    strikes: int = 0             # locks so far: the next one lasts lock_seconds * 2**strikes
    last_failure: float = 0.0

    def idle(self, now: float) -> bool:
        return (not self.failures and not self.pending and self.locked_until <= now
                and not self.strikes)


class LockoutTracker:
    """``max_failures`` failures within ``window`` s lock one (user, source) pair, with back-off."""

    def __init__(self, max_failures: int = 5, lock_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000, *,
                 window: float = 300.0, max_lock_seconds: float = 900.0):
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self.max_lock_seconds = max(lock_seconds, max_lock_seconds)
        self.window = window
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def _entry(self, key: tuple[str, str], now: float, create: bool) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            while entry.failures and entry.failures[0] <= now - self.window:
                entry.failures.popleft()
            if entry.strikes and entry.locked_until <= now \
                    and now - max(entry.last_failure, entry.locked_until) >= self.max_lock_seconds:
                entry.strikes = 0
            if entry.idle(now):
                del self._entries[key]
                entry = None
        if entry is None and create:
            entry = self._entries[key] = _Entry()
            while len(self._entries) > self.max_entries:     # bounded memory: forget the oldest
                self._entries.popitem(last=False)
        return entry

    def locked_for(self, name: str, source: str = "") -> float:
        """Seconds ``name`` stays locked for ``source`` (0 when not locked)."""
        with self._lock:
            now = self.clock()
            entry = self._entry((name, source), now, create=False)
            return max(0.0, entry.locked_until - now) if entry is not None else 0.0

    def admit(self, name: str, source: str = "") -> tuple[float, bool]:
        """Reserve one attempt before its password is checked.

        Returns ``(0, False)`` when admitted, else the seconds to wait and whether the pair
        is locked (True) or its remaining attempts are all in flight (False).
        """
        with self._lock:
            now = self.clock()
            entry = self._entry((name, source), now, create=True)
            if entry.locked_until > now:
                return entry.locked_until - now, True
            if len(entry.failures) + entry.pending >= self.max_failures:
                return IN_FLIGHT_WAIT, False
            entry.pending += 1
            self._entries.move_to_end((name, source))
            return 0.0, False

    def failure(self, name: str, source: str = "", *, reserved: bool = True) -> float:
        """Settle an attempt as failed; returns the lock's length when this failure locks."""
        with self._lock:
            now = self.clock()
            entry = self._entry((name, source), now, create=True)
            if reserved and entry.pending:
                entry.pending -= 1
            entry.failures.append(now)
            entry.last_failure = now
            if len(entry.failures) < self.max_failures or entry.locked_until > now:
                return 0.0
            seconds = min(self.max_lock_seconds, self.lock_seconds * 2 ** entry.strikes)
            entry.strikes += 1
            entry.locked_until = now + seconds
            entry.failures.clear()
            return seconds

    def success(self, name: str, source: str = "", *, reserved: bool = True) -> None:
        """Settle an attempt as successful: the pair's failures and strikes are forgotten."""
        with self._lock:
            now = self.clock()
            entry = self._entry((name, source), now, create=False)
            if entry is None:
                return
            if reserved and entry.pending:
                entry.pending -= 1
            entry.failures.clear()
            entry.strikes = 0
            entry.locked_until = 0.0
            if entry.idle(now):
                del self._entries[(name, source)]

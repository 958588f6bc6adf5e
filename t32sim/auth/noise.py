"""Unauthenticated noise in the audit log, at a bounded rate.

Anyone can send a malformed ``Authorization`` header, a wrong API key, a wrong password
or a cross-site POST, as fast as the network allows. Each is worth an audit row, but not
a million of them: the chain would grow without limit and the real events would drown.

:class:`NoiseFilter` writes such rows one by one up to ``per_source`` per ``period``
(60 s) for each source address and result (``denied``, ``locked``, ``refused``) and
``total`` per period overall; the rest are counted, per (source, action, result), and
written as one summary row per key when the period is over ("412 more auth.login (denied) from 10.0.0.9 in 60 s, not recorded one by one").
At most ``max_summaries`` keys are kept per period; beyond them one row sums up the rest.
So whatever arrives, the log grows by at most ``total + max_summaries + 1`` rows a period.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Protocol

__all__ = ["NoiseFilter", "AuditSink"]


class AuditSink(Protocol):
    def record(self, who: str, action: str, target: str = "", detail: str = "",
               result: str = "ok", source: str = "") -> object: ...


class NoiseFilter:
    """An audit sink for unauthenticated events that writes a bounded number of rows."""

    def __init__(self, log: AuditSink, *, per_source: int = 10, total: int = 60,
                 period: float = 60.0, max_summaries: int = 10,
                 clock: Callable[[], float] = time.monotonic):
        self.log = log
        self.per_source = per_source
        self.total = total
        self.period = period
        self.max_summaries = max_summaries
        self.clock = clock
        self._lock = threading.Lock()
        self._start = clock()
        self._written: dict[tuple[str, str], int] = {}
        self._suppressed: OrderedDict[tuple[str, str, str], list] = OrderedDict()
        self._other = 0
        self.suppressed_total = 0                  # events not written one by one, ever

    def record(self, who: str, action: str, target: str = "", detail: str = "",
               result: str = "ok", source: str = "") -> bool:
        """Write the row if the budget allows (True), else count it for a summary (False)."""
        with self._lock:
            due = self._roll(self.clock())
            written = sum(self._written.values())
            budget = (source, result)
            keep = self._written.get(budget, 0) < self.per_source and written < self.total
            if keep:
                self._written[budget] = self._written.get(budget, 0) + 1
            else:
                self.suppressed_total += 1
                key = (source, action, result)
                if key in self._suppressed or len(self._suppressed) < self.max_summaries:
                    count_names = self._suppressed.setdefault(key, [0, []])
                    count_names[0] += 1
                    if who not in count_names[1] and len(count_names[1]) < 3:
                        count_names[1].append(who)
                else:
                    self._other += 1
        self._write_summaries(due)
        if keep:
            self.log.record(who, action, target, detail, result, source)
        return keep

    def flush(self, force: bool = False) -> int:
        """Write the summaries of a period that is over (all of them with ``force``)."""
        with self._lock:
            due = self._roll(self.clock(), force=force)
        return self._write_summaries(due)

    def _roll(self, now: float, force: bool = False) -> tuple:
        """Start a new period when this one is over; returns what it suppressed."""
        if not force and now - self._start < self.period:
            return ()
        due = (self._suppressed, self._other, now - self._start)
        self._start, self._written = now, {}
        self._suppressed, self._other = OrderedDict(), 0
        return due

    def _write_summaries(self, due: tuple) -> int:
        if not due:
            return 0
        suppressed, other, seconds = due
        rows = 0
        for (source, action, result), (count, names) in suppressed.items():
            self.log.record("-", action, "", f"{count} more {action} ({result}) from "
                            f"{source or 'an unknown source'} in {seconds:.0f} s, not recorded "
                            f"one by one; names: {', '.join(names)}", result, source)
            rows += 1
        if other:
            self.log.record("-", "audit.suppressed", "", f"{other} more unauthenticated events "
                            f"from other sources in {seconds:.0f} s, not recorded one by one",
                            "refused", "")
            rows += 1
        return rows

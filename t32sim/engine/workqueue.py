"""A work queue as client-go has it: a key changed during its sync is synced again.

Keys to sync, each at most once in the queue and never handed out twice at the same time; a
key added again while it is being synced is queued again when its sync is done (the change
is not lost).

    queue.add("api")          # from a watch: "api" changed
    key = queue.get()         # the worker takes "api" (now processing)
    queue.add("api")          # changed again during the sync: remembered, not handed out
    queue.done("api")         # sync over: "api" goes back in the queue
"""
from __future__ import annotations

from typing import Hashable


class WorkQueue:
    """FIFO of dirty keys with client-go's dirty / processing sets."""

    def __init__(self) -> None:
        self._queue: dict[Hashable, None] = {}     # insertion-ordered, no duplicates
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()

    def add(self, key: Hashable) -> None:
        """Mark ``key`` dirty; queue it unless it is queued or being processed already."""
        if key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue[key] = None

    def get(self) -> Hashable | None:
        """The next key to sync (now processing), or None when the queue is empty."""
        if not self._queue:
            return None
        key = next(iter(self._queue))
        del self._queue[key]
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: Hashable) -> None:
        """The sync of ``key`` is over; if it was added meanwhile, it is queued again."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue[key] = None

    def __len__(self) -> int:
        return len(self._queue)

    def processing(self, key: Hashable) -> bool:
        return key in self._processing

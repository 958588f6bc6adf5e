"""The SSE broadcaster: one publisher (the pacer), many bounded subscribers.

Each ``publish`` turns the new snapshot into one *update* (a state delta plus the
new events), serialises it once and offers it to every subscriber without ever
waiting. A subscriber's queue is bounded: when it is full the subscriber is
*skipped ahead* (its backlog is thrown away and its next message is a full
snapshot); one that has not read anything for ``drop_after`` seconds is
*dropped*. The publisher's cost is therefore the same whether clients read fast,
slowly or not at all.

Message ids are ``"<epoch>-<seq>"``; ``epoch`` changes with every server start, so a
browser reconnecting with ``Last-Event-ID`` gets the missed updates from the
recent history when it can, and a fresh snapshot when it cannot.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import AsyncIterator, Callable

from fastapi.sse import format_sse_event

from t32sim.server.delta import diff

__all__ = ["Hub", "Message", "Subscriber"]


@dataclass(frozen=True)
class Message:
    """One SSE message, serialised once: ``event`` is ``snapshot`` or ``update``."""
    seq: int
    event: str
    data: str
    id: str

    @cached_property
    def wire(self) -> bytes:
        """The message in the SSE wire format, encoded once for every client."""
        return format_sse_event(data_str=self.data, event=self.event, id=self.id)


@dataclass(eq=False)
class Subscriber:
    queue: deque = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    needs_snapshot: bool = False
    closed: bool = False
    last_read: float = 0.0
    skipped: int = 0
    delivered: int = 0


class Hub:
    """Fan-out of coalesced cluster updates to SSE subscribers."""

    def __init__(self, *, queue_size: int = 32, history: int = 64, drop_after: float = 10.0,
                 recent_events: int = 200, clock: Callable[[], float] = time.monotonic):
        self.queue_size = queue_size
        self.drop_after = drop_after
        self.clock = clock
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self.state: dict = {}
        self.server: dict = {}
        self.recent_events: deque[dict] = deque(maxlen=recent_events)
        self.history: deque[Message] = deque(maxlen=history)
        self.subscribers: set[Subscriber] = set()
        self.skipped = 0
        self.dropped = 0
        self._snapshot_cache: Message | None = None

    # ---- publishing ---------------------------------------------------------------
    def reset(self, state: dict, events: list[dict], server: dict) -> None:
        """Start from ``state`` (at server start): no update is sent for it."""
        self.state = state
        self.server = dict(server)
        self.recent_events.clear()
        self.recent_events.extend(events)
        self._snapshot_cache = None

    def publish(self, state: dict, events: list[dict], server: dict,
                known: dict | None = None) -> Message | None:
        """Offer the change from the last published state to every subscriber.

        ``known``: patches the publisher worked out itself, relative to the last
        published state (see ``delta.diff``). Returns the update, or ``None`` when
        nothing changed.
        """
        delta = diff(self.state, state, known)
        server_changed = server != self.server
        if not delta and not events and not server_changed:
            return None
        self.seq += 1
        payload: dict = {"seq": self.seq, "delta": delta, "events": events}
        if server_changed:
            payload["server"] = server
        message = Message(self.seq, "update", _dumps(payload), f"{self.epoch}-{self.seq}")
        self.state = state
        self.server = dict(server)
        self.recent_events.extend(events)
        self.history.append(message)
        self._snapshot_cache = None
        now = self.clock()
        for sub in list(self.subscribers):
            self._offer(sub, message, now)
        return message

    def _offer(self, sub: Subscriber, message: Message, now: float) -> None:
        if len(sub.queue) < self.queue_size:
            sub.queue.append(message)
        elif now - sub.last_read >= self.drop_after:
            self.drop(sub)
            return
        else:                             # full: skip ahead to a fresh snapshot
            sub.queue.clear()
            sub.needs_snapshot = True
            sub.skipped += 1
            self.skipped += 1
        sub.wakeup.set()

    def drop(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.discard(sub)
            self.dropped += 1
        sub.closed = True
        sub.queue.clear()
        sub.wakeup.set()

    def close_all(self) -> None:
        for sub in list(self.subscribers):
            self.subscribers.discard(sub)
            sub.closed = True
            sub.wakeup.set()

    # ---- subscribing --------------------------------------------------------------
    def subscribe(self, last_event_id: str | None = None) -> Subscriber:
        """A new subscriber, primed with what it missed (or a snapshot)."""
        sub = Subscriber(last_read=self.clock())
        missed = self._missed_since(last_event_id)
        if missed is None:
            sub.needs_snapshot = True
        else:
            sub.queue.extend(missed)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        sub.closed = True

    def _missed_since(self, last_event_id: str | None) -> list[Message] | None:
        if not last_event_id:
            return None
        epoch, _, seq_text = last_event_id.strip().partition("-")
        if epoch != self.epoch or not seq_text.isdigit():
            return None
        last = int(seq_text)
        if last > self.seq:
            return None
        missed = [m for m in self.history if m.seq > last]
        if len(missed) != self.seq - last or len(missed) > self.queue_size // 2:
            return None            # fell out of the history, or too many: a snapshot is cheaper
        return missed

    def snapshot_message(self) -> Message:
        """The full current state and recent events, serialised once per ``seq``."""
        if self._snapshot_cache is None or self._snapshot_cache.seq != self.seq:
            payload = {"seq": self.seq, "state": self.state,
                       "events": list(self.recent_events), "server": self.server}
            self._snapshot_cache = Message(self.seq, "snapshot", _dumps(payload),
                                           f"{self.epoch}-{self.seq}")
        return self._snapshot_cache

    async def messages(self, sub: Subscriber, idle: float | None = None
                       ) -> AsyncIterator[Message | None]:
        """The subscriber's messages, in order, until it is dropped or the hub closes.

        With ``idle`` set, ``None`` is yielded after that many quiet seconds (a keep-alive).
        """
        try:
            while not sub.closed:
                if sub.needs_snapshot:
                    sub.needs_snapshot = False
                    snapshot = self.snapshot_message()
                    while sub.queue and sub.queue[0].seq <= snapshot.seq:
                        sub.queue.popleft()
                    yield self._delivered(sub, snapshot)
                elif sub.queue:
                    yield self._delivered(sub, sub.queue.popleft())
                else:
                    sub.wakeup.clear()
                    try:
                        await asyncio.wait_for(sub.wakeup.wait(), idle)
                    except asyncio.TimeoutError:
                        yield None
        finally:
            self.unsubscribe(sub)

    def _delivered(self, sub: Subscriber, message: Message) -> Message:
        sub.last_read = self.clock()
        sub.delivered += 1
        return message

    def stats(self) -> dict:
        return {"clients": len(self.subscribers), "seq": self.seq, "epoch": self.epoch,
                "skipped": self.skipped, "dropped": self.dropped}


def _dumps(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False)

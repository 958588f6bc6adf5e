"""``GET /events``: the Server-Sent Events stream, as a ``fastapi.sse.EventSourceResponse``.

The first message is a ``snapshot`` (full state, recent events, pacing); then one
``update`` (state delta + new events) per pacer tick that changed something.
``Last-Event-ID`` resumes from the hub's history when it can. Each message is
encoded to the SSE wire format once (``Message.wire``) and the same bytes go to
every client; a quiet stream gets a keep-alive comment every ``KEEPALIVE`` seconds.
"""
from __future__ import annotations

from typing import Annotated, AsyncIterator

from fastapi import APIRouter, Header, Request
from fastapi.sse import KEEPALIVE_COMMENT, EventSourceResponse, format_sse_event

__all__ = ["router", "RETRY_MS", "KEEPALIVE"]

router = APIRouter()

RETRY_MS = 1000
KEEPALIVE = 15.0


@router.get("/events", tags=["cluster"], response_model=None,
            summary="Live updates (Server-Sent Events: snapshot, then deltas)",
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`snapshot` then `update` events; data is JSON"}})
async def events(request: Request,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID",
                                                             max_length=64)] = None
                 ) -> EventSourceResponse:
    live = request.app.state.live
    live.publish()            # a change since the last tick reaches everyone first, so the
    hub = live.hub            # new client's snapshot is the current state
    subscriber = hub.subscribe(last_event_id)

    async def stream() -> AsyncIterator[bytes]:
        yield format_sse_event(retry=RETRY_MS)
        async for message in hub.messages(subscriber, idle=KEEPALIVE):
            yield KEEPALIVE_COMMENT if message is None else message.wire

    return EventSourceResponse(stream(), headers={"Cache-Control": "no-cache",
                                                  "X-Accel-Buffering": "no"})

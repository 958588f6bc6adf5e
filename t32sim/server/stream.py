"""``GET /events``: the Server-Sent Events stream, through FastAPI's ``fastapi.sse``.

The first message is a ``snapshot`` (full state, recent events, pacing); then one
``update`` (state delta + new events) per pacer tick that changed something.
``Last-Event-ID`` resumes from the hub's history when it can.
"""
from __future__ import annotations

from typing import Annotated, AsyncIterator

from fastapi import APIRouter, Header, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

__all__ = ["router", "RETRY_MS"]

router = APIRouter()

RETRY_MS = 1000


@router.get("/events", response_class=EventSourceResponse, tags=["cluster"],
            summary="Live updates (Server-Sent Events: snapshot, then deltas)")
async def events(request: Request,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID",
                                                             max_length=64)] = None
                 ) -> AsyncIterator[ServerSentEvent]:
    hub = request.app.state.live.hub
    subscriber = hub.subscribe(last_event_id)
    first = True
    async for message in hub.messages(subscriber):
        yield ServerSentEvent(raw_data=message.data, event=message.event, id=message.id,
                              retry=RETRY_MS if first else None)
        first = False

"""``BodyLimit``: an ASGI middleware that refuses a request body longer than a limit with 413.

FastAPI reads and parses a JSON body before a route's dependencies run, so without a limit
anyone (signed in or not) could make an app hold and parse megabytes per request. A declared
``Content-Length`` over the limit is refused before a byte is read; a body sent in chunks is
cut off as soon as it passes the limit. A body within the limit is read here (it is small) and
handed to the app whole.
"""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from t32sim.web.errors import error_response

__all__ = ["BodyLimit", "DEFAULT_MAX_BODY"]

DEFAULT_MAX_BODY = 64 * 1024


class BodyLimit:
    """Answer 413 ``payload_too_large`` (field ``body``) to bodies over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body = await self._read(receive)         # at most max_bytes + one chunk held
        if body is None:
            await self._refuse(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()           # a disconnect, as the app expects
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it is longer than the limit."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)          # the client went away; the app will see it
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "payload_too_large",
                                  f"The body is larger than {self.max_bytes} bytes.", "body",
                                  headers={"Connection": "close"})
        await response(scope, receive, send)

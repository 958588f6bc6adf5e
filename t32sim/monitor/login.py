"""The monitor's side of authentication: cheap checks on the event loop, hashing queued.

A request whose credentials were verified recently (or that sends a valid API key) is
answered on the loop without a thread: :meth:`Authenticator.quick`. Everything else
(a first login, a wrong password, a lockout answer) runs :meth:`Authenticator.authenticate`
in at most ``threads`` worker threads; requests beyond that wait without a thread, and
beyond ``max_waiting`` waiting ones the monitor answers 503 at once. So 400 logins with
unknown names cost two scrypt hashes at a time, and ``/api/status`` of a signed-in
dashboard is not slowed by them.
"""
from __future__ import annotations

import functools

import anyio
from fastapi import Request

from t32sim.auth import SESSION_COOKIE, AuthError, Authenticator, Principal
from t32sim.web import client_source

__all__ = ["LoginQueue", "principal"]


class LoginQueue:
    """Runs slow authentications in a few threads; refuses when too many are waiting."""

    def __init__(self, authenticator: Authenticator, threads: int = 4, max_waiting: int = 200):
        self.authenticator = authenticator
        self.limiter = anyio.CapacityLimiter(threads)
        self.max_waiting = max_waiting

    async def principal(self, request: Request) -> Principal:
        auth = self.authenticator
        authorization = request.headers.get("authorization")
        api_key = request.headers.get("x-api-key")
        session = request.cookies.get(SESSION_COOKIE)
        source = client_source(request)
        fast = auth.quick(authorization, api_key, source, session)
        if fast is not None:
            return fast
        if authorization is None and api_key is None:
            raise AuthError(401, "unauthorized", "authentication required")
        if self.limiter.statistics().tasks_waiting >= self.max_waiting:
            raise AuthError(503, "busy", "too many logins are being checked at once; retry in "
                                         "1 s", retry_after=1)
        work = functools.partial(auth.authenticate, authorization, api_key, source=source,
                                 session=session)
        return await anyio.to_thread.run_sync(work, limiter=self.limiter)


async def principal(request: Request) -> Principal:
    """Dependency: the authenticated caller (Basic or X-API-Key); 401/429/503 otherwise."""
    return await request.app.state.login.principal(request)

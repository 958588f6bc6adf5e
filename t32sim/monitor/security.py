"""Cross-site request refusal and security headers for the monitor (``t32sim.web.SiteGuard``).

Basic auth alone does not stop cross-site request forgery: a browser that
knows the password sends it with *any* request to the monitor, also one
triggered by another site's form or script. So every state-changing request
(POST, PUT, PATCH, DELETE) must pass three checks before it reaches a route:

1. ``Sec-Fetch-Site``, when the browser sends it, is ``same-origin`` or ``none``
   (typed by the user); ``same-site`` and ``cross-site`` are refused.
2. ``Origin``, when present, is this server's own origin (scheme + Host) or
   one of the configured trusted origins; ``null`` and others are refused.
3. The body is declared ``application/json``: an HTML form can only send
   url-encoded, multipart or text/plain, and a cross-site ``fetch`` with JSON
   needs a CORS preflight that this app never grants.

Scripts (curl, httpx) send neither header and pass by sending JSON. GET
requests never change anything, so they need no such check. Every response
also carries headers that forbid framing (no clickjacking of the chaos
buttons), sniffing, referrers and any script or style from elsewhere. When the
monitor listens on this machine only, a request naming another host is refused
(421) as well: a DNS-rebinding page cannot reach it through the browser.
"""
from __future__ import annotations

from typing import Awaitable, Callable

from fastapi import FastAPI
from starlette.types import Scope

from t32sim.monitor.config import MonitorConfig
from t32sim.web import BodyLimit, SiteGuard

__all__ = ["add_site_guard"]


def add_site_guard(app: FastAPI, config: MonitorConfig,
                   on_refused: Callable[[Scope, str, str], Awaitable[None]]) -> None:
    """Put the shared guard in front of ``app`` with the monitor's settings: JSON-only
    actions, the configured trusted origins and allowed hosts; behind it, a 64 KiB body limit
    (an action's body is a few bytes), so no body is read before the guard and none is parsed
    whole when it is larger."""
    app.add_middleware(BodyLimit)
    app.add_middleware(SiteGuard, allowed_hosts=config.allowed_hosts, require_json=True,
                       trusted_origins=config.trusted_origins, on_refused=on_refused)

"""One ASGI middleware in front of a dashboard server: Host allow-list, cross-site refusal,
security headers.

* **Host allow-list** (against DNS rebinding): a page on ``evil.example`` whose name the
  attacker re-points to 127.0.0.1 reaches the server as same-origin, but its requests
  carry ``Host: evil.example``. With ``allowed_hosts`` set, a request whose Host is not
  one of those names is refused (421) before any route runs, GET included. An IP
  literal can never be rebound, so ``allow_ip_literals`` (for a server bound to
  0.0.0.0) accepts any address typed into the browser.
* **Cross-site refusal** (CSRF): a request that changes something (POST/PUT/PATCH/DELETE,
  or any request ``is_unsafe`` names) is refused with 403 when ``Sec-Fetch-Site`` is
  ``same-site`` or ``cross-site``, or when ``Origin`` is present and is not this server
  (``null``, from sandboxed frames and ``file:`` pages, is refused too) nor a trusted
  origin. Scripts (curl, httpx) send neither header and pass; so does the server's own
  dashboard. With ``require_json``, unsafe requests must also declare
  ``application/json``: an HTML form cannot, and a cross-site ``fetch`` with JSON needs
  a CORS preflight that these apps never grant.
* **Headers** on every answer: ``nosniff``, no referrer, a Content-Security-Policy that
  allows only the server's own scripts, styles and connections, and ``frame-ancestors``
  (``'none'`` by default, with ``X-Frame-Options: DENY``; a server shown in a notebook
  IFrame passes ``LOOPBACK_FRAME_ANCESTORS``). Non-static answers get ``no-store``.

Every refusal is the standard ``{error, detail, field}`` body; ``on_refused(scope, field,
why)`` (async) may audit it.
"""
from __future__ import annotations

import ipaddress
from typing import Awaitable, Callable, Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from t32sim.web.errors import error_response

__all__ = ["SiteGuard", "cross_site_reason", "host_name", "UNSAFE_METHODS",
           "LOOPBACK_FRAME_ANCESTORS", "LOOPBACK_HOSTS", "content_security_policy"]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: a JupyterLab on this machine (any port) may show the page in an IFrame (CSP has no
#: syntax for an IPv6 literal such as [::1], so a notebook opened that way cannot)
LOOPBACK_FRAME_ANCESTORS = ("'self'", "http://127.0.0.1:*", "http://localhost:*")

Refused = Callable[[Scope, str, str], Awaitable[None]]


def content_security_policy(frame_ancestors: Iterable[str] = ("'none'",)) -> str:
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {' '.join(frame_ancestors)}")


def host_name(host_header: str) -> str:
    """``Host`` without its port, lower case: ``[::1]:8080`` -> ``::1``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def cross_site_reason(scope: Scope, headers: Headers, trusted: Iterable[str] = ()
                      ) -> tuple[str, str] | None:
    """``(header, why)`` when this request comes from another site, else None."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
        return "Sec-Fetch-Site", (f"Sec-Fetch-Site is {fetch_site[:40]!r}: only pages of this "
                                  f"server may change it")
    origin = headers.get("origin")
    if origin is not None:
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
        allowed = {own} | {t.rstrip("/").lower() for t in trusted}
        if origin.rstrip("/").lower() not in allowed:
            return "Origin", (f"Origin {origin[:100]!r} is not this server: requests from "
                              f"other sites may not change it")
    return None


class SiteGuard:
    """Refuses unknown hosts (421), cross-site changes (403), non-JSON changes (415, with
    ``require_json``) and adds the security headers."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str] | None = None,
                 allow_ip_literals: bool = False, trusted_origins: Iterable[str] = (),
                 frame_ancestors: Iterable[str] = ("'none'",), require_json: bool = False,
                 is_unsafe: Callable[[Scope], bool] | None = None,
                 on_refused: Refused | None = None):
        self.app = app
        self.allowed_hosts = None if allowed_hosts is None else \
            frozenset(host_name(h) for h in allowed_hosts)
        self.allow_ip_literals = allow_ip_literals
        self.trusted = tuple(trusted_origins)
        self.require_json = require_json
        self.is_unsafe = is_unsafe or (lambda scope: scope["method"] in UNSAFE_METHODS)
        self.on_refused = on_refused
        ancestors = tuple(frame_ancestors)
        self.headers = {
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "cross-origin-resource-policy": "same-origin",
            "content-security-policy": content_security_policy(ancestors),
        }
        if ancestors == ("'none'",):
            self.headers["x-frame-options"] = "DENY"

    def host_allowed(self, host_header: str) -> bool:
        if self.allowed_hosts is None:
            return True
        name = host_name(host_header)
        return name in self.allowed_hosts or (self.allow_ip_literals and _is_ip(name))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = "/static/" in scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not is_static:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.host_allowed(host):
            await self._refuse(scope, receive, send_with_headers, 421, "unknown_host",
                               f"This server does not answer for the host {host[:100]!r} "
                               f"(a DNS-rebinding page?); use its address, like "
                               f"http://127.0.0.1:PORT/.", "Host")
            return
        if self.is_unsafe(scope):
            refused = cross_site_reason(scope, headers, self.trusted)
            if refused is not None:
                field, why = refused
                await self._refuse(scope, receive, send_with_headers, 403,
                                   "cross_site_refused", why + ".", field)
                return
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if self.require_json and media != "application/json":
                await self._refuse(scope, receive, send_with_headers, 415,
                                   "unsupported_media_type",
                                   "Send the body as JSON with 'Content-Type: "
                                   "application/json' (an empty body may be {}).",
                                   "Content-Type", audit=False)
                return
        await self.app(scope, receive, send_with_headers)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int,
                      error: str, detail: str, field: str, audit: bool = True) -> None:
        if audit and self.on_refused is not None:
            await self.on_refused(scope, field, detail)
        await error_response(status, error, detail, field)(scope, receive, send)

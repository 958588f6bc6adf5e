"""Where a request came from, written the same way in every journal and audit row.

``client_source(scope)`` is the client's address without its (ephemeral) port:
``127.0.0.1``, ``::1``, or ``unknown`` when the server does not know it (a test
transport). Commands that do not come over HTTP use ``COMMAND_LINE`` or name their
process (``monitor``).
"""
from __future__ import annotations

from typing import Any, Mapping

__all__ = ["client_source", "COMMAND_LINE", "UNKNOWN"]

COMMAND_LINE = "command line"
UNKNOWN = "unknown"


def client_source(scope_or_request: Mapping[str, Any] | Any) -> str:
    """The audit ``source`` of an ASGI scope or a Starlette ``Request``."""
    scope = getattr(scope_or_request, "scope", scope_or_request)
    client = scope.get("client") if isinstance(scope, Mapping) else None
    if not client or not client[0]:
        return UNKNOWN
    return str(client[0])

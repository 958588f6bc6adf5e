"""Who a caller is and what it may do: roles, the authenticated principal, the auth error."""
from __future__ import annotations

from dataclasses import dataclass

from t32sim.enums import StrEnum

__all__ = ["Role", "Principal", "AuthError"]


class Role(StrEnum):
    """What a user may do. ``admin`` includes everything a ``viewer`` may do."""
    VIEWER = "viewer"
    ADMIN = "admin"

    def allows(self, required: "Role") -> bool:
        return _RANK[self] >= _RANK[Role(required)]


_RANK = {Role.VIEWER: 0, Role.ADMIN: 1}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user name (or API key name), its role and how it proved it."""
    name: str
    role: Role
    via: str = "basic"


class AuthError(Exception):
    """Authentication or authorisation failed: ``status`` is 401, 403, 429 or 503."""

    def __init__(self, status: int, error: str, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.retry_after = retry_after

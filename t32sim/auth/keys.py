"""API keys (``X-API-Key``): kept only as SHA-256 digests, compared with ``compare_digest``
against every configured key, without early exit."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Mapping

from t32sim.auth.roles import Principal, Role

__all__ = ["ApiKeyring", "check_api_key", "generate_api_key", "API_KEY_ENV"]

API_KEY_ENV = "T32SIM_API_KEY"


def generate_api_key() -> str:
    """A random API key (32 bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def check_api_key(provided: str | None, expected: str) -> bool:
    """Constant-time check of one ``X-API-Key`` value against one expected key."""
    if not provided or not expected:
        return False
    return hmac.compare_digest(_key_digest(provided), _key_digest(expected))


def _key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class ApiKeyring:
    """Named API keys with roles, kept only as SHA-256 digests."""

    def __init__(self) -> None:
        self._keys: list[tuple[str, Role, bytes]] = []

    def add(self, name: str, key: str, role: Role | str = Role.ADMIN) -> None:
        if len(key) < 16:
            raise ValueError(f"{name}: expected an API key of at least 16 characters")
        self._keys.append((name, Role(role), _key_digest(key)))

    def __len__(self) -> int:
        return len(self._keys)

    def check(self, provided: str | None) -> Principal | None:
        """The principal whose key equals ``provided``; compares against every key."""
        if not provided:
            return None
        digest = _key_digest(provided)
        found: Principal | None = None
        for name, role, expected in self._keys:
            if hmac.compare_digest(digest, expected) and found is None:
                found = Principal(name, role, "api-key")
        return found

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ApiKeyring":
        """``T32SIM_API_KEY`` (or the original's ``X_API_KEY``) as an admin key named ``api-key``."""
        env = os.environ if env is None else env
        ring = cls()
        key = env.get(API_KEY_ENV) or env.get("X_API_KEY")
        if key:
            ring.add("api-key", key, Role.ADMIN)
        return ring

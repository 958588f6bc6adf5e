"""Passwords: salted scrypt hashes (``scrypt$N$r$p$salt$hash``, base64), checked in constant time.

:class:`HashGate` bounds how many hashes run at once: scrypt takes 16 MiB and tens of
milliseconds on purpose, so a flood of logins must queue, not multiply that.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading

__all__ = ["hash_password", "verify_password", "generate_password", "HashGate",
           "SCRYPT_N", "MAX_PASSWORD_CHARS"]

SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN, SALT_BYTES = 2 ** 14, 8, 1, 32, 16
MAX_PASSWORD_CHARS = 1024


def hash_password(password: str, *, salt: bytes | None = None, n: int = SCRYPT_N,
                  r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash ``scrypt$N$r$p$salt$hash`` (a fresh random salt unless given)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = _scrypt(password, salt, n, r, p, SCRYPT_LEN)
    return "$".join(["scrypt", str(n), str(r), str(p), _b64(salt), _b64(digest)])


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (constant-time compare; False if malformed)."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p),
                         len(expected))
    except (ValueError, binascii.Error):
        return False
    return secrets.compare_digest(actual, expected)


def generate_password(nbytes: int = 18) -> str:
    """A random URL-safe password (18 bytes -> 24 characters, 144 bits)."""
    return secrets.token_urlsafe(nbytes)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=256 * 1024 * 1024)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class HashGate:
    """At most ``limit`` password checks at once (threads wait their turn); counts the peak."""

    def __init__(self, limit: int = 2):
        if limit < 1:
            raise ValueError(f"limit: expected an integer >= 1, got {limit!r}")
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def verify(self, password: str, encoded: str) -> bool:
        """:func:`verify_password`, once a slot is free."""
        with self._slots:
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                return verify_password(password, encoded)
            finally:
                with self._lock:
                    self.running -= 1

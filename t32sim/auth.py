"""Authentication shared by the failover monitor and the live server.

- **Passwords** are stored only as salted scrypt hashes
  (``scrypt$N$r$p$salt$hash``, base64), checked in constant time.
- **Users** live in a small JSON file next to the database (mode 0600). The
  admin password comes from ``T32SIM_ADMIN_PASSWORD``; without it a random
  one is generated on first start, shown once, and only its hash is kept.
- **Roles**: ``viewer`` reads, ``admin`` also acts (chaos, failover, reset).
- **HTTP Basic** credentials are compared with :func:`secrets.compare_digest`
  (through the scrypt hash); unknown users cost the same scrypt work as
  known ones, so timing does not reveal which names exist.
- **Lockout**: 5 failures for one user name lock that name (and only it) for
  60 s; every attempt meanwhile gets 429 with ``Retry-After``, even with the
  right password. Failures, lockouts and refusals are written to the audit log.
- **API keys** (``X-API-Key``) are compared as SHA-256 digests with
  ``compare_digest`` against every configured key, without early exit.

Basic auth has limits a student should know: the password travels with every
request (only base64, so use TLS beyond localhost), browsers cache it with no
way to log out, and it offers no CSRF protection by itself (see
``t32sim.monitor.security``).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from t32sim.audit import AuditLog, AuditResult
from t32sim.enums import StrEnum

__all__ = [
    "Role", "Principal", "AuthError", "hash_password", "verify_password", "generate_password",
    "UserStore", "default_users_path", "bootstrap_admin", "LockoutTracker", "ApiKeyring",
    "check_api_key", "generate_api_key", "parse_basic", "Authenticator",
    "ADMIN_PASSWORD_ENV", "API_KEY_ENV",
]

ADMIN_PASSWORD_ENV = "T32SIM_ADMIN_PASSWORD"
API_KEY_ENV = "T32SIM_API_KEY"
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN, SALT_BYTES = 2 ** 14, 8, 1, 32, 16
MAX_PASSWORD_CHARS = 1024


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
    """Authentication or authorisation failed: ``status`` is 401, 403 or 429."""

    def __init__(self, status: int, error: str, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.retry_after = retry_after


# -- passwords -------------------------------------------------------------------
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


# -- users -----------------------------------------------------------------------
def default_users_path(db_path: str | os.PathLike) -> Path:
    """The users file next to the database: ``monitor.db`` -> ``monitor.users.json``."""
    db = Path(db_path)
    return db.with_name(db.stem + ".users.json")


class UserStore:
    """User name -> (role, scrypt hash), kept in a 0600 JSON file; env overrides stay in memory."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else None
        self._users: dict[str, tuple[Role, str]] = {}
        self._memory: dict[str, tuple[Role, str]] = {}
        self._lock = threading.Lock()
        if self.path is not None and self.path.exists():
            self._load()

    def _load(self) -> None:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = data["users"]
            self._users = {name: (Role(entry["role"]), str(entry["password"]))
                           for name, entry in users.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{self.path}: expected {{\"users\": {{name: {{role, password}}}}}}"
                             f" ({exc})") from None

    def _save(self) -> None:
        if self.path is None:
            return
        data = {"users": {name: {"role": role.value, "password": hashed}
                          for name, (role, hashed) in sorted(self._users.items())}}
        tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, self.path)

    def set_user(self, name: str, password: str, role: Role | str = Role.VIEWER, *,
                 persist: bool = True, password_hash: str | None = None) -> None:
        """Create or replace ``name``; ``persist=False`` keeps it in memory only."""
        if not name or any(ch in name for ch in ":\r\n") or len(name) > 64:
            raise ValueError("name: expected 1-64 characters without ':' or line breaks")
        if password_hash is None:
            if len(password) < 8:
                raise ValueError("password: expected at least 8 characters")
            password_hash = hash_password(password)
        entry = (Role(role), password_hash)
        with self._lock:
            if persist:
                self._users[name] = entry
                self._memory.pop(name, None)
                self._save()
            else:
                self._memory[name] = entry

    def remove(self, name: str) -> None:
        with self._lock:
            self._memory.pop(name, None)
            if self._users.pop(name, None) is not None:
                self._save()

    def get(self, name: str) -> tuple[Role, str] | None:
        """``(role, hash)`` for ``name``; in-memory entries win over the file."""
        return self._memory.get(name) or self._users.get(name)

    def names(self) -> list[str]:
        return sorted(set(self._users) | set(self._memory))


def bootstrap_admin(store: UserStore, env: Mapping[str, str] | None = None,
                    announce: Callable[[str], None] = print, name: str = "admin") -> str | None:
    """Make sure ``admin`` exists: from ``T32SIM_ADMIN_PASSWORD``, the file, or a new random one.

    A generated password is passed to ``announce`` exactly once and returned;
    only its hash is written. Returns None when nothing was generated.
    """
    env = os.environ if env is None else env
    from_env = env.get(ADMIN_PASSWORD_ENV)
    if from_env:
        store.set_user(name, from_env, Role.ADMIN, persist=False)
        return None
    if store.get(name) is not None:
        return None
    password = generate_password()
    store.set_user(name, password, Role.ADMIN, persist=True)
    where = f" Only its hash is stored, in {store.path}." if store.path else ""
    announce(f"t32sim: generated a password for user '{name}': {password}\n"
             f"t32sim: it is shown only this once.{where} "
             f"Set {ADMIN_PASSWORD_ENV} to choose your own.")
    return password


# -- lockout ---------------------------------------------------------------------
class LockoutTracker:
    """Per-user failure counter: ``max_failures`` in a row lock that user for ``lock_seconds``."""

    def __init__(self, max_failures: int = 5, lock_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000):
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[str, list[float]] = OrderedDict()   # name -> [failures, locked_until]
        self._lock = threading.Lock()

    def locked_for(self, name: str) -> float:
        """Seconds the user stays locked (0 when not locked)."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                return 0.0
            remaining = entry[1] - self.clock()
            if remaining > 0:
                return remaining
            if entry[1]:                      # the lock expired: start afresh
                del self._entries[name]
            return 0.0

    def failure(self, name: str) -> bool:
        """Count a failure; True when this failure locks the user."""
        with self._lock:
            entry = self._entries.pop(name, None) or [0, 0.0]
            entry[0] += 1
            locks = entry[0] >= self.max_failures
            if locks:
                entry[1] = self.clock() + self.lock_seconds
            self._entries[name] = entry
            while len(self._entries) > self.max_entries:     # bounded memory: forget the oldest
                self._entries.popitem(last=False)
            return locks

    def success(self, name: str) -> None:
        with self._lock:
            self._entries.pop(name, None)


# -- API keys --------------------------------------------------------------------
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


# -- HTTP Basic ------------------------------------------------------------------
def parse_basic(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic ...`` header, None if absent/malformed."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token.strip() or len(token) > 4 * MAX_PASSWORD_CHARS:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep or not user:
        return None
    return user, password


class Authenticator:
    """Checks Basic credentials or API keys, applies the lockout, audits failures."""

    def __init__(self, users: UserStore, *, audit: AuditLog | None = None,
                 lockout: LockoutTracker | None = None, api_keys: ApiKeyring | None = None,
                 realm: str = "t32sim", cache_seconds: float = 300.0,
                 clock: Callable[[], float] = time.monotonic):
        self.users = users
        self.audit = audit
        self.lockout = lockout or LockoutTracker(clock=clock)
        self.api_keys = api_keys or ApiKeyring()
        self.realm = realm
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._cache_key = secrets.token_bytes(32)
        self._cache: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._dummy_hash = hash_password(secrets.token_urlsafe(16))

    @property
    def challenge(self) -> str:
        return f'Basic realm="{self.realm}", charset="UTF-8"'

    def authenticate(self, authorization: str | None, api_key: str | None = None,
                     source: str = "") -> Principal:
        """The caller, from ``X-API-Key`` if given, else Basic; raises :class:`AuthError`."""
        if api_key is not None:
            principal = self.api_keys.check(api_key)
            if principal is None:
                self._audit("-", "auth.api_key", AuditResult.DENIED, "invalid X-API-Key", source)
                raise AuthError(401, "unauthorized", "invalid API key")
            return principal
        if authorization is None:
            raise AuthError(401, "unauthorized", "authentication required")
        parsed = parse_basic(authorization)
        if parsed is None:
            self._audit("-", "auth.login", AuditResult.DENIED, "malformed Authorization header",
                        source)
            raise AuthError(401, "unauthorized", "malformed Basic credentials")
        name, password = parsed
        wait = self.lockout.locked_for(name)
        if wait > 0:
            retry = max(1, int(wait + 0.999))
            self._audit(name, "auth.login", AuditResult.LOCKED,
                        f"attempt while locked ({retry} s left)", source)
            raise AuthError(429, "locked", f"too many failed logins for this user; "
                                           f"retry in {retry} s", retry_after=retry)
        cached = self._cached(authorization)
        if cached is not None:
            return cached
        entry = self.users.get(name)
        ok = verify_password(password[:MAX_PASSWORD_CHARS],
                             entry[1] if entry else self._dummy_hash) and entry is not None
        if not ok:
            locked = self.lockout.failure(name)
            self._audit(name, "auth.login", AuditResult.DENIED,
                        "bad password" if entry else "unknown user", source)
            if locked:
                self._audit(name, "auth.lockout", AuditResult.LOCKED,
                            f"{self.lockout.max_failures} failed logins: locked for "
                            f"{self.lockout.lock_seconds:g} s", source)
            raise AuthError(401, "unauthorized", "invalid credentials")
        self.lockout.success(name)
        principal = Principal(name, entry[0], "basic")
        self._remember(authorization, entry[1], principal)
        return principal

    def authorize(self, principal: Principal, required: Role | str, action: str,
                  target: str = "", source: str = "") -> None:
        """Raise 403 (audited) unless ``principal`` has ``required``'s rights."""
        if not principal.role.allows(Role(required)):
            self._audit(principal.name, action, AuditResult.FORBIDDEN,
                        f"role {principal.role.value} may not {action}; needs {Role(required).value}",
                        source, target)
            raise AuthError(403, "forbidden", f"{action} needs the {Role(required).value} role")

    # -- verified-credential cache: scrypt once per 5 minutes, not once per request --
    def _digest(self, authorization: str, stored_hash: str = "") -> bytes:
        return hmac.new(self._cache_key, f"{authorization}\0{stored_hash}".encode("utf-8"),
                        hashlib.sha256).digest()

    def _cached(self, authorization: str) -> Principal | None:
        if self.cache_seconds <= 0:
            return None
        parsed = parse_basic(authorization)
        entry = self.users.get(parsed[0]) if parsed else None
        if entry is None:
            return None
        key = self._digest(authorization, entry[1])
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is None or hit[0] < self.clock() or hit[1].role != entry[0]:
                return None
            return hit[1]

    def _remember(self, authorization: str, stored_hash: str, principal: Principal) -> None:
        if self.cache_seconds <= 0:
            return
        with self._cache_lock:
            self._cache[self._digest(authorization, stored_hash)] = (
                self.clock() + self.cache_seconds, principal)
            while len(self._cache) > 256:
                self._cache.popitem(last=False)

    def _audit(self, who: str, action: str, result: AuditResult, detail: str, source: str,
               target: str = "") -> None:
        if self.audit is not None:
            self.audit.record(who, action, target=target or self.realm, detail=detail,
                              result=result.value, source=source)

"""HTTP Basic credentials and API keys -> a :class:`Principal`, with lockout and audit.

One request goes through these steps:

1. ``X-API-Key``, if sent, decides alone (SHA-256 digests, compared without early exit).
2. The Basic header is parsed; a request with a valid dashboard session for that user
   is exempt from the lockout (:mod:`t32sim.auth.sessions`).
3. A (user, source) pair that is locked gets 429 with ``Retry-After``, even with the
   right password, before anything is hashed.
4. Credentials verified in the last ``cache_seconds`` are served from a cache (an HMAC
   of the header and the stored hash, so a changed password misses it); a success
   without a session clears the pair's failures.
5. Otherwise the attempt is reserved in the lockout *before* hashing, identical
   concurrent attempts share one hash, and at most ``HashGate.limit`` hashes run at once.

Unknown users cost the same scrypt work as known ones, so timing does not reveal which
names exist. Failures, lockouts and refusals go to the audit log through a
:class:`~t32sim.auth.noise.NoiseFilter`, so a flood of them stays a bounded number of rows.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from typing import Callable

from t32sim.audit import AuditResult
from t32sim.auth.keys import ApiKeyring
from t32sim.auth.lockout import LockoutTracker
from t32sim.auth.noise import AuditSink, NoiseFilter
from t32sim.auth.passwords import MAX_PASSWORD_CHARS, HashGate, hash_password
from t32sim.auth.roles import AuthError, Principal, Role
from t32sim.auth.sessions import SessionStore
from t32sim.auth.users import UserStore

__all__ = ["Authenticator", "parse_basic"]


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


class _Flight:
    """One password check that identical concurrent attempts wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Principal | AuthError | None = None


class Authenticator:
    """Checks Basic credentials or API keys, applies the lockout, audits failures."""

    def __init__(self, users: UserStore, *, audit: AuditSink | None = None,
                 lockout: LockoutTracker | None = None, api_keys: ApiKeyring | None = None,
                 realm: str = "t32sim", cache_seconds: float = 300.0,
                 clock: Callable[[], float] = time.monotonic, hash_gate: HashGate | None = None,
                 sessions: SessionStore | None = None, noise: AuditSink | None = None):
        self.users = users
        self.audit = audit
        self.noise = noise if noise is not None else (NoiseFilter(audit, clock=clock)
                                                      if audit is not None else None)
        self.lockout = lockout or LockoutTracker(clock=clock)
        self.api_keys = api_keys or ApiKeyring()
        self.realm = realm
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.hash_gate = hash_gate or HashGate()
        self.sessions = sessions or SessionStore(clock=clock)
        self._cache_key = secrets.token_bytes(32)
        self._cache: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._flights: dict[bytes, _Flight] = {}
        self._flights_lock = threading.Lock()
        self._dummy_hash = hash_password(secrets.token_urlsafe(16))

    @property
    def challenge(self) -> str:
        return f'Basic realm="{self.realm}", charset="UTF-8"'

    # -- the fast path: no hashing, no I/O --------------------------------------------
    def quick(self, authorization: str | None, api_key: str | None = None, source: str = "",
              session: str | None = None) -> Principal | None:
        """The caller when that needs no hashing and no audit row (a valid API key, cached
        credentials of a pair that is not locked); None means: call :meth:`authenticate`."""
        if api_key is not None:
            return self.api_keys.check(api_key)
        parsed = parse_basic(authorization)
        if parsed is None:
            return None
        name = parsed[0]
        exempt = self.sessions.user(session) == name
        if not exempt and self.lockout.locked_for(name, source) > 0:
            return None
        cached = self._cached(authorization, name)
        if cached is not None and not exempt:
            self.lockout.success(name, source, reserved=False)
        return cached

    # -- the whole check ----------------------------------------------------------------
    def authenticate(self, authorization: str | None, api_key: str | None = None,
                     source: str = "", session: str | None = None) -> Principal:
        """The caller, from ``X-API-Key`` if given, else Basic; raises :class:`AuthError`."""
        if api_key is not None:
            principal = self.api_keys.check(api_key)
            if principal is None:
                self._noise("-", "auth.api_key", AuditResult.DENIED, "invalid X-API-Key", source)
                raise AuthError(401, "unauthorized", "invalid API key")
            return principal
        if authorization is None:
            raise AuthError(401, "unauthorized", "authentication required")
        parsed = parse_basic(authorization)
        if parsed is None:
            self._noise("-", "auth.login", AuditResult.DENIED, "malformed Authorization header",
                        source)
            raise AuthError(401, "unauthorized", "malformed Basic credentials")
        name, password = parsed
        exempt = self.sessions.user(session) == name
        if not exempt:
            self._refuse_if_locked(name, source, self.lockout.locked_for(name, source))
        cached = self._cached(authorization, name)
        if cached is not None:
            if not exempt:
                self.lockout.success(name, source, reserved=False)
            return cached
        flight, leader = self._join(authorization)
        if not leader:
            flight.done.wait(60.0)
            if isinstance(flight.result, Principal):
                return flight.result
            raise flight.result if flight.result is not None else AuthError(
                503, "busy", "the login check took too long; retry", retry_after=1)
        try:
            flight.result = self._check(name, password, authorization, source, exempt)
            return flight.result
        except AuthError as error:
            flight.result = error
            raise
        finally:
            self._land(authorization, flight)

    def _check(self, name: str, password: str, authorization: str, source: str,
               exempt: bool) -> Principal:
        """Reserve the attempt, hash, settle: the slow part of :meth:`authenticate`."""
        if not exempt:
            wait, locked = self.lockout.admit(name, source)
            if wait > 0 and not locked:
                self._noise(name, "auth.login", AuditResult.REFUSED,
                            "too many attempts at once: refused before hashing", source)
                raise AuthError(429, "busy", "too many login attempts at once for this user; "
                                             "retry in 1 s", retry_after=1)
            self._refuse_if_locked(name, source, wait)
        entry = self.users.get(name)
        ok = self.hash_gate.verify(password[:MAX_PASSWORD_CHARS],
                                   entry[1] if entry else self._dummy_hash) and entry is not None
        if not ok:
            locked = self.lockout.failure(name, source, reserved=not exempt)
            self._noise(name, "auth.login", AuditResult.DENIED,
                        "bad password" if entry else "unknown user", source)
            if locked:
                self._noise(name, "auth.lockout", AuditResult.LOCKED,
                            f"{self.lockout.max_failures} failed logins: locked for "
                            f"{locked:g} s" + (f" from {source}" if source else ""), source)
            raise AuthError(401, "unauthorized", "invalid credentials")
        if not exempt:
            self.lockout.success(name, source)
        principal = Principal(name, entry[0], "basic")
        self._remember(authorization, entry[1], principal)
        return principal

    def _refuse_if_locked(self, name: str, source: str, wait: float) -> None:
        if wait <= 0:
            return
        retry = max(1, int(wait + 0.999))
        self._noise(name, "auth.login", AuditResult.LOCKED,
                    f"attempt while locked ({retry} s left)", source)
        raise AuthError(429, "locked", f"too many failed logins for this user; "
                                       f"retry in {retry} s", retry_after=retry)

    def authorize(self, principal: Principal, required: Role | str, action: str,
                  target: str = "", source: str = "") -> None:
        """Raise 403 (audited) unless ``principal`` has ``required``'s rights."""
        if not principal.role.allows(Role(required)):
            if self.audit is not None:
                self.audit.record(principal.name, action, target=target or self.realm,
                                  detail=f"role {principal.role.value} may not {action}; "
                                         f"needs {Role(required).value}",
                                  result=AuditResult.FORBIDDEN.value, source=source)
            raise AuthError(403, "forbidden", f"{action} needs the {Role(required).value} role")

    # -- identical attempts at once share one check ---------------------------------------
    def _join(self, authorization: str) -> tuple[_Flight, bool]:
        key = self._digest(authorization)
        with self._flights_lock:
            flight = self._flights.get(key)
            if flight is not None:
                return flight, False
            flight = self._flights[key] = _Flight()
            return flight, True

    def _land(self, authorization: str, flight: _Flight) -> None:
        with self._flights_lock:
            self._flights.pop(self._digest(authorization), None)
        flight.done.set()

    # -- verified-credential cache: scrypt once per 5 minutes, not once per request --
    def _digest(self, authorization: str, stored_hash: str = "") -> bytes:
        return hmac.new(self._cache_key, f"{authorization}\0{stored_hash}".encode("utf-8"),
                        hashlib.sha256).digest()

    def _cached(self, authorization: str, name: str) -> Principal | None:
        if self.cache_seconds <= 0:
            return None
        entry = self.users.get(name)
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

    def _noise(self, who: str, action: str, result: AuditResult, detail: str,
               source: str) -> None:
        if self.noise is not None:
            self.noise.record(who, action, target=self.realm, detail=detail,
                              result=result.value, source=source)

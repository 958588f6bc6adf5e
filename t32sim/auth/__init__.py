"""Authentication shared by the failover monitor and the live server.

- **Passwords** are stored only as salted scrypt hashes (``passwords``), at most two
  hashed at once.
- **Users** live in a small 0600 JSON file next to the database (``users``). The admin
  password comes from ``T32SIM_ADMIN_PASSWORD``; without it a random one is generated on
  first start, shown once, and only its hash is kept; ``reset_password`` replaces a lost one.
- **Roles**: ``viewer`` reads, ``admin`` also acts (chaos, failover, reset) (``roles``).
- **HTTP Basic** and **API keys** (``authenticator``, ``keys``): compared in constant time;
  unknown users cost the same scrypt work as known ones.
- **Lockout** per user *and* source address, counted before hashing, with back-off and
  expiring failures (``lockout``); an open dashboard session is exempt (``sessions``).
- **Audit**: failures, lockouts and refusals are written, at a bounded rate (``noise``).

Basic auth has limits a student should know: the password travels with every
request (only base64, so use TLS beyond localhost), browsers cache it with no
way to log out, and it offers no CSRF protection by itself (see
``t32sim.monitor.security``).
"""
from t32sim.auth.authenticator import Authenticator, parse_basic
from t32sim.auth.keys import API_KEY_ENV, ApiKeyring, check_api_key, generate_api_key
from t32sim.auth.lockout import LockoutTracker
from t32sim.auth.noise import NoiseFilter
from t32sim.auth.passwords import HashGate, generate_password, hash_password, verify_password
from t32sim.auth.roles import AuthError, Principal, Role
from t32sim.auth.sessions import SESSION_COOKIE, SessionStore
from t32sim.auth.users import (
    ADMIN_PASSWORD_ENV, UserStore, bootstrap_admin, default_users_path, reset_password,
)

__all__ = [
    "Role", "Principal", "AuthError", "hash_password", "verify_password", "generate_password",
    "HashGate", "UserStore", "default_users_path", "bootstrap_admin", "reset_password",
    "LockoutTracker", "SessionStore", "SESSION_COOKIE", "NoiseFilter", "ApiKeyring",
    "check_api_key", "generate_api_key", "parse_basic", "Authenticator",
    "ADMIN_PASSWORD_ENV", "API_KEY_ENV",
]

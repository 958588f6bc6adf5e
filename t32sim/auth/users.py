"""Users: name -> (role, scrypt hash) in a small 0600 JSON file next to the database.

The admin password comes from ``T32SIM_ADMIN_PASSWORD``; without it a random one is
generated on first start, shown once, and only its hash is kept. A lost one is replaced
with :func:`reset_password` (``t32sim monitor --reset-password``); a running monitor
sees the new hash at its next login, because the store reloads a file that changed.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Callable, Mapping

from t32sim.auth.passwords import generate_password, hash_password
from t32sim.auth.roles import Role

__all__ = ["UserStore", "default_users_path", "bootstrap_admin", "reset_password",
           "ADMIN_PASSWORD_ENV"]

ADMIN_PASSWORD_ENV = "T32SIM_ADMIN_PASSWORD"


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
        self._seen: tuple[int, int] | None = None     # (mtime_ns, size) of the file we read
        if self.path is not None and self.path.exists():
            self._load()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except (OSError, AttributeError):
            return None
        return info.st_mtime_ns, info.st_size

    def _load(self) -> None:
        assert self.path is not None
        stamp = self._stamp()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = data["users"]
            self._users = {name: (Role(entry["role"]), str(entry["password"]))
                           for name, entry in users.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{self.path}: expected {{\"users\": {{name: {{role, password}}}}}}"
                             f" ({exc})") from None
        self._seen = stamp

    def _reload_if_changed(self) -> None:
        if self.path is None:
            return
        stamp = self._stamp()
        if stamp is not None and stamp != self._seen:
            with self._lock:
                try:
                    self._load()
                except (ValueError, OSError):      # half-written or broken: keep what we had
                    pass

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
        self._seen = self._stamp()

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
        self._reload_if_changed()
        with self._lock:
            if persist:
                self._users[name] = entry
                self._memory.pop(name, None)
                self._save()
            else:
                self._memory[name] = entry

    def remove(self, name: str) -> None:
        self._reload_if_changed()
        with self._lock:
            self._memory.pop(name, None)
            if self._users.pop(name, None) is not None:
                self._save()

    def get(self, name: str) -> tuple[Role, str] | None:
        """``(role, hash)`` for ``name``; in-memory entries win over the file."""
        self._reload_if_changed()
        return self._memory.get(name) or self._users.get(name)

    def names(self) -> list[str]:
        self._reload_if_changed()
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


def reset_password(store: UserStore, name: str = "admin", password: str | None = None) -> str:
    """Give ``name`` a new password (``password``, else a random one) and return it.

    The user keeps its role; a user that does not exist yet becomes an admin if it is
    called ``admin``, else a viewer.
    """
    password = password or generate_password()
    entry = store.get(name)
    role = entry[0] if entry else (Role.ADMIN if name == "admin" else Role.VIEWER)
    store.set_user(name, password, role, persist=True)
    return password

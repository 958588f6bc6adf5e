"""The audit chain's HMAC key: given, from ``T32SIM_AUDIT_KEY``, or a 0600 key file."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Mapping

__all__ = ["AuditKeyError", "load_key", "default_key_path", "KEY_ENV", "MIN_KEY_BYTES"]

KEY_ENV = "T32SIM_AUDIT_KEY"
MIN_KEY_BYTES = 16


class AuditKeyError(RuntimeError):
    """The audit key is missing, too short, or its file is readable by others."""


def default_key_path(db_path: str | os.PathLike) -> Path:
    """The key file that sits next to the database: ``monitor.db`` -> ``monitor.audit.key``."""
    db = Path(db_path)
    return db.with_name(db.stem + ".audit.key")


def load_key(db_path: str | os.PathLike, key: bytes | str | None = None, *,
             key_path: str | os.PathLike | None = None,
             env: Mapping[str, str] | None = None, create: bool = True) -> bytes:
    """The HMAC key: ``key``, else ``T32SIM_AUDIT_KEY``, else a 0600 key file.

    The key file is made on first use unless ``create`` is false (a verifier
    must never invent a key: it would call every existing row forged).
    """
    if key is None:
        key = (os.environ if env is None else env).get(KEY_ENV) or None
        source = KEY_ENV
    else:
        source = "key"
    if key is not None:
        raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if len(raw) < MIN_KEY_BYTES:
            raise AuditKeyError(f"{source}: expected at least {MIN_KEY_BYTES} bytes of secret, "
                                f"got {len(raw)}")
        return raw
    path = Path(key_path) if key_path is not None else default_key_path(db_path)
    if not create:
        if not path.exists():
            raise AuditKeyError(f"{path}: no audit key file; set {KEY_ENV} or give the key file "
                                f"that was used to write the log")
        return _read_key_file(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return _read_key_file(path)


def _read_key_file(path: Path) -> bytes:
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise AuditKeyError(f"{path}: the audit key file has mode {mode:04o}; "
                                f"expected 0600 (run: chmod 600 {path})")
    text = path.read_text(encoding="ascii").strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise AuditKeyError(f"{path}: expected a hex-encoded key") from None
    if len(raw) < MIN_KEY_BYTES:
        raise AuditKeyError(f"{path}: expected at least {MIN_KEY_BYTES} bytes of key, got {len(raw)}")
    return raw

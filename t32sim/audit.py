"""A tamper-evident audit log in SQLite, shared by the failover monitor and the live server.

Every row says who did what, when (wall time, UTC), from where (source
address), to which target, with which detail and result. Rows are written in
WAL mode inside ``BEGIN IMMEDIATE`` transactions, so many threads and
processes can record at once without "database is locked" errors and
without two rows ever getting the same place in the chain.

Text is neutralised before it is stored: CR, LF, TAB, other control
characters, Unicode format characters (bidi overrides, zero-width) and line
separators become visible escapes such as ``\\n`` or ``\\u202e`` (a backslash
becomes ``\\\\``), so a user name or detail cannot forge extra log lines or hide
text. Fields are cut to a bounded length.

**The chain.** Each row stores ``mac = HMAC-SHA256(key, id, time, who, source,
action, target, detail, result, prev_mac)`` where ``prev_mac`` is the previous
row's ``mac`` (64 zeros for row 1). :meth:`AuditLog.verify` walks the rows in
order and reports the first one whose id, link or mac does not check out:

- an **edited** row fails its own mac;
- a **deleted** row leaves a gap in the ids and breaks the next row's link;
- rows **renumbered** to hide a gap fail their macs (the id is signed);
- rows **inserted** or **reordered** break links and macs.

**What a chain cannot catch** on its own:

- **Truncation of the tail.** Deleting the newest rows leaves a shorter
  chain that is still perfectly valid. Only an external anchor helps: keep
  :meth:`AuditLog.head` (last id and mac) somewhere the attacker cannot
  write (a printout, an email, another machine) and pass it to
  ``verify(anchor=...)``. Deleting *every* row is the extreme case.
- **Someone who holds the key** can rewrite the whole chain. The default key
  file lives next to the database, so anyone who can read both can forge
  rows; keep ``T32SIM_AUDIT_KEY`` in a secret store, or the key file under
  another owner, to separate the two.
- **Events never recorded** (a crash before the write) and **false
  statements** (a wrong clock, a spoofed source address behind a proxy)
  are not tampering: the chain only proves the rows were not changed after
  they were written.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import stat
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from t32sim.enums import StrEnum

__all__ = [
    "AuditLog", "AuditRow", "AuditResult", "VerifyReport", "AuditKeyError",
    "neutralise", "load_key", "default_key_path", "KEY_ENV", "GENESIS",
]

KEY_ENV = "T32SIM_AUDIT_KEY"
GENESIS = "0" * 64
MIN_KEY_BYTES = 16
FIELD_LIMITS = {"who": 128, "source": 128, "action": 64, "target": 256,
                "detail": 2000, "result": 32}
COLUMNS = ("id", "time", "who", "source", "action", "target", "detail", "result",
           "prev_mac", "mac")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id       INTEGER PRIMARY KEY,
    time     TEXT NOT NULL,
    who      TEXT NOT NULL,
    source   TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    detail   TEXT NOT NULL,
    result   TEXT NOT NULL,
    prev_mac TEXT NOT NULL,
    mac      TEXT NOT NULL
)
"""


class AuditResult(StrEnum):
    """Usual values for the ``result`` column (any short string is accepted)."""
    OK = "ok"
    ERROR = "error"
    DENIED = "denied"        # authentication failed
    FORBIDDEN = "forbidden"  # authenticated, but the role may not do this
    REFUSED = "refused"      # refused before authorisation (cross-site, bad input)
    LOCKED = "locked"        # the user is locked out


class AuditKeyError(RuntimeError):
    """The audit key is missing, too short, or its file is readable by others."""


@dataclass(frozen=True)
class AuditRow:
    id: int
    time: str
    who: str
    source: str
    action: str
    target: str
    detail: str
    result: str
    prev_mac: str
    mac: str

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in COLUMNS}


@dataclass(frozen=True)
class VerifyReport:
    """The result of :meth:`AuditLog.verify`; true when the chain is intact."""
    ok: bool
    rows: int                  # rows checked (up to and including the first bad one)
    first_bad_id: int | None
    reason: str

    def __bool__(self) -> bool:
        return self.ok


# -- text and keys ---------------------------------------------------------------
def neutralise(value: object, limit: int = 2000) -> str:
    """``value`` as one safe line: control/format characters escaped, cut to ``limit``."""
    text = "" if value is None else str(value)
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    safe = "".join(out)
    if len(safe) > limit:
        safe = safe[: max(0, limit - 1)] + "…"
    return safe


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


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


# -- the log ---------------------------------------------------------------------
class AuditLog:
    """An HMAC-chained audit table ``audit`` in the SQLite database at ``path``.

    Safe to use from many threads and processes: every call opens its own
    short-lived connection, and writes take the database's write lock first.
    """

    def __init__(self, path: str | os.PathLike, key: bytes | str | None = None, *,
                 key_path: str | os.PathLike | None = None,
                 clock: Callable[[], datetime] | None = None,
                 busy_timeout: float = 30.0, create_key: bool = True):
        self.path = Path(path)
        self._key = load_key(self.path, key, key_path=key_path, create=create_key)
        self._clock = clock or _utc_now
        self.busy_timeout = busy_timeout
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)

    # -- writing -------------------------------------------------------------------
    def record(self, who: str, action: str, target: str = "", detail: str = "",
               result: str = "ok", source: str = "") -> AuditRow:
        """Append one row (neutralised, chained) and return it as stored."""
        fields = {
            "who": neutralise(who, FIELD_LIMITS["who"]) or "-",
            "source": neutralise(source, FIELD_LIMITS["source"]),
            "action": neutralise(action, FIELD_LIMITS["action"]),
            "target": neutralise(target, FIELD_LIMITS["target"]),
            "detail": neutralise(detail, FIELD_LIMITS["detail"]),
            "result": neutralise(str(result), FIELD_LIMITS["result"]),
        }
        if not fields["action"]:
            raise ValueError("action: expected a non-empty action name")
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute("SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1").fetchone()
                row_id, prev_mac = (last[0] + 1, last[1]) if last else (1, GENESIS)
                when = self._clock().astimezone(timezone.utc).isoformat(timespec="milliseconds")
                values = {"id": row_id, "time": when, **fields, "prev_mac": prev_mac}
                values["mac"] = self._mac(values)
                conn.execute(f"INSERT INTO audit ({', '.join(COLUMNS)}) VALUES "
                             f"({', '.join('?' for _ in COLUMNS)})",
                             [values[name] for name in COLUMNS])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return AuditRow(**values)

    # -- reading -------------------------------------------------------------------
    def rows(self, limit: int | None = 100, *, newest_first: bool = True,
             action: str | None = None, who: str | None = None) -> list[AuditRow]:
        """Rows, newest first by default, optionally only one action or one user."""
        where, args = [], []
        if action is not None:
            where.append("action = ?")
            args.append(action)
        if who is not None:
            where.append("who = ?")
            args.append(who)
        sql = f"SELECT {', '.join(COLUMNS)} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id " + ("DESC" if newest_first else "ASC")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._connect() as conn:
            return [AuditRow(*row) for row in conn.execute(sql, args)]

    def count(self) -> int:
        with self._connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]

    def head(self) -> tuple[int, str] | None:
        """``(id, mac)`` of the newest row: keep it elsewhere as an anchor against truncation."""
        with self._connect() as conn:
            row = conn.execute("SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    def verify(self, anchor: tuple[int, str] | None = None) -> VerifyReport:
        """Walk the chain; report the first row that was edited, removed or moved."""
        checked = 0
        prev_mac, expected_id = GENESIS, 1
        anchor_seen = anchor is None
        with self._connect() as conn:
            for raw in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit ORDER BY id"):
                row = AuditRow(*raw)
                checked += 1
                if row.id != expected_id:
                    missing = (f"row {expected_id}" if row.id == expected_id + 1
                               else f"rows {expected_id}..{row.id - 1}")
                    return VerifyReport(False, checked, row.id,
                                        f"row {row.id}: {missing} missing (deleted?)")
                if not hmac.compare_digest(row.prev_mac, prev_mac):
                    return VerifyReport(False, checked, row.id,
                                        f"row {row.id}: its link does not match row "
                                        f"{row.id - 1}'s mac (a row was replaced or removed)")
                if not hmac.compare_digest(self._mac(row.as_dict()), row.mac):
                    return VerifyReport(False, checked, row.id,
                                        f"row {row.id}: its mac does not match its contents "
                                        f"(edited, or written with another key)")
                if anchor is not None and row.id == anchor[0]:
                    if not hmac.compare_digest(row.mac, anchor[1]):
                        return VerifyReport(False, checked, row.id,
                                            f"row {row.id}: its mac differs from the anchor")
                    anchor_seen = True
                prev_mac, expected_id = row.mac, row.id + 1
        if not anchor_seen:
            return VerifyReport(False, checked, anchor[0],
                                f"the log ends at row {expected_id - 1} but the anchor names row "
                                f"{anchor[0]}: the tail was truncated")
        return VerifyReport(True, checked, None, f"{checked} rows, chain intact")

    # -- internals -----------------------------------------------------------------
    def _mac(self, values: Mapping[str, object]) -> str:
        message = json.dumps([values[name] for name in COLUMNS[:-1]], ensure_ascii=False,
                             separators=(",", ":"))
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def _connect(self) -> "_Connection":
        return _Connection(self.path, self.busy_timeout)


class _Connection:
    """A short-lived autocommit connection that is always closed."""

    def __init__(self, path: Path, timeout: float):
        self._conn = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                                     check_same_thread=False)

    def __enter__(self) -> sqlite3.Connection:
        return self._conn

    def __exit__(self, *exc) -> None:
        self._conn.close()


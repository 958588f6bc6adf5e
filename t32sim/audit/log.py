"""The HMAC-chained audit table ``audit`` and its keyed head ``audit_head`` in SQLite."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from t32sim.audit.keys import load_key
from t32sim.audit.text import FIELD_LIMITS, neutralise
from t32sim.enums import StrEnum
from t32sim.web.sqlite import Database

__all__ = ["AuditLog", "AuditRow", "AuditResult", "VerifyReport", "GENESIS", "COLUMNS"]

GENESIS = "0" * 64
COLUMNS = ("id", "time", "who", "source", "action", "target", "detail", "result",
           "prev_mac", "mac")

_HEAD_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_head (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    last_id INTEGER NOT NULL,
    last_mac TEXT NOT NULL,
    mac     TEXT NOT NULL
)
"""
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


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


# -- the log ---------------------------------------------------------------------
class AuditLog:
    """An HMAC-chained audit table ``audit`` in the SQLite database at ``path``.

    Safe to use from many threads and processes: one :class:`t32sim.web.Database`
    connection (WAL, a 0600 file) per object, writes take the database's write lock
    first, and :meth:`verify` reads one snapshot on a connection of its own.
    """

    def __init__(self, path: str | os.PathLike, key: bytes | str | None = None, *,
                 key_path: str | os.PathLike | None = None,
                 clock: Callable[[], datetime] | None = None,
                 busy_timeout: float = 30.0, create_key: bool = True):
        self.path = Path(path)
        self._key = load_key(self.path, key, key_path=key_path, create=create_key)
        self._clock = clock or _utc_now
        self.busy_timeout = busy_timeout
        self.writer = create_key
        self._db: Database | None = None
        if self.writer:                       # a verifier changes nothing, not even the schema
            self._create()

    @property
    def db(self) -> Database:
        """The connection, opened on first use."""
        if self._db is None:
            self._db = Database(self.path, timeout=self.busy_timeout)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _create(self) -> None:
        """Tables and head; a log whose head is missing is anchored again, and says so."""
        with self.db.transaction() as conn:
            conn.execute(_SCHEMA)
            conn.execute(_HEAD_SCHEMA)
            if conn.execute("SELECT 1 FROM audit_head").fetchone() is None:
                last = conn.execute("SELECT id FROM audit ORDER BY id DESC LIMIT 1").fetchone()
                self._set_head(conn, 0, GENESIS)
                if last is not None:
                    self._append(conn, {
                        "who": "audit", "source": "", "action": "audit.anchor",
                        "target": "audit_head", "result": AuditResult.ERROR.value,
                        "detail": f"the keyed head was missing (deleted, or a log from "
                                  f"before heads); anchored again at row {last[0] + 1}"})

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
        if not self.writer:
            raise ValueError("this AuditLog was opened to verify (create_key=False); it does "
                             "not write")
        with self.db.transaction() as conn:
            values = self._append(conn, fields)
        return AuditRow(**values)

    def _append(self, conn: sqlite3.Connection, fields: Mapping[str, str]) -> dict:
        """Insert one chained row and move the head to it (inside the caller's transaction)."""
        last = conn.execute("SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        row_id, prev_mac = (last[0] + 1, last[1]) if last else (1, GENESIS)
        when = self._clock().astimezone(timezone.utc).isoformat(timespec="milliseconds")
        values = {"id": row_id, "time": when, **fields, "prev_mac": prev_mac}
        values["mac"] = self._mac(values)
        conn.execute(f"INSERT INTO audit ({', '.join(COLUMNS)}) VALUES "
                     f"({', '.join('?' for _ in COLUMNS)})", [values[name] for name in COLUMNS])
        self._set_head(conn, row_id, values["mac"])
        return values

    def _set_head(self, conn: sqlite3.Connection, last_id: int, last_mac: str) -> None:
        conn.execute("INSERT INTO audit_head (one, last_id, last_mac, mac) VALUES (1, ?, ?, ?) "
                     "ON CONFLICT(one) DO UPDATE SET last_id = excluded.last_id, "
                     "last_mac = excluded.last_mac, mac = excluded.mac",
                     (last_id, last_mac, self._head_mac(last_id, last_mac)))

    def _head_mac(self, last_id: int, last_mac: str) -> str:
        message = json.dumps(["audit_head", last_id, last_mac], separators=(",", ":"))
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

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
        return [AuditRow(*row) for row in self.db.query(sql, tuple(args))]

    def count(self) -> int:
        return self.db.query("SELECT COUNT(*) FROM audit")[0][0]

    def head(self) -> tuple[int, str] | None:
        """``(id, mac)`` of the newest row: keep it elsewhere as an anchor against a rollback."""
        rows = self.db.query("SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1")
        return (rows[0][0], rows[0][1]) if rows else None

    def verify(self, anchor: tuple[int, str] | None = None) -> VerifyReport:
        """Walk the chain and its keyed head; report the first row that was edited, removed
        or moved, or a head that does not match (the newest rows deleted)."""
        reader = Database(self.path, timeout=self.busy_timeout)   # not this object's lock
        try:
            with reader.snapshot() as conn:          # one snapshot of rows and head
                tables = {name for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                if "audit" not in tables:
                    return VerifyReport(False, 0, None, f"no audit log in {self.path}")
                report, last = self._walk(conn, anchor)
                if not report.ok:
                    return report
                head = (conn.execute("SELECT last_id, last_mac, mac FROM audit_head").fetchone()
                        if "audit_head" in tables else None)
        finally:
            reader.close()
        return self._check_head(report, last, head)

    def _check_head(self, report: VerifyReport, last: tuple[int, str],
                    head: tuple[int, str, str] | None) -> VerifyReport:
        rows, (last_id, last_mac) = report.rows, last
        if head is None:
            return VerifyReport(False, rows, last_id + 1 if rows else None,
                                "the keyed head of the chain is missing (deleted?)")
        head_id, head_mac, mac = head
        if not hmac.compare_digest(self._head_mac(head_id, head_mac), mac):
            return VerifyReport(False, rows, head_id, "the keyed head's mac does not match "
                                                      "(edited, or written with another key)")
        if head_id > last_id:
            missing = f"row {head_id}" if head_id == last_id + 1 else f"rows {last_id + 1}..{head_id}"
            return VerifyReport(False, rows, last_id + 1,
                                f"the log ends at row {last_id} but its keyed head names row "
                                f"{head_id}: {missing} deleted from the end")
        if head_id < last_id or not hmac.compare_digest(head_mac, last_mac):
            return VerifyReport(False, rows, head_id + 1 if head_id < last_id else head_id,
                                f"the keyed head names row {head_id}, but the chain ends at row "
                                f"{last_id} with another mac (rows written without the head)")
        return report

    def _walk(self, conn: sqlite3.Connection,
              anchor: tuple[int, str] | None) -> tuple[VerifyReport, tuple[int, str]]:
        """The chain check proper; also returns the last (id, mac) it saw."""
        checked = 0
        prev_mac, expected_id = GENESIS, 1
        anchor_seen = anchor is None

        def broken(row_id: int, reason: str) -> tuple[VerifyReport, tuple[int, str]]:
            return VerifyReport(False, checked, row_id, reason), (expected_id - 1, prev_mac)

        for raw in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit ORDER BY id"):
            row = AuditRow(*raw)
            checked += 1
            if row.id != expected_id:
                missing = (f"row {expected_id}" if row.id == expected_id + 1
                           else f"rows {expected_id}..{row.id - 1}")
                return broken(row.id, f"row {row.id}: {missing} missing (deleted?)")
            if not hmac.compare_digest(row.prev_mac, prev_mac):
                return broken(row.id, f"row {row.id}: its link does not match row {row.id - 1}'s "
                                      f"mac (a row was replaced or removed)")
            if not hmac.compare_digest(self._mac(row.as_dict()), row.mac):
                return broken(row.id, f"row {row.id}: its mac does not match its contents "
                                      f"(edited, or written with another key)")
            if anchor is not None and row.id == anchor[0]:
                if not hmac.compare_digest(row.mac, anchor[1]):
                    return broken(row.id, f"row {row.id}: its mac differs from the anchor")
                anchor_seen = True
            prev_mac, expected_id = row.mac, row.id + 1
        if not anchor_seen:
            return broken(anchor[0], f"the log ends at row {expected_id - 1} but the anchor names "
                                     f"row {anchor[0]}: the tail was truncated")
        return (VerifyReport(True, checked, None, f"{checked} rows, chain intact"),
                (expected_id - 1, prev_mac))

    # -- internals -----------------------------------------------------------------
    def _mac(self, values: Mapping[str, object]) -> str:
        message = json.dumps([values[name] for name in COLUMNS[:-1]], ensure_ascii=False,
                             separators=(",", ":"))
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

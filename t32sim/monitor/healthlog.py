"""The health log: every check in SQLite (``t32sim.web.Database``: WAL, a 0600 file), with
bounded retention (the newest N rows)."""
from __future__ import annotations

import os
from pathlib import Path

from t32sim.monitor.checker import HealthCheck
from t32sim.web import Database

__all__ = ["HealthLog"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS health (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time        TEXT NOT NULL,
    target      TEXT NOT NULL,
    url         TEXT NOT NULL,
    ok          INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms  REAL NOT NULL,
    error       TEXT NOT NULL,
    decision    TEXT NOT NULL
)
"""
_COLUMNS = ("id", "time", "target", "url", "ok", "status_code", "latency_ms", "error", "decision")


class HealthLog:
    """Table ``health`` in the database at ``path``; only the newest ``retention`` rows stay."""

    def __init__(self, path: str | os.PathLike, retention: int = 10_000):
        if retention < 1:
            raise ValueError(f"retention: expected an integer >= 1, got {retention!r}")
        self.path = Path(path)
        self.retention = retention
        self.db = Database(self.path, schema=_SCHEMA)

    def record(self, check: HealthCheck, decision: str = "") -> int:
        """Store one check and drop rows beyond the retention; returns the new row id."""
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO health (time, target, url, ok, status_code, latency_ms, error, decision)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (check.time, check.target, check.url, int(check.ok), check.status_code,
                 check.latency_ms, check.error[:500], str(decision)))
            row_id = cursor.lastrowid
            conn.execute("DELETE FROM health WHERE id <= ?", (row_id - self.retention,))
        return row_id

    def rows(self, limit: int = 100, newest_first: bool = True) -> list[dict]:
        order = "DESC" if newest_first else "ASC"
        rows = self.db.query(f"SELECT {', '.join(_COLUMNS)} FROM health ORDER BY id {order} "
                             f"LIMIT ?", (int(limit),))
        return [dict(zip(_COLUMNS, row), ok=bool(row[4])) for row in rows]

    def count(self) -> int:
        return self.db.query("SELECT COUNT(*) FROM health")[0][0]

    def close(self) -> None:
        self.db.close()

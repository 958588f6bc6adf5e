"""The server's durable command journal: SQLite in WAL mode (``t32sim.web.Database``: the
file and its ``-wal`` / ``-shm`` are private, mode 0600).

Row ``pos`` mirrors ``cluster.journal[pos]``. A command row is written (and
committed) *before* the command is applied, then overwritten with the engine's own
record of it, or deleted if the engine refused it. The engine coalesces
consecutive ``run`` calls into one entry; the pacer re-writes that last row as
simulated time moves on, so the journal also says how far time got. It also
coalesces identical ``select``/``request`` commands at one instant into one entry
with a ``count``: for those the write-ahead is an UPDATE of the last row with the
count added, not a new row. A server restarted on the same file replays the rows
and is back in the same state.

Beside the commands the file keeps ``meta`` (seed, paused, speed). The shared
``t32sim.audit.AuditLog`` keeps its own ``audit`` table in the same file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Sequence

from t32sim.web import Database

__all__ = ["CommandJournal", "JOURNAL_FORMAT"]

JOURNAL_FORMAT = "t32sim-journal/1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
    pos     INTEGER PRIMARY KEY,
    time    REAL NOT NULL,
    actor   TEXT NOT NULL,
    verb    TEXT NOT NULL,
    args    TEXT NOT NULL,
    source  TEXT
);
"""


class CommandJournal:
    """Commands (as ``Command.to_dict()`` dicts) and server settings in one SQLite file.

    ``path=None`` keeps everything in memory (a server that forgets on exit).
    """

    def __init__(self, path: str | Path | None = None):
        self._db = Database(path, schema=_SCHEMA)   # only the loop writes
        self.path = self._db.path
        self._synced = 0          # the cluster's journal entries the rows mirror
        self._rows = -1           # rows on disk, when known
        self._cached: dict[int, tuple] = {}    # the newest rows on disk, by position

    # ---- meta ---------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return default if not row else json.loads(row[0][0])

    def set_meta(self, key: str, value: Any) -> None:
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    (key, json.dumps(value)))

    # ---- commands -----------------------------------------------------------------
    def commands(self) -> list[dict]:
        """Every journaled command, in order, as ``Command.to_dict()`` dicts."""
        rows = self._query("SELECT time, actor, verb, args FROM commands ORDER BY pos")
        return [{"time": t, "actor": actor, "verb": verb, "args": json.loads(args)}
                for t, actor, verb, args in rows]

    def __len__(self) -> int:
        return self._query("SELECT COUNT(*) FROM commands")[0][0]

    def scenario(self) -> dict:
        """The replayable scenario file: ``{"format", "seed", "commands"}``."""
        return {"format": JOURNAL_FORMAT, "seed": self.get_meta("seed"),
                "commands": self.commands()}

    @property
    def synced(self) -> int:
        """How many of the cluster's journal entries the rows mirrored at the last ``sync``."""
        return self._synced

    def resume_point(self) -> int:
        """Where the next ``sync`` must start: the last synced entry, which may have been
        rewritten since (a growing ``run``), or 0."""
        return max(0, self._synced - 1)

    def write_ahead(self, pos: int, command: dict, source: str | None = None) -> None:
        """Commit ``command`` at ``pos`` before it is applied."""
        row = _row(pos, command)
        self._upsert([row], source)
        if self._rows >= 0:
            self._rows = max(self._rows, pos + 1)
        self._cached[pos] = row

    def discard(self, pos: int) -> None:
        """Forget a write-ahead row whose command the engine refused."""
        self._write("DELETE FROM commands WHERE pos >= ?", (pos,))
        self._synced = min(self._synced, pos)
        self._rows, self._cached = -1, {}

    def sync(self, entries: Sequence, start: int = 0, source: str | None = None) -> None:
        """Make the rows from ``start`` on equal ``entries``: the cluster's journal from
        index ``start`` on (``cluster.journal_since(start)``); later rows are deleted.

        Entries before ``start`` must already be on disk (they never change). Only rows
        that differ from what was last written are written, and nothing at all when
        every row is already there, so a tick that changed nothing costs no write.
        """
        total = start + len(entries)
        rows = [_row(start + i, _as_dict(entry)) for i, entry in enumerate(entries)]
        changed = [row for row in rows if self._cached.get(row[0]) != row]
        if not changed and total == self._rows:
            self._synced = total
            return
        with self._db.transaction() as conn:
            self._upsert_rows(conn, changed, source)
            conn.execute("DELETE FROM commands WHERE pos >= ?", (total,))
        self._synced = total
        self._remember(rows, total)

    def _remember(self, rows: list[tuple], count: int) -> None:
        """Keep the newest rows on disk (as written), to skip rewriting identical ones."""
        self._rows = count
        self._cached = {pos: row for pos, row in self._cached.items() if count - 2 <= pos < count}
        self._cached.update((row[0], row) for row in rows[-2:])

    def mark_synced(self, count: int) -> None:
        """Tell the journal that the first ``count`` rows match the cluster's journal."""
        self._synced = count

    def replace(self, commands: Iterable[dict]) -> None:
        """Replace every command row (used when a restore prunes refused rows)."""
        rows = [_row(pos, command) for pos, command in enumerate(commands)]
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM commands")
            self._upsert_rows(conn, rows, None)
        self._synced = len(rows)
        self._remember(rows, len(rows))

    def close(self) -> None:
        self._db.close()

    # ---- plumbing -----------------------------------------------------------------
    def _upsert(self, rows: list[tuple], source: str | None) -> None:
        with self._db.transaction() as conn:
            self._upsert_rows(conn, rows, source)

    @staticmethod
    def _upsert_rows(conn, rows: list[tuple], source: str | None) -> None:
        conn.executemany(
            "INSERT INTO commands (pos, time, actor, verb, args, source) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(pos) DO UPDATE SET time=excluded.time, "
            "actor=excluded.actor, verb=excluded.verb, args=excluded.args, "
            "source=COALESCE(excluded.source, commands.source)",
            [(*row, source) for row in rows])

    def _write(self, sql: str, params: tuple) -> None:
        self._db.execute(sql, params)

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._db.query(sql, params)


def _row(pos: int, command: dict) -> tuple:
    """``(pos, time, actor, verb, args as JSON)``: a command as the table stores it."""
    return (pos, float(command["time"]), str(command["actor"]), str(command["verb"]),
            json.dumps(command["args"]))


def _as_dict(command: Any) -> dict:
    return command if isinstance(command, dict) else command.to_dict()

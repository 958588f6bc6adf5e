"""SQLite the one way both servers use it: private files, WAL, one connection per object.

``Database(path)`` opens one autocommit connection (``isolation_level=None``) shared by
the object's threads under a lock, in WAL mode with ``synchronous=NORMAL`` (a killed
process loses nothing committed; only a power cut may lose the last commits) and a busy
timeout, so several objects and processes can share one file (the live server keeps
its journal and the audit log in the same file; the monitor its health and audit logs)::

    db = Database("journal.db", schema=SCHEMA)
    with db.transaction() as conn:          # BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)
        conn.execute("INSERT ...", (...))
    rows = db.query("SELECT ...", (...))
    with db.snapshot() as conn:             # BEGIN ... COMMIT: consistent reads
        ...
    db.close()

The file and its ``-wal`` / ``-shm`` companions are created mode 0600 (SQLite gives the
companions the database file's mode) and an existing file that others can read is
tightened to 0600: the journal names who did what, the audit log is evidence.
``path=None`` keeps everything in memory.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any, Iterator

__all__ = ["Database", "create_private", "PRIVATE_MODE"]

PRIVATE_MODE = 0o600
COMPANIONS = ("-wal", "-shm", "-journal")


def create_private(path: str | os.PathLike) -> Path:
    """Make sure ``path`` exists with mode 0600, and tighten its SQLite companions.

    An existing file is never opened: closing any descriptor of a file drops every POSIX
    lock this process holds on it, SQLite's included, and a connection of another process
    would then take itself for the last one and delete the WAL that a ``Database`` on the
    same file is still writing (SQLite's "How To Corrupt", 2.2.1)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    for target in (path, *(path.with_name(path.name + suffix) for suffix in COMPANIONS)):
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077 and target.stat().st_uid == os.getuid():
            target.chmod(mode & ~0o077)
    return path


class Database:
    """One SQLite connection in WAL mode, used under a lock. See the module docstring."""

    def __init__(self, path: str | os.PathLike | None, *, schema: str = "",
                 timeout: float = 30.0):
        self.path = None if path is None else create_private(path)
        target = ":memory:" if self.path is None else str(self.path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(target, timeout=timeout, isolation_level=None,
                                     check_same_thread=False)
        try:
            if self.path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            if schema:
                self._conn.executescript(schema)
        except BaseException:
            self._conn.close()
            raise

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` (the write lock first, so two writers never deadlock), then
        COMMIT, or ROLLBACK if the block raised."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction (plain ``BEGIN``): every query in the block sees the same
        state, and in WAL mode writers on other connections are not held up."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple | dict = ()) -> None:
        """One statement in its own (autocommit) transaction."""
        with self._lock:
            self._conn.execute(sql, params)

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

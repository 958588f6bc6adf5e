"""t32sim.web.sqlite: private files (companions too), WAL, transactions that roll back."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest

from t32sim.web import Database, create_private


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_and_its_wal_and_shm_are_private(tmp_path):
    db = Database(tmp_path / "j.db", schema="CREATE TABLE t (x INTEGER)")
    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["j.db", "j.db-shm", "j.db-wal"]
    assert {name: mode(tmp_path / name) for name in names} == dict.fromkeys(names, 0o600)
    assert db.query("PRAGMA journal_mode") == [("wal",)]
    db.close()


def test_a_private_file_is_made_even_under_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        path = create_private(tmp_path / "sub" / "a.db")
    finally:
        os.umask(old)
    assert mode(path) == 0o600


def test_an_existing_readable_file_and_companions_are_tightened(tmp_path):
    for name in ("old.db", "old.db-wal", "old.db-shm"):
        (tmp_path / name).write_bytes(b"")
        os.chmod(tmp_path / name, 0o644)
    create_private(tmp_path / "old.db")
    assert [mode(tmp_path / n) for n in ("old.db", "old.db-wal", "old.db-shm")] == [0o600] * 3


def test_a_failed_transaction_leaves_nothing(tmp_path):
    db = Database(tmp_path / "t.db", schema="CREATE TABLE t (x INTEGER)")
    with pytest.raises(RuntimeError):
        with db.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")
    assert db.query("SELECT COUNT(*) FROM t") == [(0,)]
    db.close()


def test_two_databases_on_one_file_write_from_many_threads(tmp_path):
    schema = "CREATE TABLE IF NOT EXISTS t (x INTEGER)"
    one, two = Database(tmp_path / "s.db", schema=schema), Database(tmp_path / "s.db", schema=schema)

    def write(db, start):
        for i in range(start, start + 50):
            with db.transaction() as conn:
                conn.execute("INSERT INTO t VALUES (?)", (i,))

    threads = [threading.Thread(target=write, args=(db, n * 50)) for n, db in
               enumerate([one, two, one, two])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert one.query("SELECT COUNT(*), COUNT(DISTINCT x) FROM t") == [(200, 200)]
    one.close()
    two.close()


def test_memory_database_has_no_file(tmp_path):
    db = Database(None, schema="CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    assert db.path is None and db.query("SELECT x FROM t") == [(1,)]
    db.close()


def test_another_process_reading_the_file_leaves_the_wal_of_two_databases_alone(tmp_path):
    """Two objects on one file (the journal and the audit log), and a reader in another
    process that connects and closes: it must not take itself for the last connection,
    check the WAL in and delete it, which would hide every later commit from others."""
    schema = "CREATE TABLE IF NOT EXISTS t (x INTEGER)"
    path = tmp_path / "shared.db"
    one, two = Database(path, schema=schema), Database(path, schema=schema)
    count = ("import sqlite3, sys\nconn = sqlite3.connect(sys.argv[1])\n"
             "print(conn.execute('SELECT COUNT(*) FROM t').fetchone()[0])\nconn.close()")

    def rows_seen_by_another_process() -> int:
        done = subprocess.run([sys.executable, "-c", count, str(path)], capture_output=True,
                              text=True, check=True, timeout=30)
        return int(done.stdout)

    one.execute("INSERT INTO t VALUES (1)")
    assert rows_seen_by_another_process() == 1
    two.execute("INSERT INTO t VALUES (2)")
    one.execute("INSERT INTO t VALUES (3)")
    assert (tmp_path / "shared.db-wal").exists()
    assert rows_seen_by_another_process() == 3
    one.close()
    two.close()

"""The tamper-evident audit log (t32sim/audit.py): rows, neutralising, concurrency, the chain."""
from __future__ import annotations

import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone

import pytest

from t32sim.audit import GENESIS, AuditKeyError, AuditLog, default_key_path, load_key, neutralise
from tests.support import run_together

KEY = b"k" * 32
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def ticking_clock():
    """A clock that advances one second per row, so rows have exact, distinct times."""
    state = {"n": 0}

    def clock():
        state["n"] += 1
        return T0 + timedelta(seconds=state["n"] - 1)
    return clock


@pytest.fixture
def log(tmp_path):
    return AuditLog(tmp_path / "audit.db", key=KEY, clock=ticking_clock())


def fill(log, n=5):
    for i in range(1, n + 1):
        log.record("admin", "chaos.cpu", target="v1", detail=f"level={10 * i}", source="127.0.0.1")


def test_record_writes_the_row_exactly(log, tmp_path):
    row = log.record("admin", "chaos.corruption", target="v1", detail="from the dashboard",
                     result="ok", source="127.0.0.1")
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        stored = conn.execute("SELECT id, time, who, source, action, target, detail, result, "
                              "prev_mac FROM audit").fetchall()
    conn.close()
    assert stored == [(1, "2025-03-01T12:00:00.000+00:00", "admin", "127.0.0.1",
                       "chaos.corruption", "v1", "from the dashboard", "ok", GENESIS)]
    assert row.id == 1 and len(row.mac) == 64
    assert log.rows() == [row]


def test_rows_newest_first_with_filters(log):
    log.record("admin", "chaos.cpu", target="v1")
    log.record("bob", "auth.login", result="denied")
    log.record("admin", "failover", target="v2")
    assert [r.id for r in log.rows()] == [3, 2, 1]
    assert [r.id for r in log.rows(newest_first=False, limit=2)] == [1, 2]
    assert [r.action for r in log.rows(who="admin")] == ["failover", "chaos.cpu"]
    assert [r.who for r in log.rows(action="auth.login")] == ["bob"]
    assert log.count() == 3 and log.head()[0] == 3


def test_journal_mode_is_wal(log, tmp_path):
    conn = sqlite3.connect(tmp_path / "audit.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()


@pytest.mark.parametrize("raw,expected", [
    ("admin\r\n2025-01-01 root login ok", "admin\\r\\n2025-01-01 root login ok"),
    ("tab\there", "tab\\there"),
    ("bell\x07esc\x1b[31m", "bell\\x07esc\\x1b[31m"),
    ("del\x7f", "del\\x7f"),
    ("c1\x85next", "c1\\u0085next"),
    ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("line\u2028sep", "line\\u2028sep"),
    ("back\\slash", "back\\\\slash"),
    ("ünïcödé ok", "ünïcödé ok"),
    (None, ""),
])
def test_neutralise_makes_one_visible_line(raw, expected):
    assert neutralise(raw) == expected


def test_fields_are_neutralised_and_bounded_when_recorded(log):
    row = log.record("eve\nadmin", "chaos.cpu", detail="x" * 5000, target="v1\r\n")
    assert (row.who, row.target) == ("eve\\nadmin", "v1\\r\\n")
    assert len(row.detail) == 2000 and row.detail.endswith("…")
    assert log.verify().ok


def test_empty_action_is_refused(log):
    with pytest.raises(ValueError, match="^action: expected a non-empty action name$"):
        log.record("admin", "")


def test_200_concurrent_actions_from_20_threads(tmp_path):
    log = AuditLog(tmp_path / "audit.db", key=KEY)

    def worker(n):
        for i in range(10):
            log.record(f"user{n}", "chaos.cpu", target="v1", detail=f"{n}-{i}",
                       source="127.0.0.1")

    assert run_together(worker, 20, timeout=30) == []     # in particular no "database is locked"
    rows = log.rows(limit=None, newest_first=False)
    assert [r.id for r in rows] == list(range(1, 201))
    assert sorted(r.detail for r in rows) == sorted(f"{n}-{i}" for n in range(20) for i in range(10))
    report = log.verify()
    assert (report.ok, report.rows, report.reason) == (True, 200, "200 rows, chain intact")


def _tamper(path, sql, *args):
    conn = sqlite3.connect(path)
    try:
        conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def test_an_intact_chain_verifies(log):
    fill(log)
    report = log.verify()
    assert bool(report) and (report.rows, report.first_bad_id) == (5, None)


def test_an_edited_row_is_caught_at_that_row(log, tmp_path):
    fill(log)
    _tamper(tmp_path / "audit.db", "UPDATE audit SET detail = 'level=0' WHERE id = 3")
    report = log.verify()
    assert (report.ok, report.first_bad_id, report.rows) == (False, 3, 3)
    assert report.reason == "row 3: its mac does not match its contents (edited, or written with another key)"


def test_a_deleted_row_is_caught_at_the_next_row(log, tmp_path):
    fill(log)
    _tamper(tmp_path / "audit.db", "DELETE FROM audit WHERE id = 2")
    report = log.verify()
    assert (report.ok, report.first_bad_id) == (False, 3)
    assert report.reason == "row 3: row 2 missing (deleted?)"


def test_deleting_the_first_rows_is_caught(log, tmp_path):
    fill(log)
    _tamper(tmp_path / "audit.db", "DELETE FROM audit WHERE id <= 2")
    report = log.verify()
    assert (report.ok, report.first_bad_id, report.reason) == (
        False, 3, "row 3: rows 1..2 missing (deleted?)")


def test_renumbering_to_hide_a_gap_is_caught(log, tmp_path):
    fill(log)
    db = tmp_path / "audit.db"
    _tamper(db, "DELETE FROM audit WHERE id = 2")
    _tamper(db, "UPDATE audit SET id = id - 1 WHERE id > 2")
    report = log.verify()
    assert (report.ok, report.first_bad_id) == (False, 2)
    assert report.reason.startswith("row 2: its link does not match row 1's mac")


def test_a_row_forged_without_the_key_is_caught(log, tmp_path):
    fill(log, 2)
    head_id, head_mac = log.head()
    _tamper(tmp_path / "audit.db",
            "INSERT INTO audit VALUES (3, '2025-03-01T13:00:00.000+00:00', 'admin', '', "
            "'failover', 'v3', '', 'ok', ?, ?)", head_mac, "f" * 64)
    report = log.verify()
    assert (report.ok, report.first_bad_id) == (False, 3)


def test_another_key_fails_at_row_one(log, tmp_path):
    fill(log, 2)
    other = AuditLog(tmp_path / "audit.db", key=b"x" * 32)
    assert (other.verify().ok, other.verify().first_bad_id) == (False, 1)


def test_deleting_the_newest_rows_is_caught_by_the_keyed_head(log, tmp_path):
    fill(log)
    _tamper(tmp_path / "audit.db", "DELETE FROM audit WHERE id >= 4")
    report = log.verify()
    assert (report.ok, report.first_bad_id, report.rows, report.reason) == (
        False, 4, 3, "the log ends at row 3 but its keyed head names row 5: rows 4..5 deleted "
                     "from the end")
    _tamper(tmp_path / "audit.db", "DELETE FROM audit")
    assert log.verify().reason == ("the log ends at row 0 but its keyed head names row 5: "
                                   "rows 1..5 deleted from the end")


def test_a_head_moved_to_the_shorter_chain_needs_the_key(log, tmp_path):
    fill(log)
    db = tmp_path / "audit.db"
    row3 = log.rows(limit=None, newest_first=False)[2]
    _tamper(db, "DELETE FROM audit WHERE id >= 4")
    _tamper(db, "UPDATE audit_head SET last_id = 3, last_mac = ?", row3.mac)
    assert log.verify().reason == ("the keyed head's mac does not match (edited, or written with "
                                   "another key)")


def test_a_deleted_head_is_reported_and_the_next_writer_says_so_in_the_log(log, tmp_path):
    fill(log)
    db = tmp_path / "audit.db"
    _tamper(db, "DELETE FROM audit WHERE id = 5")
    _tamper(db, "DELETE FROM audit_head")
    report = log.verify()
    assert (report.ok, report.first_bad_id, report.reason) == (
        False, 5, "the keyed head of the chain is missing (deleted?)")
    reopened = AuditLog(db, key=KEY)                        # the monitor starts again
    assert reopened.verify().ok
    last = reopened.rows(limit=1)[0]
    assert (last.id, last.who, last.action, last.result, last.detail) == (
        5, "audit", "audit.anchor", "error",
        "the keyed head was missing (deleted, or a log from before heads); anchored again at row 5")


def test_rows_without_the_head_and_a_verifier_that_writes_nothing(log, tmp_path):
    fill(log, 2)
    db = tmp_path / "audit.db"
    _tamper(db, "UPDATE audit_head SET last_id = 1")
    assert log.verify().reason == "the keyed head's mac does not match (edited, or written with another key)"
    conn = sqlite3.connect(db)                # a writer with the key that forgot the head
    log._set_head(conn, 1, log.rows(limit=None, newest_first=False)[0].mac)
    conn.commit()
    conn.close()
    report = log.verify()
    assert (report.ok, report.first_bad_id, report.reason) == (
        False, 2, "the keyed head names row 1, but the chain ends at row 2 with another mac "
                  "(rows written without the head)")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    verifier = AuditLog(empty, key=KEY, create_key=False)
    assert verifier.verify().reason == f"no audit log in {empty}"
    with pytest.raises(ValueError, match="opened to verify"):
        verifier.record("admin", "reset")
    assert AuditLog(tmp_path / "new.db", key=KEY).verify().ok      # a fresh log: head at row 0


def test_a_rollback_to_an_old_copy_needs_an_external_anchor(log, tmp_path):
    """What the database alone cannot show: an older copy is a valid older log."""
    import shutil

    fill(log, 3)
    db = tmp_path / "audit.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(FULL)")
    conn.close()
    shutil.copy(db, tmp_path / "old.db")
    log.record("eve", "chaos.crash", target="v3")
    anchor = log.head()
    os.remove(db)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(db) + suffix):
            os.remove(str(db) + suffix)
    shutil.copy(tmp_path / "old.db", db)
    log.close()
    restored = AuditLog(db, key=KEY, create_key=False)      # as `t32sim audit verify` opens it
    assert restored.verify().ok                  # undetectable from the database alone
    report = restored.verify(anchor=anchor)
    assert (report.ok, report.first_bad_id, report.reason) == (
        False, 4, "the log ends at row 3 but the anchor names row 4: the tail was truncated")
    assert restored.verify(anchor=(3, restored.head()[1])).ok


def test_an_anchor_with_the_wrong_mac_is_reported(log):
    fill(log, 3)
    report = log.verify(anchor=(2, "0" * 64))
    assert (report.ok, report.first_bad_id, report.reason) == (
        False, 2, "row 2: its mac differs from the anchor")


def test_generated_key_file_is_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("T32SIM_AUDIT_KEY", raising=False)
    db = tmp_path / "monitor.db"
    first = AuditLog(db)
    first.record("admin", "reset")
    key_file = tmp_path / "monitor.audit.key"
    assert default_key_path(db) == key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key_file.read_text().strip())) == 32
    assert AuditLog(db).verify().ok              # the same key is read back


def test_a_key_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("T32SIM_AUDIT_KEY", raising=False)
    key_file = tmp_path / "monitor.audit.key"
    key_file.write_text("ab" * 32)
    os.chmod(key_file, 0o644)
    with pytest.raises(AuditKeyError, match=r"has mode 0644; expected 0600 \(run: chmod 600 "):
        AuditLog(tmp_path / "monitor.db")


def test_key_from_env_and_its_minimum_length(tmp_path, monkeypatch):
    monkeypatch.setenv("T32SIM_AUDIT_KEY", "env-secret-0123456789")
    assert load_key(tmp_path / "x.db") == b"env-secret-0123456789"
    assert not (tmp_path / "x.audit.key").exists()
    monkeypatch.setenv("T32SIM_AUDIT_KEY", "short")
    with pytest.raises(AuditKeyError, match="^T32SIM_AUDIT_KEY: expected at least 16 bytes of secret, got 5$"):
        AuditLog(tmp_path / "x.db")


def _record_from_another_process(path, key, n):
    log = AuditLog(path, key=key)
    for i in range(n):
        log.record(f"proc-{os.getpid()}", "chaos.cpu", detail=str(i))


def test_several_processes_share_one_chain(tmp_path):
    """The monitor and the live server may write the same database from two processes."""
    import multiprocessing

    db = tmp_path / "audit.db"
    AuditLog(db, key=KEY)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_record_from_another_process, args=(db, KEY, 25))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    log = AuditLog(db, key=KEY)
    assert log.count() == 100 and len({r.who for r in log.rows(limit=None)}) == 4
    assert log.verify().ok


def test_a_verifier_never_invents_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("T32SIM_AUDIT_KEY", raising=False)
    with pytest.raises(AuditKeyError, match=r"monitor.audit.key: no audit key file; set T32SIM_AUDIT_KEY"):
        AuditLog(tmp_path / "monitor.db", create_key=False)
    assert not (tmp_path / "monitor.audit.key").exists()


def test_the_log_file_is_private(log, tmp_path):
    fill(log, 1)
    for name in ("audit.db", "audit.db-wal", "audit.db-shm"):
        path = tmp_path / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name

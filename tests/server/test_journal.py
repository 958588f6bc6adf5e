"""The SQLite command journal: exact rows, write-ahead, coalesced runs, WAL, reopening."""
from __future__ import annotations

import sqlite3

import t32sim as t3
from t32sim.server.journal import CommandJournal


def rows(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT pos, time, actor, verb, args, source FROM commands "
                            "ORDER BY pos").fetchall()


def test_file_journal_uses_wal(tmp_path):
    CommandJournal(tmp_path / "j.db").close()
    with sqlite3.connect(tmp_path / "j.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sync_mirrors_the_cluster_journal_and_rewrites_the_growing_run(tmp_path):
    db = tmp_path / "j.db"
    journal = CommandJournal(db)
    cluster = t3.Cluster(seed=1)
    cluster.run(until=1.5)
    journal.sync(cluster.journal)
    assert rows(db) == [(0, 0.0, "user", "run", '{"until": 1.5}', None)]
    cluster.run(until=4.0)                       # the engine coalesces: same entry, later
    journal.sync(cluster.journal)
    assert rows(db) == [(0, 0.0, "user", "run", '{"until": 4.0}', None)]
    journal.close()


def test_write_ahead_row_is_committed_before_apply_and_replaced_after(tmp_path):
    db = tmp_path / "j.db"
    journal = CommandJournal(db)
    journal.write_ahead(0, {"time": 0.0, "actor": "ann", "verb": "kill",
                            "args": {"service": "api", "count": 1}}, "127.0.0.1:5")
    other = sqlite3.connect(db)                # another connection sees it: it is committed
    assert other.execute("SELECT verb, actor, source FROM commands").fetchall() == [
        ("kill", "ann", "127.0.0.1:5")]
    journal.discard(0)
    assert other.execute("SELECT COUNT(*) FROM commands").fetchone() == (0,)
    other.close()
    journal.close()


def test_meta_and_reopen(tmp_path):
    db = tmp_path / "j.db"
    journal = CommandJournal(db)
    journal.set_meta("seed", 42)
    journal.set_meta("paused", True)
    journal.write_ahead(0, {"time": 0.0, "actor": "u", "verb": "run", "args": {"until": 3.0}})
    journal.close()
    again = CommandJournal(db)
    assert again.get_meta("seed") == 42 and again.get_meta("paused") is True
    assert again.get_meta("missing", "dflt") == "dflt"
    assert again.commands() == [{"time": 0.0, "actor": "u", "verb": "run",
                                 "args": {"until": 3.0}}]
    assert again.scenario() == {"format": "t32sim-journal/1", "seed": 42,
                                "commands": again.commands()}
    assert len(again) == 1
    again.close()


def test_replace_rewrites_everything(tmp_path):
    journal = CommandJournal(None)
    journal.write_ahead(0, {"time": 0.0, "actor": "u", "verb": "run", "args": {"until": 1.0}})
    journal.write_ahead(1, {"time": 1.0, "actor": "u", "verb": "kill", "args": {}})
    journal.replace([{"time": 0.0, "actor": "u", "verb": "run", "args": {"until": 2.0}}])
    assert journal.commands() == [{"time": 0.0, "actor": "u", "verb": "run",
                                   "args": {"until": 2.0}}]


def test_sync_takes_the_tail_from_a_position_and_keeps_earlier_rows(tmp_path):
    db = tmp_path / "j.db"
    journal = CommandJournal(db)
    cluster = t3.Cluster(seed=1)
    cluster.run(until=1.5)
    journal.write_ahead(0, cluster.journal[0].to_dict(), "ann@1.2.3.4")
    journal.sync(cluster.journal_since(0), 0)
    assert (journal.synced, journal.resume_point()) == (1, 0)
    cluster.run(until=4.0)                       # the last entry grows ...
    journal.sync(cluster.journal_since(journal.resume_point()), journal.resume_point())
    assert rows(db) == [(0, 0.0, "user", "run", '{"until": 4.0}', "ann@1.2.3.4")]
    journal.write_ahead(1, {"time": 4.0, "actor": "u", "verb": "kill",
                            "args": {"service": "ghost", "count": 1}}, "bob@5.6.7.8")
    journal.sync(cluster.journal_since(1), 1)     # ... the engine refused the kill: row gone
    assert rows(db) == [(0, 0.0, "user", "run", '{"until": 4.0}', "ann@1.2.3.4")]
    assert journal.synced == 1
    journal.close()

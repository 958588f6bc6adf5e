"""LiveCluster: write-ahead commands, pacing, and restarts that come back to the same state."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.server.live import LiveCluster, rollback_revision
from t32sim.spec import load_manifests
from t32sim.server.settings import ServerSettings

from .helpers import EXAMPLES, canonical, spec_yaml


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def open_live(tmp_path, clock=None, **settings) -> LiveCluster:
    settings.setdefault("db", tmp_path / "live.db")
    return LiveCluster.open(ServerSettings(**settings), clock=clock or FakeClock())


def doc(**kw):
    import yaml
    return yaml.safe_load(spec_yaml(**kw))


def spy_on_commit(live) -> list[list[dict]]:
    """The journal rows on disk each time the engine is about to apply a checked command
    (what a crash right then would replay)."""
    seen, commit = [], live.cluster.commit

    def spy(checked):
        seen.append(live.journal.commands())
        return commit(checked)

    live.cluster.commit = spy
    return seen


def test_the_row_on_disk_before_the_engine_applies_it_is_the_entry_it_journals(tmp_path):
    live = open_live(tmp_path, seed=3)
    seen = spy_on_commit(live)
    live.command("apply", {"spec": spec_yaml()}, actor="ann", source="1.2.3.4:5")
    assert seen == [[live.cluster.journal[-1].to_dict()]]
    written = seen[0][0]["args"]["spec"]                 # not the YAML text as sent: the
    assert written == load_manifests(spec_yaml()).journal_document()    # engine's document
    assert (written["apiVersion"], written["spec"]["replicas"]) == ("t32sim/v1", 3)
    live.close()


def test_a_refused_command_leaves_no_row_and_no_change(tmp_path):
    live = open_live(tmp_path)
    live.command("apply", {"spec": doc()}, actor="u", source="s")
    before = (canonical(live.cluster.snapshot()), live.journal.commands())
    with pytest.raises(t3.CommandError):
        live.command("kill", {"service": "api", "count": 0}, actor="u", source="s")
    with pytest.raises(t3.CommandError):
        live.command("scale", {"service": "ghost", "delta": 1}, actor="u", source="s")
    assert (canonical(live.cluster.snapshot()), live.journal.commands()) == before
    live.close()


def test_step_advances_to_the_pacer_target_and_persists_it(tmp_path):
    clock = FakeClock()
    live = open_live(tmp_path, clock=clock, speed=4.0)
    clock.now += 2.5
    live.step()
    assert live.cluster.now == 10.0
    assert live.journal.commands() == [{"time": 0.0, "actor": "pacer", "verb": "run",
                                        "args": {"until": 10.0}}]
    assert live.hub.seq == 1
    live.close()


def test_apply_files_happen_at_time_zero(tmp_path):
    clock = FakeClock()
    live = open_live(tmp_path, clock=clock, apply=(str(EXAMPLES / "api-v1.yaml"),))
    assert [(c["time"], c["actor"], c["verb"]) for c in live.journal.commands()] == [
        (0.0, "cli", "apply")]
    assert live.hub.state["services"]["api"]["spec"]["spec"]["replicas"] == 3
    live.close()


def test_restart_replays_the_journal_into_the_same_state(tmp_path):
    clock = FakeClock()
    live = open_live(tmp_path, clock=clock, seed=5)
    live.command("apply", {"spec": doc()}, actor="u", source="s")
    clock.now += 12.25
    live.step()
    live.command("kill", {"service": "api", "count": 2}, actor="u", source="s")
    clock.now += 3
    live.pause()
    expected = canonical(live.cluster.snapshot())
    live.journal.close()                          # a crash: no orderly close()

    again = open_live(tmp_path, seed=None)
    assert again.resumed_commands == 4
    assert again.pacer.paused is True             # it was paused when it died
    assert again.cluster.seed == 5
    assert canonical(again.cluster.snapshot()) == expected
    replayed = t3.replay(again.journal.commands(), 5)
    assert canonical(replayed.snapshot()) == expected
    again.close()


def test_restart_drops_a_write_ahead_row_the_engine_would_refuse(tmp_path):
    live = open_live(tmp_path)
    live.command("apply", {"spec": doc()}, actor="u", source="s")
    expected = canonical(live.cluster.snapshot())
    live.journal.write_ahead(1, {"time": 0.0, "actor": "u", "verb": "kill",
                                 "args": {"service": "ghost", "count": 1}})
    live.journal.close()                          # died before the engine said no
    again = open_live(tmp_path, seed=None)
    assert [c["verb"] for c in again.journal.commands()] == ["apply"]
    assert canonical(again.cluster.snapshot()) == expected
    again.close()


def test_restart_with_another_seed_is_refused(tmp_path):
    live = open_live(tmp_path, seed=1)
    live.command("apply", {"spec": doc()}, actor="u", source="s")
    live.close()
    with pytest.raises(ValueError, match="recorded with seed 1, not 2"):
        open_live(tmp_path, seed=2)


def test_apply_is_skipped_when_resuming(tmp_path):
    live = open_live(tmp_path, apply=(str(EXAMPLES / "api-v1.yaml"),))
    live.close()
    again = open_live(tmp_path, apply=(str(EXAMPLES / "api-v2.yaml"),))
    assert again.resumed_commands == 1
    assert again.cluster.service("api").spec.image == "local://demo@v1"
    again.close()


def test_journal_length_follows_the_engine_journal(tmp_path):
    clock = FakeClock()
    live = open_live(tmp_path, clock=clock, speed=2.0)
    assert live.journal_length() == 0
    live.command("apply", {"spec": doc()}, actor="u", source="s")
    clock.now += 5
    live.step()
    live.command("kill", {"service": "api", "count": 1}, actor="u", source="s")
    clock.now += 1
    assert live.journal_length() == len(live.cluster.journal) == 3
    live.step()                                   # time moved on: a new run entry
    assert live.journal_length() == len(live.cluster.journal) == 4
    assert live.journal.commands() == [c.to_dict() for c in live.cluster.journal]
    live.close()


def test_the_server_reads_the_engine_journal_only_through_its_public_api():
    import ast
    from pathlib import Path

    import t32sim.server

    private = []
    for path in sorted(Path(t32sim.server.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "_journal":
                private.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Constant) and node.value == "_journal":
                private.append(f"{path.name}:{node.lineno}")
    assert private == []


def ready_live(tmp_path, clock=None, **settings) -> LiveCluster:
    live = open_live(tmp_path, clock=clock, seed=4, **settings)
    live.command("apply", {"spec": doc()}, actor="u", source="s")
    live.run_for(30)
    return live


def test_a_coalescing_command_updates_the_last_row_before_the_engine_applies_it(tmp_path):
    import sqlite3

    live = ready_live(tmp_path)
    select = {"service": "api", "count": 1}
    live.command("select", select, actor="u", source="first")
    rows_before = len(live.journal)
    seen, crash_copies = [], []
    commit = live.cluster.commit

    def spy(checked):
        seen.append(live.journal.commands())          # what a crash right now would replay
        copy = tmp_path / f"crash-{len(seen)}.db"
        with sqlite3.connect(tmp_path / "live.db") as source, sqlite3.connect(copy) as target:
            source.backup(target)
        crash_copies.append(copy)
        return commit(checked)

    live.cluster.commit = spy
    picked = [live.command("select", select, actor="u", source="again").name for _ in range(2)]
    assert [len(rows) for rows in seen] == [rows_before, rows_before]      # no new row ...
    assert [rows[-1]["args"]["count"] for rows in seen] == [2, 3]         # ... the count grew
    assert live.journal.commands()[-1] == {"time": 30.0, "actor": "u", "verb": "select",
                                           "args": {"service": "api", "count": 3}}
    expected_next = live.cluster.lb.select("api").name
    live.close()

    # a server that died right after the write-ahead replays the select it was about to do
    crashed = LiveCluster.open(ServerSettings(db=crash_copies[1]), clock=FakeClock())
    assert crashed.journal.commands()[-1]["args"]["count"] == 3
    assert crashed.cluster.lb.select("api").name == expected_next
    crashed.close()
    assert picked[0] != picked[1]


def test_a_command_that_fails_after_its_write_ahead_puts_a_coalesced_row_back(tmp_path):
    live = ready_live(tmp_path)
    live.command("select", {"service": "api", "count": 1}, actor="u", source="s")
    before = live.journal.commands()
    assert before[-1]["args"] == {"service": "api", "count": 1}
    written = []

    def refuse(checked):
        written.append(live.journal.commands()[-1]["args"]["count"])
        raise t3.CommandError("count: refused for this test", field="count")

    live.cluster.commit = refuse
    with pytest.raises(t3.CommandError):
        live.command("select", {"service": "api", "count": 1}, actor="u", source="s")
    assert written == [2]                                 # the write-ahead was the update ...
    assert live.journal.commands() == before              # ... and it was put back
    live.close()


def test_a_running_pacer_keeps_traffic_at_different_instants_apart(tmp_path):
    clock = FakeClock()
    live = ready_live(tmp_path, clock=clock)
    live.resume()
    live.command("request", {"service": "api", "path": "/", "count": 1}, actor="u", source="s")
    live.command("request", {"service": "api", "path": "/", "count": 1}, actor="u", source="s")
    clock.now += 0.5
    live.command("request", {"service": "api", "path": "/", "count": 1}, actor="u", source="s")
    assert [(c["time"], c["verb"], c["args"].get("count")) for c in live.journal.commands()][1:] == [
        (0.0, "run", None), (30.0, "request", 2), (30.0, "run", None), (30.5, "request", 1)]
    live.close()


def test_an_apply_file_that_is_not_yaml_fails_with_a_spec_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    with pytest.raises(t3.SpecError, match=r"invalid YAML at line 2, column 1") as caught:
        open_live(tmp_path, apply=(str(bad),))
    assert isinstance(caught.value, ValueError)         # the CLI reports it and exits 2


@pytest.mark.parametrize("revisions,restored,becomes", [
    ({1: "v1", 2: "v2"}, 1, 3),              # undo 2 -> 1: the old template is revision 3
    ({2: "v2", 3: "v1"}, 2, 4),              # and undo again: v2's template is revision 4
    ({1: "v1", 2: "v2", 3: "v3"}, 1, 4),     # --to-revision 1 from 3
    ({1: "v1"}, 1, 1),                       # undone before the new template had its ReplicaSet
])
def test_an_undone_template_rolls_out_as_the_newest_revision(revisions, restored, becomes):
    assert rollback_revision(revisions, restored) == becomes

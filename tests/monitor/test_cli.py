"""``t32sim monitor`` and ``t32sim audit`` (t32sim/monitor/cli.py), including Ctrl-C for real."""
from __future__ import annotations

import io
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading

import httpx
import pytest

from t32sim.audit import AuditLog
from t32sim.auth import UserStore, default_users_path, verify_password
from t32sim.cli import build_parser
from t32sim.monitor.cli import cmd_audit_show, cmd_audit_verify, cmd_monitor
from tests.monitor.conftest import basic
from tests.support import free_port, process_gone, wait_for

KEY = "cli-test-audit-key-0123456789"


def parse(*argv):
    return build_parser().parse_args(list(argv))


def test_on_loopback_only_this_machines_names_are_answered():
    from t32sim.monitor.cli import _allowed_hosts
    assert _allowed_hosts("127.0.0.1", ["https://monitor.example:8443"]) == (
        "127.0.0.1", "localhost", "::1", "monitor.example")
    assert _allowed_hosts("0.0.0.0", []) is None


def test_monitor_options_reach_the_handler():
    args = parse("monitor", "--spawn", "--db", "x.db", "--interval", "0.5", "--ports", "9001,9002,9003",
                 "--cooldown", "30", "--threshold", "3", "--wrap")
    assert args.func is cmd_monitor
    assert (args.spawn, str(args.db), args.interval, args.ports, args.cooldown, args.threshold,
            args.wrap, args.host, args.port) == (
        True, "x.db", 0.5, [9001, 9002, 9003], 30.0, 3, True, "127.0.0.1", 8000)


@pytest.mark.parametrize("argv", [["monitor", "--interval", "0"], ["monitor", "--ports", "a,b"],
                                  ["monitor", "--ports", "1,2,70000"], ["audit"]])
def test_bad_options_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        parse(*argv)
    assert caught.value.code == 2


@pytest.fixture
def filled_db(tmp_path, monkeypatch):
    monkeypatch.setenv("T32SIM_AUDIT_KEY", KEY)
    db = tmp_path / "monitor.db"
    log = AuditLog(db)
    for action in ("chaos.cpu", "failover", "reset"):
        log.record("admin", action, target="v1")
    return db, log


def run(func, *argv):
    out = io.StringIO()
    code = func(parse(*argv), out=out)
    return code, out.getvalue()


def test_audit_verify_ok_and_broken(filled_db):
    db, _ = filled_db
    assert run(cmd_audit_verify, "audit", "verify", "--db", str(db)) == (
        0, f"{db}: OK, 3 rows, chain intact\n")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit SET who = 'eve' WHERE id = 2")
    conn.commit()
    conn.close()
    assert run(cmd_audit_verify, "audit", "verify", "--db", str(db)) == (
        1, f"{db}: BROKEN at row 2: row 2: its mac does not match its contents "
           "(edited, or written with another key)\n")


def test_audit_verify_catches_deleted_newest_rows_by_default(filled_db):
    db, _ = filled_db
    code, head = run(cmd_audit_show, "audit", "show", "--db", str(db), "--head")
    assert code == 0 and head.startswith("3:")
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM audit WHERE id = 3")
    conn.commit()
    conn.close()
    assert run(cmd_audit_verify, "audit", "verify", "--db", str(db)) == (
        1, f"{db}: BROKEN at row 3: the log ends at row 2 but its keyed head names row 3: row 3 "
           "deleted from the end\n")
    code, out = run(cmd_audit_verify, "audit", "verify", "--db", str(db), "--anchor", head.strip())
    assert (code, out) == (1, f"{db}: BROKEN at row 3: the log ends at row 2 but the anchor names "
                              "row 3: the tail was truncated\n")


def test_audit_verify_of_a_missing_db_is_an_error(tmp_path, capsys):
    assert run(cmd_audit_verify, "audit", "verify", "--db", str(tmp_path / "none.db"))[0] == 2
    assert "no such database" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_audit_show_prints_a_header_then_the_newest_rows(filled_db):
    db, log = filled_db
    code, out = run(cmd_audit_show, "audit", "show", "--db", str(db), "--limit", "2")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["id", "time", "(UTC)", "who", "source", "action", "target",
                              "result", "detail"]
    assert [line.split()[0:1] + line.split()[2:5] for line in lines] == [
        ["2", "admin", "failover", "v1"], ["3", "admin", "reset", "v1"]]
    row = log.rows(limit=1)[0]
    assert header.index("who") == lines[-1].index("admin") == 39
    assert header.index("action") == lines[-1].index("reset")
    assert lines[-1].startswith(f"     3  {row.time}  admin")


def test_add_user(tmp_path, monkeypatch):
    monkeypatch.setenv("T32SIM_NEW_USER_PASSWORD", "alice-password")
    db = tmp_path / "monitor.db"
    code, out = run(cmd_monitor, "monitor", "--db", str(db), "--add-user", "alice")
    assert code == 0 and "user alice (viewer) saved" in out
    role, hashed = UserStore(default_users_path(db)).get("alice")
    assert role.value == "viewer" and verify_password("alice-password", hashed)


# -- the real command in a subprocess ---------------------------------------------------
class MonitorProcess:
    """``python -m t32sim.cli monitor --spawn ...`` with its stdout read in a thread."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.ports = [free_port() for _ in range(3)]
        self.db = tmp_path / "monitor.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("T32SIM_")}
        env.update(T32SIM_AUDIT_KEY=KEY, T32SIM_DEMO_DELAY_SCALE="0.01")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "t32sim.cli", "monitor", "--spawn", "--port", str(self.port),
             "--ports", ",".join(map(str, self.ports)), "--db", str(self.db), "--interval", "0.5"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.output: list[str] = []

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def line_with(self, text, timeout=20.0):
        def probe():
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return None
            self.output.append(line)
            return line if text in line else None
        return wait_for(probe, timeout=timeout, what=f"a line with {text!r}")

    def status(self, password):
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/api/status",
                                 headers=basic("admin", password), timeout=2, trust_env=False)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stdout.close()


@pytest.fixture
def monitor_process(tmp_path):
    process = MonitorProcess(tmp_path)
    try:
        yield process
    finally:
        process.stop()


def start_and_log_in(process):
    line = process.line_with("generated a password for user 'admin': ")
    password = line.split("'admin': ")[1].strip()
    process.line_with("dashboard on http://127.0.0.1:")
    hint = process.line_with("lost the admin password?")
    assert hint.strip().endswith(f"`t32sim monitor --db {process.db} --reset-password` sets a new "
                                 "one (audited)")
    status = wait_for(lambda: (s := process.status(password)) and s["status"] == "UP" and s,
                      timeout=30, what="monitor answering with v1 UP")
    pids = [p["pid"] for p in status["processes"].values()]
    assert len(pids) == 3 and all(pids)
    assert password not in default_users_path(process.db).read_text()
    return password, pids


def test_ctrl_c_stops_the_monitor_and_every_service(monitor_process):
    _, pids = start_and_log_in(monitor_process)
    monitor_process.proc.send_signal(signal.SIGINT)
    assert monitor_process.proc.wait(15) == 0
    assert all(process_gone(pid) for pid in pids)
    rows = AuditLog(monitor_process.db, key=KEY).rows(newest_first=False)
    assert [r.action for r in rows] == ["monitor.start", "monitor.stop"]
    assert all(("Traceback" not in line) for line in monitor_process.output)


def test_services_die_with_a_killed_monitor(monitor_process):
    _, pids = start_and_log_in(monitor_process)
    monitor_process.proc.kill()
    monitor_process.proc.wait(10)
    wait_for(lambda: all(process_gone(pid) for pid in pids), timeout=10, what="orphans gone")


def test_audit_verify_without_the_key_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("T32SIM_AUDIT_KEY", KEY)
    db = tmp_path / "monitor.db"
    AuditLog(db).record("admin", "reset")
    monkeypatch.delenv("T32SIM_AUDIT_KEY")
    assert run(cmd_audit_verify, "audit", "verify", "--db", str(db))[0] == 2
    assert "no audit key file; set T32SIM_AUDIT_KEY" in capsys.readouterr().err
    assert not (tmp_path / "monitor.audit.key").exists()


def test_read_env_file(tmp_path, capsys):
    path = tmp_path / ".env"
    path.write_text("# comment\n\nT32SIM_SMTP_HOST=127.0.0.1\nexport T32SIM_SMTP_TO='ops@t32sim.test'\n"
                    'T32SIM_SMTP_FROM="monitor@t32sim.test"\nEMPTY=\nT32SIM_X=a=b\n')
    path.chmod(0o600)
    from t32sim.monitor.cli import read_env_file
    assert read_env_file(path) == {"T32SIM_SMTP_HOST": "127.0.0.1", "T32SIM_SMTP_TO": "ops@t32sim.test",
                                   "T32SIM_SMTP_FROM": "monitor@t32sim.test", "EMPTY": "",
                                   "T32SIM_X": "a=b"}
    assert capsys.readouterr().err == ""
    path.chmod(0o644)
    read_env_file(path)
    assert "is readable by other users" in capsys.readouterr().err
    path.write_text("T32SIM_OK=1\n$(rm -rf /)\n")
    with pytest.raises(ValueError, match=r"\.env:2: expected KEY=VALUE, got '\$\(rm -rf /\)'"):
        read_env_file(path)


def test_the_env_file_configures_the_monitor_and_the_environment_wins(tmp_path, monkeypatch):
    import uvicorn
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: started.update(app=app, **kwargs))
    env_file = tmp_path / "settings.env"
    env_file.write_text("T32SIM_SMTP_HOST=127.0.0.1\nT32SIM_SMTP_TO=ops@t32sim.test\n"
                        "T32SIM_SMTP_STARTTLS=false\nT32SIM_ADMIN_PASSWORD=from-the-file-1\n")
    env_file.chmod(0o600)
    monkeypatch.setenv("T32SIM_ADMIN_PASSWORD", "from-the-environment")
    monkeypatch.setenv("T32SIM_AUDIT_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    code, out = run(cmd_monitor, "monitor", "--db", str(tmp_path / "m.db"), "--port", str(free_port()),
                    "--env-file", str(env_file))
    assert code == 0 and "dashboard on http://127.0.0.1:" in out
    app = started["app"]
    notifier = app.state.notifier
    assert (notifier.host, notifier.recipients, notifier.starttls) == ("127.0.0.1", ("ops@t32sim.test",), False)
    role, hashed = app.state.users.get("admin")
    assert verify_password("from-the-environment", hashed)
    notifier.close()


# -- a lost password, a planted .env ---------------------------------------------------
def test_reset_password_prints_a_new_one_once_and_audits_it(filled_db, capsys):
    db, log = filled_db
    store = UserStore(default_users_path(db))
    store.set_user("admin", "the-lost-password", "admin")
    code, out = run(cmd_monitor, "monitor", "--db", str(db), "--reset-password")
    assert code == 0
    password = out.split("new password for 'admin': ")[1].split("\n")[0]
    assert len(password) == 24 and "shown only this once" in out
    role, hashed = UserStore(default_users_path(db)).get("admin")
    assert role.value == "admin" and verify_password(password, hashed)
    assert password not in default_users_path(db).read_text()
    row = log.rows(limit=1)[0]
    assert (row.action, row.target, row.source, row.result) == (
        "auth.password_reset", "admin", "command line", "ok")
    assert password not in row.detail
    assert log.verify().ok


def test_reset_password_for_a_named_user_from_the_environment(filled_db, monkeypatch, capsys):
    db, log = filled_db
    monkeypatch.setenv("T32SIM_NEW_USER_PASSWORD", "carol-new-password")
    monkeypatch.setenv("T32SIM_ADMIN_PASSWORD", "set-in-the-environment")
    code, out = run(cmd_monitor, "monitor", "--db", str(db), "--reset-password", "carol")
    assert code == 0 and "carol-new-password" not in out
    assert verify_password("carol-new-password", UserStore(default_users_path(db)).get("carol")[1])
    assert capsys.readouterr().err == ""                  # the env only overrides admin
    assert log.rows(limit=1)[0].target == "carol"


def test_no_reset_that_cannot_be_audited(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("T32SIM_AUDIT_KEY", raising=False)
    db = tmp_path / "monitor.db"
    key_file = tmp_path / "monitor.audit.key"
    key_file.write_text("ab" * 32)
    key_file.chmod(0o644)                                 # a key others can read: refused
    assert run(cmd_monitor, "monitor", "--db", str(db), "--reset-password")[0] == 2
    assert "expected 0600" in capsys.readouterr().err
    assert not default_users_path(db).exists()


def test_an_env_file_of_another_user_or_writable_by_others_is_refused(tmp_path, monkeypatch):
    from t32sim.monitor.cli import read_env_file
    path = tmp_path / ".env"
    path.write_text("T32SIM_ADMIN_PASSWORD=planted-by-mallory\n")
    path.chmod(0o600)
    me = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: me + 1)       # as if the file were someone else's
    with pytest.raises(ValueError, match=rf"\.env: owned by uid {me}, not by you \(uid {me + 1}\)"):
        read_env_file(path)
    monkeypatch.setattr(os, "getuid", lambda: me)
    for mode in (0o620, 0o602, 0o666):
        path.chmod(mode)
        with pytest.raises(ValueError, match=rf"writable by other users \(mode {mode:04o}\)"):
            read_env_file(path)
    path.chmod(0o600)
    assert read_env_file(path) == {"T32SIM_ADMIN_PASSWORD": "planted-by-mallory"}


def test_a_refused_env_file_stops_the_monitor(tmp_path, monkeypatch, capsys):
    path = tmp_path / ".env"
    path.write_text("T32SIM_ADMIN_PASSWORD=planted-by-mallory\n")
    path.chmod(0o666)
    assert run(cmd_monitor, "monitor", "--db", str(tmp_path / "m.db"), "--env-file", str(path))[0] == 2
    assert "refusing settings someone else could have planted" in capsys.readouterr().err

"""The lockout tracker on its own (t32sim/auth/lockout.py), sessions and users."""
from __future__ import annotations

import os

from t32sim.auth import LockoutTracker, Role, SessionStore, UserStore, reset_password, verify_password
from t32sim.auth.lockout import IN_FLIGHT_WAIT


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_attempts_in_flight_count_before_any_failure():
    tracker = LockoutTracker(max_failures=3, clock=Clock())
    assert [tracker.admit("admin", "s") for _ in range(4)] == [(0.0, False)] * 3 + [
        (IN_FLIGHT_WAIT, False)]
    assert tracker.failure("admin", "s") == 0.0
    tracker.success("admin", "s")                      # one right: failures forgotten
    assert tracker.admit("admin", "s") == (0.0, False)
    assert tracker.admit("admin", "other") == (0.0, False)


def test_a_lock_is_per_pair_and_memory_is_bounded():
    clock = Clock()
    tracker = LockoutTracker(max_failures=2, lock_seconds=10, clock=clock, max_entries=3)
    assert [tracker.failure("a", "x") for _ in range(2)] == [0.0, 10.0]
    assert tracker.locked_for("a", "x") == 10.0 and tracker.locked_for("a", "y") == 0.0
    assert tracker.admit("a", "x") == (10.0, True)
    for name in "bcde":
        tracker.failure(name, "x")
    assert len(tracker._entries) == 3
    clock.now = 11
    assert tracker.locked_for("a", "x") == 0.0


def test_sessions_belong_to_one_user_and_expire():
    clock = Clock()
    sessions = SessionStore(seconds=100, clock=clock, max_sessions=2)
    token = sessions.open("admin")
    assert sessions.user(token) == "admin" and sessions.user("nope") is None
    assert sessions.user(None) is None
    clock.now = 100
    assert sessions.user(token) is None
    first, second, third = (sessions.open(n) for n in ("a", "b", "c"))
    assert (sessions.user(first), sessions.user(third), len(sessions)) == (None, "c", 2)


def test_a_store_sees_a_password_reset_by_another_process(tmp_path):
    path = tmp_path / "m.users.json"
    running = UserStore(path)
    running.set_user("admin", "first-password", Role.ADMIN)
    new = reset_password(UserStore(path), "admin")          # `t32sim monitor --reset-password`
    assert len(new) == 24
    role, hashed = running.get("admin")
    assert role is Role.ADMIN and verify_password(new, hashed)
    assert reset_password(UserStore(path), "carol", "carol-password-1") == "carol-password-1"
    assert running.get("carol")[0] is Role.VIEWER
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    path.write_text("{broken")                               # half-written: keep what we had
    os.utime(path, ns=(1, 1))
    assert running.get("admin")[1] == hashed

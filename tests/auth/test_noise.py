"""Unauthenticated noise at a bounded rate (t32sim/auth/noise.py)."""
from __future__ import annotations

from t32sim.auth.noise import NoiseFilter


class Recorder:
    def __init__(self):
        self.rows = []

    def record(self, who, action, target="", detail="", result="ok", source=""):
        self.rows.append((who, action, detail, result, source))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_budgets_per_source_and_result_and_in_total():
    log, clock = Recorder(), Clock()
    noise = NoiseFilter(log, per_source=3, total=7, max_summaries=10, clock=clock)
    kept = [noise.record("-", "auth.login", "", "bad", "denied", "10.0.0.1") for _ in range(5)]
    assert kept == [True] * 3 + [False] * 2
    assert noise.record("x", "auth.login", "", "locked", "locked", "10.0.0.1")   # another result
    for n in range(5):
        noise.record("-", "http.post", "", "cross-site", "refused", f"10.0.1.{n}")
    assert len(log.rows) == 7                                    # the total is reached
    assert noise.suppressed_total == 4


def test_summaries_when_the_period_is_over_and_one_row_for_the_rest():
    log, clock = Recorder(), Clock()
    noise = NoiseFilter(log, per_source=1, total=100, max_summaries=2, clock=clock)
    for source in ("a", "a", "a", "b", "b", "c", "d", "d"):
        noise.record("eve", "auth.login", "", "bad", "denied", source)
    assert len(log.rows) == 4 and noise.flush() == 0           # one each; the period runs on
    clock.now = 60
    assert noise.flush() == 3
    assert log.rows[4:] == [
        ("-", "auth.login", "2 more auth.login (denied) from a in 60 s, not recorded one by one; "
                            "names: eve", "denied", "a"),
        ("-", "auth.login", "1 more auth.login (denied) from b in 60 s, not recorded one by one; "
                            "names: eve", "denied", "b"),
        ("-", "audit.suppressed", "1 more unauthenticated events from other sources in 60 s, "
                                  "not recorded one by one", "refused", "")]
    assert noise.record("eve", "auth.login", "", "bad", "denied", "a")      # a new period


def test_a_forced_flush_writes_what_is_pending():
    log, clock = Recorder(), Clock()
    noise = NoiseFilter(log, per_source=1, clock=clock)
    noise.record("-", "auth.api_key", "", "invalid", "denied", "s")
    noise.record("-", "auth.api_key", "", "invalid", "denied", "s")
    clock.now = 5
    assert noise.flush(force=True) == 1
    assert log.rows[-1][2] == ("1 more auth.api_key (denied) from s in 5 s, not recorded one by "
                               "one; names: -")


def test_a_million_requests_are_a_bounded_number_of_rows():
    log, clock = Recorder(), Clock()
    noise = NoiseFilter(log, clock=clock)
    for n in range(100_000):
        clock.now = n * 0.0006                                    # one minute in all
        noise.record(f"user{n}", "auth.login", "", "unknown user", "denied", f"10.{n % 250}.0.1")
    noise.flush(force=True)
    assert len(log.rows) <= noise.total + noise.max_summaries + 1

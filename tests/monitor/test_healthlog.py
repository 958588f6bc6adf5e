"""The health log (t32sim/monitor/healthlog.py): rows and bounded retention."""
from __future__ import annotations

import pytest

from t32sim.monitor.checker import HealthCheck
from t32sim.monitor.healthlog import HealthLog


def check(n: int, ok: bool = True) -> HealthCheck:
    return HealthCheck(f"2025-03-01T12:00:{n:02d}.000+00:00", "v1", "http://v1.test/health", ok,
                       200 if ok else 503, float(n), "" if ok else "HTTP 503")


def test_rows_are_stored_exactly(tmp_path):
    log = HealthLog(tmp_path / "m.db")
    log.record(check(1), "healthy")
    log.record(check(2, ok=False), "failing")
    assert log.rows() == [
        {"id": 2, "time": "2025-03-01T12:00:02.000+00:00", "target": "v1",
         "url": "http://v1.test/health", "ok": False, "status_code": 503, "latency_ms": 2.0,
         "error": "HTTP 503", "decision": "failing"},
        {"id": 1, "time": "2025-03-01T12:00:01.000+00:00", "target": "v1",
         "url": "http://v1.test/health", "ok": True, "status_code": 200, "latency_ms": 1.0,
         "error": "", "decision": "healthy"},
    ]


def test_only_the_newest_rows_are_kept(tmp_path):
    log = HealthLog(tmp_path / "m.db", retention=5)
    for n in range(1, 13):
        log.record(check(n))
    assert log.count() == 5
    assert [r["id"] for r in log.rows(newest_first=False)] == [8, 9, 10, 11, 12]
    assert [r["id"] for r in log.rows(limit=2)] == [12, 11]


def test_retention_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="^retention: expected an integer >= 1, got 0$"):
        HealthLog(tmp_path / "m.db", retention=0)

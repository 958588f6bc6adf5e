"""The work queue keeps client-go's promises: one entry per key, never one key handed out
twice at once, and a key changed during its sync is synced again afterwards."""
from __future__ import annotations

from t32sim.engine.workqueue import WorkQueue


def drain(queue: WorkQueue) -> list:
    taken = []
    while (key := queue.get()) is not None:
        taken.append(key)
        queue.done(key)
    return taken


def test_a_key_added_twice_is_synced_once_in_first_added_order():
    queue = WorkQueue()
    for key in ["api", "web", "api", "db", "web"]:
        queue.add(key)
    assert len(queue) == 3
    assert drain(queue) == ["api", "web", "db"]


def test_a_key_added_during_its_sync_is_not_handed_out_until_done_then_again():
    queue = WorkQueue()
    queue.add("api")
    assert queue.get() == "api" and queue.processing("api")
    queue.add("api")                      # changed while being synced
    assert len(queue) == 0 and queue.get() is None      # never twice at once
    queue.done("api")
    assert queue.get() == "api"           # ... but not lost
    queue.done("api")
    assert queue.get() is None and not queue.processing("api")


def test_a_key_not_added_during_its_sync_is_done_for_good():
    queue = WorkQueue()
    queue.add("api")
    queue.done(queue.get())
    assert queue.get() is None

"""The SSE hub: ordered updates, skip-ahead for slow readers, dropping stalled ones, resume."""
from __future__ import annotations

import asyncio
import json

from t32sim.server.broadcast import Hub


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def state(t, ready=0):
    return {"time": t, "pods": [{"name": f"p{i}", "ready": True} for i in range(ready)]}


async def take(hub, sub, n):
    out = []
    async for message in hub.messages(sub):
        out.append(message)
        if len(out) == n:
            break
    return out


def run(coro):
    return asyncio.run(coro)


def test_publish_only_when_something_changed():
    hub = Hub()
    hub.reset(state(0), [], {"speed": 1})
    assert hub.publish(state(0), [], {"speed": 1}) is None
    message = hub.publish(state(1), [{"seq": 0}], {"speed": 1})
    assert message.seq == 1 and message.event == "update"
    assert json.loads(message.data) == {"seq": 1, "delta": {"set": {"time": 1}},
                                        "events": [{"seq": 0}]}
    assert json.loads(hub.publish(state(1), [], {"speed": 2}).data) == {
        "seq": 2, "delta": {}, "events": [], "server": {"speed": 2}}


def test_a_late_reader_gets_one_snapshot_that_already_has_the_queued_updates():
    async def scenario():
        hub = Hub()
        hub.reset(state(0), [{"seq": 0}], {"paused": False})
        sub = hub.subscribe()
        for t in range(1, 4):
            hub.publish(state(t, ready=t), [{"seq": t}], {"paused": False})
        return hub, sub, await take(hub, sub, 1)

    hub, sub, messages = run(scenario())
    assert [(m.event, m.seq) for m in messages] == [("snapshot", 3)]
    assert json.loads(messages[0].data) == {
        "seq": 3, "state": state(3, ready=3), "server": {"paused": False},
        "events": [{"seq": 0}, {"seq": 1}, {"seq": 2}, {"seq": 3}]}
    assert list(sub.queue) == []                    # updates 1..3 are in the snapshot


def test_updates_arrive_in_order_when_read_as_they_come():
    async def scenario():
        hub = Hub()
        hub.reset(state(0), [], {})
        sub = hub.subscribe()
        got = []
        reader = hub.messages(sub)
        got.append(await reader.__anext__())
        for t in range(1, 6):
            hub.publish(state(t, ready=t), [{"seq": t}], {})
            got.append(await reader.__anext__())
        await reader.aclose()
        return hub, got

    hub, got = run(scenario())
    assert [(m.event, m.seq) for m in got] == [("snapshot", 0)] + [("update", t)
                                                                   for t in range(1, 6)]
    assert [m.id for m in got] == [f"{hub.epoch}-{t}" for t in range(6)]
    assert hub.stats()["clients"] == 0               # closing the reader unsubscribes


def test_a_slow_subscriber_is_skipped_ahead_to_a_snapshot():
    async def scenario():
        clock = FakeClock()
        hub = Hub(queue_size=3, drop_after=10, clock=clock)
        hub.reset(state(0), [], {})
        sub = hub.subscribe()
        reader = hub.messages(sub)
        first = await reader.__anext__()
        for t in range(1, 9):                       # 8 updates, the queue holds 3
            hub.publish(state(t), [], {})
        rest = [await reader.__anext__()]
        hub.publish(state(9), [], {})
        rest.append(await reader.__anext__())
        await reader.aclose()
        return hub, sub, first, rest

    hub, sub, first, rest = run(scenario())
    assert first.event == "snapshot"
    # overflowed at update 4 (queue cleared, snapshot owed), then queued 5..7, overflowed at 8
    assert sub.skipped == 2 and hub.stats()["skipped"] == 2
    assert [(m.event, m.seq) for m in rest] == [("snapshot", 8), ("update", 9)]
    assert json.loads(rest[0].data)["state"] == state(8)


def test_a_stalled_subscriber_is_dropped_and_costs_nothing_more():
    async def scenario():
        clock = FakeClock()
        hub = Hub(queue_size=2, drop_after=5, clock=clock)
        hub.reset(state(0), [], {})
        stalled = hub.subscribe()
        for t in range(1, 3):
            hub.publish(state(t), [], {})
        clock.now = 6.0                              # nothing read for 6 s, queue full
        hub.publish(state(3), [], {})
        messages = [m async for m in hub.messages(stalled)]
        return hub, stalled, messages

    hub, stalled, messages = run(scenario())
    assert stalled.closed and messages == []
    assert hub.stats() == {"clients": 0, "seq": 3, "epoch": hub.epoch, "skipped": 0,
                           "dropped": 1}


def test_last_event_id_resumes_from_history_or_falls_back_to_a_snapshot():
    hub = Hub(queue_size=8, history=16)
    hub.reset(state(0), [], {})
    for t in range(1, 7):
        hub.publish(state(t), [], {})
    resumed = hub.subscribe(f"{hub.epoch}-4")
    assert [m.seq for m in resumed.queue] == [5, 6] and not resumed.needs_snapshot
    current = hub.subscribe(f"{hub.epoch}-6")
    assert list(current.queue) == [] and not current.needs_snapshot
    for last in ["otherepoch-4", f"{hub.epoch}-99", f"{hub.epoch}-x", "garbage", ""]:
        sub = hub.subscribe(last)
        assert sub.needs_snapshot and not sub.queue, last
    far = hub.subscribe(f"{hub.epoch}-0")            # 6 missed > queue_size // 2
    assert far.needs_snapshot


def test_close_all_ends_every_stream():
    async def scenario():
        hub = Hub()
        hub.reset(state(0), [], {})
        subs = [hub.subscribe() for _ in range(3)]
        readers = [asyncio.create_task(take(hub, s, 10)) for s in subs]
        await asyncio.sleep(0)
        hub.close_all()
        return await asyncio.gather(*readers)

    results = run(scenario())
    assert [[m.event for m in r] for r in results] == [["snapshot"]] * 3

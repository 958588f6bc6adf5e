"""Tidy typed frames over a cluster (t32sim/observe/frames.py)."""
from __future__ import annotations

import t32sim as t3
from t32sim import observe
from t32sim.observe import frames


def test_events_filter_by_any_column_and_keep_types(scenario):
    ready = observe.events(scenario, service="api", reason="Ready")
    assert ready["time"].tolist() == [5.0, 5.0, 5.0, 25.0, 25.0]
    assert str(ready["time"].dtype) == "float64" and str(ready["reason"].dtype) == "string"
    warnings = observe.events(scenario, level="Warning", since=20, until=20)
    assert set(warnings["reason"]) == {"ChaosKill"}
    assert len(observe.events(scenario)) == len(scenario.event_log)


def test_history_of_one_service(scenario):
    api = observe.history(scenario, "api")
    assert set(api["service"]) == {"api"}
    assert api["time"].tolist() == [float(t) for t in range(0, 101)]
    assert api.loc[api["time"] == 100.0, "ready"].item() == 3


def test_pods_live_and_gone(scenario):
    live = frames.pods(scenario)
    assert sorted(live["pod"]) == sorted(p.name for p in scenario.pods())
    everything = frames.pods(scenario, include_gone=True)
    gone = everything[everything["gone"]]
    killed = {e.pod for e in scenario.event_log if e.reason is t3.Reason.CHAOS_KILL}
    assert set(gone["pod"]) == killed and (gone["deleted_at"] == 20.0).all()
    assert dict(everything.dtypes.astype(str)) == frames.POD_COLUMNS


def test_intervals_and_restarts_are_typed_and_agree_with_the_pods(scenario):
    data = frames.intervals(scenario, "web")
    assert dict(data.dtypes.astype(str)) == frames.INTERVAL_COLUMNS
    assert (data["duration"] == data["end"] - data["start"]).all()
    restarts = frames.restarts(scenario, "web")
    assert dict(restarts.dtypes.astype(str)) == frames.RESTART_COLUMNS
    assert restarts["backoff_seconds"].tolist() == [0.0, 10.0, 20.0, 40.0]
    assert len(restarts) == scenario.pods("web")[0].restarts


def test_requests_frame_has_its_typed_columns_with_or_without_requests(scenario):
    empty = frames.requests(scenario, "api")
    assert empty.empty and dict(empty.dtypes.astype(str)) == frames.REQUEST_COLUMNS
    scenario.send("api", count=9)
    scenario.request("api")
    scenario.scale("api", replicas=0)
    scenario.run_for(1)
    scenario.send("api", count=2)
    data = frames.requests(scenario, "api")
    assert dict(data.dtypes.astype(str)) == frames.REQUEST_COLUMNS
    assert data["count"].sum() == 12 and data["status"].tolist()[-1] == 503
    assert data["pod"].isna().tolist() == [False] * (len(data) - 1) + [True]
    assert frames.requests(scenario, "web").empty


def test_alerts_frame(examples):
    c = t3.Cluster(seed=7)
    c.alerts.configure(confirm_down_seconds=2, confirm_up_seconds=2)
    c.apply(examples / "api-v1.yaml")
    c.run(until=60)
    c.kill("api", count=3)
    c.run(until=100)
    assert observe.alerts(c)[["time", "kind"]].values.tolist() == [[62.0, "DOWN"], [67.0, "UP"]]

"""c.events and c.history are built column-wise (engine/columns.py): the same frames, value
for value and dtype for dtype, as one built row by row from the events' dicts."""
from __future__ import annotations

import pandas as pd

import t32sim as t3
from t32sim.engine.events import COLUMNS


def cluster() -> t3.Cluster:
    c = t3.Cluster(seed=3)
    c.apply("examples/api-v1.yaml")
    c.run(until=10)
    c.kill("api", 1)
    c.apply("examples/api-v2.yaml")
    c.run(until=40)
    return c


def test_the_events_frame_is_the_events_row_by_row():
    c = cluster()
    rows = pd.DataFrame([e.to_dict() for e in c.event_log], columns=COLUMNS).astype(
        {"seq": "int64", "time": "float64", **{name: "string" for name in COLUMNS[2:]}})
    pd.testing.assert_frame_equal(c.events, rows, check_exact=True)
    assert c.events.reason.tolist()[:2] == ["Applied", "ScalingReplicaSet"]


def test_the_history_frame_has_a_row_per_service_and_sample_with_typed_columns():
    c = cluster()
    history = c.history
    assert len(history) == 41 and history.time.tolist()[:3] == [0.0, 1.0, 2.0]
    assert str(history.dtypes["phase"]) == "string" and str(history.dtypes["ready"]) == "int64"
    assert history.iloc[-1][["time", "service", "desired", "updated"]].tolist() == \
        [40.0, "api", c.service("api").status.desired, c.service("api").status.updated]


def test_an_empty_cluster_has_empty_typed_frames():
    c = t3.Cluster()
    assert c.events.empty and list(c.events.columns) == COLUMNS
    assert str(c.events.dtypes["time"]) == "float64"
    assert c.history.empty and str(c.history.dtypes["requests"]) == "int64"

"""``Cluster.run(until, progress=True)``: a tqdm bar in simulated seconds, same result."""
from __future__ import annotations

import t32sim as t3


def scenario(examples, progress):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"replicas": 2, "image": "local://demo@crash"}})
    c.run(until=37.5, progress=progress)
    c.kill("api", count=2)
    c.run_for(400, progress=progress)
    return c


def test_progress_gives_the_same_cluster_and_shows_a_bar(examples, capsys):
    quiet = scenario(examples, progress=False)
    capsys.readouterr()
    shown = scenario(examples, progress=True)
    err = capsys.readouterr().err
    assert [e.to_dict() for e in shown.event_log] == [e.to_dict() for e in quiet.event_log]
    assert shown.snapshot() == quiet.snapshot() and shown.now == 437.5
    assert shown.history.equals(quiet.history)
    assert "simulating" in err and "38/38 sim s" in err and "400/400 sim s" in err
    assert [c.verb for c in shown.journal] == ["apply", "apply", "run", "kill", "run"]

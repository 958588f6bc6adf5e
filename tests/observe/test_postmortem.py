"""The post-mortem is built from the journal, the alerts and the events (observe/postmortem.py)."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.commands import Command
from t32sim.lab.chapters import ch10
from t32sim.observe.postmortem import describe, postmortem

PLAN = {"shop": "undo", "search": "scale", "auth": "heal"}


@pytest.fixture(scope="module")
def report():
    cluster, _ = ch10.game_day(until=ch10.END, plan=PLAN)
    return postmortem(cluster, since=60, responders=("oncall",))


def test_each_changed_service_is_a_finding_with_its_changes(report):
    assert [f.service for f in report.findings] == ["shop", "search", "auth"]
    assert report.finding("shop").changes == ((120.0, "ci", "apply shop (local://demo@flaky)"),)
    assert report.finding("search").changes == (
        (150.0, "chaos", "kill 2 pods of search"),
        (180.0, "traffic", "set the load of search to 400 rps"))


def test_detection_mitigation_and_resolution_come_from_alerts_and_the_journal(report):
    auth = report.finding("auth")
    assert (auth.began, auth.detected, auth.detected_by) == (200.0, 216.0,
                                                             "DOWN (ServiceHealth)")
    assert (auth.time_to_detect, auth.mitigated, auth.mitigation, auth.resolved) == (
        16.0, 240.0, "oncall: heal auth", 252.0)
    shop = report.finding("shop")
    assert (shop.detected, shop.time_to_detect, shop.resolved) == (None, None, None)
    assert (shop.mitigated, shop.time_to_mitigate) == (240.0, 120.0)
    assert shop.sentence() == ("shop: t = 120 ci: apply shop (local://demo@flaky). no alert "
                               "fired; mitigated at t = 240 (oncall: undo shop); no alert "
                               "says resolved.")
    with pytest.raises(KeyError, match="no finding for 'web'"):
        report.finding("web")


def test_the_timeline_merges_commands_alerts_and_warnings_in_time_order(report):
    rows = [tuple(r) for r in report.timeline.itertuples(index=False)]
    assert rows[0] == (120.0, "ci", "shop", "apply shop (local://demo@flaky)")
    assert (216.0, "alerts", "auth", "[t32sim] auth is DOWN") in rows
    assert (200.0, "events", "auth",
            "ProbeBroken: Chaos broke the readiness probe of every pod of auth") in rows
    assert [r[3] for r in rows if r[1] == "oncall"] == ["undo shop", "scale search to 6",
                                                        "heal auth"]
    assert list(report.timeline["time"]) == sorted(report.timeline["time"])
    assert not any(r[1] == "traffic" and r[0] == 30.0 for r in rows)      # before `since`


def test_the_markdown_names_what_no_alert_caught(report):
    text = report.markdown()
    assert text.startswith("## Post-mortem: t = 60 s to t = 360 s")
    assert "### Not caught by any alert\n\n* shop, search:" in text
    assert "| 216 | alerts | auth | [t32sim] auth is DOWN |" in text


def test_a_symptom_rule_turns_shop_into_a_detected_finding():
    cluster, _ = ch10.game_day(until=ch10.END, plan=PLAN,
                               rule=(lambda obs: obs.error_rate > 0.2, 0))
    shop = postmortem(cluster, since=60).finding("shop")
    assert (shop.detected, shop.detected_by, shop.time_to_detect) == (150.0,
                                                                       "FIRING (user-errors)",
                                                                       30.0)
    assert shop.resolved is not None and shop.resolved > 240


@pytest.mark.parametrize("command,text", [
    (Command(0, "u", "scale", {"service": "a", "delta": -1}), "scale a by -1"),
    (Command(0, "u", "inject", {"service": "a", "error_rate": 0.3, "latency": 0.5}),
     "inject 30% errors and +0.5 s latency into a"),
    (Command(0, "u", "undo", {"service": "a", "to_revision": 2}), "undo a to revision 2"),
    (Command(0, "u", "heal", {}), "heal everything"),
    (Command(0, "u", "set_load", {"service": "a", "cpu": 80}), "set the load of a to 80 % CPU"),
    (Command(0, "u", "kill", {"service": "a", "count": 1}), "kill 1 pod of a"),
])
def test_describe_says_each_verb_in_words(command, text):
    assert describe(command) == text


def test_a_quiet_cluster_has_no_findings():
    c = t3.Cluster(seed=1)
    c.apply(ch10.spec("auth"))
    c.run(30)
    report = postmortem(c, since=10)
    assert report.findings == () and report.timeline.empty

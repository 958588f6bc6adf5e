"""The alert manager in a cluster (t32sim/engine/alerts.py): outages, flapping, the
original rule as an option, journaling, and e-mail through a real local SMTP server. The
pure tracker is in test_alerts_tracker.py, the health rules in test_alerts_health.py, the
symptom rules in test_alerts_rules.py."""
from __future__ import annotations

import pytest

import t32sim as t3
from t32sim.engine.alerts import AlertConfig, Health
from t32sim.notify import EmailNotifier
from tests.support import free_port, wait_for

UP, DOWN, SCALED = Health.UP, Health.DOWN, Health.SCALED


# -- the manager in a cluster --------------------------------------------------------------

def alert_events(cluster):
    names = {"ServiceDown", "ServiceUp", "ServiceScaledToZero", "AlertHeld", "AlertNotSent"}
    return [(e.time, e.reason.value, e.message) for e in cluster.event_log if e.reason.value in names]


def fast_cluster(examples, **kwargs):
    """api-v1 (3 pods Ready 5 s after they are created) with 2 s confirmation windows."""
    c = t3.Cluster(seed=7, **kwargs)
    c.alerts.configure(grace_seconds=30, confirm_down_seconds=2, confirm_up_seconds=2,
                       cooldown_seconds=60)
    c.apply(examples / "api-v1.yaml")
    return c


def kill_all_at(c, t):
    c.run(until=t)
    c.kill("api", count=3)


def test_a_normal_start_and_a_short_kill_raise_no_alert(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=60)
    c.kill("api", count=3)        # down 5 s < the default 10 s confirmation window
    c.run(until=200)
    assert alert_events(c) == [] and c.alerts.alerts == []
    assert c.alerts.health("api") is UP


def test_an_outage_gives_a_down_and_an_up_event_with_the_downtime(examples):
    c = fast_cluster(examples)
    received = []
    c.alerts.subscribe(received.append)
    kill_all_at(c, 10)            # inside the grace period: no alert
    kill_all_at(c, 60)            # replacements are Ready at 65
    c.run(until=100)
    assert alert_events(c) == [
        (62.0, "ServiceDown", "api is DOWN at t=62 s: 0 of 3 pods Ready since t=60 s."),
        (67.0, "ServiceUp", "api is UP at t=67 s: 3 of 3 pods Ready. It was DOWN for 5 s "
                            "(t=60 s to t=65 s)."),
    ]
    assert [(a.kind, a.time, a.down_seconds) for a in received] == [(DOWN, 62, None), (UP, 67, 5)]
    down = next(e for e in c.event_log if e.reason.value == "ServiceDown")
    assert down.level is t3.Level.WARNING and "2 s (the confirmation window)" in down.explain
    frame = c.alerts.frame()
    assert frame["time"].tolist() == [62.0, 67.0] and frame["kind"].tolist() == ["DOWN", "UP"]
    assert frame["down_seconds"].isna().tolist() == [True, False]
    assert frame["down_seconds"].iloc[1] == 5.0 and str(frame["kind"].dtype) == "string"


def test_flapping_inside_the_cooldown_is_held_not_alerted(examples):
    c = fast_cluster(examples)
    kill_all_at(c, 60)
    kill_all_at(c, 80)            # DOWN again 18 s after the first DOWN alert
    c.run(until=300)
    assert [(t, r) for t, r, _ in alert_events(c)] == [
        (62.0, "ServiceDown"), (67.0, "ServiceUp"), (82.0, "AlertHeld")]
    held = alert_events(c)[-1][2]
    assert held == "api is DOWN again, but a DOWN alert was sent 20 s ago: held until t=122 s"


def test_scaling_to_zero_is_its_own_alert(examples):
    c = fast_cluster(examples)
    c.run(until=60)
    c.scale("api", replicas=0)
    c.run(until=100)
    assert [(t, r) for t, r, _ in alert_events(c)] == [(62.0, "ServiceScaledToZero")]
    assert c.alerts.health("api") is SCALED


def test_a_service_that_never_comes_up_is_alerted_after_the_grace_period():
    c = t3.Cluster(seed=7)
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"replicas": 2, "image": "local://demo@never-ready"}})
    c.run(until=100)
    assert alert_events(c) == [
        (30.0, "ServiceDown", "web is DOWN at t=30 s: 0 of 2 pods Ready since t=0 s; it has "
                              "not stayed UP since it started.")]


def test_a_notifier_that_raises_is_an_event_not_a_crash(examples):
    def broken(alert):
        raise OSError("no route to host")

    c = fast_cluster(examples, notifier=broken)
    kill_all_at(c, 60)
    c.run(until=100)
    assert [(t, r) for t, r, _ in alert_events(c)] == [
        (62.0, "ServiceDown"), (62.0, "AlertNotSent"), (67.0, "ServiceUp"), (67.0, "AlertNotSent")]
    assert alert_events(c)[1][2] == ("Could not send '[t32sim] api is DOWN': "
                                     "OSError: no route to host")


def test_alert_windows_are_journaled_so_replay_gives_the_same_events(examples):
    c = fast_cluster(examples)
    kill_all_at(c, 60)
    c.run(until=100)
    assert len(c.alerts.alerts) == 2
    assert c.journal[0].to_dict() == {
        "time": 0.0, "actor": "user", "verb": "configure_alerts",
        "args": {"grace_seconds": 30, "confirm_down_seconds": 2, "confirm_up_seconds": 2,
                 "cooldown_seconds": 60}}
    again = t3.replay([cmd.to_dict() for cmd in c.journal], seed=7)
    assert [e.to_dict() for e in again.event_log] == [e.to_dict() for e in c.event_log]
    assert again.alerts.config == c.alerts.config


def test_configure_rejects_bad_settings_naming_the_field_and_changes_nothing(examples):
    c = t3.Cluster(seed=7)
    with pytest.raises(t3.CommandError, match="^grace: not an alert setting") as error:
        c.alerts.configure(grace=5)
    assert error.value.field == "grace"
    with pytest.raises(t3.CommandError, match="^cooldown_seconds: expected a number of seconds"):
        c.alerts.configure(cooldown_seconds=-1)
    assert c.journal == [] and c.alerts.config == AlertConfig()


# -- e-mail through a real SMTP server -----------------------------------------------------

@pytest.fixture
def mailers():
    made = []
    yield made
    for mailer in made:
        mailer.close(timeout=10)


def test_smtp_one_mail_on_down_one_on_up_none_in_grace_none_while_flapping(examples, smtp, mailers):
    inbox, port = smtp
    c = fast_cluster(examples)
    mailer = EmailNotifier.from_env({"T32SIM_SMTP_HOST": "127.0.0.1",
                                     "T32SIM_SMTP_PORT": str(port),
                                     "T32SIM_SMTP_TO": "ops@t32sim.test",
                                     "T32SIM_SMTP_FROM": "alerts@t32sim.test",
                                     "T32SIM_SMTP_STARTTLS": "false"},
                                    timeout=5, on_error=c.alerts.delivery_failed)
    mailers.append(mailer)
    c.alerts.subscribe(mailer.send)

    kill_all_at(c, 10)                  # down 10..15, inside the 30 s grace period
    c.run(until=59)
    assert c.alerts.alerts == []

    kill_all_at(c, 60)                  # down 60..65
    c.run(until=64)
    wait_for(lambda: len(inbox.messages) == 1, what="the DOWN mail")
    down = inbox.messages[0]
    assert (down["Subject"], down["To"], down["X-T32sim-Kind"]) == \
        ("[t32sim] api is DOWN", "ops@t32sim.test", "DOWN")
    assert down.get_content().strip() == "api is DOWN at t=62 s: 0 of 3 pods Ready since t=60 s."

    c.run(until=70)
    wait_for(lambda: len(inbox.messages) == 2, what="the UP mail")
    up = inbox.messages[1]
    assert up["Subject"] == "[t32sim] api is UP"
    assert "It was DOWN for 5 s (t=60 s to t=65 s)." in up.get_content()

    for t in (80, 90, 100):             # flapping inside the 60 s cooldown
        kill_all_at(c, t)
    c.run(until=200)
    mailer.close(timeout=10)            # everything queued has been delivered now
    assert len(inbox.messages) == 2
    assert [(t, r) for t, r, _ in alert_events(c)] == [
        (62.0, "ServiceDown"), (67.0, "ServiceUp"),
        (82.0, "AlertHeld"), (92.0, "AlertHeld"), (102.0, "AlertHeld")]


def test_a_failing_smtp_server_gives_an_event_not_a_crash(examples, mailers):
    c = fast_cluster(examples)
    mailer = EmailNotifier(host="127.0.0.1", port=free_port(), recipients=["ops@t32sim.test"],
                           starttls=False, timeout=5, on_error=c.alerts.delivery_failed)
    mailers.append(mailer)
    c.alerts.subscribe(mailer.send)
    kill_all_at(c, 60)
    c.run(until=63)                     # the DOWN alert is queued at 62
    wait_for(lambda: c.alerts.failures_waiting == 1, what="the delivery failure")
    c.run(until=64)
    failed = [(t, m) for t, r, m in alert_events(c) if r == "AlertNotSent"]
    assert len(failed) == 1 and failed[0][0] == 64.0
    assert failed[0][1].startswith("Could not send '[t32sim] api is DOWN': ConnectionRefusedError")

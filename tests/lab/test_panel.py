"""The control panel drives a cluster headless: set widget values, click buttons
(t32sim/lab/panel.py)."""
from __future__ import annotations

import base64

import numpy as np
import pytest

import t32sim as t3
from t32sim.lab import RUN_STEPS, VIEWS, ControlPanel
from t32sim.observe import frames


@pytest.fixture
def panel(examples):
    return ControlPanel(examples=examples, seed=7)


def shown(panel):
    """The mime types in the panel's Output, in order."""
    return [sorted(o["data"]) for o in panel.output.outputs]


def test_a_whole_scenario_by_widgets(panel):
    assert panel.status.value.startswith("t = 0 s: no service yet")
    assert list(panel.example.options) == ["api-argo-canary", "api-autoscale", "api-canary",
                                           "api-crash", "api-rolling", "api-v1", "api-v2",
                                           "nginx-deployment", "php-apache",
                                           "rollout-bluegreen", "rollout-canary"]

    panel.example.value = "api-v1"
    panel.apply_button.click()
    panel.run_buttons["+30 s"].click()
    c = panel.cluster
    assert (c.now, c.service("api").status.ready, panel.replicas.value) == (30.0, 3, 3)

    panel.replicas.value = 5                      # the slider scales at once
    assert c.service("api").status.desired == 5
    panel.run_buttons["+5 s"].click()
    assert c.service("api").status.ready == 5

    panel.load.value = 80                         # 80 % CPU on the 5 Ready pods
    assert c.journal[-1].verb == "set_load" and c.journal[-1].args == {"service": "api", "cpu": 80}
    assert c.traffic.cpu("api") == pytest.approx(80)

    panel.kill_count.value = 2
    panel.kill_button.click()
    assert c.service("api").status.ready == 3
    panel.run_buttons["+2 min"].click()
    status = c.service("api").status
    assert (c.now, status.desired, status.ready) == (155.0, 5, 5)

    verbs = [cmd.verb for cmd in c.journal]
    assert verbs == ["apply", "run", "scale", "run", "set_load", "kill", "run"]
    assert panel.status.value == ("<b>api</b> at t = 155 s: desired 5, ready 5, available 5, "
                                  "revision 1, <i>Healthy</i>, load 400 rps, CPU 80 %")
    assert sorted(panel.table["pod"]) == sorted(p.name for p in c.pods("api"))
    assert shown(panel) == [["image/png", "text/plain"], ["text/html", "text/plain"]]
    png = base64.b64decode(panel.output.outputs[0]["data"]["image/png"])
    assert png.startswith(b"\x89PNG")
    last = [e for e in c.event_log if e.service == "api"][-1]
    assert f"<b>{last.reason.value}</b> {last.message}" in panel.recent.value


def test_the_live_plot_is_the_chosen_view_of_the_cluster(panel):
    panel.apply("api-v1")
    panel.run_for(20)
    history = frames.history(panel.cluster, "api")
    (ax,) = panel.figure.axes
    ready = next(line for line in ax.get_lines() if line.get_label() == "ready")
    assert np.array_equal(ready.get_ydata(), history["ready"].to_numpy())
    panel.view.value = "pod timeline"
    assert panel.figure.axes[0].get_title() == "Pod timeline: api"
    assert len(panel.figure.axes[0].containers[0].patches) == len(frames.intervals(panel.cluster))


def test_refused_commands_show_a_message_and_change_nothing(panel):
    panel.kill_button.click()
    assert panel.message == "service: none yet; choose an example and press Apply"
    assert "none yet" in panel.notice.value and panel.cluster.journal == []
    panel.apply("api-v1")
    assert panel.message == "" and panel.notice.value == ""
    panel.apply("nope")
    assert panel.message == ("example: expected one of ['api-argo-canary', 'api-autoscale', "
                             "'api-canary', 'api-crash', 'api-rolling', 'api-v1', 'api-v2', "
                             "'nginx-deployment', 'php-apache', 'rollout-bluegreen', "
                             "'rollout-canary'], got 'nope'")


def test_the_autoscaler_or_a_scale_moves_the_slider_without_sending_a_command(panel):
    panel.apply("api-v1")
    panel.cluster.scale("api", replicas=7)        # from outside the panel
    panel.refresh()
    assert panel.replicas.value == 7
    assert [cmd.verb for cmd in panel.cluster.journal] == ["apply", "scale"]


def test_a_panel_on_an_existing_cluster_and_its_display(examples):
    c = t3.Cluster(seed=1)
    c.apply(examples / "api-v2.yaml")
    c.run(until=10)
    panel = ControlPanel(c, examples=examples)
    assert panel.service == "api" and panel.status.value.startswith("<b>api</b> at t = 10 s")
    bundle = panel._repr_mimebundle_()
    assert bundle["text/plain"] == "ControlPanel(service='api', t=10 s)"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert set(RUN_STEPS) == set(panel.run_buttons) and list(panel.view.options) == list(VIEWS)


def test_promote_and_undo_buttons_drive_a_canary(panel):
    panel.apply("api-v1")
    panel.run_for(30)
    panel.example.value = "api-canary"
    panel.apply_button.click()
    panel.run_for(8)                              # the canary's first pod is Ready at 36 s
    c = panel.cluster
    status = c.service("api").status
    assert (status.phase.value, status.weight) == ("Paused", 25)
    panel.promote_button.click()
    assert c.journal[-1].verb == "promote" and panel.message == ""
    panel.run_buttons["+2 min"].click()
    assert {p.version for p in c.pods("api") if not p.terminating} == {"v2"}
    panel.undo_button.click()
    assert c.journal[-1].verb == "undo"
    panel.run_buttons["+2 min"].click()
    assert {p.version for p in c.pods("api") if not p.terminating} == {"v1"}
    panel.send_count.value = 40
    panel.send_button.click()
    assert c.journal[-1].verb == "send" and c.journal[-1].args["count"] == 40
    assert c.requests["version"].tolist() and set(c.requests["version"]) == {"v1"}
    panel.view.value = "traffic share"
    assert panel.figure.axes[0].get_title() == "Traffic share by version: api"
    assert [layer.get_label() for layer in panel.figure.axes[0].collections] == ["v1"]


def test_promote_with_nothing_to_promote_shows_why(panel):
    panel.apply("api-v1")
    panel.promote_button.click()
    assert panel.message.startswith("promote: api uses BlueGreen, which has nothing to promote")
    assert panel.cluster.journal[-1].verb == "apply"


def test_a_manifest_example_is_applied_whole_and_its_workload_followed(panel):
    panel.apply("php-apache")                     # Deployment + Service + HPA in one file
    assert panel.message == "" and panel.service == "php-apache"
    assert panel.cluster.service("php-apache").spec.autoscale.max_replicas == 10
    assert panel.cluster.snapshot()["selectors"]["php-apache"]["selects"] == ["php-apache"]
    panel.run_for(30)
    panel.set_load(305)
    panel.run_for(60)
    assert panel.cluster.service("php-apache").status.desired == 7


def test_the_example_chooser_shows_what_runs(examples):
    c = t3.Cluster(seed=1)
    c.apply(examples / "api-v2.yaml")
    panel = ControlPanel(c, examples=examples)
    assert panel.example.value == "api-v2"              # not the first example in the list
    c.scale("api", replicas=6)                          # replicas may differ
    panel.refresh()
    assert panel.example.value == "api-v2"
    panel.example.value = "api-canary"                  # the user's choice stays ...
    panel.run_for(5)
    assert panel.example.value == "api-canary"
    panel.apply()                                       # ... until what runs changes
    assert panel.example.value == "api-canary"


def test_a_spec_that_is_no_example_leaves_the_chooser_empty(examples):
    c = t3.Cluster(seed=1)
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
             "spec": {"image": "local://demo@v3", "replicas": 2}})
    panel = ControlPanel(c, examples=examples)
    assert panel.example.value is None
    panel.apply()                                       # Apply starts nothing by surprise
    assert "example: expected one of" in panel.notice.value
    assert c.service("api").spec.image == "local://demo@v3"


def test_run_buttons_are_wide_enough_for_their_labels(panel):
    assert {b.description: b.layout.width for b in panel.run_buttons.values()} == \
        dict.fromkeys(RUN_STEPS, "auto")


def test_the_default_seed_is_the_one_of_run_and_serve():
    from t32sim.engine.cluster import DEFAULT_SEED
    assert ControlPanel().cluster.seed == DEFAULT_SEED

"""Cluster.apply of real manifests: they behave as the Kubernetes and Argo docs describe."""
from __future__ import annotations

from pathlib import Path

import pytest

import t32sim as t3
from t32sim.engine import CommandError
from tests.spec.docs_manifests import HPA_V1

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def text(name: str, *replace: tuple[str, str]) -> str:
    source = (EXAMPLES / name).read_text()
    for old, new in replace:
        assert old in source
        source = source.replace(old, new)
    return source


def events(c, *reasons):
    frame = c.events
    return [(row.time, row.reason, row.service, row.message)
            for row in frame[frame.reason.isin(reasons)].itertuples()]


def test_the_docs_deployment_runs_three_ready_pods_named_after_it():
    c = t3.Cluster(seed=3)
    spec = c.apply(EXAMPLES / "nginx-deployment.yaml")
    c.run(until=30)
    assert spec.name == "nginx-deployment" and c.services() == ["nginx-deployment"]
    status = c.service("nginx-deployment").status
    assert (status.ready, status.desired, status.phase.value) == (3, 3, "Healthy")
    assert {p.version for p in c.pods("nginx-deployment")} == {"nginx:1.14.2"}
    assert events(c, "NotSimulated") == [
        (0.0, "NotSimulated", "nginx-deployment", "metadata.labels: not simulated: the "
         "object's own labels (its pods' labels are spec.template.metadata.labels)"),
        (0.0, "NotSimulated", "nginx-deployment", "spec.template.spec.containers[0].ports: "
         "not simulated: requests reach the pod, whatever the port")]


def test_a_rolling_image_update_keeps_within_25_percent_surge_and_unavailability():
    c = t3.Cluster(seed=3)
    c.apply(EXAMPLES / "nginx-deployment.yaml")
    c.run(until=30)
    c.apply(text("nginx-deployment.yaml", ("nginx:1.14.2", "nginx:1.16.1")))
    c.run(until=90)
    view = c.service("nginx-deployment")
    assert [(r["revision"], r["version"], r["replicas"]) for r in view.revisions] == [
        (1, "nginx:1.14.2", 0), (2, "nginx:1.16.1", 3)]
    during = c.history[c.history.time >= 30]
    # 3 replicas: maxSurge 25 % rounds up to 1, maxUnavailable 25 % rounds down to 0
    assert during.current.max() == 4 and during.available.min() == 3
    assert view.status.phase.value == "Healthy" and view.status.ready == 3


def test_the_hpa_walkthrough_scales_on_cpu_relative_to_the_request():
    c = t3.Cluster(seed=1)
    c.apply(EXAMPLES / "php-apache.yaml")
    c.run(until=30)
    rps = c.set_load("php-apache", cpu=305)
    assert rps == pytest.approx(61.0)        # 305 % of 200m is 0.61 CPU: 61 of 100 rps per CPU
    c.run_for(120)
    assert [(t, m.split(" → ")[-1]) for t, _, _, m in events(c, "SuccessfulRescale")] == [
        (45.0, "scale up from 1 to 4"), (60.0, "scale up from 4 to 7")]
    assert c.service("php-apache").status.desired == 7      # the walkthrough's 7 replicas
    assert c.snapshot()["autoscalers"] == {"php-apache": {
        "target": "php-apache", "kind": "Deployment", "minReplicas": 1, "maxReplicas": 10,
        "targetCPUUtilizationPercentage": 50}}


def test_the_walkthrough_with_its_older_autoscaling_v1_hpa_scales_the_same():
    deployment_and_service = text("php-apache.yaml").rsplit("\n---\n", 1)[0]
    c = t3.Cluster(seed=1)
    c.apply(deployment_and_service + "\n---\n" + HPA_V1)
    c.run(until=30)
    c.set_load("php-apache", cpu=305)
    c.run_for(120)
    assert c.service("php-apache").status.desired == 7


def test_without_a_cpu_request_utilisation_is_the_share_of_a_pods_capacity():
    c = t3.Cluster(seed=1)
    c.apply(text("php-apache.yaml", ("            requests:\n              cpu: 200m\n", "")))
    c.run(until=30)
    assert c.set_load("php-apache", cpu=50) == pytest.approx(50.0)   # 50 % of 100 rps


@pytest.mark.parametrize("order", ["hpa-first", "deployment-first"])
def test_an_hpa_applies_before_or_after_its_target_and_survives_a_reapply(order):
    deployment, service, hpa = text("php-apache.yaml").split("\n---\n")
    c = t3.Cluster(seed=1)
    for doc in ([hpa, deployment] if order == "hpa-first" else [deployment, hpa]):
        c.apply(doc)
    assert c.service("php-apache").spec.autoscale == t3.load_spec(
        EXAMPLES / "php-apache.yaml").autoscale
    waits = events(c, "FailedGetScale")
    assert waits == ([(0.0, "FailedGetScale", "php-apache", "HorizontalPodAutoscaler "
                       "php-apache waits: no Deployment named php-apache yet")]
                     if order == "hpa-first" else [])
    c.apply(deployment.replace("hpa-example", "hpa-example:v2"))   # kubectl apply -f deploy.yaml
    assert c.service("php-apache").spec.autoscale.max_replicas == 10


def test_a_service_is_the_load_balancer_in_front_of_the_pods_it_selects():
    c = t3.Cluster(seed=2)
    selector = ("apiVersion: v1\nkind: Service\nmetadata: {name: front}\n"
                "spec: {selector: {app: nginx}, ports: [{port: 80}]}\n")
    c.apply(selector)
    assert events(c, "NoEndpoints") == [(0.0, "NoEndpoints", "front", "Service front selects "
                                         "no pods: no workload's pods have the labels "
                                         "app=nginx")]
    with pytest.raises(CommandError, match="Service front selects no pods"):
        c.request("front")
    c.apply(EXAMPLES / "nginx-deployment.yaml")
    c.run(until=30)
    assert events(c, "ServiceSelects") == [(0.0, "ServiceSelects", "front", "Service front "
                                            "sends requests to the pods of nginx-deployment "
                                            "(app=nginx)")]
    answer = c.request("front")
    assert answer.status == 200 and answer.pod.startswith("nginx-deployment-")
    assert c.services() == ["nginx-deployment"]           # a Service adds no pods
    assert c.snapshot()["selectors"] == {"front": {"selector": {"app": "nginx"},
                                                   "selects": ["nginx-deployment"]}}


def test_an_argo_canary_waits_at_pause_until_promoted():
    c = t3.Cluster(seed=3)
    c.apply(EXAMPLES / "rollout-canary.yaml")
    c.run(until=30)
    c.apply(text("rollout-canary.yaml", ("rollouts-demo:blue", "rollouts-demo:yellow")))
    c.run(until=120)
    status = c.service("rollouts-demo").status
    assert (status.phase.value, status.weight) == ("Paused", 20)     # pause: {} holds it
    c.promote("rollouts-demo")
    c.run(until=300)
    status = c.service("rollouts-demo").status
    assert (status.phase.value, status.revision, status.ready) == ("Healthy", 2, 5)
    assert {p.version for p in c.pods("rollouts-demo")} == {"argoproj/rollouts-demo:yellow"}


def test_an_argo_blue_green_switches_the_active_service_only_on_promote():
    c = t3.Cluster(seed=3)
    c.apply(EXAMPLES / "rollout-bluegreen.yaml")
    c.run(until=30)
    c.apply(text("rollout-bluegreen.yaml", ("rollouts-demo:blue", "rollouts-demo:green")))
    c.run(until=120)
    assert c.service("rollout-bluegreen").status.phase.value == "Paused"
    assert c.request("rollout-bluegreen-active").version == "argoproj/rollouts-demo:blue"
    c.promote("rollout-bluegreen")
    c.run(until=130)
    assert c.request("rollout-bluegreen-active").version == "argoproj/rollouts-demo:green"


def test_skipped_kinds_are_events_and_a_replay_rebuilds_the_same_cluster():
    c = t3.Cluster(seed=5)
    c.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n---\n"
            + text("php-apache.yaml"))
    c.run(until=20)
    c.set_load("php-apache", cpu=120)
    c.run(until=200)
    assert events(c, "NotSimulated")[0] == (0.0, "NotSimulated", "settings", "documents[0]: "
                                            "ConfigMap settings: skipped, t32sim does not "
                                            "simulate ConfigMap objects")
    again = t3.replay(c.journal, seed=5)
    assert again.snapshot() == c.snapshot()
    assert again.events.equals(c.events)


def test_the_flat_format_still_journals_its_canonical_document():
    c = t3.Cluster(seed=0)
    c.apply(EXAMPLES / "api-v1.yaml")
    assert c.journal[0].args == {"spec": t3.load_spec(EXAMPLES / "api-v1.yaml").to_dict()}


def test_apply_returns_the_one_workload_or_every_object_applied():
    c = t3.Cluster(seed=0)
    assert isinstance(c.apply(EXAMPLES / "php-apache.yaml"), t3.ServiceSpec)
    front = "apiVersion: v1\nkind: Service\nmetadata: {name: front}\nspec: {selector: {a: b}}\n"
    [selector] = c.apply(front)
    assert (selector.name, selector.selector) == ("front", (("a", "b"),))
    both = text("nginx-deployment.yaml") + "---\n" + text(
        "nginx-deployment.yaml", ("name: nginx-deployment", "name: nginx-canary"))
    assert [s.name for s in c.apply(both)] == ["nginx-deployment", "nginx-canary"]
    assert c.apply(front) == (selector,)
    assert events(c, "Unchanged")[-1] == (0.0, "Unchanged", "front", "Service front unchanged")

"""POST /apply takes real manifests too: several documents, journaled as given."""
from __future__ import annotations

from pathlib import Path

from tests.spec.docs_manifests import HPA_V1, SERVICE_SELECTS_NOTHING

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
YAML = {"Content-Type": "application/yaml"}


def test_a_deployment_service_and_hpa_file_is_applied_whole(make_client, tmp_path):
    db = tmp_path / "journal.db"
    client = make_client(db=str(db))
    body = (EXAMPLES / "php-apache.yaml").read_bytes()
    response = client.post("/apply", content=body, headers=YAML)
    assert response.status_code == 200
    answer = response.json()
    assert answer.pop("message").startswith(          # the engine's Applied events
        "Applied service php-apache: 1 x registry.k8s.io/hpa-example; Applied Service "
        "php-apache: selects pods with run=php-apache; Applied HorizontalPodAutoscaler")
    assert answer == {"ok": True, "service": "php-apache",
                               "image": "registry.k8s.io/hpa-example", "replicas": 1,
                               "time": 0.0}
    state = client.get("/state").json()
    assert list(state["services"]) == ["php-apache"]
    assert state["selectors"] == {"php-apache": {"selector": {"run": "php-apache"},
                                                 "selects": ["php-apache"]}}
    assert state["services"]["php-apache"]["spec"]["spec"]["autoscale"]["max"] == 10
    journal = client.get("/journal").json()
    [apply] = [e for e in journal["commands"] if e["verb"] == "apply"]
    assert [d["kind"] for d in apply["args"]["spec"]] == [
        "Deployment", "Service", "HorizontalPodAutoscaler"]
    again = make_client(db=str(db))              # a restart replays the journal
    assert again.get("/state").json()["selectors"] == state["selectors"]


def test_a_file_without_a_workload_lists_what_it_applied_and_what_does_not_work_yet(
        make_client):
    client = make_client()
    body = b"apiVersion: v1\nkind: Service\nmetadata: {name: front}\nspec: {selector: {a: b}}\n"
    response = client.post("/apply", content=body, headers=YAML)
    assert response.json() == {"ok": True, "applied": ["Service front"], "time": 0.0,
                               "message": "Applied Service front: selects pods with a=b; "
                                          "Service front selects no pods: no workload's pods "
                                          "have the labels a=b"}
    response = client.post("/apply", content=HPA_V1.encode(), headers=YAML)
    assert response.json() == {"ok": True, "applied": ["HorizontalPodAutoscaler php-apache"],
                               "time": 0.0, "message": (
        "Applied HorizontalPodAutoscaler php-apache: Deployment php-apache between 1 and 10 "
        "pods at 50 % CPU; HorizontalPodAutoscaler php-apache waits: no Deployment named "
        "php-apache yet")}


def test_a_service_selecting_nothing_is_said_in_the_answer(make_client):
    client = make_client()
    answer = client.post("/apply", content=SERVICE_SELECTS_NOTHING.encode(),
                         headers=YAML).json()
    assert answer["message"] == (
        "Applied service web: 1 x nginx:1.27; Applied Service web-svc: selects pods with "
        "app=wbe; Service web-svc selects no pods: no workload's pods have the labels app=wbe")


def test_load_above_100_percent_of_a_small_cpu_request(make_client):
    # the walkthrough's 305 %: 0.61 CPU used by a pod that requests 200m
    client = make_client()
    client.post("/apply", content=(EXAMPLES / "php-apache.yaml").read_bytes(), headers=YAML)
    answer = client.post("/load?service=php-apache&cpu=305").json()
    assert (answer["ok"], answer["cpu"]) == (True, 305.0)
    assert answer["message"].startswith("Offered load on php-apache: 61 rps (305 % average CPU")


def test_a_manifest_error_names_the_real_path(make_client):
    client = make_client()
    body = (EXAMPLES / "nginx-deployment.yaml").read_bytes().replace(b"replicas: 3",
                                                                   b"replicas: -3")
    data = client.post("/apply", content=body, headers=YAML).json()
    assert (data["error"], data["field"]) == ("invalid_spec", "spec.replicas")
    assert client.get("/state").json()["services"] == {}

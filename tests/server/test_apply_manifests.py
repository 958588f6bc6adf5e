"""POST /apply takes real manifests too: several documents, journaled as given."""
from __future__ import annotations

from pathlib import Path

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


def test_a_file_without_a_workload_lists_what_it_applied(make_client):
    client = make_client()
    body = b"apiVersion: v1\nkind: Service\nmetadata: {name: front}\nspec: {selector: {a: b}}\n"
    response = client.post("/apply", content=body, headers=YAML)
    assert response.json() == {"ok": True, "applied": ["Service front"], "time": 0.0,
                               "message": "Applied Service front: selects pods with a=b"}


def test_a_manifest_error_names_the_real_path(make_client):
    client = make_client()
    body = (EXAMPLES / "nginx-deployment.yaml").read_bytes().replace(b"replicas: 3",
                                                                   b"replicas: -3")
    data = client.post("/apply", content=body, headers=YAML).json()
    assert (data["error"], data["field"]) == ("invalid_spec", "spec.replicas")
    assert client.get("/state").json()["services"] == {}

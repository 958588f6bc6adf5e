"""The t32sim command: run and validate."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from t32sim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_run_prints_pods_and_explained_events(examples, capsys):
    assert main(["run", str(examples / "api-v1.yaml"), "--until", "10", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == ("Service api at t=10s: 3/3 ready, 3 available, revision 1, Healthy")
    assert lines[2].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "REVISION", "VERSION"]
    pods = [line.split() for line in lines[3:6]]
    assert [row[1:] for row in pods] == [["1/1", "Running", "0", "10s", "1", "v1"]] * 3
    assert "     5.0s  Normal   Ready" in out
    assert "why: The readiness probe passed 1 time(s) in a row, so the pod joins the load balancer." in out


def test_a_pod_without_a_readiness_probe_is_ready_once_started(capsys):
    assert main(["run", str(ROOT / "examples" / "nginx-deployment.yaml"), "--until", "5"]) == 0
    out = capsys.readouterr().out
    assert out.count("Ready                 nginx-deployment-") == 3
    assert out.count("why: Without a readiness probe a pod is Ready as soon as its container "
                     "starts, so the pod joins the load balancer.") == 3
    assert "passed 0 time(s)" not in out


def test_run_is_deterministic_across_processes(examples):
    command = [sys.executable, "-m", "t32sim.cli", "run", str(examples / "api-v1.yaml"),
               "--until", "30", "--seed", "3"]
    first = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    second = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert first == second and "Readiness probe passed" in first


def test_validate_reports_each_error_as_file_path_message(tmp_path, examples, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: api}\n"
                   "spec: {image: local://demo@v1, replicas: three}\n")
    assert main(["validate", str(examples / "api-v1.yaml"), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{examples / 'api-v1.yaml'}: ok (service api, 3 x local://demo@v1)"
    assert out[1] == f"{bad}: spec.replicas: expected an integer 0..1000, got 'three'"


def test_validate_all_good_exits_zero(examples, capsys):
    assert main(["validate", *map(str, sorted(examples.glob("*.yaml")))]) == 0


def test_run_with_a_bad_spec_exits_one_with_the_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: api}\nspec: {image: x}\n")
    assert main(["run", str(bad)]) == 1
    assert "kind" in capsys.readouterr().err


@pytest.mark.parametrize("until", ["-1", "nan", "inf"])
def test_run_with_a_bad_until_exits_two_with_a_message(examples, capsys, until):
    assert main(["run", str(examples / "api-v1.yaml"), "--until", until]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "t32sim run: --until must be a finite number >= 0\n")


def test_validate_prints_notes_for_unsimulated_fields_and_skipped_kinds(tmp_path, capsys):
    manifest = tmp_path / "shop.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n---\n"
                        + (ROOT / "examples" / "nginx-deployment.yaml").read_text())
    assert main(["validate", str(manifest)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{manifest}: ok (ConfigMap settings (skipped); workload nginx-deployment, "
        "3 x nginx:1.14.2)",
        f"{manifest}: note: documents[0]: ConfigMap settings: skipped, t32sim does not "
        "simulate ConfigMap objects",
        f"{manifest}: note: documents[1].metadata.labels: not simulated: the object's own "
        "labels (its pods' labels are spec.template.metadata.labels)",
        f"{manifest}: note: documents[1].spec.template.spec.containers[0].ports: not "
        "simulated: requests reach the pod, whatever the port"]


def test_validate_warns_of_services_and_hpas_without_a_workload_in_the_files(tmp_path, capsys):
    php = (ROOT / "examples" / "php-apache.yaml").read_text().split("\n---\n")
    alone = tmp_path / "service-and-hpa.yaml"
    alone.write_text(php[1] + "\n---\n" + php[2])
    assert main(["validate", str(alone)]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        f"{alone}: warning: Service php-apache selects no pods: no workload in these files "
        "has the labels run=php-apache",
        f"{alone}: warning: HorizontalPodAutoscaler php-apache targets Deployment php-apache, "
        "which none of these files holds (it waits until it is applied)"]
    deployment = tmp_path / "deployment.yaml"
    deployment.write_text(php[0])
    assert main(["validate", str(alone), str(deployment)]) == 0
    assert "warning" not in capsys.readouterr().out


def test_validate_names_the_real_path_of_a_manifest_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "examples" / "nginx-deployment.yaml").read_text().replace(
        "containerPort: 80", "containerPort: 80\n          readinessProbe: "
        "{httpGet: {path: /, port: 80}, periodSeconds: 0}"))
    assert main(["validate", str(bad)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{bad}: spec.template.spec.containers[0].readinessProbe.periodSeconds: expected a "
        "number of seconds 1..86400, got 0"]


def test_run_simulates_a_manifest_file(capsys):
    assert main(["run", str(ROOT / "examples" / "php-apache.yaml"), "--until", "20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Service php-apache at t=20s: 1/1 ready, 1 available, revision 1, "
                          "Healthy\n")
    assert "NotSimulated" in out and "php-apache-" in out


def test_export_prints_manifests_that_apply_back(capsys):
    assert main(["export", str(ROOT / "examples" / "api-autoscale.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# exported by t32sim: kubectl apply -f this file\n# api: "
                          "requests.cpu 1000m is the whole pod t32sim measures CPU against")
    kinds = [line for line in out.splitlines() if line.startswith("kind: ")]
    assert kinds == ["kind: Deployment", "kind: Service", "kind: HorizontalPodAutoscaler"]
    from t32sim.spec import load_spec
    assert load_spec(out).autoscale == load_spec(ROOT / "examples" / "api-autoscale.yaml").autoscale


def test_export_writes_one_file_per_spec_and_takes_an_image_flag(tmp_path, capsys):
    sources = [str(ROOT / "examples" / name) for name in ("api-v1.yaml", "api-canary.yaml")]
    assert main(["export", *sources, "-o", str(tmp_path / "out"),
                 "--image", "local://demo@v1=ghcr.io/me/api:1"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{sources[0]}: wrote {tmp_path / 'out' / 'api-v1.yaml'}",
        f"{sources[1]}: wrote {tmp_path / 'out' / 'api-canary.yaml'}"]
    assert "image: ghcr.io/me/api:1" in (tmp_path / "out" / "api-v1.yaml").read_text()
    assert "kind: Rollout" in (tmp_path / "out" / "api-canary.yaml").read_text()


def test_export_refuses_a_bad_image_flag_and_a_bad_spec(tmp_path, capsys):
    assert main(["export", str(ROOT / "examples" / "api-v1.yaml"), "--image", "v1"]) == 2
    assert capsys.readouterr().err == ("t32sim export: --image: expected SIMULATED=REAL like "
                                       "local://demo@v1=nginx:1.27, got 'v1'\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {image: ''}\n")
    assert main(["export", str(bad)]) == 1
    assert capsys.readouterr().err == (f"{bad}: spec.image: expected a non-empty image "
                                       "reference without spaces, like 'local://demo@v1', "
                                       "got ''\n")


def test_every_help_text_tells_of_manifests_not_only_service_yaml():
    from t32sim.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    [apply] = [a for a in commands["serve"]._actions if "--apply" in a.option_strings]
    assert apply.help.startswith("apply this file at start: a t32sim Service, or Kubernetes "
                                 "/ Argo manifests (Deployment, Rollout, Service, HPA")
    helps = {a.dest: a.help for a in build_parser()._subparsers._group_actions[0]._choices_actions}
    assert helps["run"] == "simulate a spec or manifests and print the pods and events"
    for name in ("run", "validate", "export", "serve"):
        assert "Service YAML" not in commands[name].format_help(), name

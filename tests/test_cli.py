"""The t32sim command: run and validate."""
from __future__ import annotations

import subprocess
import sys

import pytest

from t32sim.cli import main


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

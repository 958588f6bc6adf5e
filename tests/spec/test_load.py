"""t32sim.spec.load: every kind of source gives the same spec; unreadable sources are errors."""
from __future__ import annotations

import yaml


from t32sim.spec import EnvVar, Probe, Rollout, ServiceSpec, Strategy, load_spec
from tests.spec.documents import EXAMPLES, base, errors_of, spec


from tests.spec.test_guarded_yaml import megabyte_yaml, refused_within

API_V1 = ServiceSpec(
    name="api", image="local://demo@v1", replicas=3,
    env=(EnvVar("HEALTHY", "1"),),
    readiness_probe=Probe("/healthz", initial_delay_seconds=1, period_seconds=2),
    liveness_probe=Probe("/livez", initial_delay_seconds=1, period_seconds=2),
    termination_grace_period_seconds=30,
    rollout=Rollout(strategy=Strategy.BLUE_GREEN))


def test_every_kind_of_source_gives_the_same_spec(tmp_path):
    path = EXAMPLES / "api-v1.yaml"
    text = path.read_text()
    assert load_spec(path) == API_V1
    assert load_spec(str(path)) == API_V1
    assert load_spec(text) == API_V1
    assert load_spec(text.encode()) == API_V1
    assert load_spec(yaml.safe_load(text)) == API_V1
    assert load_spec(API_V1) is API_V1
    copy = tmp_path / "api.yml"
    copy.write_text(text)
    assert load_spec(str(copy)) == API_V1


def test_a_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert errors_of(missing) == [("", f"cannot read spec file '{missing}': no such file")]
    assert errors_of(str(missing)) == [("", f"cannot read spec file '{missing}': no such file")]


def test_a_directory_is_not_a_spec_file(tmp_path):
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert errors_of(folder) == [("", f"cannot read spec file '{folder}': Is a directory")]


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(megabyte_yaml())
    size = big.stat().st_size
    assert refused_within(1.0, big) == [
        ("", f"expected a document of at most 65536 bytes (64 KiB), got {size} bytes in "
             f"'{big}'")]


def test_bytes_must_be_utf8(tmp_path):
    assert errors_of(b"kind: \xff\n") == [("", "expected UTF-8 text, got byte 0xff at offset 6")]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("kind: Service\nmetadata: {name: caf\xe9}\n".encode("latin-1"))
    assert errors_of(latin) == [("", "expected UTF-8 text, got byte 0xe9 at offset 34")]


def test_a_mapping_with_cycles_and_odd_values_gives_errors_not_crashes():
    doc = base()
    doc["spec"]["env"] = doc       # a cycle
    doc["spec"]["replicas"] = object.__new__(object)
    errors = errors_of(doc)
    assert [path for path, _ in errors] == ["spec.replicas", "spec.env"]
    assert errors[1][1].startswith("expected a list of {name, value} mappings, got {")


def test_huge_numbers_are_errors_not_crashes():
    assert errors_of(spec(minReadySeconds=10**400, env=[{"name": "A", "value": 10**5000}])) == [
        ("spec.env[0].value", "expected a string (numbers and booleans are converted), got "
                              "a value of type int that cannot be shown"),
        ("spec.minReadySeconds", "expected a number of seconds 0..86400, got "
                                 "100000000000000000...0000000000000000000")]



def test_the_blue_green_examples():
    assert load_spec(EXAMPLES / "api-v1.yaml") == API_V1
    v2 = load_spec(EXAMPLES / "api-v2.yaml")
    assert (v2.image, v2.replicas, v2.version, v2.rollout) == (
        "local://demo@v2", 3, "v2", Rollout(strategy=Strategy.BLUE_GREEN))
    assert v2.template_hash() != API_V1.template_hash()


"""t32sim.spec.guarded_yaml: YAML syntax, documents and hostile input."""
from __future__ import annotations

import time
from typing import Any

import pytest
import yaml


from t32sim.spec import Probe, SpecError, load_spec
from tests.spec.documents import API_VERSIONS, DOCUMENT, KINDS, errors_of


YAML_INVALID = [
    ("multiple-documents-each-checked", "apiVersion: v1\n---\nkind: Service\n",
     [("documents[0].kind", f"missing required field; expected {KINDS}"),
      ("documents[0].metadata", "missing required field; expected a mapping like {name: api}"),
      ("documents[0].spec", "missing required field; expected a mapping with at least an "
                            "image"),
      ("documents[1].apiVersion", f"missing required field; expected {API_VERSIONS}"),
      ("documents[1].metadata", "missing required field; expected a mapping like {name: api}"),
      ("documents[1].spec", "missing required field; expected a mapping with at least an "
                            "image")]),
    ("empty-documents-only", "---\n---\n# nothing\n",
     [("", f"{DOCUMENT}, got an empty document")]),
    ("empty", "",
     [("", f"{DOCUMENT}, got an empty document")]),
    ("only-a-comment", "# nothing here\n",
     [("", f"{DOCUMENT}, got an empty document")]),
    ("duplicate-field", "apiVersion: v1\nkind: Service\nkind: Deployment\n",
     [("", "invalid YAML at line 3, column 1: duplicate field 'kind' (first at line 2)")]),
    ("yaml-bool-key", "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n"
                      "spec:\n  image: x\n  yes: 3\n",
     [("spec", "expected field names to be strings, got True")]),
    ("python-tag", "apiVersion: !!python/object/apply:os.system ['true']\n",
     [("", "invalid YAML at line 1, column 13: could not determine a constructor for the "
           "tag 'tag:yaml.org,2002:python/object/apply:os.system'")]),
    ("recursive-alias", "spec: &s {image: *s}\n",
     [("", "refused alias *s refers to a node that contains it, at line 1, column 18")]),
    ("too-deep", "spec: " + "[" * 40 + "]" * 40 + "\n",
     [("", "refused YAML nested deeper than 32 levels, at line 1, column 38")]),
    ("bad-date", "apiVersion: 2024-13-45\n",
     [("", "invalid YAML: month must be in 1..12")]),
    ("control-character", "kind: Service\x00\n",
     [("", "invalid YAML at line 1: unacceptable character '\\x00' (control characters "
           "are not allowed)")]),
]

# libyaml (used when PyYAML has it) words syntax errors its own way.
YAML_SYNTAX = [
    ("unclosed-flow", "spec: {image: [1,\n  b\n",
     [("", "invalid YAML at line 3, column 1: did not find expected ',' or ']' (while "
           "parsing a flow sequence started at line 1, column 15)")]),
    ("tab-indent", "spec:\n\timage: x\n",
     [("", "invalid YAML at line 2, column 1: found character that cannot start any token "
           "(while scanning for the next token started at line 2, column 1)")]),
    ("colon-in-value", "kind: a: b\n",
     [("", "invalid YAML at line 1, column 8: mapping values are not allowed in this "
           "context")]),
]


@pytest.mark.parametrize("text, expected", [pytest.param(t, e, id=i) for i, t, e in YAML_INVALID])
def test_invalid_yaml_text_gives_exactly_this_error(text, expected):
    assert errors_of(text) == expected


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="messages are libyaml's")
@pytest.mark.parametrize("text, expected", [pytest.param(t, e, id=i) for i, t, e in YAML_SYNTAX])
def test_yaml_syntax_error_names_line_and_column(text, expected):
    assert errors_of(text) == expected


@pytest.mark.parametrize("text", [t for _, t, _ in YAML_SYNTAX])
def test_yaml_syntax_error_is_a_spec_error_with_a_line(text):
    [(path, message)] = errors_of(text)
    assert path == "" and message.startswith("invalid YAML at line ")


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def megabyte_yaml() -> str:
    env = "".join(f"    - {{name: VAR_{i}, value: '{'x' * 40}'}}\n" for i in range(20_000))
    head = "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  image: x\n"
    return f"{head}  env:\n{env}"


BACKSTOP_SECONDS = 10.0


def refused_within(seconds: float, source: Any) -> list[tuple[str, str]]:
    """The SpecError's errors. The refusal message proves the guard fired; the time bound is
    a generous backstop (an unguarded alias bomb runs for minutes and gigabytes), not a
    benchmark: it must hold on a loaded CI machine."""
    started = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(source)
    assert time.perf_counter() - started < seconds
    return caught.value.errors


def test_a_one_megabyte_document_is_refused_before_parsing_at_once():
    text = megabyte_yaml()
    assert len(text.encode()) > 1_000_000
    assert refused_within(BACKSTOP_SECONDS, text) == [
        ("", f"expected a document of at most 65536 bytes (64 KiB), got {len(text)} bytes")]


def test_a_billion_laughs_document_is_refused_at_once():
    text = billion_laughs()
    assert len(text) < 1000
    assert refused_within(BACKSTOP_SECONDS, text) == [
        ("", "refused YAML with more than 10000 nodes once aliases are expanded (an alias "
             "bomb?), at line 5, column 10")]


def test_billion_laughs_in_a_file_is_refused_at_once(tmp_path):
    path = tmp_path / "lol.yaml"
    path.write_text(billion_laughs(20))
    [(_, message)] = refused_within(BACKSTOP_SECONDS, path)
    assert message.startswith("refused YAML with more than 10000 nodes")


def test_a_wide_document_just_under_64_kib_is_refused_at_once():
    text = "[" + "1," * 32_000 + "1]"
    assert len(text) < 65536
    [(_, message)] = refused_within(BACKSTOP_SECONDS, text)
    assert message.startswith("refused YAML with more than 10000 nodes")


def test_a_few_aliases_are_fine():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n"
            "  image: local://demo@v1\n"
            "  readinessProbe: &probe {httpGet: {path: /healthz}, periodSeconds: 2}\n"
            "  livenessProbe: *probe\n")
    loaded = load_spec(text)
    assert loaded.readiness_probe == loaded.liveness_probe == Probe("/healthz", period_seconds=2)


def test_merge_keys_may_override_merged_fields():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n"
            "  image: local://demo@v1\n"
            "  readinessProbe: &probe {httpGet: {path: /healthz}, periodSeconds: 2}\n"
            "  livenessProbe:\n    <<: *probe\n    periodSeconds: 5\n")
    assert load_spec(text).liveness_probe == Probe("/healthz", period_seconds=5)


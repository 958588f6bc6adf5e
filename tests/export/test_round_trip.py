"""Exporting a spec and applying the export gives the same simulated behaviour: the same
Ready count, phase and revisions, before, during and after a rollout."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

import t32sim as t3
from t32sim.export import ImageMap, export_spec, export_yaml
from t32sim.spec import load_manifests

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
NEXT = {"local://demo@v1": "local://demo@v2", "local://demo@v2": "local://demo@v3",
        "local://demo@v3": "local://demo@v1", "local://demo@crash": "local://demo@v1",
        "local://demo@flaky": "local://demo@v2"}


def next_version(image: str) -> str:
    return NEXT.get(image, image + "-next")


def observe(c: t3.Cluster, names: list[str]) -> list[tuple]:
    seen = []
    for name in names:
        view = c.service(name)
        status = view.status
        seen.append((name, status.ready, status.desired, status.phase.value, status.revision,
                     [(r["revision"], r["replicas"]) for r in view.revisions]))
    return seen


def scenario(c: t3.Cluster, first, second, names: list[str]) -> list[list[tuple]]:
    """Apply, offer load where it autoscales, roll out a new version, promote if it
    waits; what the services look like at each stage."""
    stages = []
    c.apply(first)
    c.run(until=60)
    stages.append(observe(c, names))
    for name in names:
        if c.service(name).spec.autoscale is not None:
            c.set_load(name, cpu=90)
    c.apply(second)
    c.run(until=150)
    stages.append(observe(c, names))
    for name in names:
        if c.service(name).status.phase.value == "Paused":
            c.promote(name)
    c.run(until=400)
    stages.append(observe(c, names))
    return stages


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_export_behaves_like_the_original(example):
    manifests = load_manifests(example)
    names = [w.name for w in manifests.workloads]
    rolled = list(manifests.journal_document()) if isinstance(
        manifests.journal_document(), list) else [manifests.journal_document()]
    updated = [dataclasses.replace(w, image=next_version(w.image)) for w in
               load_manifests(rolled).workloads]
    original = scenario(t3.Cluster(seed=4), example,
                        updated[0] if len(updated) == 1 else updated, names)
    exported_first = export_yaml(example)
    exported_second = "---\n".join(
        yaml.safe_dump_all(export_spec(_with_hpa(manifests, spec)).documents)
        for spec in updated)
    exported = scenario(t3.Cluster(seed=4), exported_first, exported_second, names)
    assert exported == original
    assert original[-1][0][4] == 2          # the rollout happened: revision 2 is current


def _with_hpa(manifests, spec):
    hpa = {h.target: h for h in manifests.of_kind(t3.spec.HorizontalPodAutoscaler)}
    return dataclasses.replace(spec, autoscale=hpa[spec.name].autoscale) \
        if spec.name in hpa else spec


def test_the_image_flag_changes_the_real_image_and_keeps_the_simulated_one():
    root = Path(__file__).resolve().parents[2]
    text = export_yaml(root / "examples/api-v1.yaml",
                       ImageMap({"local://demo@v1": "ghcr.io/me/api:1"}))
    [rollout] = [d for d in yaml.safe_load_all(text) if d["kind"] == "Rollout"]
    template = rollout["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "ghcr.io/me/api:1"
    assert template["metadata"]["annotations"] == {"t32sim/image": "local://demo@v1"}
    assert t3.load_spec(text).image == "local://demo@v1"

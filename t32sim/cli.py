"""The ``t32sim`` command: run a spec in simulated time, validate specs, serve, monitor."""
from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path
from typing import Sequence, TextIO

from t32sim.engine import Cluster, Event, Pod
from t32sim.engine.cluster import DEFAULT_SEED
from t32sim.export import ImageMap, export_yaml, parse_image_flag
from t32sim.spec import (
    HorizontalPodAutoscaler, Manifests, ServiceSelector, ServiceSpec, SpecError, describe_object,
    load_manifests,
)

# Sub-commands that live beside their own package: (module, function adding the parser).
PLUGINS = [
    ("t32sim.server.cli", "add_serve_parser"),
    ("t32sim.monitor.cli", "add_monitor_parser"),
    ("t32sim.monitor.cli", "add_audit_parser"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="t32sim",
        description="A teaching kit for desired-state orchestration: a deterministic "
                    "simulated cluster, notebooks and a live classroom server.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="simulate a spec or manifests and print the pods and events",
        description="Apply SPEC to a fresh simulated cluster, run it for --until simulated "
                    "seconds, then print the pods and every event with its explanation.")
    run.add_argument("spec", metavar="SPEC", help="a YAML file: a t32sim Service, or "
                     "Kubernetes / Argo manifests (Deployment, Rollout, Service, HPA)")
    run.add_argument("--until", type=float, default=60.0, metavar="SECONDS",
                     help="simulated seconds to run (default: 60)")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N",
                     help=f"random seed; the same seed gives the same story "
                          f"(default: {DEFAULT_SEED}, as for serve)")
    run.set_defaults(func=cmd_run)

    validate = commands.add_parser(
        "validate", help="check specs and manifests; print every error and note",
        description="Validate each SPEC (t32sim's own Service format, or Kubernetes / Argo "
                    "manifests); print errors as 'file: path: message', fields and kinds "
                    "that are accepted but not simulated as 'file: note: ...', and "
                    "Services that select nothing or HPAs without a target in the given "
                    "files as 'file: warning: ...'. Exit 1 if any file is invalid.")
    validate.add_argument("specs", nargs="+", metavar="SPEC", help="YAML files")
    validate.set_defaults(func=cmd_validate)

    export = commands.add_parser(
        "export", help="write Kubernetes / Argo Rollouts manifests for specs",
        description="Export each FILE as multi-document YAML a real cluster takes. A "
                    "Service in t32sim's own format becomes a Deployment (an Argo Rollout "
                    "for BlueGreen and Canary), the Service selecting its pods, and an "
                    "autoscaling/v2 HorizontalPodAutoscaler when it autoscales. Real "
                    "manifests are written as given (ConfigMaps, ports, limits ... "
                    "included), with a Service added for a workload no Service selects "
                    "and a blue/green Rollout's missing active and preview Services. "
                    "local://demo@... images become real images (hashicorp/http-echo, "
                    "busybox, nginx); the simulated image is kept in the t32sim/image "
                    "annotation.")
    export.add_argument("specs", nargs="+", metavar="FILE", help="YAML files")
    export.add_argument("-o", "--output", metavar="DIR",
                        help="write one file per FILE, with the same name, into DIR "
                             "(default: print everything)")
    export.add_argument("--image", action="append", default=[], metavar="SIMULATED=REAL",
                        help="run REAL for the simulated image SIMULATED, e.g. "
                             "local://demo@v1=myrepo/api:1 (repeatable)")
    export.set_defaults(func=cmd_export)

    for module_name, function in PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if not (error.name and module_name.startswith(error.name)):
                raise
            continue
        getattr(module, function)(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except BrokenPipeError:          # e.g. `t32sim run ... | head`
        sys.stderr.close()
        return 0


# -- run -----------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        manifests = load_manifests(Path(args.spec))
    except SpecError as error:
        _print_spec_errors(args.spec, error, sys.stderr)
        return 1
    if not manifests.workloads:
        got = ", ".join(describe_object(e.object) for e in manifests.entries)
        print(f"{args.spec}: kind: expected a workload to simulate (a Service, Deployment or "
              f"Rollout), got only {got}", file=sys.stderr)
        return 1
    if not math.isfinite(args.until) or args.until < 0:
        print("t32sim run: --until must be a finite number >= 0", file=sys.stderr)
        return 2
    cluster = Cluster(seed=args.seed)
    cluster.apply(manifests)
    cluster.run(until=args.until)
    for spec in manifests.workloads:
        status = cluster.service(spec.name).status
        print(f"Service {spec.name} at t={cluster.now:g}s: {status.ready}/{status.desired} "
              f"ready, {status.available} available, revision {status.revision}, "
              f"{status.phase.value}", file=out)
    print(file=out)
    print(format_pods(cluster.pods(), cluster.now), file=out)
    print(file=out)
    print(format_events(cluster.event_log), file=out)
    return 0


def format_pods(pods: list[Pod], now: float) -> str:
    """A ``kubectl get pods``-like table."""
    header = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "REVISION", "VERSION")
    rows = [header] + [(p.name, "1/1" if p.ready else "0/1", p.status.value, str(p.restarts),
                        f"{now - p.created_at:g}s", str(p.revision), p.version) for p in pods]
    if len(rows) == 1:
        return "No pods."
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in rows)


def format_events(events) -> str:
    """Events, one per line, each followed by its explanation for students."""
    lines = []
    for e in events:
        e: Event
        who = e.pod or e.service
        lines.append(f"{e.time:8.1f}s  {e.level.value:<7}  {e.reason.value:<20}  {who}: {e.message}")
        lines.append(f"{'':12}why: {e.explain}")
    return "\n".join(lines) if lines else "No events."


# -- validate ------------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    failed = False
    loaded: dict[str, Manifests] = {}
    for path in args.specs:
        try:
            loaded[path] = manifests = load_manifests(Path(path))
        except SpecError as error:
            failed = True
            _print_spec_errors(path, error, out)
            continue
        print(f"{path}: ok ({_summary(manifests)})", file=out)
        for note in manifests.notes:
            print(f"{path}: note: {note}", file=out)
    for path, warning in cross_file_warnings(loaded):
        print(f"{path}: warning: {warning}", file=out)
    return 1 if failed else 0


def _summary(manifests: Manifests) -> str:
    parts = []
    for entry in manifests.entries:
        obj = entry.object
        if isinstance(obj, ServiceSpec):
            what = "workload" if entry.manifest else "service"
            parts.append(f"{what} {obj.name}, {obj.replicas} x {obj.image}")
        else:
            parts.append(describe_object(obj))
    return "; ".join(parts)


def cross_file_warnings(loaded: dict[str, Manifests]) -> list[tuple[str, str]]:
    """What only makes sense across the files given together: a Service whose selector
    matches no workload in them, an HPA whose target none of them holds."""
    workloads = {w.name: w for m in loaded.values() for w in m.workloads}
    warnings = []
    for path, manifests in loaded.items():
        for selector in manifests.of_kind(ServiceSelector):
            if not any(selector.selects(w.labels) for w in workloads.values()):
                warnings.append((path, f"Service {selector.name} selects no pods: no workload "
                                       "in these files has the labels "
                                       f"{selector.describe_selector()}"))
        for hpa in manifests.of_kind(HorizontalPodAutoscaler):
            if hpa.target not in workloads:
                warnings.append((path, f"HorizontalPodAutoscaler {hpa.name} targets "
                                       f"{hpa.target_kind} {hpa.target}, which none of these "
                                       "files holds (it waits until it is applied)"))
    return warnings


# -- export --------------------------------------------------------------------------------

def cmd_export(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        images = ImageMap(dict(parse_image_flag(flag) for flag in args.image))
    except ValueError as error:
        print(f"t32sim export: --image: {error}", file=sys.stderr)
        return 2
    texts = {}
    for path in args.specs:
        try:
            texts[path] = export_yaml(Path(path), images)
        except SpecError as error:
            _print_spec_errors(path, error, sys.stderr)
            return 1
    if args.output is None:
        out.write("".join(texts.values()))
        return 0
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in texts.items():
        target = folder / Path(path).name
        target.write_text(text)
        print(f"{path}: wrote {target}", file=out)
    return 0


def _print_spec_errors(path: str, error: SpecError, out: TextIO) -> None:
    for field, message in error.errors:
        print(f"{path}: {field}: {message}" if field else f"{path}: {message}", file=out)


if __name__ == "__main__":
    sys.exit(main())

"""The ``t32sim`` command: run a spec in simulated time, validate specs, serve, monitor."""
from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path
from typing import Sequence, TextIO

from t32sim.engine import Cluster, Event, Pod
from t32sim.spec import SpecError, load_spec

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
        "run", help="simulate a Service spec and print its pods and events",
        description="Apply SPEC to a fresh simulated cluster, run it for --until simulated "
                    "seconds, then print the pods and every event with its explanation.")
    run.add_argument("spec", metavar="SPEC", help="a Service YAML file")
    run.add_argument("--until", type=float, default=60.0, metavar="SECONDS",
                     help="simulated seconds to run (default: 60)")
    run.add_argument("--seed", type=int, default=0, metavar="N",
                     help="random seed; the same seed gives the same story (default: 0)")
    run.set_defaults(func=cmd_run)

    validate = commands.add_parser(
        "validate", help="check Service specs and print every error",
        description="Validate each SPEC; print errors as 'file: path: message' and exit 1 "
                    "if any spec is invalid.")
    validate.add_argument("specs", nargs="+", metavar="SPEC", help="Service YAML files")
    validate.set_defaults(func=cmd_validate)

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
        spec = load_spec(Path(args.spec))
    except SpecError as error:
        _print_spec_errors(args.spec, error, sys.stderr)
        return 1
    if not math.isfinite(args.until) or args.until < 0:
        print("t32sim run: --until must be a finite number >= 0", file=sys.stderr)
        return 2
    cluster = Cluster(seed=args.seed)
    cluster.apply(spec)
    cluster.run(until=args.until)
    status = cluster.service(spec.name).status
    print(f"Service {spec.name} at t={cluster.now:g}s: {status.ready}/{status.desired} ready, "
          f"{status.available} available, revision {status.revision}, {status.phase.value}",
          file=out)
    print(file=out)
    print(format_pods(cluster.pods(spec.name), cluster.now), file=out)
    print(file=out)
    print(format_events(cluster.event_log), file=out)
    return 0


def format_pods(pods: list[Pod], now: float) -> str:
    """A ``kubectl get pods``-like table."""
    header = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "REVISION", "VERSION")
    rows = [header] + [(p.name, "1/1" if p.ready else "0/1", p.phase.value, str(p.restarts),
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
    for path in args.specs:
        try:
            spec = load_spec(Path(path))
        except SpecError as error:
            failed = True
            _print_spec_errors(path, error, out)
        else:
            print(f"{path}: ok (service {spec.name}, {spec.replicas} x {spec.image})", file=out)
    return 1 if failed else 0


def _print_spec_errors(path: str, error: SpecError, out: TextIO) -> None:
    for field, message in error.errors:
        print(f"{path}: {field}: {message}" if field else f"{path}: {message}", file=out)


if __name__ == "__main__":
    sys.exit(main())

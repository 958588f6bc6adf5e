"""``t32sim serve``: the live server from a terminal.

``add_serve_parser(subparsers)`` is wired into ``t32sim.cli``; ``python -m
t32sim.server`` runs the same command on its own.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from t32sim.server.launcher import LiveServer, PortInUseError, bind_socket, uvicorn_config
from t32sim.engine.cluster import DEFAULT_SEED
from t32sim.server.pacer import MAX_SPEED, MIN_SPEED
from t32sim.server.settings import (ServerSettings, api_key_from_env, generate_api_key,
                                    is_loopback)

__all__ = ["add_serve_parser", "serve", "main"]


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"expected {MIN_SPEED}..{MAX_SPEED:g}, got {value:g}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0..65535 (0 = any free port), "
                                         f"got {text!r}")
    return int(text)


def add_serve_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``serve`` to an ``argparse`` subparsers object; sets ``func=serve``."""
    parser = subparsers.add_parser(
        "serve", help="run the live server (dashboard, HTTP API, SSE)",
        description="Run the engine paced in real time behind the HTTP API and dashboard.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; any other address "
                             "needs an API key, generated if not given)")
    parser.add_argument("--port", type=_port, default=8080,
                        help="TCP port (default 8080; 0 picks a free one)")
    parser.add_argument("--speed", type=_speed, default=None,
                        help="simulated seconds per wall-clock second (default: the "
                             "journal's, or 1)")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"random seed of a fresh cluster (default: the journal's, or "
                             f"{DEFAULT_SEED}, as for run)")
    parser.add_argument("--apply", action="append", default=[], metavar="FILE",
                        help="apply this file at start: a t32sim Service, or Kubernetes / "
                             "Argo manifests (Deployment, Rollout, Service, HPA; several "
                             "documents) (repeatable; skipped when the journal is resumed)")
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="SQLite journal: a restarted server replays it and resumes "
                             "(default: memory only)")
    parser.add_argument("--api-key", default=None, metavar="KEY",
                        help="require this X-API-Key (at least 16 characters) on mutating "
                             "endpoints, /lb/select and /proxy included (default: "
                             "$T32SIM_API_KEY)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="another host name the server answers for, besides its address "
                             "and localhost (repeatable); other Host headers are refused")
    parser.add_argument("--paused", action="store_true", help="start with time paused")
    parser.add_argument("--log-level", default="warning",
                        choices=["critical", "error", "warning", "info", "debug"])
    parser.set_defaults(func=serve)
    return parser


def serve(args: argparse.Namespace) -> int:
    """Start the server from parsed arguments; returns the exit code."""
    from t32sim.server.live import LiveCluster

    api_key = args.api_key or api_key_from_env()
    generated = False
    if not is_loopback(args.host) and not api_key:
        api_key, generated = generate_api_key(), True
    try:
        settings = ServerSettings(host=args.host, port=args.port, speed=args.speed,
                                  seed=args.seed, apply=tuple(args.apply), db=args.db,
                                  api_key=api_key, paused=args.paused,
                                  allowed_hosts=tuple(args.allow_host))
    except ValueError as error:
        print(f"t32sim serve: error: {error}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except PortInUseError as error:
        print(f"t32sim serve: error: {error.strerror}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"t32sim serve: error: cannot listen on {args.host}:{args.port}: {error}",
              file=sys.stderr)
        return 2
    try:
        live = LiveCluster.open(settings)
    except (OSError, ValueError) as error:     # SpecError and CommandError are ValueErrors
        sock.close()
        print(f"t32sim serve: error: {error}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    settings = settings.with_(port=port)
    shown = args.host if is_loopback(args.host) or args.host not in ("0.0.0.0", "::") \
        else "127.0.0.1"
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{port}/"
    banner = [f"t32sim live server: {url}  (dashboard; API docs at {url}docs)"]
    journal = f"{args.db} (resumed {live.resumed_commands} commands)" \
        if args.db and live.resumed_commands else (str(args.db) if args.db else
                                                   "memory only (use --db PATH to survive "
                                                   "restarts)")
    banner.append(f"  seed {live.cluster.seed}, speed {live.pacer.speed:g}x"
                  f"{', paused' if live.pacer.paused else ''}; journal: {journal}")
    if live.mailer is not None:
        banner.append(f"  alerts are mailed to {', '.join(live.mailer.recipients)} via "
                      f"{live.mailer.host}:{live.mailer.port}")
    if generated:
        banner.append(f"  listening on {args.host}, so mutating requests need this API key "
                      f"(shown once): X-API-Key: {api_key}")
    elif api_key:
        banner.append("  mutating requests need the X-API-Key header")
    from t32sim.server.app import create_app
    app = create_app(settings, live=live)
    server = LiveServer(uvicorn_config(app, settings, args.log_level), live,
                        on_started=lambda: print("\n".join(banner), flush=True))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:        # uvicorn re-raises Ctrl-C after its graceful shutdown
        pass
    where = f"; the journal is in {args.db}" if args.db else ""
    print(f"t32sim live server stopped at simulated t={live.cluster.now:.1f} s{where}",
          flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="t32sim")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_serve_parser(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

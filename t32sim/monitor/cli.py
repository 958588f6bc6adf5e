"""``t32sim monitor`` and ``t32sim audit verify|show``: argparse wiring, plugged in by t32sim/cli.py.

Heavy imports (FastAPI, uvicorn) happen inside the handlers, so ``t32sim run``
stays quick.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from t32sim.net import is_loopback

__all__ = ["add_monitor_parser", "add_audit_parser", "cmd_monitor", "cmd_audit_verify",
           "cmd_audit_show", "read_env_file"]


def _ports(text: str) -> list[int]:
    try:
        ports = [int(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated port numbers, got {text!r}")
    if not all(0 < p < 65536 for p in ports):
        raise argparse.ArgumentTypeError(f"ports must be 1-65535, got {text!r}")
    return ports


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def add_monitor_parser(subparsers) -> argparse.ArgumentParser:
    """``t32sim monitor [--host] [--port] [--spawn] [--db] [--interval] ...``"""
    p = subparsers.add_parser(
        "monitor", help="run the secure failover monitor for services v1/v2/v3",
        description="Check the active demo service's /health every --interval seconds, fail "
                    "over v1 -> v2 -> v3 after --threshold failures within --window seconds "
                    "(then wait --cooldown seconds), and serve a password-protected dashboard. "
                    "Without T32SIM_ADMIN_PASSWORD the admin password is generated on first "
                    "start and printed once.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="dashboard port (default: 8000)")
    p.add_argument("--spawn", action="store_true",
                   help="start v1, v2, v3 as uvicorn subprocesses, restart them if they crash, "
                        "stop them on exit")
    p.add_argument("--db", type=Path, default=Path("monitor.db"),
                   help="SQLite file for the health and audit logs (default: monitor.db)")
    p.add_argument("--service-host", default="127.0.0.1",
                   help="where the services listen (default: 127.0.0.1)")
    p.add_argument("--ports", type=_ports, default=[8001, 8002, 8003], metavar="P1,P2,P3",
                   help="ports of v1,v2,v3 (default: 8001,8002,8003)")
    p.add_argument("--interval", type=_positive, default=1.0, metavar="SECONDS",
                   help="seconds between health checks (default: 1)")
    p.add_argument("--timeout", type=_positive, default=1.0, metavar="SECONDS",
                   help="health-check timeout (default: 1, as the original; a service above "
                        "50 %% CPU load answers /health after 2 s)")
    p.add_argument("--threshold", type=int, default=5, help="failures that trigger a failover (default: 5)")
    p.add_argument("--window", type=_positive, default=10.0, metavar="SECONDS",
                   help="window in which failures count (default: 10)")
    p.add_argument("--cooldown", type=float, default=15.0, metavar="SECONDS",
                   help="minimum seconds between automatic switches (default: 15)")
    p.add_argument("--wrap", action="store_true", help="fail over from the last version to the first")
    p.add_argument("--retention", type=int, default=10_000, metavar="ROWS",
                   help="health-log rows kept (default: 10000)")
    p.add_argument("--trusted-origin", action="append", default=[], metavar="URL",
                   help="an extra Origin allowed to POST (e.g. behind a reverse proxy); repeatable")
    p.add_argument("--env-file", type=Path, default=Path(".env"), metavar="PATH",
                   help="KEY=VALUE settings such as T32SIM_SMTP_* (see .env.example); read when "
                        "it exists; variables already set in the environment win (default: .env)")
    p.add_argument("--add-user", metavar="NAME",
                   help="add or update a user (password from T32SIM_NEW_USER_PASSWORD or a prompt) "
                        "and exit")
    p.add_argument("--role", choices=["viewer", "admin"], default="viewer",
                   help="role for --add-user (default: viewer)")
    p.add_argument("--reset-password", nargs="?", const="admin", metavar="NAME",
                   help="give NAME (default: admin) a new password, print it once, write an "
                        "audit row, and exit; T32SIM_NEW_USER_PASSWORD chooses it instead. A "
                        "running monitor uses it from the next login on")
    p.set_defaults(func=cmd_monitor)
    return p


def add_audit_parser(subparsers) -> argparse.ArgumentParser:
    """``t32sim audit verify [--db PATH]`` and ``t32sim audit show [--db PATH] [--limit N]``."""
    p = subparsers.add_parser("audit", help="check or show the tamper-evident audit log",
                              description="Work with the HMAC-chained audit log.")
    commands = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = commands.add_parser(
        "verify", help="check the chain and report the first broken row",
        description="Recompute every row's HMAC and check the chain's keyed head (key from "
                    "T32SIM_AUDIT_KEY or the key file next to the database). Exit 0 when intact, "
                    "1 when a row was edited, inserted, moved or deleted (the newest rows "
                    "too), or the head was edited or deleted. A rollback of the whole file to an "
                    "older copy is only caught with --anchor.")
    verify.add_argument("--db", type=Path, default=Path("monitor.db"), help="default: monitor.db")
    verify.add_argument("--anchor", metavar="ID:MAC",
                        help="the last row id and mac noted earlier (see `audit show --head`)")
    verify.set_defaults(func=cmd_audit_verify)
    show = commands.add_parser("show", help="print the newest rows",
                               description="Print the newest audit rows under a header line, "
                                           "oldest first.")
    show.add_argument("--db", type=Path, default=Path("monitor.db"), help="default: monitor.db")
    show.add_argument("--limit", type=int, default=20)
    show.add_argument("--head", action="store_true", help="print only ID:MAC of the newest row")
    show.set_defaults(func=cmd_audit_show)
    return p


# -- handlers ----------------------------------------------------------------------------
def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (comments, blanks and ``export`` allowed).

    Values may be quoted with ' or ". Nothing is executed or expanded. A file owned by
    another user, or writable by others, is refused: anyone who can write it could plant
    ``T32SIM_ADMIN_PASSWORD``. A file that others may read is used, with a warning: it
    usually holds passwords.
    """
    values: dict[str, str] = {}
    fd = os.open(path, os.O_RDONLY)
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())          # the file we read, not a name looked up twice
        if os.name == "posix":
            if info.st_uid != os.getuid():
                raise ValueError(f"{path}: owned by uid {info.st_uid}, not by you (uid "
                                 f"{os.getuid()}); refusing settings someone else could have "
                                 f"planted")
            if info.st_mode & 0o022:
                raise ValueError(f"{path}: writable by other users (mode "
                                 f"{info.st_mode & 0o777:04o}); refusing settings someone else "
                                 f"could have planted (chmod go-w {path})")
        text = handle.read()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.replace("_", "").isalnum() or key[0].isdigit():
            raise ValueError(f"{path}:{number}: expected KEY=VALUE, got {raw.strip()[:40]!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    if os.name == "posix" and info.st_mode & 0o077:
        print(f"t32sim monitor: WARNING: {path} is readable by other users; it may hold "
              f"passwords (chmod 600 {path})", file=sys.stderr)
    return values


def cmd_monitor(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from t32sim.monitor.config import MonitorConfig

    if len(args.ports) != 3:
        print("t32sim monitor: --ports: expected three ports for v1,v2,v3", file=sys.stderr)
        return 2
    if args.add_user:
        return _add_user(args, out)
    if args.reset_password:
        return _reset_password(args, out)
    env = dict(os.environ)
    if args.env_file.exists():
        try:
            env = {**read_env_file(args.env_file), **os.environ}
        except ValueError as error:
            print(f"t32sim monitor: {error}", file=sys.stderr)
            return 2
    try:
        config = MonitorConfig.for_ports(
            dict(zip(("v1", "v2", "v3"), args.ports)), host=args.service_host, db=args.db,
            interval=args.interval, timeout=args.timeout, threshold=args.threshold,
            window=args.window, cooldown=args.cooldown, wrap=args.wrap, retention=args.retention,
            spawn=args.spawn, trusted_origins=tuple(args.trusted_origin), env=env,
            allowed_hosts=_allowed_hosts(args.host, args.trusted_origin),
            announce=lambda text: print(text, file=out, flush=True))
    except ValueError as error:
        print(f"t32sim monitor: {error}", file=sys.stderr)
        return 2
    if not is_loopback(args.host):
        print(f"t32sim monitor: WARNING: listening on {args.host} without TLS; Basic auth sends "
              "the password with every request. Put a TLS proxy in front.", file=sys.stderr)

    import uvicorn

    from t32sim.audit import AuditKeyError
    from t32sim.monitor.app import create_monitor_app
    from t32sim.monitor.supervisor import SupervisorError, port_is_free
    busy = [f"{args.host}:{args.port} (dashboard)"] if not port_is_free(args.host, args.port) else []
    if args.spawn:
        busy += [f"{args.service_host}:{p} ({v})" for v, p in zip(("v1", "v2", "v3"), args.ports)
                 if not port_is_free(args.service_host, p)]
    if busy:
        print(f"t32sim monitor: port already in use: {', '.join(busy)}", file=sys.stderr)
        return 1
    try:
        app = create_monitor_app(config)
    except (AuditKeyError, ValueError) as error:
        print(f"t32sim monitor: {error}", file=sys.stderr)
        return 2
    print(f"t32sim monitor: dashboard on http://{args.host}:{args.port}/ "
          f"({'spawning' if args.spawn else 'watching'} v1/v2/v3 on ports "
          f"{','.join(map(str, args.ports))}); Ctrl-C stops it", file=out, flush=True)
    print(f"t32sim monitor: lost the admin password? `t32sim monitor --db {args.db} "
          f"--reset-password` sets a new one (audited)", file=out, flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except SupervisorError as error:
        print(f"t32sim monitor: {error}", file=sys.stderr)
        return 1
    return 0


def _allowed_hosts(host: str, trusted_origins: list[str]) -> tuple[str, ...] | None:
    """On loopback: this machine's names and the trusted origins' hosts (a DNS-rebinding
    page names another host); on a public address: any host."""
    if not is_loopback(host):
        return None
    from urllib.parse import urlsplit

    from t32sim.web import LOOPBACK_HOSTS
    names = (*LOOPBACK_HOSTS, host, *(urlsplit(o).hostname for o in trusted_origins))
    return tuple(dict.fromkeys(name for name in names if name))


def _add_user(args: argparse.Namespace, out: TextIO) -> int:
    from t32sim.auth import UserStore, default_users_path
    password = os.environ.get("T32SIM_NEW_USER_PASSWORD")
    if not password:
        password = getpass.getpass(f"password for {args.add_user}: ")
        if getpass.getpass("again: ") != password:
            print("t32sim monitor: the passwords differ", file=sys.stderr)
            return 2
    store = UserStore(default_users_path(args.db))
    try:
        store.set_user(args.add_user, password, args.role)
    except ValueError as error:
        print(f"t32sim monitor: {error}", file=sys.stderr)
        return 2
    print(f"t32sim monitor: user {args.add_user} ({args.role}) saved in {store.path}", file=out)
    return 0


def _reset_password(args: argparse.Namespace, out: TextIO) -> int:
    from t32sim.audit import AuditKeyError, AuditLog
    from t32sim.auth import ADMIN_PASSWORD_ENV, UserStore, default_users_path, reset_password
    from t32sim.web import COMMAND_LINE
    name = args.reset_password
    try:
        log = AuditLog(args.db)                  # first: no reset that cannot be audited
    except (AuditKeyError, OSError) as error:
        print(f"t32sim monitor: --reset-password: {error}", file=sys.stderr)
        return 2
    chosen = os.environ.get("T32SIM_NEW_USER_PASSWORD") or None
    store = UserStore(default_users_path(args.db))
    try:
        password = reset_password(store, name, chosen)
    except ValueError as error:
        print(f"t32sim monitor: --reset-password: {error}", file=sys.stderr)
        return 2
    log.record(_os_user(), "auth.password_reset", target=name,
               detail=f"new password for {name} set with `t32sim monitor --reset-password`",
               source=COMMAND_LINE)
    if chosen:
        print(f"t32sim monitor: new password for '{name}' saved (hash only) in {store.path}",
              file=out)
    else:
        print(f"t32sim monitor: new password for '{name}': {password}\n"
              f"t32sim monitor: it is shown only this once; only its hash is stored, in "
              f"{store.path}", file=out)
    if name == "admin" and os.environ.get(ADMIN_PASSWORD_ENV):
        print(f"t32sim monitor: WARNING: {ADMIN_PASSWORD_ENV} is set; a monitor started with it "
              f"uses that password instead", file=sys.stderr)
    return 0


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "-"


def _open_log(db: Path):
    from t32sim.audit import AuditLog
    if not db.exists():
        raise FileNotFoundError(f"{db}: no such database")
    return AuditLog(db, create_key=False)


def cmd_audit_verify(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from t32sim.audit import AuditKeyError
    anchor = None
    if args.anchor:
        row_id, _, mac = args.anchor.partition(":")
        if not row_id.isdigit() or len(mac) != 64:
            print("t32sim audit verify: --anchor: expected ID:MAC (64 hex digits)", file=sys.stderr)
            return 2
        anchor = (int(row_id), mac)
    try:
        report = _open_log(args.db).verify(anchor=anchor)
    except (AuditKeyError, FileNotFoundError) as error:
        print(f"t32sim audit verify: {error}", file=sys.stderr)
        return 2
    if report.ok:
        print(f"{args.db}: OK, {report.reason}", file=out)
        return 0
    print(f"{args.db}: BROKEN at row {report.first_bad_id}: {report.reason}", file=out)
    return 1


def cmd_audit_show(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from t32sim.audit import AuditKeyError
    try:
        log = _open_log(args.db)
    except (AuditKeyError, FileNotFoundError) as error:
        print(f"t32sim audit show: {error}", file=sys.stderr)
        return 2
    if args.head:
        head = log.head()
        print(f"{head[0]}:{head[1]}" if head else "empty", file=out)
        return 0
    print(_SHOW_FORMAT.format(id="id", time="time (UTC)", who="who", source="source",
                              action="action", target="target", result="result",
                              detail="detail"), file=out)
    for row in reversed(log.rows(limit=args.limit)):
        print(_SHOW_FORMAT.format(**row.as_dict()), file=out)
    return 0


_SHOW_FORMAT = ("{id:>6}  {time:<29}  {who:<12} {source:<15} {action:<18} {target:<10} "
                "{result:<9} {detail}")

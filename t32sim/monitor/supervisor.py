"""Runs the demo services as real uvicorn subprocesses: start, restart with backoff, kill, stop.

Each child runs ``python -m uvicorn services.<version>.app:app --port P`` in a
session of its own, so a terminal's Ctrl-C reaches only the monitor, which then
stops the children itself (SIGTERM, then SIGKILL after a grace period). On
Linux the children also get SIGTERM if the monitor dies without cleaning up.

A child that exits on its own (a crash, or the "crash" chaos action that
really SIGKILLs it) is started again after ``backoff`` seconds, doubled for
each further crash up to ``backoff_max``; a child that ran ``stable_after``
seconds before crashing starts again from the short delay.

Secrets (``T32SIM_ADMIN_PASSWORD``, ``T32SIM_AUDIT_KEY``, SMTP password, API key)
are removed from the children's environment: they do not need them.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import httpx

from t32sim.enums import StrEnum

__all__ = ["Supervisor", "SupervisorError", "ProcState", "SECRET_ENV"]

SECRET_ENV = ("T32SIM_ADMIN_PASSWORD", "T32SIM_AUDIT_KEY", "T32SIM_SMTP_PASSWORD",
              "T32SIM_API_KEY", "X_API_KEY")


class SupervisorError(RuntimeError):
    """The services cannot be started (e.g. a port is already in use)."""


class ProcState(StrEnum):
    RUNNING = "running"
    BACKOFF = "backoff"     # crashed; waiting before the restart
    STOPPED = "stopped"


@dataclass
class _Child:
    version: str
    app: str
    port: int
    proc: asyncio.subprocess.Process | None = None
    state: ProcState = ProcState.STOPPED
    restarts: int = 0
    crashes_in_a_row: int = 0
    last_exit: int | None = None
    started_at: float = 0.0
    task: asyncio.Task | None = field(default=None, repr=False)


def _die_with_parent() -> None:   # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM this child when the process that started it goes away."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except Exception:
        pass


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class Supervisor:
    """Keeps one uvicorn process per version alive until :meth:`stop`."""

    def __init__(self, ports: Mapping[str, int], *, host: str = "127.0.0.1",
                 apps: Mapping[str, str] | None = None, python: str = sys.executable,
                 backoff: float = 1.0, backoff_max: float = 30.0, stable_after: float = 30.0,
                 log_dir: Path | None = None, env: Mapping[str, str] | None = None,
                 on_event: Callable[[str, str, str], None] | None = None):
        self.host = host
        self.python = python
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.on_event = on_event
        apps = apps or {}
        self.children = {v: _Child(v, apps.get(v, f"services.{v}.app:app"), int(p))
                         for v, p in ports.items()}
        base = dict(os.environ if env is None else env)
        for name in SECRET_ENV:
            base.pop(name, None)
        root = str(Path(__file__).resolve().parents[2])     # where `services` lives
        base["PYTHONPATH"] = os.pathsep.join(p for p in (root, base.get("PYTHONPATH")) if p)
        self._env = base
        self._stopping = False

    # -- public -------------------------------------------------------------------
    async def start(self) -> None:
        """Check every port is free, then start every service (does not wait for readiness)."""
        busy = [f"{c.version} on {self.host}:{c.port}" for c in self.children.values()
                if not port_is_free(self.host, c.port)]
        if busy:
            raise SupervisorError("port already in use: " + ", ".join(busy) +
                                  " (stop what runs there, or choose other ports)")
        self._stopping = False
        for child in self.children.values():
            await self._spawn(child)
            child.task = asyncio.create_task(self._watch(child), name=f"supervise-{child.version}")

    async def wait_ready(self, timeout: float) -> list[str]:
        """Poll each ``/health`` until it answers or ``timeout`` passes; returns versions not ready."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pending = set(self.children)
        async with httpx.AsyncClient(trust_env=False) as client:
            while pending and loop.time() < deadline:
                for version in sorted(pending):
                    url = f"http://{self.host}:{self.children[version].port}/health"
                    try:
                        await client.get(url, timeout=0.5)
                    except httpx.HTTPError:
                        continue
                    pending.discard(version)
                if pending:
                    await asyncio.sleep(0.05)
        return sorted(pending)

    async def kill(self, version: str) -> int | None:
        """SIGKILL ``version``'s process (the crash chaos action); returns its pid or None."""
        child = self.children[version]
        proc = child.proc
        if proc is None or proc.returncode is not None:
            return None
        try:
            proc.kill()
        except ProcessLookupError:
            return None
        self._event("killed", version, f"pid {proc.pid} killed with SIGKILL")
        return proc.pid

    async def stop(self, grace: float = 5.0) -> None:
        """Stop watching, SIGTERM every child, SIGKILL what is left after ``grace`` s."""
        self._stopping = True
        for child in self.children.values():
            if child.task is not None:
                child.task.cancel()
        for child in self.children.values():
            if child.task is not None:
                try:
                    await child.task
                except (asyncio.CancelledError, Exception):
                    pass
                child.task = None
        procs = [c.proc for c in self.children.values()
                 if c.proc is not None and c.proc.returncode is None]
        for proc in procs:
            try:
                proc.terminate()
            except ProcessLookupError:
                pass
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except asyncio.TimeoutError:
                try:
                    proc.kill()
                except ProcessLookupError:
                    pass
                await proc.wait()
        for child in self.children.values():
            child.state = ProcState.STOPPED

    def snapshot(self) -> dict:
        return {c.version: {"pid": c.proc.pid if c.proc and c.proc.returncode is None else None,
                            "port": c.port, "state": c.state.value, "restarts": c.restarts,
                            "last_exit": c.last_exit}
                for c in self.children.values()}

    # -- internals ----------------------------------------------------------------
    def _event(self, kind: str, version: str, detail: str) -> None:
        if self.on_event is not None:
            self.on_event(kind, version, detail)

    async def _spawn(self, child: _Child) -> None:
        args = [self.python, "-m", "uvicorn", child.app, "--host", self.host,
                "--port", str(child.port), "--log-level", "warning", "--no-access-log"]
        out = None                  # no log dir: inherit the monitor's stdout/stderr
        handle = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.log_dir / f"{child.version}.log", "ab")
            out = handle
        try:
            child.proc = await asyncio.create_subprocess_exec(
                *args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=self._env,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        finally:
            if handle is not None:
                handle.close()      # the child has its own copy of the descriptor
        child.state = ProcState.RUNNING
        child.started_at = asyncio.get_running_loop().time()
        self._event("started", child.version, f"pid {child.proc.pid} on port {child.port}")

    async def _watch(self, child: _Child) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if child.proc is not None:
                code = await child.proc.wait()
                if self._stopping:
                    return
                child.last_exit = code
                ran = loop.time() - child.started_at
                detail = f"exit code {code} after {ran:.1f} s"
            else:
                ran, detail = 0.0, "could not be started"
            child.crashes_in_a_row = 1 if ran >= self.stable_after else child.crashes_in_a_row + 1
            delay = min(self.backoff_max, self.backoff * 2 ** (child.crashes_in_a_row - 1))
            child.state = ProcState.BACKOFF
            self._event("exited", child.version, f"{detail}; restart in {delay:g} s")
            await asyncio.sleep(delay)
            if self._stopping:
                return
            child.restarts += 1
            try:
                await self._spawn(child)
            except OSError as exc:
                child.proc = None
                self._event("failed", child.version, f"cannot start: {exc}")

"""Runs the demo services as real uvicorn subprocesses: start, restart with backoff, kill, stop.

Each child runs ``python -m uvicorn services.<version>.app:app --port P`` in a
session of its own, so a terminal's Ctrl-C reaches only the monitor, which then
stops the children itself (SIGTERM, then SIGKILL after a grace period). On
Linux the children also get SIGTERM if the monitor dies without cleaning up.

A child that exits on its own (a crash, or the "crash" chaos action that
really SIGKILLs it) is started again after ``backoff`` seconds, doubled for
each further crash up to ``backoff_max``; a child that ran ``stable_after``
seconds before crashing starts again from the short delay. ``kill(version,
down_for=S)`` keeps the child down at least ``S`` seconds (state ``held``);
:meth:`Supervisor.release` starts a waiting child at once.

Secrets (``T32SIM_ADMIN_PASSWORD``, ``T32SIM_AUDIT_KEY``, SMTP password, API key)
are removed from the children's environment: they do not need them. With a
``token`` the children get ``T32SIM_DEMO_TOKEN``: their chaos endpoints then
answer only requests that carry it (the monitor's).
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
TOKEN_ENV = "T32SIM_DEMO_TOKEN"


class SupervisorError(RuntimeError):
    """The services cannot be started (e.g. a port is already in use)."""


class ProcState(StrEnum):
    RUNNING = "running"
    BACKOFF = "backoff"     # crashed; waiting before the restart
    HELD = "held"           # killed with down_for: kept down until then
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
    exited_at: float | None = None      # loop time of the last exit
    restart_at: float | None = None     # loop time of the planned restart
    hold_until: float = 0.0             # kill(down_for=...): not before this loop time
    wake: asyncio.Event | None = field(default=None, repr=False)
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
                 on_event: Callable[[str, str, str], None] | None = None,
                 token: str | None = None):
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
        base.pop(TOKEN_ENV, None)
        if token:
            base[TOKEN_ENV] = token
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

    async def kill(self, version: str, down_for: float = 0.0) -> int | None:
        """SIGKILL ``version``'s process (the crash chaos action); returns its pid or None.

        The restart waits for the usual backoff, or ``down_for`` seconds if that is longer.
        """
        child = self.children[version]
        proc = child.proc
        if proc is None or proc.returncode is not None:
            return None
        child.hold_until = asyncio.get_running_loop().time() + max(0.0, down_for)
        try:
            proc.kill()
        except ProcessLookupError:
            return None
        self._event("killed", version, f"pid {proc.pid} killed with SIGKILL"
                    + (f"; kept down {down_for:g} s" if down_for > 0 else ""))
        return proc.pid

    def restart_delay(self, version: str, down_for: float = 0.0) -> float:
        """Seconds a crash of ``version`` right now would wait before its restart."""
        child = self.children[version]
        ran = asyncio.get_running_loop().time() - child.started_at
        return max(self._backoff(self._crashes_in_a_row(child, ran)), down_for)

    def _crashes_in_a_row(self, child: _Child, ran: float) -> int:
        return 1 if ran >= self.stable_after else child.crashes_in_a_row + 1

    def _backoff(self, crashes_in_a_row: int) -> float:
        return min(self.backoff_max, self.backoff * 2 ** (crashes_in_a_row - 1))

    def release(self, version: str) -> bool:
        """Start a child that waits for its restart (backoff or held) now; True if it was waiting."""
        child = self.children[version]
        child.hold_until = 0.0
        if child.state in (ProcState.BACKOFF, ProcState.HELD) and child.wake is not None:
            child.wake.set()
            return True
        return False

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

    def snapshot(self, now: float | None = None) -> dict:
        """Per version: pid, port, state, restarts, last exit, and seconds since the exit and
        until the restart (None when running)."""
        if now is None:
            try:
                now = asyncio.get_running_loop().time()
            except RuntimeError:
                now = None

        def since(t: float | None) -> float | None:
            return None if t is None or now is None else round(max(0.0, now - t), 3)

        def until(t: float | None) -> float | None:
            return None if t is None or now is None else round(max(0.0, t - now), 3)

        waiting = (ProcState.BACKOFF, ProcState.HELD)
        return {c.version: {"pid": c.proc.pid if c.proc and c.proc.returncode is None else None,
                            "port": c.port, "state": c.state.value, "restarts": c.restarts,
                            "last_exit": c.last_exit,
                            "exited_ago": since(c.exited_at) if c.state in waiting else None,
                            "restart_in": until(c.restart_at) if c.state in waiting else None}
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
            child.crashes_in_a_row = self._crashes_in_a_row(child, ran)
            delay = self._backoff(child.crashes_in_a_row)
            now = loop.time()
            held = child.hold_until - now > delay
            delay = max(delay, child.hold_until - now)
            child.state = ProcState.HELD if held else ProcState.BACKOFF
            child.exited_at, child.restart_at = now, now + delay
            child.wake = asyncio.Event()
            self._event("exited", child.version,
                        f"{detail}; {'kept down, restart' if held else 'restart'} in {delay:.3g} s")
            try:
                await asyncio.wait_for(child.wake.wait(), delay)
            except asyncio.TimeoutError:
                pass
            child.hold_until, child.restart_at, child.wake = 0.0, None, None
            if self._stopping:
                return
            child.restarts += 1
            try:
                await self._spawn(child)
            except OSError as exc:
                child.proc = None
                self._event("failed", child.version, f"cannot start: {exc}")

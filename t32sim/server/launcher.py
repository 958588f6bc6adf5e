"""Running the server: ``launch()`` for notebooks, ``serve_forever()`` for the CLI.

``launch`` binds the socket itself (so ``port=0`` picks a free port and a taken
port fails at once, clearly), then runs uvicorn in a daemon thread. uvicorn makes
its own event loop in that thread, so it works inside a running Jupyter kernel
without clashing with the kernel's loop. The returned ``ServerHandle`` knows its
``url``, stops idempotently (freeing the port), and shows the dashboard in an
IFrame when it is the last expression of a cell.
"""
from __future__ import annotations

import asyncio
import errno
import html
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import uvicorn

from t32sim.server.app import create_app
from t32sim.server.live import LiveCluster
from t32sim.server.settings import ServerSettings

__all__ = ["launch", "ServerHandle", "LiveServer", "bind_socket", "PortInUseError"]


STREAM_GRACE = 0.2     # seconds SSE streams get to end by themselves on shutdown


class PortInUseError(OSError):
    """The requested port is taken by another process."""


class LiveServer(uvicorn.Server):
    """uvicorn's server, which says when it answers and first ends the SSE streams when
    asked to stop.

    Without this, a graceful shutdown would wait forever for the dashboards'
    never-ending ``/events`` responses.
    """

    def __init__(self, config: uvicorn.Config, live: LiveCluster,
                 on_started: Callable[[], None] | None = None):
        super().__init__(config)
        self.live = live
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start, then call ``on_started`` once the server answers requests."""
        await super().startup(sockets=sockets)
        if self.started and self.on_started is not None:
            self.on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.live.hub.close_all()
        await asyncio.sleep(STREAM_GRACE)
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            transport = getattr(connection, "transport", None)
            if cycle is not None and not cycle.response_complete and transport is not None:
                transport.abort()          # a stalled reader: its stream cannot end by itself
        await super().shutdown(sockets=sockets)


def bind_socket(host: str, port: int, send_buffer: int | None = None) -> socket.socket:
    """A bound TCP socket (IPv4 or IPv6 by ``host``); ``PortInUseError`` if taken.

    ``send_buffer`` sets ``SO_SNDBUF``, which accepted connections inherit. The socket
    listens at once, so a URL printed right after this already accepts connections.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every small response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(error.errno, f"port {port} on {host} is already in use "
                                              f"(another server?); choose another port or "
                                              f"port=0 for a free one") from None
        raise
    sock.listen(2048)        # connections wait in the backlog until uvicorn accepts them
    return sock


def uvicorn_config(app: Any, settings: ServerSettings, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level,
                          lifespan="on", loop="asyncio", timeout_graceful_shutdown=3,
                          access_log=False)


@dataclass(eq=False)
class ServerHandle:
    """A server running in a background thread of this process."""
    url: str
    settings: ServerSettings
    live: LiveCluster
    _server: LiveServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1] if not self._stopped else self.settings.port

    @property
    def running(self) -> bool:
        return not self._stopped and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and free the port. Calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __repr__(self) -> str:
        return f"<t32sim server {self.url} {'running' if self.running else 'stopped'}>"

    def dashboard(self, width: str | int = "100%", height: int = 720):
        """The dashboard as an IPython IFrame."""
        from IPython.display import IFrame
        return IFrame(self.url, width=width, height=height)

    def _repr_html_(self) -> str:
        if self._stopped:
            return "<p>t32sim server (stopped)</p>"
        url = html.escape(self.url, quote=True)
        return (f'<iframe src="{url}" width="100%" height="720" '
                f'style="border:1px solid #1c2a3a;border-radius:6px" '
                f'title="t32sim dashboard"></iframe>')

    def __enter__(self) -> "ServerHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch(port: int = 0, host: str = "127.0.0.1", *, speed: float | None = None,
           seed: int | None = None, apply: Iterable[str | Path] = (),
           db: str | Path | None = None, api_key: str | None = None, paused: bool = False,
           tick: float = 0.1, log_level: str = "warning", timeout: float = 15.0,
           **more: Any) -> ServerHandle:
    """Start a live server in a background thread; returns once it answers requests.

    ``more`` are further ``ServerSettings`` fields (``sse_queue``, ``sse_drop_after``...).
    Raises ``PortInUseError`` if ``port`` is taken, ``SpecError`` for a bad ``apply``
    file, and ``RuntimeError`` if the server does not come up within ``timeout`` s.
    """
    settings = ServerSettings(host=host, port=port, speed=speed, seed=seed,
                              apply=tuple(str(p) for p in apply),
                              db=Path(db) if db is not None else None, api_key=api_key,
                              paused=paused, tick=tick, **more)
    sock = bind_socket(host, port, settings.send_buffer)
    try:
        live = LiveCluster.open(settings)
    except BaseException:
        sock.close()
        raise
    bound = sock.getsockname()[1]
    settings = settings.with_(port=bound)
    app = create_app(settings, live=live)
    server = LiveServer(uvicorn_config(app, settings, log_level), live)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"t32sim-server-{bound}")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(1.0)
            sock.close()
            raise RuntimeError(f"the t32sim server on {host}:{bound} did not start "
                               f"(see the log above)")
        time.sleep(0.01)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return ServerHandle(f"http://{shown}:{bound}/", settings, live, server, thread, sock)

"""What a live server is started with; one frozen value shared by the CLI, launch() and tests."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from t32sim.engine.cluster import DEFAULT_SEED
from t32sim.net import is_loopback
from t32sim.web import LOOPBACK_HOSTS

__all__ = ["ServerSettings", "is_loopback", "DEFAULT_SEED", "DEFAULT_SPEED", "MIN_API_KEY"]

DEFAULT_SPEED = 1.0
MIN_API_KEY = 16                  # characters, as the monitor's API keys
WILDCARD_HOSTS = ("0.0.0.0", "::", "")



@dataclass(frozen=True)
class ServerSettings:
    """Settings of one live server.

    ``speed`` is simulated seconds per wall second (``None``: the journal's, or 1);
    ``tick`` the pacer period in wall
    seconds (also the SSE publish period, so at most ``1/tick`` updates a second);
    ``db=None`` keeps the journal in memory only; ``apply`` is applied on a fresh
    journal only (a restarted server replays instead); ``seed=None`` takes the
    journal's seed, or ``DEFAULT_SEED`` for a fresh one; ``api_key`` needs at least 16
    characters; ``allowed_hosts`` are further names the server answers for besides its
    address and localhost (a request naming another ``Host`` is refused: DNS rebinding).
    """
    host: str = "127.0.0.1"
    port: int = 8080
    speed: float | None = None
    seed: int | None = None
    apply: tuple[str, ...] = ()
    db: Path | None = None
    api_key: str | None = None
    paused: bool = False
    tick: float = 0.1
    max_body_bytes: int = 256 * 1024
    sse_queue: int = 32
    sse_history: int = 64
    sse_drop_after: float = 10.0
    sse_recent_events: int = 200
    send_buffer: int | None = None
    examples_dirs: tuple[Path, ...] = field(default_factory=tuple)
    allowed_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.api_key is not None and len(self.api_key) < MIN_API_KEY:
            raise ValueError(f"api_key: expected at least {MIN_API_KEY} characters, got "
                             f"{len(self.api_key)}; choose a longer key")

    @property
    def binds_everywhere(self) -> bool:
        """Bound to every address (0.0.0.0): any IP typed into a browser may reach it."""
        return self.host in WILDCARD_HOSTS

    def host_names(self) -> tuple[str, ...]:
        """The ``Host`` names this server answers for."""
        own = () if self.binds_everywhere else (self.host,)
        return tuple(dict.fromkeys((*LOOPBACK_HOSTS, *own, *self.allowed_hosts)))

    def with_(self, **changes) -> "ServerSettings":
        return replace(self, **changes)


def api_key_from_env() -> str | None:
    return os.environ.get("T32SIM_API_KEY") or None


def generate_api_key() -> str:
    return secrets.token_urlsafe(24)

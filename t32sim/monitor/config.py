"""Everything the monitor needs to know, in one dataclass (no globals, no env reads here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from t32sim.failover import FailoverConfig

__all__ = ["MonitorConfig", "DEFAULT_PORTS", "DEFAULT_VERSIONS"]

DEFAULT_VERSIONS = ("v1", "v2", "v3")
DEFAULT_PORTS = (8001, 8002, 8003)


def _default_targets() -> dict[str, str]:
    return {v: f"http://127.0.0.1:{p}" for v, p in zip(DEFAULT_VERSIONS, DEFAULT_PORTS)}


@dataclass
class MonitorConfig:
    """Settings of one monitor app. Times are seconds.

    ``targets`` maps each version, in failover order, to its base URL. With
    ``spawn`` the monitor starts those services itself (``services.<v>.app:app``
    on each URL's port) and restarts them with exponential backoff.
    """
    db: Path = Path("monitor.db")
    targets: dict[str, str] = field(default_factory=_default_targets)
    interval: float = 1.0
    timeout: float = 1.0                 # the original's: above 50 % load /health takes 2 s
    threshold: int = 5
    window: float = 10.0
    cooldown: float = 15.0
    wrap: bool = False
    down_after: int = 2                  # consecutive failures before a DOWN alert
    retention: int = 10_000              # health-log rows kept
    spawn: bool = False
    restart_backoff: float = 1.0         # first restart delay, doubled per crash ...
    restart_backoff_max: float = 30.0    # ... up to this
    startup_timeout: float = 20.0        # how long spawned services may take to answer
    service_log_dir: Path | None = None  # spawned services' output (None: inherit)
    admin_password: str | None = None    # else T32SIM_ADMIN_PASSWORD, else generated once
    audit_key: bytes | str | None = None  # else T32SIM_AUDIT_KEY, else <db>.audit.key
    users_path: Path | None = None       # default <db>.users.json
    api_key: str | None = None           # else T32SIM_API_KEY
    notifier: Any = "env"                # an EmailNotifier, None, or "env" (from T32SIM_SMTP_*)
    trusted_origins: tuple[str, ...] = ()  # extra Origins allowed to POST (reverse proxies)
    allowed_hosts: tuple[str, ...] | None = None   # Host names answered (None: any; 421 else)
    lock_failures: int = 5
    lock_seconds: float = 60.0
    delay_scale: float | None = None     # the services' delay scale (else T32SIM_DEMO_DELAY_SCALE, else 1)
    demo_token: str | None = None        # sent as X-Demo-Token (spawn: a fresh one per run)
    announce: Callable[[str], None] = print   # where a generated password is shown, once
    env: Mapping[str, str] | None = None      # None: os.environ

    def __post_init__(self) -> None:
        self.db = Path(self.db)
        self.targets = dict(self.targets)
        for name in ("interval", "timeout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name}: expected a number of seconds > 0, got {value!r}")
        if not isinstance(self.retention, int) or self.retention < 1:
            raise ValueError(f"retention: expected an integer >= 1, got {self.retention!r}")
        if not isinstance(self.down_after, int) or self.down_after < 1:
            raise ValueError(f"down_after: expected an integer >= 1, got {self.down_after!r}")
        for version, url in self.targets.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"targets.{version}: expected an http(s) URL, got {url!r}")
        self.failover  # validates threshold, window, cooldown, wrap and the versions

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.targets)

    @property
    def failover(self) -> FailoverConfig:
        return FailoverConfig(versions=self.versions, threshold=self.threshold,
                              window=self.window, cooldown=self.cooldown, wrap=self.wrap)

    @classmethod
    def for_ports(cls, ports: Mapping[str, int] | None = None, host: str = "127.0.0.1",
                  **kwargs) -> "MonitorConfig":
        """Targets ``http://host:port`` for each version (default v1/v2/v3 on 8001-8003)."""
        ports = ports or dict(zip(DEFAULT_VERSIONS, DEFAULT_PORTS))
        return cls(targets={v: f"http://{host}:{p}" for v, p in ports.items()}, **kwargs)

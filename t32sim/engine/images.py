"""The catalog of simulated container images, each with its own start-up, speed and faults.

``local://demo@v1`` .. ``@v3`` are healthy versions; the others exist to show what goes
wrong: a container that crashes, one that never becomes ready, one that answers with
errors, one that is slow, one that ignores SIGTERM (so only the end of the grace period
stops it). Any other ``local://`` image does not exist and fails to pull.
An image from a registry (``nginx:1.14.2``, ``registry.k8s.io/hpa-example``) runs as a
generic healthy web app, so manifests from the Kubernetes docs run unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class ImageProfile:
    """How a simulated image behaves. Times are simulated seconds."""
    image: str
    version: str
    pull_seconds: float        # time to download before the container can start
    startup_seconds: float     # from container start until the app answers its probes
    latency: float             # mean response time of one request, seconds
    latency_sigma: float = 0.5  # spread of log(latency): each request is drawn log-normal
    error_rate: float = 0.0    # share of requests answered with HTTP 500
    capacity_rps: float = 100  # requests per second one pod serves at 100 % CPU
    crash_after: float | None = None   # the process exits this long after it starts
    never_ready: bool = False  # the readiness endpoint never answers OK
    shutdown_seconds: float = 1.0      # from SIGTERM until the process has exited (code 0)
    ignores_sigterm: bool = False      # only the SIGKILL at the end of the grace period stops it

    def describe(self) -> str:
        faults = []
        if self.crash_after is not None:
            faults.append(f"crashes {self.crash_after:g} s after start")
        if self.never_ready:
            faults.append("never passes readiness")
        if self.error_rate:
            faults.append(f"{self.error_rate:.0%} of requests fail")
        if self.ignores_sigterm:
            faults.append("ignores SIGTERM")
        health = "; ".join(faults) or "healthy"
        return (f"{self.image}: pull {self.pull_seconds:g} s, start {self.startup_seconds:g} s, "
                f"{self.latency * 1000:g} ms, {self.capacity_rps:g} rps/pod, {health}")


def _demo(version: str, **kwargs) -> ImageProfile:
    return ImageProfile(image=f"local://demo@{version}", version=version, **kwargs)


CATALOG: dict[str, ImageProfile] = {p.image: p for p in [
    _demo("v1", pull_seconds=2, startup_seconds=2, latency=0.020, capacity_rps=100),
    _demo("v2", pull_seconds=3, startup_seconds=3, latency=0.015, capacity_rps=120),
    _demo("v3", pull_seconds=2, startup_seconds=1.5, latency=0.010, capacity_rps=150),
    _demo("crash", pull_seconds=2, startup_seconds=1, latency=0.020, crash_after=1),
    _demo("never-ready", pull_seconds=2, startup_seconds=2, latency=0.020, never_ready=True),
    _demo("flaky", pull_seconds=2, startup_seconds=2, latency=0.020, error_rate=0.30),
    _demo("slow", pull_seconds=2, startup_seconds=8, latency=0.400, capacity_rps=40,
          shutdown_seconds=3, latency_sigma=0.7),
    _demo("ignores-sigterm", pull_seconds=2, startup_seconds=2, latency=0.020, capacity_rps=100,
          ignores_sigterm=True),
]}


LOCAL_PREFIX = "local://"


@lru_cache(maxsize=1024)
def registry_image(image: str) -> ImageProfile:
    """A registry image as a generic healthy web app: pulls in 2 s, answers 1 s after it
    starts, 20 ms per request, 100 requests per second at full CPU. Its version is the tag
    (``nginx:1.14.2`` -> ``1.14.2``; ``latest`` when there is none) or the digest."""
    name, at, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    version = digest if at else (last.rsplit(":", 1)[1] if ":" in last else "latest")
    return ImageProfile(image=image, version=version, pull_seconds=2, startup_seconds=1,
                        latency=0.020, capacity_rps=100)


def resolve(image: str) -> ImageProfile | None:
    """The profile of ``image``, or None when no such image exists (ErrImagePull): a
    ``local://`` image outside the catalog. Registry images are generic web apps."""
    if image.startswith(LOCAL_PREFIX):
        return CATALOG.get(image)
    return registry_image(image)

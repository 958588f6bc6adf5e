"""Which real image runs each simulated ``local://demo@...`` image on a real cluster.

The demo images exist only in the simulation. An export maps each one to a public image
that behaves as close to it as a stock image can, and keeps the simulated name in the pod
template's ``t32sim/image`` annotation, so applying the export to t32sim again simulates
the same image:

- ``local://demo@v1``, ``@v2``, ``@v3``: ``hashicorp/http-echo:1.0`` with
  ``-listen=:8080 -text=<name> v1`` (or the port a manifest's container declares), which
  answers 200 on every path (probes included);
- ``local://demo@crash``: ``busybox:1.36`` running ``sh -c 'sleep 1; exit 1'``
  (CrashLoopBackOff, as simulated);
- ``local://demo@never-ready``: ``nginx:1.27``, which answers 404 on the probe path, so
  it never becomes Ready;
- ``local://demo@flaky`` and ``@slow``: ``hashicorp/http-echo:1.0`` (healthy: the 30 %
  errors and the slow start are not reproduced).

Any other image (``nginx:1.14.2``) is exported as it is. ``--image LOCAL=REAL`` (or
``images={LOCAL: REAL}``) picks another real image for a simulated one.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

HTTP_ECHO = "hashicorp/http-echo:1.0"
APP_PORT = 8080            # where the mapped demo apps listen
REGISTRY_PORT = 80         # what a registry image is assumed to listen on


@dataclass(frozen=True)
class RealImage:
    """A real image and how to start it: arguments or a command, and the port it serves."""
    image: str
    args: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    port: int | None = APP_PORT
    differs: str = ""          # what the real image does not reproduce


def _echo(version: str, differs: str = "") -> RealImage:
    return RealImage(HTTP_ECHO, args=("-listen=:{port}", f"-text={{name}} {version}"),
                     differs=differs)


DEFAULT_IMAGES: dict[str, RealImage] = {
    "local://demo@v1": _echo("v1"),
    "local://demo@v2": _echo("v2"),
    "local://demo@v3": _echo("v3"),
    "local://demo@crash": RealImage("busybox:1.36", command=("sh", "-c", "sleep 1; exit 1"),
                                    port=None),
    "local://demo@never-ready": RealImage("nginx:1.27", port=80,
                                          differs="answers 404 on the probe path"),
    "local://demo@flaky": _echo("flaky", differs="does not fail 30 % of requests"),
    "local://demo@slow": _echo("slow", differs="starts at once and answers fast"),
}


@dataclass(frozen=True)
class ImageMap:
    """The mapping used by an export: the defaults, with ``overrides`` (simulated -> real)."""
    overrides: dict[str, str] = field(default_factory=dict)

    def real(self, image: str, name: str, port: int | None = None) -> RealImage:
        """How ``image`` runs for the workload ``name`` on a real cluster; ``port``: where
        the container is to listen (an image started with ``-listen`` follows it)."""
        if image in self.overrides:
            return RealImage(self.overrides[image])
        known = DEFAULT_IMAGES.get(image)
        if known is None:
            return RealImage(image, port=None if image.startswith("local://") else REGISTRY_PORT)
        follows = any("{port}" in arg for arg in known.args)
        port = port if follows and port else known.port
        return replace(known, port=port,
                       args=tuple(arg.format(name=name, port=port) for arg in known.args))


def parse_image_flag(text: str) -> tuple[str, str]:
    """``local://demo@v1=myrepo/api:1`` -> (simulated, real); ValueError if malformed."""
    simulated, sep, real = text.partition("=")
    if not sep or not simulated.strip() or not real.strip() or any(c.isspace() for c in real):
        raise ValueError(f"expected SIMULATED=REAL like local://demo@v1=nginx:1.27, "
                         f"got {text!r}")
    return simulated.strip(), real.strip()

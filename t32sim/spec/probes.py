"""Probes, as both formats write them: one of httpGet, tcpSocket, exec or grpc, plus timing.

The simulated image answers every kind of probe the same way (its health decides), so
the four differ only in how events describe them. In t32sim's own format ``httpGet`` needs
no port; in a Kubernetes manifest every probe needs its port (a number or a port name),
as the API server demands, and the fields t32sim does not simulate are noted.
"""
from __future__ import annotations

from t32sim.spec.checks import (
    HTTP_PATH, ONLY_ONE, PORT, PORT_OR_NAME, THRESHOLD, Check, Invalid, seconds_check,
)
from t32sim.spec.model import Probe, ProbeAction
from t32sim.spec.reader import Reader

ACTIONS = tuple(action.value for action in ProbeAction)
_TIMING_FIELDS = ("initialDelaySeconds", "periodSeconds", "timeoutSeconds",
                  "successThreshold", "failureThreshold")
PROBE_FIELDS = ACTIONS + _TIMING_FIELDS
#: fields of a Kubernetes probe t32sim accepts but does not simulate
PROBE_UNSIMULATED = {"terminationGracePeriodSeconds": "a probe's own grace period (the pod's "
                                                      "terminationGracePeriodSeconds applies)"}
_HTTP_UNSIMULATED = {"host": "the probe always reaches the pod",
                     "scheme": "HTTP and HTTPS probes are answered alike",
                     "httpHeaders": "probe headers"}
_TCP_UNSIMULATED = {"host": "the probe always reaches the pod"}
_GRPC_UNSIMULATED = {"service": "the gRPC health service name"}


def _command_parse(value: object) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not value or len(value) > 100 \
            or not all(isinstance(part, str) and len(part) <= 4096 for part in value):
        raise Invalid
    return tuple(value)


COMMAND = Check("a non-empty list of strings like ['cat', '/tmp/healthy']", _command_parse)


def read_probe(spec: Reader, key: str, *, restarts: bool, manifest: bool = False
               ) -> Probe | None:
    """The probe at ``key``; ``restarts`` (liveness, startup) requires successThreshold 1;
    ``manifest``: Kubernetes' rules (a port is required; unsimulated fields are noted)."""
    p = spec.mapping(key, PROBE_FIELDS, "a probe mapping like {httpGet: {path: /healthz}}",
                     unsimulated=PROBE_UNSIMULATED if manifest else None)
    if p is None:
        return None
    given = [action for action in ACTIONS if p.has(action)]
    if len(given) > 1:
        p.error(given[1], "expected one of " + ", ".join(ACTIONS) + " per probe, got "
                + " and ".join(given))
    action = ProbeAction(given[0]) if given else ProbeAction.HTTP_GET
    asks = _read_action(p, action, manifest)          # (errors in the order of the fields)
    return Probe(action=action, **asks,
                 initial_delay_seconds=p.get("initialDelaySeconds", seconds_check(), 0),
                 period_seconds=p.get("periodSeconds", seconds_check(1), 10),
                 timeout_seconds=p.get("timeoutSeconds", seconds_check(1), 1),
                 success_threshold=p.get("successThreshold",
                                         ONLY_ONE if restarts else THRESHOLD, 1),
                 failure_threshold=p.get("failureThreshold", THRESHOLD, 3))


def _read_action(p: Reader, action: ProbeAction, manifest: bool) -> dict:
    """How the probe asks, as Probe fields: path and port, port, or command."""
    port_check = PORT_OR_NAME if manifest else PORT
    if action is ProbeAction.HTTP_GET:
        http = p.mapping("httpGet", ("path", "port"), "a mapping like {path: /healthz}",
                         required=True, unsimulated=_HTTP_UNSIMULATED if manifest else None)
        if http is None:
            return {}
        path = http.get("path", HTTP_PATH, "/")
        port = http.require("port", port_check) if manifest else http.get("port", port_check)
        return {"path": path, "port": port}
    if action is ProbeAction.EXEC:
        run = p.mapping("exec", ("command",), "a mapping like {command: [cat, /tmp/healthy]}")
        command = run.require("command", COMMAND) if run else None
        return {"command": command or ()}
    unsimulated = _TCP_UNSIMULATED if action is ProbeAction.TCP_SOCKET else _GRPC_UNSIMULATED
    target = p.mapping(action.value, ("port",), "a mapping like {port: 8080}",
                       unsimulated=unsimulated if manifest else None)
    port = target.require("port", port_check if action is ProbeAction.TCP_SOCKET else PORT) \
        if target else None
    return {"port": port}

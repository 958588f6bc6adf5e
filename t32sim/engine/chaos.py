"""Chaos: kill pods, break probes, make a version answer badly, and heal.

* ``kill(service, count)``: delete ``count`` random live pods (drawn from the cluster's rng);
  the ReplicaSet creates new ones.
* ``break_probe(target, kind)``: the readiness or liveness probe of a service's pods (or of
  one pod) fails from now on. Readiness failures take pods out of the load balancer after
  ``failureThreshold`` probes; liveness failures get their containers restarted.
* ``inject(service, version=None, error_rate=, latency=)``: requests to the service (or to
  one version of it) fail more often and take longer. Both the offered load and routed
  requests feel it, so a canary analysis can catch it.
* ``heal(target=None)``: remove the faults of a service or pod (or all of them).

Each is a checked, journaled command with an event that explains it. The kubelet is woken
so that a pod re-reads its faults at once. Injected faults live in the store
(``store.faults``), where the load model and the load balancer read them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from t32sim.engine.commands import CommandError, int_arg, service_state
from t32sim.engine.events import Level, Reason
from t32sim.engine.requests import check_number
from t32sim.engine.store import Fault, Pod
from t32sim.spec import MAX_REPLICAS

if TYPE_CHECKING:
    from t32sim.engine.controllers import Controllers

PROBE_KINDS = ("readiness", "liveness")
MAX_INJECTED_LATENCY = 60.0


def check_kill(parts: "Controllers", service, count=1):
    service_state(parts.ctx.store, service)
    count = int_arg("count", count, 1, MAX_REPLICAS)

    def kill() -> list[str]:
        ctx = parts.ctx
        live = sorted((p for p in ctx.store.pods_of(service) if not p.terminating),
                      key=lambda p: p.name)
        victims = ctx.rng.sample(live, min(count, len(live)))
        for pod in victims:
            ctx.emit(Reason.CHAOS_KILL, service, f"Chaos killed pod {pod.name}",
                     pod=pod.name, level=Level.WARNING)
            grace = ctx.store.services[service].spec.termination_grace_period_seconds
            parts.kubelet.delete(pod, grace)
        return [p.name for p in victims]

    return {"service": service, "count": count}, kill


def _target(parts: "Controllers", target: Any) -> tuple[str, Pod | None]:
    """``(service, pod)`` for a service name or a live pod name."""
    store = parts.ctx.store
    if isinstance(target, str) and target in store.services:
        return target, None
    if isinstance(target, str) and target in store.pods:
        pod = store.pods[target]
        return pod.service, pod
    known = ", ".join(store.services) or "none yet"
    raise CommandError(f"target: no service or pod named {target!r} (services: {known})",
                       field="target", not_found=True)


def _wake(parts: "Controllers", service: str, pod: Pod | None) -> None:
    for p in ([pod] if pod is not None else parts.ctx.store.pods_of(service)):
        parts.kubelet.wake(p)


def check_break_probe(parts: "Controllers", target, kind="readiness"):
    service, pod = _target(parts, target)
    if kind not in PROBE_KINDS:
        raise CommandError(f"kind: expected one of {', '.join(map(repr, PROBE_KINDS))}, got "
                           f"{kind!r}", field="kind")

    def break_probe() -> str:
        parts.ctx.store.broken_probes.add((target, kind))
        what = f"pod {target}" if pod is not None else f"every pod of {service}"
        parts.ctx.emit(Reason.PROBE_BROKEN, service, f"Chaos broke the {kind} probe of {what}",
                       pod=pod.name if pod else "", level=Level.WARNING, kind=kind)
        _wake(parts, service, pod)
        parts.ctx.store.changed(service)
        return target

    return {"target": target, "kind": kind}, break_probe


def check_inject(parts: "Controllers", service, version=None, error_rate=None, latency=None):
    state = service_state(parts.ctx.store, service)
    if error_rate is None and latency is None:
        raise CommandError("inject: give error_rate and/or latency", field="error_rate")
    if error_rate is not None:
        error_rate = check_number("error_rate", error_rate, 0, 1)
    if latency is not None:
        latency = check_number("latency", latency, 0, MAX_INJECTED_LATENCY)
    if version is not None:
        versions = sorted({rs.version for rs in state.replicasets.values()}
                          | {state.spec.version})
        if version not in versions:
            raise CommandError(f"version: {service} has no version {version!r} (known: "
                               f"{', '.join(versions)})", field="version")
    args = {"service": service, **({"version": version} if version is not None else {}),
            **({"error_rate": error_rate} if error_rate is not None else {}),
            **({"latency": latency} if latency is not None else {})}

    def inject() -> Fault:
        store, key = parts.ctx.store, (service, version)
        old = store.faults.get(key, Fault())
        fault = Fault(old.error_rate if error_rate is None else float(error_rate),
                      old.latency if latency is None else float(latency))
        store.faults[key] = fault
        store.changed(service)          # the load model re-rates it, the alerts look again
        who = f"{service} {version}" if version else service
        parts.ctx.emit(Reason.FAULT_INJECTED, service,
                       f"Chaos injected faults into {who}: {fault.error_rate:.0%} extra errors, "
                       f"+{fault.latency * 1000:g} ms latency", level=Level.WARNING)
        return fault

    return args, inject


def check_heal(parts: "Controllers", target=None):
    service, pod = _target(parts, target) if target is not None else (None, None)

    def heal() -> int:
        store = parts.ctx.store
        if service is None:
            probes = set(store.broken_probes)
            faults = set(store.faults)
        elif pod is not None:
            probes = {f for f in store.broken_probes if f[0] == pod.name}
            faults = set()
        else:
            names = {service} | {p.name for p in store.pods_of(service)}
            probes = {f for f in store.broken_probes if f[0] in names}
            faults = {k for k in store.faults if k[0] == service}
        services = sorted({s for s, _ in faults} | {
            store.pods[name].service if name in store.pods else name for name, _ in probes}
            & set(store.services))
        store.broken_probes -= probes
        for key in faults:
            del store.faults[key]
        for name in services:
            _wake(parts, name, pod if pod is not None and pod.service == name else None)
            store.changed(name)
        removed = len(probes) + len(faults)
        what = (f"pod {pod.name}" if pod is not None else service) if target is not None \
            else "the whole cluster"
        parts.ctx.emit(Reason.HEALED, service or "", f"Healed {what}: {removed} fault(s) removed",
                       pod=pod.name if pod is not None else "")
        return removed

    return {**({"target": target} if target is not None else {})}, heal

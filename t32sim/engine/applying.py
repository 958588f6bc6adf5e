"""``apply``: storing the objects of an applied source (workloads, HPA objects, Services).

A workload becomes a ServiceState in the store (scaled by the HPA object that targets it);
an HPA object scales its target now, or as soon as the target exists; a Kubernetes Service
selects workloads by their labels, and which ones it selects lives in the store
(``store.selected``). Nothing here starts a process: the watchers of the store act.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from t32sim.engine.commands import CommandError
from t32sim.engine.context import Context
from t32sim.engine.events import Level, Reason
from t32sim.engine.store import ServiceState, Store
from t32sim.spec import Entry, HorizontalPodAutoscaler, ServiceSelector, ServiceSpec
from t32sim.spec.objects import with_autoscale


def apply_object(ctx: Context, entry: Entry) -> Any:
    """Store one object of an applied source (its notes first, as events)."""
    obj = entry.object
    owner = obj.target if isinstance(obj, HorizontalPodAutoscaler) else obj.name
    for note in entry.notes:
        ctx.emit(Reason.NOT_SIMULATED, owner, str(note))
    if isinstance(obj, ServiceSpec):
        return store_spec(ctx, obj)
    if isinstance(obj, HorizontalPodAutoscaler):
        return apply_autoscaler(ctx, obj)
    if isinstance(obj, ServiceSelector):
        if ctx.store.selectors.get(obj.name) == obj:
            ctx.emit(Reason.UNCHANGED, obj.name, f"Service {obj.name} unchanged")
            return obj
        ctx.store.selectors[obj.name] = obj
        ctx.emit(Reason.APPLIED, obj.name, f"Applied Service {obj.name}: selects pods "
                                           f"with {obj.describe_selector()}")
    return obj


def keep_replicas(old: ServiceSpec | None, new: ServiceSpec) -> ServiceSpec:
    """``apply`` of an autoscaled service keeps the replicas the autoscaler chose (as
    ``kubectl apply`` does for a manifest without ``replicas``)."""
    if old is None or new.autoscale is None or old.autoscale is None:
        return new
    return dataclasses.replace(new, replicas=old.replicas)


def store_spec(ctx: Context, spec: ServiceSpec) -> ServiceSpec:
    """Store a workload's desired state (scaled by the HPA object that targets it)."""
    store, now = ctx.store, ctx.now
    hpa = next((h for h in store.autoscalers.values() if h.target == spec.name), None)
    if hpa is not None:
        spec = with_autoscale(spec, hpa.autoscale)
    state = store.services.get(spec.name)
    spec = keep_replicas(state.spec if state else None, spec)
    if state is not None and state.spec == spec:
        ctx.emit(Reason.UNCHANGED, spec.name, f"Service {spec.name} unchanged")
        return spec
    note = same_template_note(state.spec, spec) if state is not None else ""
    if state is None:
        state = store.services[spec.name] = ServiceState(spec, created_at=now)
    state.spec = spec
    state.progress_since = now
    ctx.emit(Reason.APPLIED, spec.name,
             f"Applied service {spec.name}: {spec.replicas} x {spec.image}{note}")
    store.changed(spec.name)
    return spec


def apply_autoscaler(ctx: Context, hpa: HorizontalPodAutoscaler) -> HorizontalPodAutoscaler:
    """Store an HPA object; it scales its target now, or as soon as the target exists."""
    store = ctx.store
    if store.autoscalers.get(hpa.name) == hpa:
        ctx.emit(Reason.UNCHANGED, hpa.target, f"HorizontalPodAutoscaler {hpa.name} "
                                               "unchanged")
        return hpa
    store.autoscalers[hpa.name] = hpa
    a = hpa.autoscale
    ctx.emit(Reason.APPLIED, hpa.target,
             f"Applied HorizontalPodAutoscaler {hpa.name}: {hpa.target_kind} "
             f"{hpa.target} between {a.min_replicas} and {a.max_replicas} pods at "
             f"{a.target_cpu} % CPU")
    state = store.services.get(hpa.target)
    if state is None:
        ctx.emit(Reason.HPA_TARGET_MISSING, hpa.target,
                 f"HorizontalPodAutoscaler {hpa.name} waits: no {hpa.target_kind} "
                 f"named {hpa.target} yet", level=Level.WARNING, target=hpa.target)
    elif state.spec.autoscale != a:
        store_spec(ctx, state.spec)
    return hpa


def reselect(ctx: Context) -> None:
    """Tell which workloads each Service selects, when that changed (level-triggered)."""
    store = ctx.store
    for name, selector in store.selectors.items():
        chosen = tuple(sorted(s for s, state in store.services.items()
                              if selector.selects(state.spec.labels)))
        if store.selected.get(name) == chosen:
            continue
        store.selected[name] = chosen
        if chosen:
            ctx.emit(Reason.SERVICE_SELECTS, name, f"Service {name} sends requests to "
                     f"the pods of {', '.join(chosen)} ({selector.describe_selector()})")
        else:
            ctx.emit(Reason.SERVICE_SELECTS_NOTHING, name,
                     f"Service {name} selects no pods: no workload's pods have the "
                     f"labels {selector.describe_selector()}", level=Level.WARNING,
                     selector=selector.describe_selector())


def through_service(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    """Traffic to a Kubernetes Service by name goes to the workload it selects."""
    name = args.get("service")
    if not isinstance(name, str) or name in store.services or name not in store.selectors:
        return args
    chosen = store.selected.get(name, ())
    if len(chosen) != 1:
        selector = store.selectors[name].describe_selector()
        got = ("the pods of " + " and ".join(chosen)) if chosen else "no pods"
        raise CommandError(f"service: Service {name} selects {got} ({selector}); t32sim "
                           "routes a Service to the pods of exactly one workload",
                           field="service")
    return {**args, "service": chosen[0]}


def manifest_objects(store: Store) -> dict[str, Any]:
    """Kubernetes Services and HPA objects for the snapshot, when any were applied."""
    objects: dict[str, Any] = {}
    if store.selectors:
        objects["selectors"] = {name: {"selector": dict(s.selector),
                                       "selects": list(store.selected.get(name, ()))}
                                for name, s in store.selectors.items()}
    if store.autoscalers:
        objects["autoscalers"] = {
            name: {"target": h.target, "kind": h.target_kind,
                   "minReplicas": h.autoscale.min_replicas,
                   "maxReplicas": h.autoscale.max_replicas,
                   "targetCPUUtilizationPercentage": h.autoscale.target_cpu}
            for name, h in store.autoscalers.items()}
    return objects


def same_template_note(before: ServiceSpec, after: ServiceSpec) -> str:
    """What an Applied event adds when the pod template did not change: no new revision,
    only these fields did (``; pod template unchanged: no new revision (only replicas and
    rollout changed)``); empty when the template changed."""
    if before.template_hash() != after.template_hash():
        return ""
    old, new = before.to_dict()["spec"], after.to_dict()["spec"]
    changed = [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
    what = " and ".join(changed) if len(changed) <= 2 else \
        ", ".join(changed[:-1]) + " and " + changed[-1]
    return (f"; pod template unchanged: no new revision (only {what or 'metadata'} "
            f"changed)")

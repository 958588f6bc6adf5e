"""``apply`` and ``scale``: the commands that write desired state into the store.

``apply`` stores the objects of an applied source (workloads, HPA objects, Services).

A workload becomes a ServiceState in the store (scaled by the HPA object that targets it);
an HPA object scales its target now, or as soon as the target exists; a Kubernetes Service
selects workloads by their labels, and which ones it selects lives in the store
(``store.selected``). Nothing here starts a process: the watchers of the store act.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from t32sim.engine.commands import CommandError, int_arg, service_state
from t32sim.engine.context import Context
from t32sim.engine.events import Level, Reason
from t32sim.engine.store import Store
from t32sim.spec import (MAX_REPLICAS, Entry, HorizontalPodAutoscaler, ServiceSelector,
                         ServiceSpec, load_manifests)
from t32sim.spec.objects import with_autoscale

if TYPE_CHECKING:
    from t32sim.engine.controllers import Controllers


def check_apply(controllers: "Controllers", spec: Any):
    """``apply``: read the source now (a SpecError changes nothing); journal its documents."""
    ctx = controllers.ctx
    manifests = load_manifests(spec)

    def apply() -> ServiceSpec | tuple:
        applied = [apply_object(ctx, entry) for entry in manifests.entries]
        reselect(ctx)
        workloads = [obj for obj in applied if isinstance(obj, ServiceSpec)]
        return workloads[0] if len(workloads) == 1 else tuple(applied)

    return {"spec": manifests.journal_document()}, apply


def check_scale(controllers: "Controllers", service, replicas=None, delta=None):
    """``scale``: exactly one of ``replicas`` (absolute) or ``delta``, within 0..MAX_REPLICAS."""
    ctx = controllers.ctx
    state = service_state(ctx.store, service)
    if (replicas is None) == (delta is None):
        raise CommandError("scale: give exactly one of replicas or delta", field="replicas")
    if replicas is not None:
        target = int_arg("replicas", replicas, 0, MAX_REPLICAS)
    else:
        step = int_arg("delta", delta, -MAX_REPLICAS, MAX_REPLICAS)
        target = state.spec.replicas + step
        if not 0 <= target <= MAX_REPLICAS:
            raise CommandError(f"delta: {service} has {state.spec.replicas} replicas; "
                               f"{step:+d} would make {target}, expected 0..{MAX_REPLICAS}",
                               field="delta")
    args = {"service": service, **({"replicas": target} if replicas is not None
                                   else {"delta": step})}

    def scale() -> int:
        ctx.emit(Reason.SCALED, service,
                 f"Scaled {service} from {state.spec.replicas} to {target} replicas")
        ctx.store.write_spec(dataclasses.replace(state.spec, replicas=target), ctx.now)
        return target

    return args, scale


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
    ctx.emit(Reason.APPLIED, spec.name,
             f"Applied service {spec.name}: {spec.replicas} x {spec.image}{note}")
    store.write_spec(spec, now)
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
        ctx.emit(Reason.FAILED_GET_SCALE, hpa.target,
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
            ctx.emit(Reason.NO_ENDPOINTS, name,
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

"""The rollout controller: plans each ReplicaSet's size with the service's strategy.

It is the thin part between the Deployment controller and the pure strategies (rolling.py,
canary.py, bluegreen.py, strategy.py).

It is called by the Deployment controller through ``Cluster.plan_replicas``, feeds the
machines what it sees, emits their notes and sets timers; it also checks ``promote`` and
``undo``. The names of the pure modules are re-exported here (``rollout.rolling_update_step``
and the rest), where chapters and tests have always found them.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Protocol

from t32sim.engine.bluegreen import BlueGreenRollout
from t32sim.engine.canary import ABORT_SCALE_DOWN_DELAY, CanaryRollout, canary_replicas
from t32sim.engine.commands import CommandError, service_state
from t32sim.engine.context import Context
from t32sim.engine.events import Level, Reason
from t32sim.engine.rolling import (is_scaling_event, plan_rolling_update,
                                   proportional_scale, rolling_update_step, scaled_value,
                                   show_rounding, surge_and_unavailable)
from t32sim.engine.status import Phase, RolloutInfo
from t32sim.engine.store import Pod, ServiceState
from t32sim.engine.store import Backend
from t32sim.engine.strategy import (Measurement, Note, Observation, ReplicaSetView,
                                    RolloutMachine)
from t32sim.spec import Analysis, Strategy


__all__ = ["RolloutController", "BlueGreenRollout", "CanaryRollout", "ABORT_SCALE_DOWN_DELAY",
           "canary_replicas", "ReplicaSetView", "is_scaling_event", "plan_rolling_update",
           "proportional_scale", "rolling_update_step", "scaled_value", "show_rounding",
           "surge_and_unavailable", "Measurement", "Note", "Observation", "RolloutMachine"]

DEFAULT_ANALYSIS = Analysis()


class RolloutTraffic(Protocol):
    """What the rollout controller needs of the traffic model: a canary's counts."""

    def flush(self, service: str) -> None: ...

    def totals(self, service: str, template_hash: str) -> tuple[float, float]: ...


class RolloutController:
    """Plans ReplicaSet sizes per strategy (for the Deployment controller), keeps the
    canary / blue-green state per service, tells the load balancer where traffic goes."""

    def __init__(self, ctx: Context, traffic: RolloutTraffic, enqueue: Callable[[str], None]):
        """``traffic``: the canary's request counts; ``enqueue``: ask the Deployment controller
        to sync a service (a timer of the strategy is due)."""
        self.ctx, self.traffic, self.enqueue = ctx, traffic, enqueue
        self.env = ctx.env
        self._machines: dict[str, CanaryRollout | BlueGreenRollout] = {}
        self._timers: dict[str, set[float]] = {}

    # -- read by traffic, status and metrics ----------------------------------------------------

    def backends(self, service: str) -> tuple[Backend, ...]:
        """Where the service's traffic goes (what ``plan`` last wrote into the store)."""
        return self.ctx.store.backends_of(service)

    def canary_weight(self, service: str) -> int | None:
        """Percent of requests sent to the canary (None: not a canary service)."""
        machine = self._machines.get(service)
        if not isinstance(machine, CanaryRollout):
            return None
        return machine.weight if machine.in_progress else 0

    def info(self, service: str) -> RolloutInfo:
        """What the status shows of the rollout: phase override, weight, step, message."""
        state = self.ctx.store.services[service]
        machine = self._machines.get(service)
        revision = {rs.template_hash: rs.revision for rs in state.replicasets.values()}
        if isinstance(machine, CanaryRollout):
            stable = revision.get(machine.stable or "", 0)
            if machine.aborted_at is not None:
                return RolloutInfo(Phase.DEGRADED, 0, None, stable,
                                   "Aborted: " + machine.abort_message)
            if machine.in_progress:
                step = min(machine.step + 1, len(machine.steps))
                text = (f"Canary step {step}/{len(machine.steps)}: {machine.weight} % of traffic "
                        f"to revision {revision.get(machine.canary, 0)}")
                steps = len(machine.steps)
                if machine.paused:
                    return RolloutInfo(Phase.PAUSED, machine.weight, step, stable,
                                       text + ", paused", steps)
                return RolloutInfo(None, machine.weight, step, stable, text, steps)
            return RolloutInfo(None, 0, None, stable, "")
        if isinstance(machine, BlueGreenRollout):
            active = revision.get(machine.active or "", 0)
            if machine.in_progress:
                text = f"Preview revision {revision.get(machine.preview, 0)}, active {active}"
                if machine.paused:
                    return RolloutInfo(Phase.PAUSED, 0, None, active, text + ", paused")
                return RolloutInfo(Phase.DEGRADED if machine.degraded else None, 0, None,
                                   active, text)
            return RolloutInfo(None, 0, None, active, "")
        current = state.current
        return RolloutInfo(None, 0, None, current.revision if current else 0, "")

    # -- commands --------------------------------------------------------------------------------

    def check_promote(self, service, full=False):
        service_state(self.ctx.store, service)
        if not isinstance(full, bool):
            raise CommandError(f"full: expected true or false, got {full!r}", field="full")
        machine = self._machines.get(service)
        if machine is None:
            strategy = self.ctx.store.services[service].spec.rollout.strategy
            raise CommandError(f"promote: {service} uses {strategy.value}, which has nothing to "
                               "promote (only Canary and BlueGreen rollouts wait)", field="service")
        if not machine.in_progress:
            raise CommandError(f"promote: {service} has no rollout in progress"
                               + (f" (the canary was aborted: {machine.abort_message})"
                                  if getattr(machine, "aborted_at", None) is not None else ""),
                               field="service")
        args = {"service": service, **({"full": True} if full else {})}

        def promote() -> str:
            result = machine.promote(full)
            self.ctx.log.emit(self.env.now, Reason.PROMOTE_REQUESTED, service,
                                  f"Promote requested for {service}: {result}")
            self.ctx.store.changed(service)
            return result

        return args, promote

    def check_undo(self, service, to_revision=None):
        state = service_state(self.ctx.store, service)
        current = state.spec.template_hash()
        history = sorted(state.replicasets.values(), key=lambda rs: rs.revision)
        if to_revision is None:
            older = [rs for rs in history if rs.template_hash != current]
            if not older:
                raise CommandError(f"undo: {service} has no previous revision to roll back to",
                                   field="service")
            target = older[-1]
        else:
            if isinstance(to_revision, bool) or not isinstance(to_revision, int) or to_revision < 1:
                raise CommandError(f"to_revision: expected a revision number >= 1, got "
                                   f"{to_revision!r}", field="to_revision")
            known = {rs.revision: rs for rs in history}
            if to_revision not in known:
                names = ", ".join(str(r) for r in sorted(known)) or "none"
                raise CommandError(f"to_revision: {service} has no revision {to_revision} "
                                   f"(known: {names})", field="to_revision")
            target = known[to_revision]
            if target.template_hash == current:
                raise CommandError(f"to_revision: revision {to_revision} is already {service}'s "
                                   "current template", field="to_revision")
        args = {"service": service, **({"to_revision": to_revision} if to_revision else {})}

        def undo() -> int:
            old = target.spec
            self.ctx.emit(Reason.ROLLED_BACK, service,
                          f"Rolling {service} back to revision {target.revision} "
                          f"({old.image}) with the {state.spec.rollout.strategy.value} "
                          "strategy", revision=target.revision)
            self.ctx.store.write_spec(dataclasses.replace(
                state.spec, image=old.image, env=old.env, readiness_probe=old.readiness_probe,
                liveness_probe=old.liveness_probe, startup_probe=old.startup_probe,
                termination_grace_period_seconds=old.termination_grace_period_seconds),
                self.env.now)
            return target.revision

        return args, undo

    # -- planning (called inside the Deployment controller's sync) -------------------------------

    def plan(self, state: ServiceState) -> dict[str, int]:
        """How many pods each ReplicaSet of ``state`` should have now."""
        service = state.spec.name
        traffic = self.traffic
        traffic.flush(service)
        pods = [p for p in self.ctx.store.pods_of(service) if not p.terminating]
        machine = self._machine(state)
        if machine is None:
            self._publish(service, None)
            plan = self._plan_rolling(state, pods)
        else:
            obs = self._observe(state, pods)
            before = _signature(machine)

            def measure(key: str) -> Measurement:
                interval = (machine.analysis or DEFAULT_ANALYSIS).interval
                own = [p for p in pods if p.template_hash == key]
                unready = sum(not p.ready and self.env.now - p.created_at >= interval for p in own)
                requests, errors = traffic.totals(service, key)
                return Measurement(requests, errors, unready, len(own))

            notes, wakes = machine.advance(obs, measure)
            self._publish(service, machine)     # before the notes: an event sees its effect
            for note in notes:
                self.ctx.log.emit(self.env.now, note.reason, service, note.message,
                                      level=Level(note.level), **note.facts)
            for at in wakes:
                self._wake(service, at)
            plan = machine.replicas(obs)
            if _signature(machine) != before:
                self.ctx.store.changed(service)       # the traffic recomputes its rates
        self._wake_for_availability(state, pods)
        return plan

    def _publish(self, service: str, machine: CanaryRollout | BlueGreenRollout | None) -> None:
        """Write where the service's traffic goes into the store (the load balancer and the
        load model read it there)."""
        if machine is None:
            self.ctx.store.backends.pop(service, None)
        else:
            self.ctx.store.backends[service] = tuple(machine.backends())

    def _machine(self, state: ServiceState) -> CanaryRollout | BlueGreenRollout | None:
        """The service's state machine, made (or remade) when its strategy calls for one."""
        service, rollout = state.spec.name, state.spec.rollout
        machine = self._machines.get(service)
        if rollout.strategy is Strategy.ROLLING_UPDATE:
            self._machines.pop(service, None)
            return None
        if rollout.strategy is Strategy.CANARY:
            if not isinstance(machine, CanaryRollout):
                machine = CanaryRollout(rollout.steps, rollout.analysis,
                                        rollout.scale_down_delay_seconds,
                                        stable=self._serving(state))
                self._machines[service] = machine
            machine.steps, machine.analysis = rollout.steps, rollout.analysis
            machine.scale_down_delay = rollout.scale_down_delay_seconds
            return machine
        if not isinstance(machine, BlueGreenRollout):
            machine = BlueGreenRollout(active=self._serving(state))
            self._machines[service] = machine
        machine.auto_promotion_enabled = rollout.auto_promotion_enabled
        machine.auto_promotion_seconds = rollout.auto_promotion_seconds
        machine.scale_down_delay = rollout.scale_down_delay_seconds
        return machine

    def _serving(self, state: ServiceState) -> str | None:
        """When a service changes strategy: the newest ReplicaSet that still has pods."""
        busy = [rs for rs in state.replicasets.values() if rs.replicas > 0]
        return max(busy, key=lambda rs: rs.revision).template_hash if busy else None

    def _views(self, state: ServiceState, pods: list[Pod]) -> dict[str, ReplicaSetView]:
        """Every ReplicaSet of the service as the strategies see it, with its available pods
        (Ready for minReadySeconds) counted now."""
        now, min_ready = self.env.now, state.spec.min_ready_seconds
        return {rs.template_hash: ReplicaSetView(
                    rs.template_hash, rs.name, rs.revision, rs.version, rs.created_at,
                    rs.replicas, sum(p.template_hash == rs.template_hash
                                     and p.available(now, min_ready) for p in pods),
                    rs.desired_replicas, rs.max_replicas)
                for rs in state.replicasets.values()}

    def _observe(self, state: ServiceState, pods: list[Pod]) -> Observation:
        return Observation(self.env.now, state.spec.template_hash(), state.spec.replicas,
                           self._views(state, pods), state.spec.progress_deadline_seconds,
                           state.progress_since)

    def _plan_rolling(self, state: ServiceState, pods: list[Pod]) -> dict[str, int]:
        spec, now = state.spec, self.env.now
        current = spec.template_hash()
        new_rs = state.replicasets[current]
        surge = surge_and_unavailable(spec.rollout, spec.replicas)[0]
        if new_rs.replicas == spec.replicas and (new_rs.desired_replicas, new_rs.max_replicas) == (
                spec.replicas, spec.replicas + surge) and not any(
                rs.replicas for key, rs in state.replicasets.items() if key != current):
            return {key: rs.replicas for key, rs in state.replicasets.items()}   # settled
        counts = self._views(state, pods)
        new = counts[current]
        olds = [c for key, c in counts.items() if key != current]
        result, lines = plan_rolling_update(spec.replicas, spec.rollout, new, olds, len(pods))
        for key, count in result.items():
            rs = state.replicasets[key]
            rs.desired_replicas, rs.max_replicas = count.desired_annotation, count.max_annotation
        if lines and any(o.replicas > 0 for o in olds):        # a rollout, not a plain scale
            surge, unavailable = surge_and_unavailable(spec.rollout, spec.replicas)
            rule = (f"maxSurge {show_rounding(spec.rollout.max_surge, spec.replicas, surge, True)}"
                    f", maxUnavailable "
                    f"{show_rounding(spec.rollout.max_unavailable, spec.replicas, unavailable, False)}"
                    f": at most {spec.replicas + surge} pods, at least "
                    f"{spec.replicas - unavailable} available")
            moves = [f"{'new' if key == current else 'old'} {count.name} "
                     f"{counts[key].replicas} → {count.replicas}"
                     for key, count in sorted(result.items(), key=lambda kv: kv[1].age_key)
                     if count.replicas != counts[key].replicas]
            self.ctx.log.emit(now, Reason.ROLLING_UPDATE, spec.name,
                                  rule + "; " + ", ".join(moves),
                                  most=spec.replicas + surge,
                                  least=spec.replicas - unavailable)
        return {key: count.replicas for key, count in result.items()}

    def _wake_for_availability(self, state: ServiceState, pods: list[Pod]) -> None:
        """With minReadySeconds a Ready pod turns available later without any event: look
        again at that moment."""
        min_ready = state.spec.min_ready_seconds
        if min_ready <= 0:
            return
        for pod in pods:
            if pod.ready and pod.ready_since is not None:
                self._wake(state.spec.name, pod.ready_since + min_ready)

    def _wake(self, service: str, at: float) -> None:
        timers = self._timers.setdefault(service, set())
        if at <= self.env.now or at in timers:
            return
        timers.add(at)
        self.env.process(self._timer(service, at))

    def _timer(self, service: str, at: float):
        yield self.env.timeout(at - self.env.now)
        self._timers[service].discard(at)
        if service in self.ctx.store.services:
            self.enqueue(service)


def _signature(machine) -> tuple:
    """What of a machine's state the traffic and status depend on."""
    if isinstance(machine, CanaryRollout):
        return (machine.stable, machine.canary, machine.weight, machine.step,
                machine.pause_since, machine.aborted_at)
    return (machine.active, machine.preview, machine.ready_since, machine.degraded,
            machine.announced_pause)

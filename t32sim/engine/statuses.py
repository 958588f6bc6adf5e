"""Each service's status, worked out when asked and kept while it is Healthy and unchanged.

A Healthy status stays true until one of the service's objects changes (the store tells),
so the history sampler, the metrics and the snapshot read it without walking the pods
again; any other phase can change with time alone (a progress deadline), so it is
worked out anew each time.
"""
from __future__ import annotations

from typing import Callable

from t32sim.engine.context import Context
from t32sim.engine.status import Phase, RolloutInfo, ServiceStatus, service_status


class Statuses:
    """Works out each service's status when asked (``statuses(name)``), kept while Healthy."""

    def __init__(self, ctx: Context, rollout_info: Callable[[str], RolloutInfo]):
        self.ctx, self.rollout_info = ctx, rollout_info
        self._healthy: dict[str, ServiceStatus] = {}
        ctx.store.watch(lambda service: self._healthy.pop(service, None))

    def __call__(self, name: str) -> ServiceStatus:
        status = self._healthy.get(name)
        if status is None:
            store = self.ctx.store
            status = service_status(store.services[name], store.pods_of(name), self.ctx.now,
                                    self.rollout_info(name))
            if status.phase is Phase.HEALTHY:
                self._healthy[name] = status
        return status

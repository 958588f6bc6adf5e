"""The history: each service's status sampled at the end of every sampling instant.

Kept column-wise (one list per column), so the DataFrame is built from the columns at once,
without a tuple per row to unpack.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

import simpy

from t32sim.engine.columns import typed_frame

if TYPE_CHECKING:
    from t32sim.engine.load import Traffic
    from t32sim.engine.requests import LoadBalancer
    from t32sim.engine.status import ServiceStatus

COLUMNS = ["time", "service", "desired", "current", "ready", "available",
           "updated", "revision", "phase",
           # traffic and rollouts: offered rps, average CPU % of the Ready pods,
           # % of requests to a canary, routed requests and 5xx answers so far
           "rps", "cpu", "canary_weight", "requests", "errors"]
DTYPES = {"time": "float64", "service": "string", "phase": "string",
          **{c: "int64" for c in COLUMNS[2:8]},
          "rps": "float64", "cpu": "float64", "canary_weight": "int64",
          "requests": "int64", "errors": "int64"}


class LateTimeout(simpy.events.Event):
    """A timeout that fires after every ordinary event due at the same instant,
    so a sample taken then sees the instant's final state."""

    LATE = 2   # simpy's priorities: URGENT 0, NORMAL 1

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok, self._value = True, None
        env.schedule(self, self.LATE, delay)


class History:
    """Each service's status, sampled every ``interval`` seconds from time 0, by column.

    ``row(service)`` gives the columns after time and service for each of ``services()``."""

    def __init__(self, env: simpy.Environment, services: Callable[[], Iterable[str]],
                 row: Callable[[str], tuple], interval: float):
        self.env, self.services, self.row, self.interval = env, services, row, interval
        self.columns: dict[str, list] = {name: [] for name in COLUMNS}
        env.process(self._sampler())

    def __len__(self) -> int:
        return len(self.columns["time"])

    def frame(self):
        return typed_frame(self.columns, COLUMNS, {name: dtype for name, dtype in DTYPES.items()
                                                   if dtype != "string"})

    def _sampler(self):
        """Record every service's status at the end of each sampling instant."""
        yield LateTimeout(self.env, 0)
        appends = [self.columns[name].append for name in COLUMNS]
        while True:
            now = self.env.now
            for name in self.services():
                for append, value in zip(appends, (now, name, *self.row(name))):
                    append(value)
            yield LateTimeout(self.env, self.interval)


def status_row(statuses: Callable[[str], "ServiceStatus"], lb: "LoadBalancer",
               traffic: "Traffic") -> Callable[[str], tuple]:
    """``row(service)`` for ``History``: the columns after time and service, from the
    service's status, its offered load and CPU, and the requests routed to it so far."""
    def row(name: str) -> tuple:
        s = statuses(name)
        requests, errors = lb.requests_total(name)
        return (s.desired, s.current, s.ready, s.available, s.updated, s.revision,
                s.phase.value, traffic.offered_rps(name), traffic.cpu(name), s.weight,
                requests, errors)

    return row

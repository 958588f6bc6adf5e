"""A service's health as an alert manager sees it: UP, DEGRADED, DOWN or SCALED.

Two rules, both pure (``health_of``):

* **"budget"** (the default, what users feel):

  - **DOWN**: no Ready endpoint serves the service's traffic, so every request is
    answered 503 by the load balancer;
  - **DEGRADED**: fewer pods are Ready than the rollout's budget allows, that is fewer
    than ``desired - maxUnavailable`` (``min_available``). It is what Kubernetes reports
    as the Deployment condition ``Available=False`` (MinimumReplicasUnavailable);
  - **UP** otherwise: a rolling update inside its ``maxUnavailable`` budget is UP.

* **"original"**: the original system's stricter rule, DOWN as soon as fewer pods are
  Ready than desired. It pages on every rolling update that takes a pod away.

Either way, a service scaled to zero on purpose is **SCALED**, not down.

``min_available`` uses Kubernetes' arithmetic (``rollout.surge_and_unavailable``): a
percentage ``maxUnavailable`` is rounded *down* (25 % of 6 pods is 1.5, so 1 pod), and
when ``maxSurge`` and ``maxUnavailable`` are both 0, one pod may be unavailable. Every
strategy uses the spec's ``maxUnavailable`` (25 % unless set), canary and blue-green
included.
"""
from __future__ import annotations

from t32sim.engine.rollout import surge_and_unavailable
from t32sim.enums import StrEnum
from t32sim.spec import Rollout

__all__ = ["Health", "RULES", "BUDGET", "ORIGINAL", "BAD", "health_of", "min_available"]

BUDGET, ORIGINAL = "budget", "original"
RULES = (BUDGET, ORIGINAL)


class Health(StrEnum):
    """What a service looks like from the outside."""
    UP = "UP"                # serving within its budget
    DEGRADED = "DEGRADED"    # serving, but with fewer Ready pods than the budget allows
    DOWN = "DOWN"            # no Ready endpoint: users get 503 ("original": any pod short)
    SCALED = "SCALED"        # desired is 0: switched off on purpose


#: the states that are alerted as trouble (a Warning event, a mail)
BAD = frozenset({Health.DOWN, Health.DEGRADED})


def health_of(ready: int, desired: int, min_available: int | None = None,
              serving: int | None = None, rule: str = BUDGET) -> Health:
    """The health of a service with ``ready`` Ready pods of ``desired``.

    ``serving``: the Ready pods the load balancer sends traffic to (``ready`` when not
    given); ``min_available``: ``desired - maxUnavailable`` (``desired`` when not given).
    """
    if desired <= 0:
        return Health.SCALED
    if rule == ORIGINAL:
        return Health.UP if ready >= desired else Health.DOWN
    if (ready if serving is None else serving) <= 0:
        return Health.DOWN
    floor = desired if min_available is None else min_available
    return Health.UP if ready >= floor else Health.DEGRADED


def min_available(desired: int, rollout: Rollout) -> int:
    """``desired - maxUnavailable`` in pods, with the Deployment controller's rounding."""
    if desired <= 0:
        return 0
    return desired - surge_and_unavailable(rollout, desired)[1]

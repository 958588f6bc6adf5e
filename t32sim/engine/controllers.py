"""The controllers of one cluster, as the Cluster wires them: what a command's check gets.

A verb's check (``t32sim.engine.verbs``) and the metrics collector read and drive these
parts; none of them gets the Cluster itself, which stays the public face that owns the
journal.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from t32sim.engine.context import Context

if TYPE_CHECKING:
    from t32sim.engine.alerts import AlertManager
    from t32sim.engine.deployment import DeploymentController
    from t32sim.engine.kubelet import Kubelet
    from t32sim.engine.load import Traffic
    from t32sim.engine.requests import LoadBalancer
    from t32sim.engine.rollout import RolloutController
    from t32sim.engine.statuses import Statuses


@dataclass(frozen=True)
class Controllers:
    ctx: Context
    kubelet: "Kubelet"
    deployments: "DeploymentController"
    traffic: "Traffic"
    rollouts: "RolloutController"
    lb: "LoadBalancer"
    statuses: "Statuses"
    alerts: "AlertManager"

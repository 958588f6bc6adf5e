"""The engine's wiring is read from a live cluster (t32sim/observe/architecture.py)."""
from __future__ import annotations

import t32sim as t3
from t32sim.observe.architecture import FACADE, wiring


class Extra:
    """A made-up controller that reads the store through the facade and watches it."""

    def __init__(self, cluster):
        self.cluster = cluster
        cluster.store.watch(self.changed)

    def changed(self, service):
        return self.cluster.store.pods_of(service)


Extra.__module__ = "t32sim.engine.extra"      # as if the engine had it


class Owning:
    """A made-up component that holds the kubelet directly."""

    def __init__(self, kubelet):
        self.kubelet = kubelet


Owning.__module__ = "t32sim.engine.owning"


def test_every_component_the_facade_holds_is_found_with_its_summary():
    c = t3.Cluster(seed=0)
    found = wiring(c)
    for component in found.components:
        held = getattr(c, component.attribute)
        assert type(held).__name__ == component.name
        assert type(held).__module__ == component.module
        assert component.summary and "\n" not in component.summary
    assert {"Store", "EventLog", "Kubelet", "DeploymentController", "Autoscaler",
            "AlertManager", "LoadBalancer"} <= set(found.names())


def test_a_component_added_to_the_facade_appears_with_its_links():
    c = t3.Cluster(seed=0)
    c.extra = Extra(c)
    c.owning = Owning(c.kubelet)
    found = wiring(c)
    assert found.names()[-2:] == ["Extra", "Owning"]
    assert ("Extra", "Store") in found.links_of("uses")
    assert ("Extra", "Store") in found.links_of("watches")
    assert ("Owning", "Kubelet") in found.links_of("uses")


def test_a_component_removed_from_the_facade_disappears_with_its_links():
    c = t3.Cluster(seed=0)
    del c.alerts
    found = wiring(c)
    assert "AlertManager" not in found.names()
    assert all("AlertManager" not in (link.source, link.target) for link in found.links)


def test_the_links_are_what_the_code_does():
    found = wiring()
    uses, watches = found.links_of("uses"), found.links_of("watches")
    # the kubelet writes observed pods to the store; the controllers watch it for changes
    assert ("Kubelet", "Store") in uses
    assert ("DeploymentController", "Store") in watches
    assert all(target == "Store" or source == FACADE for source, target in watches)
    assert all(source != FACADE for source, _ in uses)
    assert not any(source == target for source, target in uses)


def test_the_wiring_is_the_same_every_time():
    assert wiring() == wiring()


def test_a_function_a_component_is_handed_links_it_to_what_the_function_calls():
    uses = wiring().links_of("uses")
    # lambda state: self.rollouts.plan(state): the plan comes from the rollout controller
    assert ("DeploymentController", "RolloutController") in uses
    assert ("Statuses", "RolloutController") in uses          # the bound rollouts.info
    # the cluster's own _command: the alert manager's and load balancer's journaled commands
    # ... and only they call back (chapter 00 says so)
    assert {source for source, target in uses if target == FACADE} == {"AlertManager",
                                                                        "LoadBalancer"}
    # status_row(statuses, lb, traffic): a closure over the parts it reads, not the facade
    assert {target for source, target in uses if source == "History"} == {
        "Store", "Statuses", "LoadBalancer", "Traffic"}

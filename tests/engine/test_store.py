"""The store: the one place a service's desired spec is written (t32sim/engine/store.py)."""
from __future__ import annotations

import dataclasses

from t32sim.engine.store import Store
from t32sim.spec import ServiceSpec


def spec(replicas=3) -> ServiceSpec:
    return ServiceSpec(name="api", image="local://demo@v1", replicas=replicas)


def test_write_spec_creates_the_service_restarts_its_progress_clock_and_tells_the_watchers():
    store, told = Store(), []
    store.watch(lambda service: told.append((service, store.services[service].spec.replicas,
                                             store.services[service].progress_since)))
    state = store.write_spec(spec(), now=5.0)
    assert (state.created_at, state.progress_since, state.spec) == (5.0, 5.0, spec())
    assert store.services == {"api": state}
    again = store.write_spec(dataclasses.replace(spec(), replicas=4), now=9.0)
    assert again is state and (state.created_at, state.progress_since) == (5.0, 9.0)
    # each watcher sees the new spec and the restarted clock, not the old ones
    assert told == [("api", 3, 5.0), ("api", 4, 9.0)]


def test_progressed_moves_only_the_progress_clock():
    store, told = Store(), []
    store.write_spec(spec(), now=0.0)
    store.watch(told.append)
    store.progressed("api", 12.5)
    assert (store.services["api"].progress_since, store.services["api"].created_at) == (12.5, 0.0)
    assert told == []            # the pod change that made the progress tells the watchers

"""The architecture diagram draws the wiring, and fails loudly when the layout falls
behind the code (t32sim/observe/diagram.py)."""
from __future__ import annotations

import t32sim as t3
from t32sim.observe import plots
from t32sim.observe.architecture import FACADE, wiring
from t32sim.observe.diagram import LAYOUT, unplaced
from tests.observe.test_architecture import Extra


def boxes(figure):
    return [p.get_gid() for p in figure.axes[0].patches if p.get_gid()]


def arrows(figure):
    return sorted(t.get_gid() for t in figure.axes[0].texts
                  if t.get_gid() and not t.get_gid().startswith("label:"))


def test_every_component_the_engine_wires_has_a_place_and_no_place_is_stale():
    found = wiring()
    assert unplaced(found) == [], "add these components to LAYOUT in t32sim/observe/diagram.py"
    assert sorted(set(LAYOUT) - {FACADE}) == sorted(found.names()), \
        "LAYOUT places components the engine no longer wires"


def test_the_diagram_draws_a_box_per_component_and_an_arrow_per_link():
    c = t3.Cluster(seed=0)
    found = wiring(c)
    figure = plots.architecture(c)
    assert boxes(figure) == [FACADE, *found.names()]
    assert arrows(figure) == sorted(f"{l.kind}:{l.source}->{l.target}" for l in found.links)
    labels = {t.get_gid(): t.get_text() for t in figure.axes[0].texts
              if (t.get_gid() or "").startswith("label:")}
    assert labels["label:Autoscaler"].startswith("HPA")
    assert labels["label:LoadBalancer"].startswith("Load balancer")


def test_a_new_component_is_drawn_as_not_placed_yet():
    c = t3.Cluster(seed=0)
    c.extra = Extra(c)
    assert unplaced(wiring(c)) == ["Extra"]
    figure = plots.architecture(c)
    (box,) = [p for p in figure.axes[0].patches if p.get_gid() == "Extra"]
    assert box.get_hatch() == "//"
    assert "uses:Extra->Store" in arrows(figure) and "watches:Extra->Store" in arrows(figure)
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "not placed yet" in legend


def test_a_removed_component_is_not_drawn():
    c = t3.Cluster(seed=0)
    del c.alerts
    figure = plots.architecture(c)
    assert "AlertManager" not in boxes(figure)
    assert not [a for a in arrows(figure) if "AlertManager" in a]

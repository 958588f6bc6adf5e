"""The Prometheus text writer: byte for byte what prometheus_client writes
(t32sim/engine/exposition.py)."""
from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.utils import floatToGoString

from t32sim.engine.exposition import Family, format_text, go_float


@pytest.mark.parametrize("value", [0.0, 3.0, 0.5, 0.1 + 0.2, 123456.0, 1234567.0, 12345678.0,
                                   1e16, 2.5e-7, -3.0, -12345678.0, float("inf"),
                                   float("-inf"), float("nan")])
def test_go_float_writes_numbers_as_prometheus_does(value):
    assert go_float(value) == floatToGoString(value)


def test_label_values_and_help_are_escaped_like_generate_latest():
    families = [Family("t32sim_odd", "gauge", 'help with \\ and\nnewline', ("b", "a"),
                       [(('quote " here', "back\\slash\nline"), 1.5), (("", "x"), 2.0)]),
                Family("t32sim_none", "counter", "no labels", (), [((), 7.0)])]

    class Fixed:
        def collect(self):
            return [f.to_metric() for f in families]

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Fixed())
    assert format_text(families) == generate_latest(registry).decode()
    assert 'b="quote \\" here"' in format_text(families)

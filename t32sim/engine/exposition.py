"""Prometheus metric families and the text format 0.0.4, written directly.

A ``Family`` is one metric with its rows; ``format_text`` writes families byte for byte as
``prometheus_client.generate_latest`` would (a test checks this), several times faster,
because it skips building a ``Sample`` object and re-validating every label name for each
of thousands of series. ``ClusterRegistry`` is a real ``CollectorRegistry`` whose own
collector is written this way and any other registered collector by ``generate_latest``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Iterable, Protocol

from prometheus_client import generate_latest
from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily, Metric)
from prometheus_client.registry import Collector, CollectorRegistry

__all__ = ["PREFIX", "Family", "gauge", "counter", "go_float", "sample_lines", "exposed",
           "format_text", "FamiliesCollector", "ClusterRegistry", "exposition"]

PREFIX = "t32sim_"


@dataclass
class Family:
    """One metric: ``rows`` are ``(label values, value)``; for a histogram
    ``(label values, [(le, cumulative count)], sum)``."""
    name: str                      # with the prefix; counters without "_total"
    kind: str                      # "gauge", "counter" or "histogram"
    help: str
    labels: tuple[str, ...]
    rows: list = field(default_factory=list)
    text: str | None = None        # the rows' exposition lines, when already written

    def to_metric(self) -> Metric:
        """The same family as a ``prometheus_client`` object."""
        if self.kind == "histogram":
            metric = HistogramMetricFamily(self.name, self.help, labels=list(self.labels))
            for values, buckets, total in self.rows:
                metric.add_metric(list(values), buckets, total)
            return metric
        cls = GaugeMetricFamily if self.kind == "gauge" else CounterMetricFamily
        metric = cls(self.name, self.help, labels=list(self.labels))
        for values, value in self.rows:
            metric.add_metric(list(values), value)
        return metric



def gauge(name: str, text: str, labels: tuple[str, ...], rows) -> Family:
    return Family(PREFIX + name, "gauge", text, labels, list(rows))


def counter(name: str, text: str, labels: tuple[str, ...], rows) -> Family:
    return Family(PREFIX + name, "counter", text, labels, list(rows))



# -- the text format 0.0.4 -----------------------------------------------------------------

def go_float(value: float) -> str:
    """A sample value as Prometheus (Go) writes it: ``3.0``, ``+Inf``, ``1.234567e+06``."""
    value = float(value)
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    dot = text.find(".")
    if value > 0 and dot > 6:          # Go uses an exponent from 1e+07 on (>7 integer digits)
        digits = text[:dot] + text[dot + 1:]
        mantissa = (digits[0] + "." + digits[1:]).rstrip("0").rstrip(".")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


def _label_value(text: str) -> str:
    if "\\" in text or '"' in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return text


#: the text of the sample values that occur most (0 and 1 of every gauge of a state)
_VALUE_TEXT = {0.0: "0.0", 1.0: "1.0"}


def _label_sets(names: tuple[str, ...], rows_values) -> list[str]:
    """``{a="x",b="y"}`` per row, labels sorted by name as the exposition requires."""
    if not names:
        return ["" for _ in rows_values]
    order = sorted(range(len(names)), key=lambda i: names[i])
    template = "{" + ",".join(f'{names[i]}="%s"' for i in order) + "}"
    pick = itemgetter(*order) if len(order) > 1 else (lambda values: (values[order[0]],))
    out = []
    for values in rows_values:
        picked = pick(values)
        joined = "".join(picked)
        if "\\" in joined or '"' in joined or "\n" in joined:
            picked = tuple(_label_value(v) for v in picked)
        out.append(template % picked)
    return out


def exposed(name: str, kind: str) -> str:
    return name + ("_total" if kind == "counter" else "")


def sample_lines(name: str, labels: tuple[str, ...], rows) -> str:
    """The exposition lines of a gauge's or counter's ``rows``."""
    known = _VALUE_TEXT.get
    label_sets = _label_sets(labels, [values for values, _ in rows])
    return "".join([f"{name}{label} {known(value) or go_float(value)}\n"
                    for label, (_, value) in zip(label_sets, rows)])


def format_text(families: Iterable[Family]) -> str:
    """Families in the Prometheus text format 0.0.4 (what ``generate_latest`` writes)."""
    lines: list[str] = []
    for family in families:
        name = exposed(family.name, family.kind)
        help_text = family.help.replace("\\", "\\\\").replace("\n", "\\n")
        lines.append(f"# HELP {name} {help_text}\n# TYPE {name} {family.kind}\n")
        if family.kind == "histogram":
            _histogram_lines(family, lines)
        elif family.text is not None:
            lines.append(family.text)
        else:
            lines.append(sample_lines(name, family.labels, family.rows))
    return "".join(lines)


def _histogram_lines(family: Family, lines: list[str]) -> None:
    names = family.labels + ("le",)
    for values, buckets, total in family.rows:
        bucket_labels = _label_sets(names, [tuple(values) + (le,) for le, _ in buckets])
        plain = _label_sets(family.labels, [values])[0]
        lines.extend(f"{family.name}_bucket{label} {go_float(count)}\n"
                     for label, (_, count) in zip(bucket_labels, buckets))
        lines.append(f"{family.name}_count{plain} {go_float(buckets[-1][1])}\n")
        lines.append(f"{family.name}_sum{plain} {go_float(total)}\n")


# -- the registry --------------------------------------------------------------------------


# -- the registry --------------------------------------------------------------------------

class FamiliesCollector(Collector, Protocol):
    """A collector that can also hand over its families (for the fast writer)."""

    def families(self) -> list[Family]: ...


class ClusterRegistry(CollectorRegistry):
    """A registry holding the cluster's collector (and whatever else is registered)."""

    def __init__(self, collector: "FamiliesCollector"):
        super().__init__(auto_describe=False)
        self.collector = collector
        self._others: list[Collector] = []
        super().register(self.collector)

    def register(self, collector: Collector) -> None:
        super().register(collector)
        self._others.append(collector)

    def unregister(self, collector: Collector) -> None:
        super().unregister(collector)
        if collector in self._others:
            self._others.remove(collector)

    def text(self) -> str:
        """The exposition text: the fast writer for the cluster's own metrics, then
        ``generate_latest`` for any other collector registered here."""
        text = format_text(self.collector.families())
        if self._others:
            extra = CollectorRegistry(auto_describe=False)
            for collector in self._others:
                extra.register(collector)
            text += generate_latest(extra).decode("utf-8")
        return text


def exposition(registry: CollectorRegistry) -> str:
    """The registry in the Prometheus text format (version 0.0.4)."""
    if isinstance(registry, ClusterRegistry):
        return registry.text()
    return generate_latest(registry).decode("utf-8")

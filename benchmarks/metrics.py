"""Metrics benchmark: one Prometheus scrape of a 1,000-pod cluster, against a bare
prometheus_client registry exposing the same series, in one run.

10 services x 100 Ready pods, with some load-balanced requests when the engine has a
load balancer. The baseline is what an exporter would do with plain instruments:
Gauge / Counter / Histogram objects already holding exactly the same samples, so only
``generate_latest`` runs. t32sim's collector reads the whole cluster on every scrape and
then writes the text format itself (byte-identical to ``generate_latest``, checked in
tests/engine/test_metrics.py); the target is under 20 ms per scrape. Prints the median of
repeated scrapes for both, the sample count and the ratio.

    .venv/bin/python benchmarks/metrics.py
"""
from __future__ import annotations

import statistics
import time

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram,
                               disable_created_metrics, generate_latest)
from prometheus_client.parser import text_string_to_metric_families

import t32sim as t3
from t32sim.engine.metrics import LATENCY_BUCKETS

SERVICES, PODS, REPEAT, TARGET_MS = 10, 100, 50, 20.0


def big_cluster() -> t3.Cluster:
    cluster = t3.Cluster(seed=1)
    for i in range(SERVICES):
        cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc{i}"},
                       "spec": {"image": "local://demo@v1", "replicas": PODS,
                                "readinessProbe": {"httpGet": {"path": "/healthz"},
                                                   "periodSeconds": 10}}})
    cluster.run(until=60)
    assert sum(cluster.service(f"svc{i}").status.ready for i in range(SERVICES)) == SERVICES * PODS
    if hasattr(cluster, "send"):               # routed requests, when the engine has an LB
        for i in range(SERVICES):
            cluster.send(f"svc{i}", count=1000)
    cluster.metrics_text()                     # the first scrape reads the event log once
    return cluster


def bare_registry(text: str) -> CollectorRegistry:
    """Plain prometheus_client instruments holding the same samples as ``text`` (without
    the ``_created`` series, which t32sim does not expose either)."""
    disable_created_metrics()
    registry = CollectorRegistry()
    for family in text_string_to_metric_families(text):
        labels = sorted({k for s in family.samples for k in s.labels if k != "le"})
        if family.type == "histogram":
            metric = Histogram(family.name, family.documentation, labels, registry=registry,
                               buckets=LATENCY_BUCKETS)
            for sample in family.samples:
                if sample.name.endswith("_count"):
                    child = metric.labels(**sample.labels) if labels else metric
                    for _ in range(min(int(sample.value), 1)):
                        child.observe(0.01)
        elif family.type == "counter":
            metric = Counter(family.name, family.documentation, labels, registry=registry)
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    (metric.labels(**sample.labels) if labels else metric).inc(sample.value)
        else:
            metric = Gauge(family.name, family.documentation, labels, registry=registry)
            for sample in family.samples:
                (metric.labels(**sample.labels) if labels else metric).set(sample.value)
    return registry


def median_ms(scrape) -> float:
    timings = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        scrape()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    cluster = big_cluster()
    text = cluster.metrics_text()
    samples = sum(len(f.samples) for f in text_string_to_metric_families(text))
    baseline = bare_registry(text)
    ours = median_ms(cluster.metrics_text)
    bare = median_ms(lambda: generate_latest(baseline))
    print(f"pods: {len(cluster.pods())}, samples per scrape: {samples}, "
          f"exposition: {len(text.encode()) / 1024:.0f} KiB")
    print(f"t32sim metrics_text():            {ours:7.2f} ms (median of {REPEAT})")
    print(f"bare prometheus_client baseline:  {bare:7.2f} ms (same series, plain instruments)")
    print(f"ratio t32sim / baseline:          {ours / bare:7.2f}x")
    print(f"target < {TARGET_MS:g} ms:                  {'met' if ours < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()

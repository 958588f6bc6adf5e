"""Prometheus metrics: a scrape parsed by prometheus_client equals the cluster's own numbers
(t32sim/engine/metrics.py)."""
from __future__ import annotations

from collections import Counter

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

import t32sim as t3
from t32sim.engine import latency
from t32sim.engine.histogram import bucket_index, histogram_quantile
from t32sim.engine.metrics import LATENCY_BUCKETS, _LatencyHistogram

CRASHING = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "image": "local://demo@crash"}}


def scrape(cluster) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label items: value}} of one scrape, and check types/help."""
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(cluster.metrics_text()):
        assert family.name.startswith(("t32sim_", "kube_pod_")) and family.documentation
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def by(samples, name, *keys):
    """``{label values: value}`` for one sample name."""
    return {tuple(dict(labels)[k] for k in keys): value for labels, value in samples[name].items()}


@pytest.fixture
def scenario(examples):
    """api-v1 with a chaos kill, and a crash-looping web service with one pod killed."""
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.apply(CRASHING)
    c.run(until=60)
    c.kill("api", count=1)
    c.kill("web", count=1)          # its restarts must still count after it is gone
    c.run(until=125)
    return c


def test_service_numbers_equal_the_status(scenario):
    samples = scrape(scenario)
    for name in ("api", "web"):
        status = scenario.service(name).status
        for key in ("desired", "current", "ready", "available", "updated"):
            assert by(samples, f"t32sim_service_{key}_replicas", "service")[(name,)] == \
                getattr(status, key), (name, key)
        assert by(samples, "t32sim_service_revision", "service")[(name,)] == status.revision
        phases = by(samples, "t32sim_rollout_phase", "service", "phase")
        assert {p for (s, p), v in phases.items() if s == name and v == 1} == {status.phase.value}
    assert by(samples, "t32sim_service_up", "service") == {("api",): 1.0, ("web",): 0.0}
    assert samples["t32sim_simulated_time_seconds"][()] == 125.0


def test_pods_by_phase_equal_the_pods(scenario):
    samples = scrape(scenario)
    pods = by(samples, "t32sim_pods", "service", "phase")
    for name in ("api", "web"):
        expected = Counter(p.phase.value for p in scenario.pods(name))
        got = {phase: v for (s, phase), v in pods.items() if s == name}
        assert set(got) == {p.value for p in t3.PodPhase}           # every phase, 0 included
        assert {k: v for k, v in got.items() if v} == dict(expected)
    assert sum(pods.values()) == len(scenario.pods())


def test_pods_in_kube_state_metrics_shape(scenario):
    samples = scrape(scenario)
    pods = {p.name: p for p in scenario.pods()}
    phase = by(samples, "kube_pod_status_phase", "namespace", "pod", "phase")
    assert phase == {("default", name, ph.value): float(p.phase is ph)
                     for name, p in pods.items() for ph in t3.PodPhase}     # five per pod
    ready = by(samples, "kube_pod_status_ready", "pod", "condition")
    assert ready == {(name, c): float(c == ("true" if p.ready else "false"))
                     for name, p in pods.items() for c in ("true", "false", "unknown")}
    waiting = by(samples, "kube_pod_container_status_waiting_reason", "pod", "container",
                 "reason")
    assert waiting == {(name, p.service, p.waiting_reason.value): 1.0
                       for name, p in pods.items() if p.waiting_reason is not None}
    assert {reason for (_, service, reason) in waiting if service == "web"} == {
        "CrashLoopBackOff"}                                   # not a phase, a waiting reason
    restarts = by(samples, "kube_pod_container_status_restarts_total", "pod")
    assert restarts == {(name,): float(p.restarts) for name, p in pods.items()}
    assert by(samples, "kube_pod_owner", "pod", "owner_name") == {
        (name, f"{p.service}-{p.template_hash}"): 1.0 for name, p in pods.items()}


def test_a_deleted_pod_has_a_deletion_timestamp_until_it_is_gone(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=30)
    [victim] = c.kill("api", count=1)
    c.run(until=30.5)
    assert by(scrape(c), "kube_pod_deletion_timestamp", "pod") == {(victim,): 30.0}
    c.run(until=32)
    assert "kube_pod_deletion_timestamp" not in scrape(c)
    assert not any(pod == victim for (pod,) in by(scrape(c), "kube_pod_created", "pod"))


def test_restarts_per_pod_and_per_service_including_pods_that_are_gone(scenario):
    samples = scrape(scenario)
    per_pod = by(samples, "t32sim_pod_container_restarts_total", "pod", "revision", "version")
    assert per_pod == {(p.name, str(p.revision), p.version): p.restarts for p in scenario.pods()}
    restarted = Counter(e.service for e in scenario.event_log
                        if e.reason is t3.Reason.STARTED and e.message.startswith("Restarted"))
    totals = by(samples, "t32sim_container_restarts_total", "service")
    assert totals == {("api",): 0.0, ("web",): restarted["web"]}
    gone = [p for p in scenario.store.pod_archive.values()
            if p.service == "web" and p.name not in scenario.store.pods]
    assert gone and gone[0].restarts > 0                    # the killed pod had restarted
    assert totals[("web",)] == sum(p.restarts for p in scenario.pods("web")) + gone[0].restarts


def test_events_total_by_service_level_and_reason_equal_the_event_log(scenario):
    samples = scrape(scenario)
    expected = scenario.events.groupby(["service", "level", "reason"]).size()
    assert by(samples, "t32sim_events_total", "service", "level", "reason") == \
        {key: float(n) for key, n in expected.items()}


def test_counters_only_grow_between_scrapes(scenario):
    first = scrape(scenario)["t32sim_events_total"]
    scenario.kill("api", count=2)
    scenario.run_for(30)
    second = scrape(scenario)["t32sim_events_total"]
    assert all(second[key] >= value for key, value in first.items())
    assert sum(second.values()) == len(scenario.event_log) > sum(first.values())


def test_alert_metrics_follow_the_alert_manager(examples):
    c = t3.Cluster(seed=7)
    c.alerts.configure(confirm_down_seconds=2, confirm_up_seconds=2)
    c.apply(examples / "api-v1.yaml")
    c.run(until=60)
    c.kill("api", count=3)
    c.run(until=63)
    samples = scrape(c)
    assert by(samples, "t32sim_alert_state", "state") == {
        ("UP",): 0.0, ("DEGRADED",): 0.0, ("DOWN",): 1.0, ("SCALED",): 0.0}
    assert by(samples, "t32sim_alerts_total", "kind") == {("DOWN",): 1.0}
    c.run(until=100)
    assert by(scrape(c), "t32sim_alerts_total", "kind") == {("DOWN",): 1.0, ("UP",): 1.0}


def test_each_cluster_has_its_own_registry(examples):
    a, b = t3.Cluster(seed=1), t3.Cluster(seed=2)
    a.apply(examples / "api-v1.yaml")
    a.run(until=10)
    assert a.registry is not b.registry
    assert 'service="api"' in a.metrics_text() and 'service="api"' not in b.metrics_text()
    assert b"t32sim_" not in generate_latest(REGISTRY)


def test_latency_histogram_buckets_are_cumulative():
    hist = _LatencyHistogram()
    for seconds in (0.004, 0.02, 0.02, 0.3, 20.0):
        hist.observe(seconds)
    buckets = dict(hist.buckets())
    assert buckets["0.005"] == 1 and buckets["0.025"] == 3 and buckets["0.5"] == 4
    assert buckets["10.0"] == 4 and buckets["+Inf"] == 5
    assert list(buckets)[:-1] == [repr(float(b)) for b in LATENCY_BUCKETS]
    assert hist.sum == pytest.approx(20.344)


# -- traffic, autoscaler, rollouts -----------------------------------------------------------

AUTOSCALED = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
              "spec": {"replicas": 3, "image": "local://demo@v1",
                       "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2},
                       "autoscale": {"targetCPU": 60, "min": 2, "max": 10}}}


@pytest.fixture
def loaded():
    """An autoscaled service under 90 % CPU, with batched and single requests."""
    c = t3.Cluster(seed=7)
    c.apply(AUTOSCALED)
    c.run(until=30)
    c.set_load("api", cpu=90)
    c.run(until=120)
    for _ in range(5):
        c.send("api", count=200)
        c.run_for(5)
    for _ in range(10):
        c.request("api")
    c.scale("api", replicas=0)          # some requests find no pod: 503s
    c.run_for(1)
    c.send("api", count=7)
    return c


def test_hpa_metrics_equal_the_autoscaler_status(loaded):
    samples = scrape(loaded)
    hpa = loaded.autoscaler.status("api")
    assert hpa is not None and hpa.desired_replicas > 3
    assert by(samples, "t32sim_hpa_current_replicas", "service") == {("api",): hpa.current_replicas}
    assert by(samples, "t32sim_hpa_desired_replicas", "service") == {("api",): hpa.desired_replicas}
    assert by(samples, "t32sim_hpa_cpu_utilization_ratio", "service") == \
        {("api",): pytest.approx(hpa.current_cpu / 100)}
    assert by(samples, "t32sim_hpa_target_cpu_utilization_ratio", "service") == {("api",): 0.6}
    assert (by(samples, "t32sim_hpa_min_replicas", "service"),
            by(samples, "t32sim_hpa_max_replicas", "service")) == ({("api",): 2.0}, {("api",): 10.0})
    assert by(samples, "t32sim_service_offered_load_requests_per_second", "service") == \
        {("api",): loaded.traffic.offered_rps("api")}


def test_lb_requests_by_pod_version_and_code_equal_the_requests_frame(loaded):
    samples = scrape(loaded)
    frame = loaded.requests
    expected = (frame.assign(pod=frame["pod"].fillna(""), version=frame["version"].fillna(""))
                .groupby(["service", "pod", "version", "status"])["count"].sum())
    got = by(samples, "t32sim_lb_requests_total", "service", "pod", "version", "code")
    assert got == {(s, p, v, str(code)): float(n) for (s, p, v, code), n in expected.items()}
    assert got[("api", "", "", "503")] == 7.0
    assert sum(got.values()) == 1017.0


def test_latency_histogram_in_simulated_seconds_equals_the_requests(loaded):
    samples = scrape(loaded)
    served = loaded.requests.dropna(subset=["pod"])
    count = by(samples, "t32sim_request_duration_seconds_count", "service", "version")
    total = by(samples, "t32sim_request_duration_seconds_sum", "service", "version")
    assert count == {("api", "v1"): float(served["count"].sum())} == {("api", "v1"): 1010.0}
    assert total[("api", "v1")] == pytest.approx((served["latency"] * served["count"]).sum())
    # per bucket: a send batch's drawn counts, a single request's own latency
    expected = [0] * (len(LATENCY_BUCKETS) + 1)
    for sample in loaded.lb.latency_samples():
        if sample.buckets is None:
            expected[bucket_index(sample.seconds)] += sample.count
        else:
            expected = [a + b for a, b in zip(expected, sample.buckets)]
    assert sum(expected) == 1010 and tuple(expected) == loaded.lb.latency_counts("api")
    buckets = by(samples, "t32sim_request_duration_seconds_bucket", "le")
    assert list(buckets.values()) == [float(sum(expected[:i + 1])) for i in range(len(expected))]
    assert sum(n > 0 for n in expected) >= 3          # a spread, not one bar


def test_histogram_quantile_of_a_big_send_finds_the_images_distribution(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")                 # v1: 20 ms mean, sigma 0.5
    c.run(until=30)
    c.send("api", count=100_000)
    counts = c.lb.latency_counts("api")
    for q in (0.5, 0.9, 0.99):
        exact = latency.quantile(q, 0.020, 0.5)
        found = histogram_quantile(q, counts)
        # the same bucket as the exact quantile (interpolation is linear inside it)
        assert bucket_index(found) == bucket_index(exact), q
    # ... and biased by it: 18.9 ms for an exact median of 17.6 ms, 63 ms for 56 ms
    assert histogram_quantile(0.5, counts) == pytest.approx(0.0189, abs=0.0005)
    assert histogram_quantile(0.99, counts) == pytest.approx(0.063, abs=0.002)
    assert sum(counts) == 100_000 and sum(n > 0 for n in counts) == 7


def test_canary_weight_and_rollout_phase_follow_the_rollout(examples):
    c = t3.Cluster(seed=7)
    c.apply(examples / "api-v1.yaml")
    c.run(until=30)
    c.apply(examples / "api-canary.yaml")
    seen = []
    for t in range(31, 92, 3):
        c.run(until=t)
        samples = scrape(c)
        status = c.service("api").status
        weight = by(samples, "t32sim_rollout_canary_weight_ratio", "service")[("api",)]
        phase = {p for (p,), v in by(samples, "t32sim_rollout_phase", "phase").items() if v}
        assert weight == status.weight / 100 and phase == {status.phase.value}
        seen.append((weight, status.phase.value))
    assert (0.25, "Paused") in seen and (0.5, "Paused") in seen and seen[-1] == (0.0, "Healthy")


# -- the text writer -------------------------------------------------------------------------

def test_metrics_text_is_byte_for_byte_what_generate_latest_writes(loaded):
    assert loaded.metrics_text() == generate_latest(loaded.registry).decode()
    loaded.run_for(100)
    assert loaded.metrics_text() == generate_latest(loaded.registry).decode()


def test_other_collectors_in_the_cluster_registry_are_exposed_too(examples):
    from prometheus_client import Gauge
    c = t3.Cluster(seed=7)
    extra = Gauge("classroom_students", "Students watching.", registry=c.registry)
    extra.set(23)
    text = c.metrics_text()
    assert text.endswith("# HELP classroom_students Students watching.\n"
                         "# TYPE classroom_students gauge\nclassroom_students 23.0\n")
    assert text == generate_latest(c.registry).decode()
    c.registry.unregister(extra)
    assert "classroom_students" not in c.metrics_text()

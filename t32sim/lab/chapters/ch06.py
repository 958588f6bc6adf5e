"""Chapter 06 · Observability: the exercises and the closing quiz.

Every check asks the engine: a rolling update for the budget, the original rule for its
alerts, a student's alert rule added to simulated incidents, the scraped histogram for
``histogram_quantile``, and a fixed spec rolled out for real."""
from __future__ import annotations

from typing import Any, Callable

import t32sim as t3
from t32sim.engine.histogram import histogram_quantile
from t32sim.lab.exercise import choice, exercise, right, wrong
from t32sim.spec import SpecError, load_spec

__all__ = ["web", "rolling_update", "fewest_ready", "health_alerts", "incident",
           "latency_sent", "BROKEN_API", "roll_out"]

HEALTH = {"ServiceDown", "ServiceDegraded", "ServiceUp", "ServiceScaledToZero"}


def web(image: str, replicas: int = 8) -> dict:
    """``web``: RollingUpdate with maxSurge 0 and maxUnavailable 25 % (2 of 8 pods)."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "image": image,
                     "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2},
                     "rollout": {"strategy": "RollingUpdate", "maxSurge": 0,
                                 "maxUnavailable": "25%"}}}


def rolling_update(rule: str | None = None) -> tuple["t3.Cluster", list[int]]:
    """web v1 -> slow (new pods need ~10 s to be Ready) from t = 60 s; returns the cluster
    and the Ready pods at every second until t = 200 s."""
    c = t3.Cluster(seed=7)
    if rule is not None:
        c.alerts.configure(rule=rule)
    c.apply(web("local://demo@v1"))
    c.run(until=60)
    c.apply(web("local://demo@slow"))
    ready = []
    for t in range(61, 201):
        c.run(until=t)
        ready.append(c.alerts.observe("web")["ready"])
    return c, ready


def fewest_ready() -> int:
    return min(rolling_update()[1])


def health_alerts(cluster: "t3.Cluster") -> list[tuple[float, str]]:
    return [(e.time, e.reason.value) for e in cluster.event_log if e.reason.value in HEALTH]


@exercise("06.1", "web has 8 pods, maxSurge 0 and maxUnavailable 25 %. During its rolling "
                  "update to the slow image, what is the fewest Ready pods it has?",
          accepts=int)
def predict_the_budget(answer: int):
    fewest = fewest_ready()
    if answer == fewest:
        return right(f"{fewest}: 25 % of 8 is 2 pods that may be unavailable, so the rollout "
                     f"keeps 8 − 2 = {fewest} Ready, and the default rule calls that UP.")
    if answer == 2:
        return wrong("2 is how many pods may be unavailable; the question is how many stay "
                     "Ready.")
    if answer in (7, 8):
        return wrong("with maxSurge 0 the rollout makes room first: it stops old pods before "
                     "new ones are Ready. How many may it stop at once?")
    return wrong("maxUnavailable is a share of the desired pods, rounded down; the rollout "
                 "never goes below desired − maxUnavailable.")


@exercise("06.2", "The same rolling update, with c.alerts.configure(rule=\"original\"): how "
                  "many alerts does it send?", accepts=int)
def original_rule_alerts(answer: int):
    c, _ = rolling_update("original")
    sent = health_alerts(c)
    if answer == len(sent):
        kinds = " and ".join(f"{reason} at t={t:g} s" for t, reason in sent)
        return right(f"{len(sent)}: {kinds}. The original rule calls 6 of 8 DOWN, and the "
                     "rollout stays there longer than the 10 s window; no user got a 503.")
    if answer == 0:
        return wrong("0 is the default rule's answer; the original rule is stricter: any pod "
                     "short is DOWN.")
    if answer == 1:
        return wrong("a DOWN alert is followed by another when the service is back.")
    return wrong("count the DOWN and UP alerts: each short dip is inside the 10 s "
                 "confirmation window, the longest one is not.")


def incident(condition: Callable, scenario: str) -> "t3.Cluster":
    """``condition`` as rule "Errors" (for 10 s) on api (4 pods, 50 requests/s, a steady
    1 % of errors) in one of three scenarios: "calm", "rollout" (to the slow image,
    maxUnavailable 25 %) and "incident" (20 % more errors from t = 60 to t = 150 s)."""
    spec = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
            "spec": {"replicas": 4, "image": "local://demo@v1",
                     "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2},
                     "rollout": {"strategy": "RollingUpdate", "maxSurge": 0,
                                 "maxUnavailable": "25%"}}}
    c = t3.Cluster(seed=11)
    c.apply(spec)
    c.run(until=30)
    c.set_load("api", rps=50)
    c.inject("api", error_rate=0.01)
    c.alerts.add_rule("Errors", condition, for_seconds=10, severity="critical")
    c.run(until=60)
    if scenario == "rollout":
        c.apply({**spec, "spec": {**spec["spec"], "image": "local://demo@slow"}})
    elif scenario == "incident":
        c.inject("api", error_rate=0.2)
    for t in range(65, 151, 5):
        c.run(until=t)
        c.send("api", 100)
    c.inject("api", error_rate=0.01)
    c.run(until=240)
    return c


def firing(cluster: "t3.Cluster") -> list[float]:
    return [a.time for a in cluster.alerts.alerts if getattr(a, "kind", "") == "FIRING"]


@exercise("06.3", "Write condition(obs) for a symptom alert on api (SLO: 99 % of requests "
                  "succeed): it must fire within 30 s of an error spike, and never on the "
                  "calm service or a normal rolling update.")
def write_the_rule(answer: Callable[[Any], Any]):
    if not callable(answer):
        return wrong("answer with the function itself: answer = condition")
    for scenario in ("calm", "rollout"):
        fired = firing(incident(answer, scenario))
        if fired:
            what = ("the calm service (1 % of errors, inside the SLO)" if scenario == "calm"
                    else "a normal rolling update (users were served all along)")
            return wrong(f"your rule fired at t={fired[0]:g} s on {what}: page on what users "
                         "feel beyond the SLO, not on every error or every missing pod.")
    fired = firing(incident(answer, "incident"))
    if not fired or fired[0] > 90:
        return wrong("20 % of requests failed from t = 60 s and your rule " +
                     ("never fired" if not fired else f"fired only at t={fired[0]:g} s") +
                     ": look at obs.error_rate.")
    return right(f"fired at t={fired[0]:g} s, {fired[0] - 60:g} s after the spike, and stayed "
                 "quiet on the calm service and the rolling update: a symptom-based alert.")


def latency_sent() -> "t3.Cluster":
    """api-v1 with 10,000 requests sent at t = 30 s."""
    c = t3.Cluster(seed=7)
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
             "spec": {"replicas": 3, "image": "local://demo@v1"}})
    c.run(until=30)
    c.send("api", 10_000)
    return c


@exercise("06.4", "From the latency buckets of 10,000 requests, what p99 does "
                  "histogram_quantile give, in ms (to 1 ms)?", accepts=(int, float))
def read_the_quantile(answer: float):
    counts = latency_sent().lb.latency_counts("api")
    p99 = histogram_quantile(0.99, counts) * 1000
    if abs(answer - p99) <= 1:
        return right(f"{p99:.1f} ms: the 9,900th request falls in the 50–75 ms bucket, and "
                     "histogram_quantile interpolates linearly inside it.")
    if abs(answer - 75) <= 1 or abs(answer - 50) <= 1:
        return wrong("that is a bucket bound; histogram_quantile interpolates inside the "
                     "bucket: low + width × (rank − below) / count.")
    if abs(answer - 20) <= 2:
        return wrong("20 ms is the mean latency of v1; the 99th percentile is far out in the "
                     "tail.")
    return wrong("rank = 0.99 × total; find the bucket where the cumulative count reaches it, "
                 "then interpolate between its bounds.")


BROKEN_API = """\
apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  image: local://demo@v1
  replicas: 4
  readinessProbe: { httpGet: { path: /healthz }, initialDelaySeconds: 5, periodSeconds: 2 }
  rollout: { strategy: RollingUpdate, maxSurge: 0, maxUnavailable: 100% }
"""


def roll_out(spec: Any) -> tuple["t3.Cluster", list[int]]:
    """``spec`` at v1, then the same spec with the slow image from t = 30 s; the Ready pods
    every second until t = 150 s."""
    first = load_spec(spec)
    c = t3.Cluster(seed=5)
    c.apply(first)
    c.run(until=30)
    document = first.to_dict()
    document["spec"]["image"] = "local://demo@slow"
    c.apply(document)
    ready = []
    for t in range(31, 151):
        c.run(until=t)
        ready.append(c.alerts.observe("api")["ready"])
    return c, ready


@exercise("06.5", "Fix the api spec: its rollout to the slow image pages (every pod is stopped "
                  "at once). Keep 4 replicas; the update must raise no alert and keep at "
                  "least 3 pods Ready.", accepts=(str, dict))
def fix_the_rollout(answer: Any):
    try:
        spec = load_spec(answer)
    except SpecError as error:
        return wrong(f"the spec does not load: {error}")
    if spec.name != "api" or spec.replicas != 4:
        return wrong("keep the service named api with 4 replicas.")
    c, ready = roll_out(spec)
    alerts = health_alerts(c)
    if alerts:
        return wrong(f"the rollout still alerts: {alerts[0][1]} at t={alerts[0][0]:g} s.")
    if min(ready) < 3:
        return wrong(f"no alert, but only {min(ready)} of 4 pods were Ready at one point: "
                     "maxUnavailable allows too many.")
    if c.service("api").status.updated != 4:
        return wrong("the rollout did not finish by t = 150 s.")
    return right(f"the rollout finished with at least {min(ready)} pods Ready throughout and no "
                 "alert: the budget keeps users served while pods are replaced.")


choice("06.q1", "8 pods, maxUnavailable 25 %: a rolling update keeps 6 Ready for 20 s. What "
                "does the default rule say?",
       {"a": "DOWN", "b": "DEGRADED", "c": "UP"},
       "c", because="6 is exactly desired − maxUnavailable: the rollout is inside its budget, "
                    "so nothing is alerted.",
       feedback={"a": "DOWN means no Ready pod at all: users get 503s.",
                 "b": "DEGRADED is below the budget; 6 of 8 is what the rollout allows."})
choice("06.q2", "What does DOWN mean with the default rule?",
       {"a": "Fewer pods are Ready than desired",
        "b": "No Ready pod serves the service, so every request gets a 503",
        "c": "A pod restarted in the last minute"},
       "b", because="DOWN is what users see: nothing answers. Fewer pods than the budget is "
                    "DEGRADED; fewer than desired is the original rule's DOWN.",
       feedback={"a": "that is the original system's rule (rule=\"original\"), which pages on "
                      "every rolling update.",
                 "c": "restarts are a cause, not an outage."})
choice("06.q3", "Why page on symptoms (error rate, latency) rather than on causes (pods "
                "Ready)?",
       {"a": "Symptoms are what users feel: cause alerts page for what nobody notices and "
             "miss failures where every pod is Ready",
        "b": "Pods cannot be counted by Prometheus",
        "c": "Symptom alerts never need a 'for' window"},
       "a", because="in the exercise every pod stayed Ready while 20 % of requests failed; "
                    "only the error rate saw it.",
       feedback={"b": "kube-state-metrics counts pods; the question is what is worth a page.",
                 "c": "they need one too: a single bad evaluation is not an incident."})
choice("06.q4", "histogram_quantile(0.99, ...) says 64 ms; the distribution's exact p99 is "
                "56 ms. Why?",
       {"a": "A rounding bug in Prometheus",
        "b": "It only knows the bucket counts, and interpolates linearly inside the 50–75 ms "
             "bucket",
        "c": "The p99 changes at every scrape"},
       "b", because="a histogram keeps counts per bucket, not latencies; the quantile is an "
                    "estimate whose error is at most the bucket's width.",
       feedback={"a": "the arithmetic is exact; the information is not.",
                 "c": "these are the same 10,000 requests."})

"""Chapter 10 · Chaos game day: the incident, the exercises and the closing quiz.

Three services (``shop``, ``search``, ``auth``) under steady load. From t = 60 s the game
master breaks things with what the engine has, each command journaled under its actor:
a bad rollout of shop by "ci" (an image that fails 30 % of requests, yet passes its
readiness probe), two search pods killed by "chaos", a load spike on search, auth's
readiness probe broken by "chaos". The on-call ("oncall") acts at t = 240 s. A sampler
reads the golden signals every 5 s (it only reads, so a replay of the journal gives the
same events without it)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import pandas as pd

import t32sim as t3
from t32sim.engine.commands import CommandError
from t32sim.lab.exercise import choice, exercise, right, wrong

__all__ = ["SEED", "SERVICES", "spec", "game_day", "watch_signals", "Signals", "MITIGATIONS",
           "mitigate", "outcome", "RESPONSE_AT", "END", "BAD_ROLLOUT_AT"]

SEED = 10
SERVICES = ("shop", "search", "auth")
REPLICAS = {"shop": 4, "search": 2, "auth": 2}
LOAD = {"shop": 200, "search": 100, "auth": 60}         # requests per second
GAME_STARTS, BAD_ROLLOUT_AT, KILL_AT, SPIKE_AT, PROBE_AT = 60, 120, 150, 180, 200
RESPONSE_AT, END = 240, 360
SPIKE_RPS = 400


def spec(name: str, image: str = "local://demo@v1") -> dict:
    """A service of the game day: readiness probe, rolling updates of one pod at a time."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"image": image, "replicas": REPLICAS[name],
                     "readinessProbe": {"httpGet": {"path": "/healthz"}, "periodSeconds": 2,
                                        "failureThreshold": 3},
                     "rollout": {"strategy": "RollingUpdate", "maxSurge": 1,
                                 "maxUnavailable": 1}}}


@dataclass
class Signals:
    """Golden signals every ``every`` s: one row per service (see :meth:`frame`)."""
    cluster: "t3.Cluster"
    every: float = 5.0

    def __post_init__(self) -> None:
        self.rows: list[tuple] = []
        self._last: dict[str, tuple[float, float]] = {}
        self.cluster.env.process(self._sample())

    def _sample(self):
        env = self.cluster.env
        while True:
            yield env.timeout(self.every)
            for service in self.cluster.services():
                requests, errors = self.cluster.traffic.offered_totals(service)
                before = self._last.get(service, (0.0, 0.0))
                self._last[service] = (requests, errors)
                done, failed = requests - before[0], errors - before[1]
                status = self.cluster.service(service).status
                self.rows.append((env.now, service, done / self.every,
                                  failed / done if done > 0 else 0.0, failed,
                                  self.cluster.traffic.cpu(service), status.ready,
                                  status.desired))

    def frame(self) -> pd.DataFrame:
        """time, service, rps, error_rate (share of 5xx), errors, cpu (%), ready, desired."""
        return pd.DataFrame(self.rows, columns=["time", "service", "rps", "error_rate",
                                                "errors", "cpu", "ready", "desired"])


def watch_signals(cluster: "t3.Cluster", every: float = 5.0) -> Signals:
    """Start sampling the golden signals of every service of ``cluster``."""
    return Signals(cluster, every)


#: what each mitigation verb does at the response time
MITIGATIONS: dict[str, Callable[["t3.Cluster", str], Any]] = {
    "undo": lambda c, s: c.undo(s, actor="oncall"),
    "scale": lambda c, s: c.scale(s, replicas=6, actor="oncall"),
    "heal": lambda c, s: c.heal(s, actor="oncall"),
}


def mitigate(cluster: "t3.Cluster", plan: Mapping[str, str]) -> list[str]:
    """Carry out ``plan`` ({service: "undo" | "scale" | "heal"}); returns what each did or
    why it could not (a CommandError is told, not raised)."""
    done = []
    for service, verb in plan.items():
        try:
            result = MITIGATIONS[verb](cluster, service)
            done.append(f"{verb} {service}: ok ({result})")
        except CommandError as error:
            done.append(f"{verb} {service}: refused ({error})")
    return done


def game_day(*, until: float = RESPONSE_AT, plan: Mapping[str, str] | None = None,
             rule: tuple[Callable, float] | None = None, seed: int = SEED
             ) -> tuple["t3.Cluster", Signals]:
    """Run the game day to ``until`` (the on-call acts with ``plan`` at t = 240 s when
    ``until`` is later). ``rule`` = (condition, for_seconds) is added as the alert rule
    "user-errors" (critical) before anything starts."""
    c = t3.Cluster(seed=seed)
    signals = watch_signals(c)
    if rule is not None:
        condition, for_seconds = rule
        c.alerts.add_rule("user-errors", condition, for_seconds, "critical", actor="ops")
    for name in SERVICES:
        c.apply(spec(name), actor="ops")
    c.run(30)
    for name, rps in LOAD.items():
        c.set_load(name, rps=rps, actor="traffic")
    steps = [(BAD_ROLLOUT_AT, lambda: c.apply(spec("shop", "local://demo@flaky"), actor="ci")),
             (KILL_AT, lambda: c.kill("search", count=2, actor="chaos")),
             (SPIKE_AT, lambda: c.set_load("search", rps=SPIKE_RPS, actor="traffic")),
             (PROBE_AT, lambda: c.break_probe("auth", actor="chaos"))]
    for at, step in steps:
        if at > until:
            break
        c.run(at)
        step()
    c.run(min(until, RESPONSE_AT))
    if until > RESPONSE_AT:
        if plan:
            mitigate(c, plan)
        c.run(until)
    return c, signals


def last(frame: pd.DataFrame, service: str, seconds: float = 30) -> pd.DataFrame:
    """The signals of ``service`` over the last ``seconds``."""
    mine = frame[frame["service"] == service]
    return mine[mine["time"] > mine["time"].max() - seconds]


def outcome(frame: pd.DataFrame) -> dict[str, str]:
    """What is still wrong per service over the last 30 s of ``frame`` ("" when fine)."""
    wrongs = {}
    for service in SERVICES:
        tail = last(frame, service)
        problems = []
        if tail["error_rate"].max() > 0.01:
            problems.append(f"{tail['error_rate'].max():.0%} of requests fail")
        if tail["cpu"].max() > 100:
            problems.append(f"CPU at {tail['cpu'].max():.0f} %")
        if (tail["ready"] < tail["desired"]).any():
            problems.append(f"{tail['ready'].min()} of {tail['desired'].max()} pods Ready")
        wrongs[service] = ", ".join(problems)
    return wrongs


# -- 10.1 find the cause ---------------------------------------------------------------------
def _journal() -> list:
    return game_day(until=RESPONSE_AT)[0].journal


@exercise("10.1", "Which entry of c.journal (its index) caused shop's failed requests?",
          accepts=int)
def find_the_cause(answer: int):
    journal = _journal()
    if not 0 <= answer < len(journal):
        return wrong(f"the journal has entries 0 to {len(journal) - 1}.")
    entry = journal[answer]
    if entry.verb == "apply" and entry.actor == "ci":
        return right(f"entry {answer}: at t = {entry.time:g} 'ci' rolled shop out to "
                     "local://demo@flaky. Its pods pass their readiness probe, so the rollout "
                     "completed and no health alert fired, but 30 % of requests fail.")
    target = entry.args.get("service", entry.args.get("target", ""))
    if target and target != "shop":
        return wrong(f"entry {answer} ({entry.actor}: {entry.verb}) touched {target}, not shop.")
    if entry.verb in ("run", "set_load") or entry.time < GAME_STARTS:
        return wrong(f"entry {answer} ({entry.actor}: {entry.verb} at t = {entry.time:g}) was "
                     "there while shop was healthy: look for a change to shop just before "
                     "its error rate rose.")
    return wrong("look for the change to shop just before its error rate rose.")


# -- 10.2 pick the mitigation ------------------------------------------------------------------
@exercise("10.2", "At t = 240 s pick one mitigation per service: {service: 'undo' | 'scale' | "
                  "'heal'} so that all three are healthy by t = 360 s.", accepts=dict)
def pick_the_mitigation(answer: dict):
    if sorted(answer) != sorted(SERVICES):
        return wrong(f"answer with one verb for each of {', '.join(SERVICES)}.")
    unknown = {s: v for s, v in answer.items() if v not in MITIGATIONS}
    if unknown:
        return wrong(f"the verbs are {', '.join(MITIGATIONS)}; got {unknown}.")
    cluster, signals = game_day(until=END, plan=answer)
    left = {s: w for s, w in outcome(signals.frame()).items() if w}
    if left:
        service, what = next(iter(left.items()))
        return wrong(f"after '{answer[service]}' {service} still has trouble at t = 360: {what}. "
                     "Ask what changed for it: a new revision, more load, or a fault?")
    return right("undo rolls shop back to revision 1 (its own pods were fine, the new "
                 "image was not), 6 search pods carry 400 rps at 67 % CPU, and heal removes "
                 "the chaos fault on auth's probe: all three healthy by t = 360.")


# -- 10.3 write the alert --------------------------------------------------------------------
DEADLINE = 60       # seconds after the bad rollout


def fired(cluster: "t3.Cluster", service: str) -> list[float]:
    """When the rule "user-errors" fired for ``service``."""
    return [a["time"] for a in (alert.to_dict() for alert in cluster.alerts.alerts)
            if a["kind"] == "FIRING" and a["service"] == service]


@exercise("10.3", "Write (condition, for_seconds): an alert rule that fires for shop within "
                  "60 s of the bad rollout, but not for search's killed pods.",
          accepts=tuple)
def write_the_alert(answer: tuple):
    if len(answer) != 2 or not callable(answer[0]):
        return wrong("answer with a pair: (condition, for_seconds), the condition a function "
                     "of an Observation.")
    condition, for_seconds = answer
    try:
        cluster, _ = game_day(until=RESPONSE_AT, rule=(condition, for_seconds))
    except CommandError as error:
        return wrong(f"the rule was refused: {error}")
    broken = [e for e in cluster.event_log if e.reason.value == "AlertRuleFailed"]
    if broken:
        return wrong(f"your condition raised: {broken[0].message}")
    shop, search = fired(cluster, "shop"), fired(cluster, "search")
    if search and search[0] < KILL_AT:
        return wrong(f"it fired for search at t = {search[0]:g}, before anything was broken: "
                     "a rule must stay quiet while the services start and serve.")
    if search:
        return wrong(f"it fired for search at t = {search[0]:g}: the two killed pods were "
                     "replaced within seconds — a blip, not worth a page. Raise the "
                     "threshold or ask the condition to hold longer.")
    if not shop:
        return wrong(f"by t = {RESPONSE_AT} it had not fired for shop, whose users saw 30 % "
                     "of their requests fail since t = 120.")
    if shop[0] > BAD_ROLLOUT_AT + DEADLINE:
        return wrong(f"it fired for shop at t = {shop[0]:g}, {shop[0] - BAD_ROLLOUT_AT:g} s "
                     f"after the bad rollout: aim for {DEADLINE} s or less.")
    return right(f"it fired for shop at t = {shop[0]:g}, {shop[0] - BAD_ROLLOUT_AT:g} s after "
                 "the bad rollout, which the built-in health alert never noticed, and stayed "
                 "quiet through search's blip.")


choice("10.q1", "Why did no built-in health alert fire for shop's bad rollout?",
       {"a": "Because alerts are switched off during a rollout",
        "b": "Because every shop pod was Ready: the health rule counts Ready pods, and the "
             "new image passes its probe while failing 30 % of requests",
        "c": "Because 30 % errors is below Kubernetes' error budget"},
       "b", because="a cause-based rule (Ready pods) only sees what the probe sees; users saw "
                    "errors. A symptom rule on the error rate catches it.",
       feedback={"a": "the alert manager runs all the time; auth's DOWN fired during the game.",
                 "c": "Kubernetes has no error budget of its own; SLOs are yours to set."})
choice("10.q2", "Two of search's pods are killed and replaced within 4 s. What should page "
                "the on-call?",
       {"a": "Nothing: the ReplicaSet healed it before anyone could act",
        "b": "A critical alert at the first failed request",
        "c": "A failover to another cluster"},
       "a", because="a blip healed from the inside is recorded in the events; paging for it "
                    "trains people to ignore pages.",
       feedback={"b": "that is how a rule with for_seconds 0 and a low threshold behaves: "
                      "a page for something already fixed.",
                 "c": "nothing is left to fail over from after 4 s."})
choice("10.q3", "Why can t3.replay(c.journal, seed) rebuild the whole game day?",
       {"a": "Because the journal stores a snapshot after each command",
        "b": "Because every command is journaled with its time and actor, and the engine's "
             "only randomness is the seeded cluster.rng",
        "c": "Because the notebook saves its outputs"},
       "b", because="same seed, same commands at the same simulated times: the same events, "
                    "byte for byte, which is what makes a game day reviewable.",
       feedback={"a": "the journal holds commands, not states.",
                 "c": "saved outputs are pictures of a run, not a way to redo it."})
choice("10.q4", "The post-mortem shows shop: 'no alert fired'. What is the action item?",
       {"a": "Add more replicas to shop",
        "b": "Add a symptom rule (error rate over a window, held for a while) so the next bad "
             "rollout pages within a minute",
        "c": "Stop rolling out on game days"},
       "b", because="a post-mortem fixes detection as well as the cause: the next bad image "
                    "will pass its probe too.",
       feedback={"a": "more pods of a bad image fail just as often.",
                 "c": "the bad image would have shipped on any other day as well."})

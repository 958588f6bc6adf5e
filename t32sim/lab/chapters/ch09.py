"""Chapter 09 · the live demo: exercises and quiz.

09.1 validates the student's YAML with the loader ``POST /apply`` uses and runs it; 09.3 replays
the student's scenario in the engine. 09.2's answer is what the live server journals for the
chapter's requests; ``tests/lab/chapters/test_ch09.py`` sends those requests to a real server.
"""
from __future__ import annotations

from typing import Any, Sequence

from t32sim.engine import Cluster, replay
from t32sim.lab.exercise import choice, exercise, right, wrong
from t32sim.spec import SpecError, load_spec

#: 09.2: the verbs of the chapter's journal after sections 2-4 (apply, advance, kill, advance,
#: the pacer's steps; refused commands, reads, speed, resume and pause are not journaled)
CHAPTER_JOURNAL_VERBS = ["apply", "run", "kill", "run"]
FIXED_SERVICE = {"name": "shop", "replicas": 4, "image": "local://demo@v2",
                 "probe_path": "/healthz", "probe_period": 2}


@exercise("09.1", "Fix the hurried spec so POST /apply accepts it: shop, 4 replicas of "
                  "local://demo@v2, a readiness probe GET /healthz every 2 s (YAML text).",
          accepts=str)
def fix_the_spec(answer: str) -> Any:
    try:
        spec = load_spec(answer)
    except SpecError as error:
        return wrong(f"the server would still refuse it ({len(error.errors)} problem(s)); the "
                     f"first: {error.errors[0][0]}: {error.errors[0][1]}")
    want = FIXED_SERVICE
    probe = spec.readiness_probe
    if spec.name != want["name"]:
        return wrong(f"it is valid, but it is a Service named {spec.name!r}; keep the name.")
    if spec.image != want["image"] or spec.replicas != want["replicas"]:
        return wrong("it is valid, but not what the author wanted: check the image and the "
                     "number of replicas.")
    if probe is None or probe.path != want["probe_path"] or \
            probe.period_seconds != want["probe_period"]:
        return wrong("it is valid, but the readiness probe should ask the health path every "
                     "2 seconds: look at httpGet.path and periodSeconds.")
    cluster = Cluster(seed=7)
    cluster.apply(spec)
    cluster.run(until=30)
    ready = cluster.service(spec.name).status.ready
    if ready != want["replicas"]:
        return wrong(f"the server accepts it, but after 30 s only {ready} pod(s) are Ready; "
                     "is the readiness probe asking a path the image answers?")
    return right(f"the server accepts it, and after 30 simulated seconds all {ready} pods of "
                 "shop are Ready.")


@exercise("09.2", "Predict the verbs of the chapter's journal, in order (a list of strings).",
          accepts=(list, tuple))
def predict_the_journal(answer: Sequence[Any]) -> Any:
    answer = list(answer)
    if Ellipsis in answer:
        return wrong("not answered yet: replace `...` with your list of verbs.")
    if answer == CHAPTER_JOURNAL_VERBS:
        return right("only accepted commands that change the simulation are journaled, and "
                     "consecutive runs (an advance and the pacer's steps) merge into one.")
    hints = []
    if len(answer) != len(CHAPTER_JOURNAL_VERBS):
        hints.append(f"the journal has {len(CHAPTER_JOURNAL_VERBS)} entries, not {len(answer)}")
    if any(v in answer for v in ("speed", "resume", "pause", "events", "state", "healthz")):
        hints.append("speed, resume, pause and reads change nothing in the cluster itself")
    if answer.count("apply") > 1 or "advance" in answer:
        hints.append("a refused command is never journaled, and an advance is a run")
    return wrong("not quite" + (": " + "; ".join(hints) if hints else
                                ": think about which runs are consecutive") + ".")


@exercise("09.3", "Write a scenario (journal entries) that applies api-v1 at 0, kills 2 pods at "
                  "30, scales to 5 at 40 and ends at 90 with 5 Ready pods.", accepts=(list, tuple))
def write_a_scenario(answer: Sequence[Any]) -> Any:
    if any(entry is Ellipsis for entry in answer) or not answer:
        return wrong("not answered yet: replace `...` with your journal entries.")
    cluster = replay(answer, seed=7)
    events = cluster.events
    kills = events[events["reason"] == "ChaosKill"]
    scaled = events[(events["reason"] == "Scaled") & (events["service"] == "api")]
    if "api" not in cluster.services():
        return wrong("the replayed cluster has no service api: start with an apply.")
    if list(kills["time"]) != [30.0, 30.0]:
        return wrong(f"the replay killed pods at {sorted(set(kills['time']))} "
                     f"({len(kills)} in all); the scenario wants 2 killed at t = 30.")
    if list(scaled["time"]) != [40.0] or cluster.service("api").spec.replicas != 5:
        return wrong("the replay should scale api to 5 replicas once, at t = 40.")
    status = cluster.service("api").status
    if cluster.now != 90:
        return wrong(f"the replay ends at t = {cluster.now:g} s; end it at 90 with a run.")
    if status.ready != 5:
        return wrong(f"at t = 90 {status.ready} of {status.desired} pods are Ready.")
    return right("replayed with seed 7: two pods killed at 30, scaled to 5 at 40, and all 5 "
                 "Ready at 90 — a demo you can run again tomorrow, identically.")


choice("09.q1", "The pacer sets the simulated time to",
       {"a": "the wall clock's time of day", "b": "one second more on every tick",
        "c": "t0 + (wall clock - w0) x speed, ten times a second",
        "d": "whatever time the dashboard asks for"},
       "c", because="simulated time follows the wall clock, scaled by the speed; the engine "
                    "itself never reads the clock, the pacer tells it how far to run.",
       feedback={"a": "simulated time starts at 0, whatever the hour.",
                 "b": "then the speed control would do nothing.",
                 "d": "the dashboard only watches; time is the server's."})

choice("09.q2", "Why does the server write a command to its journal before applying it?",
       {"a": "so a server restarted on the same database replays it and is back in the same "
             "state", "b": "SQLite cannot store a command after it ran",
        "c": "to make commands slower, so the pacer keeps up",
        "d": "so the browser can read it first"},
       "a", because="write-ahead: a crash between the two steps loses nothing, and the replay "
                    "rebuilds the same cluster.",
       feedback={"b": "SQLite does not care about the order.",
                 "c": "speed has nothing to do with it: think of a crash.",
                 "d": "the browser hears about changes over SSE."})

choice("09.q3", "A dashboard loses its connection for a few seconds. How does it get the "
                "updates it missed?",
       {"a": "it reloads the whole page", "b": "it asks /journal for them",
        "c": "it cannot: they are lost",
        "d": "it reconnects to /events with Last-Event-ID, the last id it saw"},
       "d", because="every SSE message has an id; the browser sends the last one back when it "
                    "reconnects, and the server sends what came after it.",
       feedback={"a": "a reload would work, but that is not what the stream offers.",
                 "b": "the journal holds commands, not the updates they caused.",
                 "c": "look at the id: line of each message."})

choice("09.q4", "You replay a downloaded journal with the seed it names, on another laptop. "
                "You get",
       {"a": "a cluster that looks similar, with other pod names",
        "b": "a byte-identical snapshot of the cluster the server had",
        "c": "the same cluster only if you also replay at the same speed",
        "d": "the same pods, but events at other times"},
       "b", because="the engine's only randomness is the seeded rng and its only clock is "
                    "simulated time: same seed, same journal, same bytes.",
       feedback={"a": "pod names come from the seeded rng too.",
                 "c": "speed only paces the wall clock; the journal holds simulated times.",
                 "d": "every command is replayed at its simulated time."})

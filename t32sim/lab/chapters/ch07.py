"""Chapter 07 · The failover monitor: the exercises, the closing quiz, and the scenarios the
chapter and the checks share.

Three versions ``api-v1``, ``api-v2``, ``api-v3`` (two pods each) are watched by the
simulated monitor (:mod:`t32sim.engine.failover_sim`), whose chaos toggles are the live
monitor's: CPU load (above 50 % /health takes 2 s, longer than the 1 s timeout), corruption
(503), a crash the supervisor heals (a blip), a crash kept down and a crash loop (outages)."""
from __future__ import annotations

import random
from typing import Any, Callable, Mapping

import t32sim as t3
from t32sim.engine.failover_sim import FailoverWatch, watch_failover
from t32sim.failover import FailoverConfig, trace
from t32sim.lab.exercise import choice, exercise, right, wrong

__all__ = ["SERVICES", "three_versions", "watched", "crash_loop", "switch_times",
           "false_failovers", "BROKEN_CONFIG", "trial"]

SERVICES = {"v1": "api-v1", "v2": "api-v2", "v3": "api-v3"}


def three_versions(seed: int = 1, replicas: int = 2) -> "t3.Cluster":
    """A cluster running api-v1, api-v2 and api-v3, every pod Ready by t = 10 s."""
    cluster = t3.Cluster(seed=seed)
    for version, name in SERVICES.items():
        cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                       "spec": {"image": f"local://demo@{version}", "replicas": replicas}})
    cluster.run(10)
    return cluster


def watched(config: FailoverConfig | None = None, *, interval: float = 1.0,
            seed: int = 1) -> tuple["t3.Cluster", FailoverWatch]:
    """:func:`three_versions` and a monitor checking the active version from t = 10 s."""
    cluster = three_versions(seed)
    return cluster, watch_failover(cluster, SERVICES, config, interval=interval)


def crash_loop(watch: FailoverWatch, version: str, *, lives: float = 1.2,
               until: float = float("inf")):
    """A crash loop: ``version`` crashes now and again ``lives`` s after every restart, until
    ``until``. The supervisor's restart delay doubles each time (1, 2, 4 ... s). Returns the
    simpy process."""
    env = watch.cluster.env

    def loop():
        while env.now < until:
            back = watch.crash(version)
            yield env.timeout(back - env.now + lives)

    return env.process(loop())


def switch_times(watch: FailoverWatch) -> list[float]:
    """When the monitor switched, in order."""
    return [o.time for o in watch.switches]


def false_failovers(threshold: int, window: float, failure_rate: float = 0.10,
                    seconds: int = 3600, seed: int = 7) -> int:
    """Switches in an hour of checks of a healthy service whose checks fail at random with
    ``failure_rate`` (one check a second, seeded), cooldown 15 s, wrapping around."""
    rng = random.Random(seed)
    config = FailoverConfig(threshold=threshold, window=window, cooldown=15, wrap=True)
    observations = [(t, rng.random() >= failure_rate) for t in range(seconds)]
    return sum(o.switched for o in trace(observations, config))


# -- 07.1 predict: a loaded v1 under another monitor ---------------------------------------
PREDICT = {"interval": 2, "threshold": 3, "window": 10, "cooldown": 15, "cpu": 80, "at": 20}


def loaded_v1(config: FailoverConfig, *, interval: float, cpu: float, at: float,
              until: float = 60) -> FailoverWatch:
    """v1's CPU goes to ``cpu`` % at t = ``at`` (after that instant's check)."""
    cluster, watch = watched(config, interval=interval)
    cluster.run(at)
    watch.set_cpu("v1", cpu)
    cluster.run(until)
    return watch


@exercise("07.1", "Checks every 2 s, 3 failures within 10 s fail over; v1 goes to 80 % CPU at "
                  "t = 20 s. At what time does the monitor switch to v2?",
          accepts=(int, float))
def predict_the_switch(answer: float):
    p = PREDICT
    watch = loaded_v1(FailoverConfig(threshold=p["threshold"], window=p["window"],
                                     cooldown=p["cooldown"]),
                      interval=p["interval"], cpu=p["cpu"], at=p["at"])
    when = switch_times(watch)[0]
    failed = [o.time for o in watch.outcomes if o.ok is False]
    if answer == when:
        return right(f"checks at 22, 24 and 26 time out (/health takes 2 s above 50 % load, the "
                     f"timeout is 1 s); the third failure at t = {when:g} switches.")
    if answer == when - p["interval"]:
        return wrong("the check at t = 20 runs before the load is set, so it still passes: "
                     "count the failed checks from the next one.")
    if answer == p["at"] + p["threshold"]:
        return wrong("the monitor checks every 2 s here, not every second.")
    return wrong(f"list the check times (10, 12, 14 ...), mark those after t = 20 as failed, "
                 f"and find the {p['threshold']}rd failure. (The first failed check was at "
                 f"t = {failed[0]:g}.)")


# -- 07.2 tune: how long must a crash last to be an outage? ---------------------------------
def crashed_for(down_for: float, config: FailoverConfig | None = None) -> FailoverWatch:
    """v1 crashes at t = 20 s and is kept down ``down_for`` s (at least the 1 s restart delay)."""
    cluster, watch = watched(config)
    cluster.run(20)
    watch.crash("v1", down_for=down_for)
    cluster.run(60)
    return watch


@exercise("07.2", "Default policy (5 failures within 10 s, a check a second). v1 crashes at "
                  "t = 20 s and is kept down down_for seconds. What is the shortest whole "
                  "down_for that makes the monitor fail over?", accepts=int)
def shortest_outage(answer: int):
    if not 0 <= answer <= 60:
        return wrong("try a down_for between 0 and 60 seconds.")
    watch = crashed_for(answer)
    failed = sum(o.ok is False for o in watch.outcomes)
    if not watch.switches:
        return wrong(f"kept down {answer} s, v1 answers again after {answer + 0.5:g} s and "
                     f"fails {failed} check(s): a blip the policy rides out.")
    if answer > 0 and crashed_for(answer - 1).switches:
        return wrong(f"{answer} s fails over, but so does {answer - 1} s: look for the shortest.")
    return right(f"kept down {answer} s, v1 answers again at t = {20 + answer + 0.5:g}: the "
                 f"checks at 21 to 25 all fail, and the fifth switches at t = 25. At "
                 f"{answer - 1} s it is back at t = {20 + answer - 0.5:g}, in time for the check "
                 "at 25.")


# -- 07.3 fix a config: every blip fails over -----------------------------------------------
BROKEN_CONFIG = FailoverConfig(threshold=1, window=10, cooldown=15)


def trial(config: FailoverConfig) -> dict[str, list[float]]:
    """The three incidents a config is judged on, each on a fresh cluster: v1 crashes once and
    is kept down 3 s (a blip), v1 crash-loops from t = 20 s, v1 goes to 80 % CPU at t = 20 s.
    Returns each incident's switch times."""
    blip = crashed_for(3, config)
    cluster, looping = watched(config)
    cluster.run(20)
    crash_loop(looping, "v1")
    cluster.run(60)
    loaded = loaded_v1(config, interval=1, cpu=80, at=20)
    return {"blip": switch_times(blip), "crash loop": switch_times(looping),
            "load": switch_times(loaded)}


def as_config(answer: Any) -> FailoverConfig:
    if isinstance(answer, FailoverConfig):
        return answer
    return FailoverConfig(**answer)


@exercise("07.3", "BROKEN_CONFIG fails over on every blip. Fix it: ride out a single crash "
                  "kept down 3 s, fail over within 15 s of a crash loop or of 80 % CPU.",
          accepts=(FailoverConfig, dict))
def fix_the_config(answer: Any):
    try:
        config = as_config(answer)
    except (TypeError, ValueError) as error:
        return wrong(f"that is not a FailoverConfig: {error}")
    if config.versions != tuple(SERVICES):
        return wrong("keep the versions v1, v2, v3.")
    seen = trial(config)
    if seen["blip"]:
        return wrong(f"a single crash, back after 3.5 s, still fails over (at t = "
                     f"{seen['blip'][0]:g}): it fails 3 checks, so 3 must stay below the "
                     "threshold.")
    for name in ("crash loop", "load"):
        if not seen[name] or seen[name][0] > 35:
            return wrong(f"the {name} starting at t = 20 is "
                         + (f"left only at t = {seen[name][0]:g}" if seen[name]
                            else "never left") + ": the threshold must be reachable within "
                         "the window, and soon.")
    return right(f"threshold {config.threshold} within {config.window:g} s rides out the "
                 f"3-failure blip, leaves the crash loop at t = {seen['crash loop'][0]:g} and "
                 f"the loaded v1 at t = {seen['load'][0]:g}.")


# -- 07.4 write the rule ---------------------------------------------------------------------
def traces_to_check() -> list[list[tuple[float, bool]]]:
    """Seeded traces of one check a second: random failures at several rates, flapping, an
    outage, and failures exactly one window apart."""
    rng = random.Random(74)
    traces = [[(t, rng.random() >= rate) for t in range(60)]
              for rate in (0.1, 0.3, 0.5, 0.7) for _ in range(6)]
    traces.append([(t, t % 2 == 0) for t in range(40)])
    traces.append([(t, t < 20) for t in range(40)])
    traces.append([(t, t % 10 != 0) for t in range(80)])
    traces.append([(t, t % 3 != 0) for t in range(60)])
    traces.append([(t, True) for t in range(30)])
    return traces


RULES = [(threshold, window) for threshold in (1, 2, 3, 5) for window in (5, 10, 20)]


def policy_answer(observations, threshold: int, window: float) -> float | None:
    """When the policy (no cooldown) first switches, or None."""
    config = FailoverConfig(threshold=threshold, window=window, cooldown=0)
    return next((o.time for o in trace(observations, config) if o.switched), None)


@exercise("07.4", "Write first_failover(observations, threshold, window): the time of the "
                  "first failover for (time, ok) checks, or None.")
def write_the_rule(answer: Callable[..., Any]):
    if not callable(answer):
        return wrong("answer with the function itself: answer = first_failover")
    cases = 0
    for observations in traces_to_check():
        for threshold, window in RULES:
            expected = policy_answer(observations, threshold, window)
            got = answer(list(observations), threshold, window)
            cases += 1
            if got != expected:
                times = [t for t in (expected, got) if isinstance(t, (int, float))]
                upto = int(min(times)) + 1 if times else len(observations)
                shown = "".join("." if ok else "x" for _, ok in observations[:upto])
                return wrong(f"threshold {threshold} within {window} s over the checks "
                             f"{shown} (x = failed, one a second from t = 0): the policy "
                             f"switches at {expected!r}, your function says {got!r}.")
    return right(f"your rule agrees with FailoverPolicy on all {cases} cases: failures count "
                 "while t − f < window, and successes never erase them.")


choice("07.q1", "v2 is at 50 % CPU. What do the monitor's checks of v2 do?",
       {"a": "They time out: a loaded service is slow",
        "b": "They pass: /health only slows down above 50 % load",
        "c": "They answer 503"},
       "b", because="the original's rule is 'above 50 %': at 50 % /health still answers at once "
                    "(only GET / slows down, by load/20 s).",
       feedback={"a": "look at the boundary: is 50 above 50?",
                 "c": "503 is what corruption answers, not load."})
choice("07.q2", "The supervisor restarts a crashed v1 within 1.5 s. Why is it right that the "
                "monitor does not fail over?",
       {"a": "Because crashes are not counted as failures",
        "b": "Because one or two failed checks stay below 5 within 10 s: a blip healed from "
             "inside is not worth moving all traffic to another version",
        "c": "Because the cooldown blocks every switch after a crash"},
       "b", because="each failed check is counted, but a healed blip never reaches the "
                    "threshold; a switch would trade a 1.5 s hiccup for another version's "
                    "bugs.",
       feedback={"a": "the failed checks are counted: watch.outcomes shows them as failing.",
                 "c": "the cooldown only follows a switch, and none happened."})
choice("07.q3", "A crash loop restarts v1 again and again. Why does it fail over when one "
                "crash does not?",
       {"a": "The supervisor's restart delay doubles (1, 2, 4 s ...), so the failures of the "
             "loop add up inside the window",
        "b": "The monitor counts crashes, not failed checks",
        "c": "It does not: a crash loop is ridden out like a single crash"},
       "a", because="each short outage adds failures the window still remembers, and the "
                    "growing back-off makes the outages longer, until 5 land within 10 s.",
       feedback={"b": "the policy only ever sees checks: ok or not ok, and when.",
                 "c": "run the crash-loop cell again: it switches at t = 27."})
choice("07.q4", "Why does the policy count failures in a window instead of failures in a row?",
       {"a": "It is cheaper to compute",
        "b": "A flapping service (fail, ok, fail, ok ...) never fails 5 in a row, but its users "
             "see half of their requests fail",
        "c": "Kubernetes probes count failures in a window too"},
       "b", because="one success resets a consecutive count, so flapping would never fail "
                    "over; a window lets failures add up until they age out.",
       feedback={"a": "both are cheap; the difference is what they notice.",
                 "c": "Kubernetes' failureThreshold counts failures in a row."})

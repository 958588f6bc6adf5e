"""Worked and plausible wrong answers for chapter 10 (t32sim/lab/chapters/ch10.py); the
solution notebook notebooks/solutions/10-chaos-game-day.ipynb uses the same answers. Also:
the game day replays from its journal and seed."""
from __future__ import annotations

import t32sim as t3
from t32sim.lab.chapters import ch10


def shop_errors(obs):
    return obs.error_rate > 0.2


def any_errors(obs):
    return obs.error_rate > 0.05


def lots_of_errors(obs):
    return obs.error_rate > 0.5


def slow(obs):
    return obs.p99 > 1.0          # None without routed requests: the rule fails


def fewer_ready(obs):
    return obs.ready < obs.desired


RIGHT = {
    "10.1": 8,
    "10.2": {"shop": "undo", "search": "scale", "auth": "heal"},
    "10.3": (shop_errors, 0),
    "10.q1": "b",
    "10.q2": "a",
    "10.q3": "b",
    "10.q4": "b",
}

WRONG = {
    "10.1": [10, 12, 14, 0, 99],
    "10.2": [{"shop": "scale", "search": "scale", "auth": "heal"},
             {"shop": "undo", "search": "heal", "auth": "heal"},
             {"shop": "undo", "search": "scale", "auth": "undo"},
             {"shop": "undo", "search": "undo", "auth": "heal"},
             {"shop": "undo", "search": "scale"},
             {"shop": "rollback", "search": "scale", "auth": "heal"}],
    "10.3": [(any_errors, 0), (lots_of_errors, 0), (any_errors, 120), (slow, 0),
             (fewer_ready, 0), (shop_errors, -1), (shop_errors,)],
    "10.q1": ["a", "c"],
    "10.q2": ["b", "c"],
    "10.q3": ["a", "c"],
    "10.q4": ["a", "c"],
}


def test_other_good_rules_pass_too():
    assert ch10.write_the_alert.check((any_errors, 30)).ok


def test_the_game_day_replays_from_its_journal_and_seed():
    cluster, signals = ch10.game_day(until=ch10.END, plan=RIGHT["10.2"])
    again = t3.replay(cluster.journal, ch10.SEED)
    assert again.events.equals(cluster.events)
    assert again.snapshot() == cluster.snapshot()
    assert [(c.time, c.actor, c.verb) for c in cluster.journal if c.verb != "run"][6:] == [
        (120.0, "ci", "apply"), (150.0, "chaos", "kill"), (180.0, "traffic", "set_load"),
        (200.0, "chaos", "break_probe"), (240.0, "oncall", "undo"), (240.0, "oncall", "scale"),
        (240.0, "oncall", "heal")]
    assert ch10.outcome(signals.frame()) == {"shop": "", "search": "", "auth": ""}


def test_without_mitigation_all_three_are_still_in_trouble():
    _, signals = ch10.game_day(until=ch10.END)
    assert ch10.outcome(signals.frame()) == {
        "shop": "30% of requests fail", "search": "CPU at 200 %",
        "auth": "100% of requests fail, 0 of 2 pods Ready"}

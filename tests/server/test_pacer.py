"""The pacer maps wall-clock seconds to simulated seconds and re-anchors on every change."""
from __future__ import annotations

import pytest

from t32sim.server.pacer import Pacer


class FakeClock:
    def __init__(self, now: float = 100.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_target_follows_wall_time_times_speed():
    clock = FakeClock()
    pacer = Pacer(clock, sim_now=5.0, speed=2.0)
    assert pacer.target() == 5.0
    clock.now += 1.5
    assert pacer.target() == 8.0


def test_speed_change_reanchors_without_a_jump():
    clock = FakeClock()
    pacer = Pacer(clock, sim_now=0.0, speed=1.0)
    clock.now += 10
    pacer.set_speed(10.0, sim_now=pacer.target())
    assert pacer.target() == 10.0
    clock.now += 1
    assert pacer.target() == 20.0


def test_pause_freezes_and_resume_continues_from_there():
    clock = FakeClock()
    pacer = Pacer(clock, sim_now=0.0, speed=4.0)
    clock.now += 1
    pacer.pause(sim_now=pacer.target())
    clock.now += 100
    assert pacer.target() == 4.0 and pacer.paused
    pacer.resume(sim_now=4.0)
    clock.now += 0.5
    assert pacer.target() == 6.0


def test_rebase_after_a_jump():
    clock = FakeClock()
    pacer = Pacer(clock, sim_now=0.0, speed=1.0)
    pacer.rebase(30.0)
    clock.now += 2
    assert pacer.target() == 32.0


@pytest.mark.parametrize("speed", [0, -1, 0.001, 1001])
def test_speed_out_of_range_is_refused(speed):
    with pytest.raises(ValueError, match="speed must be between 0.01 and 1000"):
        Pacer(FakeClock(), speed=speed)

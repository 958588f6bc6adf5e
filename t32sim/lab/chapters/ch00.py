"""Chapter 00 · Welcome: one exercise, to show how a checked exercise works."""
from __future__ import annotations

import t32sim as t3
from t32sim.lab.exercise import exercise, right, wrong


@exercise("00.1", "A brand-new cluster: how many simulated seconds have passed (c.now)?",
          accepts=(int, float))
def fresh_clock(answer: float):
    now = t3.Cluster(seed=0).now
    if answer == now:
        return right(f"{now:g} s: simulated time moves only when you run the cluster.")
    return wrong("nothing has run yet; simulated time moves only with c.run or c.run_for.")

"""Looking at a cluster: tidy pandas frames (``frames``) and matplotlib plots (``plots``).

    from t32sim.observe import frames, plots
    frames.events(c, reason="Ready")
    plots.pod_timeline(c, "api")
"""
from t32sim.observe import frames
from t32sim.observe.frames import alerts, events, history, intervals, pods, requests, restarts

__all__ = ["frames", "events", "history", "requests", "pods", "intervals", "restarts", "alerts"]

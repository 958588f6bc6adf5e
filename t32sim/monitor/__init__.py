"""The secure failover monitor: real health checks of v1/v2/v3, failover, dashboard, audit.

``create_monitor_app(MonitorConfig(...))`` builds a FastAPI app with no global
state; ``t32sim monitor`` runs it (see :mod:`t32sim.monitor.cli`).
"""
from t32sim.monitor.app import create_monitor_app
from t32sim.monitor.config import MonitorConfig

__all__ = ["create_monitor_app", "MonitorConfig"]

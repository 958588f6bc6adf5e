"""The live server: the engine paced in real time behind FastAPI, with an SSE dashboard.

    from t32sim.server import create_app, launch
    handle = launch(port=0, apply=["examples/api-v1.yaml"])   # from a notebook
    handle.url; handle.stop()

``t32sim serve`` (see ``t32sim.server.cli``) starts the same app from a terminal.
"""
from __future__ import annotations

from t32sim.server.app import create_app
from t32sim.server.settings import ServerSettings

__all__ = ["create_app", "launch", "ServerHandle", "ServerSettings"]


def __getattr__(name: str):
    if name in ("launch", "ServerHandle"):
        from t32sim.server import launcher
        return getattr(launcher, name)
    raise AttributeError(name)

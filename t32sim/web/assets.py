"""The shared dashboard assets (``static/web.js``, ``static/web.css``) and how to serve them.

``mount_assets(app)`` serves them at ``/static/web/``; mount it *before* an app's own
``/static`` so that mount does not swallow the path. A page then loads
``<script src="/static/web/web.js">`` before its own script and uses ``window.T32Web``.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "ASSETS_PATH", "mount_assets"]

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/static/web"


def mount_assets(app: FastAPI, path: str = ASSETS_PATH) -> None:
    app.mount(path, StaticFiles(directory=STATIC_DIR), name="t32sim-web")

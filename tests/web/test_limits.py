"""BodyLimit: a body over the limit is 413 before the app reads or parses it."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from t32sim.web import BodyLimit, install_error_handlers


class Level(BaseModel):
    level: float


def app_with_limit(max_bytes: int = 100) -> tuple[FastAPI, list]:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=max_bytes)
    seen: list = []

    @app.post("/act")
    async def act(body: Level):
        seen.append(body.level)
        return {"level": body.level}

    return app, seen


TOO_LARGE = {"error": "payload_too_large", "detail": "The body is larger than 100 bytes.",
             "field": "body"}


def test_a_body_within_the_limit_passes():
    app, seen = app_with_limit()
    answer = TestClient(app).post("/act", json={"level": 80})
    assert (answer.status_code, answer.json(), seen) == (200, {"level": 80.0}, [80.0])


def test_a_declared_length_over_the_limit_is_refused_unread():
    app, seen = app_with_limit()
    answer = TestClient(app).post("/act", content=b'{"level": 1, "pad": "' + b"x" * 200 + b'"}',
                                  headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.json(), seen) == (413, TOO_LARGE, [])


def test_a_chunked_body_is_cut_off_when_it_passes_the_limit():
    app, seen = app_with_limit()

    def chunks():
        yield b'{"level": 1, "pad": "'
        for _ in range(50):
            yield b"x" * 10
        yield b'"}'
    answer = TestClient(app).post("/act", content=chunks(),
                                  headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.json(), seen) == (413, TOO_LARGE, [])


def test_a_bad_content_length_is_refused():
    app, seen = app_with_limit()
    client = TestClient(app)
    answer = client.post("/act", content=b'{"level": 1}',
                         headers={"Content-Type": "application/json", "Content-Length": "-5"})
    assert (answer.status_code, seen) == (413, [])

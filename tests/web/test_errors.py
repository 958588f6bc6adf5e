"""t32sim.web.errors: every failure is {error, detail, field}; the schema documents it."""
from __future__ import annotations

import warnings
from typing import Annotated

import pytest
from fastapi import FastAPI, Header, Query
from pydantic import BaseModel

from t32sim.web import ApiError, error_responses, install_error_handlers

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Own(Exception):
    pass


class Body(BaseModel):
    level: float


def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app, more=[(Own, lambda e: ApiError(409, "conflict", str(e), "x"))])

    @app.get("/q", responses=error_responses(404, 422))
    async def q(count: Annotated[int, Query(ge=1)], key: Annotated[str | None, Header()] = None):
        if count == 7:
            raise ApiError(404, "not_found", "No seven.", "count", errors=[1])
        if count == 8:
            raise Own("mine")
        if count == 9:
            raise KeyError("boom")
        return {"count": count}

    @app.post("/b")
    async def b(body: Body):
        return {}

    return TestClient(app, raise_server_exceptions=False)


def test_api_error_and_extra_keys():
    assert client().get("/q?count=7").json() == {"error": "not_found", "detail": "No seven.",
                                                 "field": "count", "errors": [1]}


def test_validation_names_the_parameter():
    body = client().get("/q?count=0").json()
    assert body["error"] == "invalid_parameter" and body["field"] == "count"
    assert body["detail"].startswith("The query parameter 'count' is invalid: ")
    assert client().get("/q").json()["detail"] == "The query parameter 'count' is required."


def test_body_errors_name_the_body_field_or_the_body():
    c = client()
    assert c.post("/b", json={"level": "x"}).json()["field"] == "level"
    broken = c.post("/b", content="{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["field"] == "body"


def test_an_apps_own_error_type_and_unexpected_ones():
    c = client()
    assert c.get("/q?count=8").json() == {"error": "conflict", "detail": "mine", "field": "x"}
    crashed = c.get("/q?count=9")
    assert crashed.status_code == 500
    assert crashed.json() == {"error": "internal_error", "field": None,
                              "detail": "The server failed (KeyError); its log has the details."}


def test_unknown_path_and_method():
    c = client()
    assert c.get("/nope").json() == {"error": "not_found", "field": None,
                                     "detail": "There is no endpoint /nope; see /docs for the API."}
    assert c.delete("/q").json()["error"] == "method_not_allowed"


def test_schema_documents_the_error_body():
    schema = client().get("/openapi.json").json()
    responses = schema["paths"]["/q"]["get"]["responses"]
    assert set(responses) == {"200", "404", "422"}
    body = responses["404"]["content"]["application/json"]["schema"]
    assert body["title"] == "ErrorBody" and body["required"] == ["error", "detail", "field"]
    assert list(responses["422"]["content"]) == ["application/json"]

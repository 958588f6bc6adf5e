"""Property: whatever a client sends, the server answers without a 5xx, in the error shape."""
from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from t32sim.server import ServerSettings, create_app

from .helpers import spec_yaml

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PATHS = ["/apply", "/state", "/events?x=1", "/metrics", "/chaos/kill", "/load", "/scale",
         "/lb/select", "/proxy/", "/proxy/a/b", "/promote", "/undo", "/speed", "/pause",
         "/resume", "/advance", "/journal", "/healthz", "/examples", "/examples/api-v1.yaml",
         "/examples/x", "/", "/docs", "/openapi.json", "/nope", "/static/none.js"]
PARAMS = ["service", "count", "cpu", "rps", "delta", "replicas", "value", "seconds",
          "to_revision", "path"]
values = st.one_of(
    st.sampled_from(["api", "web", "ghost", "-1", "0", "1", "3", "abc", "1.5", "nan", "inf",
                     "-inf", "1e308", "99999999999999999999", "", " ", "API", "a" * 70,
                     "%00", "../etc"]),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=12))
bodies = st.one_of(
    st.none(), st.just(spec_yaml()), st.just(spec_yaml(replicas=-1)),
    st.just(spec_yaml(name="web", replicas=2)), st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.sampled_from([b"{}", b"[]", b"null", b"a: *b", b"{\"spec\": 1}", b"--- \n---\n",
                     b"\xff\xfe\x00", b"[" * 500, b"kind: Service\nspec: {image: 3}",
                     b"a: &a [1, 1]\nb: [*a, *a]", b"examples/api-v1.yaml",
                     spec_yaml().encode().replace(b"replicas: 3", b"replicas: &r 3\n  x: *r"),
                     b"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                     b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                     b"e: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"]))
content_types = st.sampled_from([None, "application/yaml", "application/json", "text/plain",
                                 "multipart/form-data", "text/yaml; charset=latin-1", "x/y"])
requests = st.tuples(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
    st.sampled_from(PATHS),
    st.dictionaries(st.sampled_from(PARAMS), values, max_size=4),
    bodies, content_types,
    st.dictionaries(st.sampled_from(["X-Actor", "X-API-Key", "Last-Event-ID"]),
                    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                            max_size=50), max_size=2))


@pytest.fixture(scope="module")
def client():
    app = create_app(ServerSettings(paused=True, seed=1), pace=False)
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        client.post("/apply", content=spec_yaml(), headers={"Content-Type": "application/yaml"})
        yield client


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=requests)
def test_no_request_gets_a_5xx(client, request):
    method, path, params, body, content_type, headers = request
    if path.startswith("/events"):
        method = "POST" if method == "GET" else method    # a GET would stream forever
    if content_type:
        headers = {**headers, "Content-Type": content_type}
    response = client.request(method, path, params=params, content=body, headers=headers)
    simulated = response.headers.get("x-simulated") == "true"
    engine_lacks = response.status_code == 501 and response.json()["error"] == "not_implemented"
    assert response.status_code < 500 or simulated or engine_lacks, (
        method, path, params, body, response.status_code, response.text)
    if response.status_code >= 400 and method != "HEAD" and not simulated:
        data = response.json()
        assert set(data) >= {"error", "detail", "field"}, data
        assert isinstance(data["error"], str) and isinstance(data["detail"], str)

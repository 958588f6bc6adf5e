"""One health check (t32sim/monitor/checker.py): OK vs DOWN, with the reason."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from t32sim.monitor.checker import check_health


def run_check(handler, timeout=0.5):
    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await check_health(client, "v1", "http://v1.test/", timeout)
    return asyncio.run(go())


def test_a_200_is_ok():
    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(200, json={"status": "UP"})
    check = run_check(handler)
    assert seen == ["http://v1.test/health"]
    assert (check.target, check.url, check.ok, check.status_code, check.error) == (
        "v1", "http://v1.test/health", True, 200, "")
    assert check.latency_ms >= 0 and check.time.endswith("+00:00")


@pytest.mark.parametrize("response,status,error", [
    (httpx.Response(503, json={"status": "DOWN", "detail": "DATA_ERR"}), 503, "HTTP 503: DATA_ERR"),
    (httpx.Response(500, text="boom"), 500, "HTTP 500"),
    (httpx.Response(404, json={"detail": "Not Found"}), 404, "HTTP 404: Not Found"),
])
def test_an_error_status_is_down_with_its_detail(response, status, error):
    check = run_check(lambda request: response)
    assert (check.ok, check.status_code, check.error) == (False, status, error)


@pytest.mark.parametrize("exc,error", [
    (httpx.ConnectError("refused"), "connection refused"),
    (httpx.ReadTimeout("slow"), "timeout after 0.5 s"),
    (httpx.ConnectTimeout("slow"), "timeout after 0.5 s"),
    (httpx.RemoteProtocolError("garbage"), "RemoteProtocolError: garbage"),
])
def test_no_answer_is_down_with_the_reason(exc, error):
    def handler(request):
        raise exc
    check = run_check(handler)
    assert (check.ok, check.status_code, check.error) == (False, None, error)

"""FastAPI adapters through TestClient: MetricsMiddleware (route templates, unmatched 404s,
exceptions as 500, streaming measured to the last chunk), the /metrics and /health endpoints,
and AccessLogMiddleware (JSON lines, X-Request-ID, non-blocking)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request

from webaccel.accesslog import AccessLog
from webaccel.fastapi.accesslog import AccessLogMiddleware
from webaccel.fastapi.health import add_health_endpoint
from webaccel.fastapi.metrics import MetricsMiddleware, add_metrics_endpoint
from webaccel.health import HealthChecks
from webaccel.metrics import CONTENT_TYPE, Metrics, MultiProcessMetrics


class StepClock:
    """A clock the app advances: each tick() adds one second."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def tick(self) -> None:
        self.t += 1.0


def counts(text: str) -> dict[tuple[str, str, str], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        if family.name == "http_requests":
            for s in family.samples:
                out[(s.labels["method"], s.labels["route"], s.labels["status"])] = s.value
    return out


def durations(text: str) -> dict[tuple[str, str, str], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "http_request_duration_seconds_sum":
                out[(s.labels["method"], s.labels["route"], s.labels["status"])] = s.value
    return out


def make_app(metrics: Metrics, clock: StepClock) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        clock.tick()
        return {"id": item_id}

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/stream")
    def stream() -> StreamingResponse:
        def chunks() -> Iterator[bytes]:
            for _ in range(3):
                clock.tick()  # each chunk "takes" a second: all three are in the duration
                yield b"x"

        return StreamingResponse(chunks())

    app.add_middleware(MetricsMiddleware, metrics=metrics, clock=clock, skip_routes={"/metrics"})
    add_metrics_endpoint(app, metrics)
    return app


def test_metrics_middleware_records_templates_statuses_and_durations() -> None:
    metrics, clock = Metrics(), StepClock()
    client = TestClient(make_app(metrics, clock), raise_server_exceptions=False)
    assert client.get("/items/1").status_code == 200
    assert client.get("/items/2").status_code == 200
    assert client.get("/items/nope").status_code == 422
    assert client.post("/items/1").status_code == 405
    assert client.get("/missing").status_code == 404
    assert client.get("/no/such/route").status_code == 404
    assert client.get("/boom").status_code == 500
    assert client.get("/stream").content == b"xxx"
    scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"] == CONTENT_TYPE
    assert counts(scrape.text) == {
        ("GET", "/items/{item_id}", "200"): 2,
        ("GET", "/items/{item_id}", "422"): 1,
        ("POST", "/items/{item_id}", "405"): 1,
        ("GET", "/missing", "404"): 1,
        ("GET", "unmatched", "404"): 1,
        ("GET", "/boom", "500"): 1,
        ("GET", "/stream", "200"): 1,
    }
    d = durations(scrape.text)
    assert d[("GET", "/items/{item_id}", "200")] == 2.0
    assert d[("GET", "/stream", "200")] == 3.0


def test_exceptions_propagate_and_count_as_500() -> None:
    metrics, clock = Metrics(), StepClock()
    client = TestClient(make_app(metrics, clock))
    with pytest.raises(RuntimeError):
        client.get("/boom")
    assert counts(metrics.render()) == {("GET", "/boom", "500"): 1}


def test_health_endpoint() -> None:
    app = FastAPI()
    checks = HealthChecks(timeout=5)
    state = {"db": True}
    release = threading.Event()
    checks.add("db", lambda: state["db"])
    checks.add("cache", release.wait, timeout=0.05)
    checks.add("process", lambda: None, liveness=True)
    add_health_endpoint(app, checks)
    add_health_endpoint(app, checks, "/health/live", kind="live")
    client = TestClient(app)
    try:
        r = client.get("/health")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/json"
        body = r.json()
        assert body["status"] == "fail"
        assert body["checks"]["db"]["status"] == "ok"
        assert body["checks"]["cache"]["error"] == "timed out after 0.05 s"
        live = client.get("/health/live")
        assert live.status_code == 200 and live.json() == {
            "status": "ok",
            "checks": {"process": {"status": "ok", "duration_ms": live.json()["checks"]["process"]["duration_ms"], "error": None}},
        }
    finally:
        release.set()
    for thread in threading.enumerate():
        if thread.name == "webaccel-health-cache":
            thread.join(10)
    assert client.get("/health").status_code == 200
    state["db"] = False
    assert client.get("/health").json()["checks"]["db"]["error"] == "check returned False"
    assert "/health" not in json.dumps(client.get("/openapi.json").json())


def access_app(access: AccessLog, clock: StepClock) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int, request: Request) -> dict[str, object]:
        clock.tick()
        return {"id": item_id, "rid": request.state.request_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_middleware(AccessLogMiddleware, access_log=access, clock=clock)
    return app


def test_access_log_lines() -> None:
    lines: list[str] = []
    access = AccessLog(lines.append, trusted_proxies=["127.0.0.0/8"])
    clock = StepClock()
    client = TestClient(access_app(access, clock), raise_server_exceptions=False)
    r = client.get("/items/7", headers={"X-Request-ID": "req-42", "User-Agent": "tests/1.0"})
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "req-42"
    assert r.json()["rid"] == "req-42"
    bad = client.get("/items/8", headers={"X-Request-ID": "no good\tid"})
    generated = bad.headers["x-request-id"]
    assert len(generated) == 32 and generated == bad.json()["rid"]
    assert client.get("/nowhere").status_code == 404
    assert client.get("/boom").status_code == 500
    assert access.flush(10)
    access.close()
    records = [json.loads(line) for line in lines]
    assert [(r["method"], r["route"], r["path"], r["status"]) for r in records] == [
        ("GET", "/items/{item_id}", "/items/7", 200),
        ("GET", "/items/{item_id}", "/items/8", 200),
        ("GET", "unmatched", "/nowhere", 404),
        ("GET", "/boom", "/boom", 500),
    ]
    first = records[0]
    assert first["request_id"] == "req-42"
    assert first["user_agent"] == "tests/1.0"
    assert first["duration_ms"] == 1000.0
    assert first["bytes"] == len(r.content)
    assert first["client_ip"] == "testclient"
    assert records[1]["request_id"] == generated


def test_access_log_never_blocks_requests() -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow(line: str) -> None:
        entered.set()
        release.wait()

    access = AccessLog(slow, max_queue=2)
    client = TestClient(access_app(access, StepClock()))
    try:
        assert client.get("/items/0").status_code == 200
        assert entered.wait(10)
        statuses = [client.get(f"/items/{i}").status_code for i in range(1, 11)]
        assert statuses == [200] * 10  # every request completed while the sink was stuck
        assert access.dropped == 8
    finally:
        release.set()
    assert access.flush(10)
    access.close()
    assert access.written == 3


def test_multiprocess_endpoint_on_a_plain_starlette_app(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hi")

    metrics = Metrics()
    other = Metrics()
    other.observe("GET", "/hello", 200, 0.5)
    MultiProcessMetrics(other, tmp_path, interval=3600).close()  # another worker's file
    shared = MultiProcessMetrics(metrics, tmp_path, interval=3600)
    app = Starlette(routes=[Route("/hello", hello)])
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    add_metrics_endpoint(app, shared)
    add_health_endpoint(app, HealthChecks())
    client = TestClient(app)
    assert client.get("/hello").text == "hi"
    scrape = client.get("/metrics")
    assert scrape.headers["content-type"] == CONTENT_TYPE
    assert counts(scrape.text) == {("GET", "/hello", "200"): 2}
    assert client.get("/health").json() == {"status": "ok", "checks": {}}
    shared.close()

"""Flask adapters through app.test_client(): metrics hooks (url rules, unmatched 404s,
exceptions as 500), WEBACCEL_METRICS_* config, /metrics and /health, and the access log."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from flask import Flask, abort, g
from prometheus_client.parser import text_string_to_metric_families

from webaccel.accesslog import AccessLog
from webaccel.flask import WebAccel
from webaccel.flask.accesslog import init_access_log
from webaccel.flask.health import add_health_endpoint
from webaccel.flask.metrics import get_metrics, init_metrics
from webaccel.health import HealthChecks
from webaccel.metrics import CONTENT_TYPE, Metrics, MultiProcessMetrics, RedisMetrics


class StepClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def tick(self) -> None:
        self.t += 1.0


def counts(text: str) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "http_requests"
        for s in family.samples
    }


def make_app(clock: StepClock) -> Flask:
    app = Flask(__name__)

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> dict[str, int]:
        clock.tick()
        return {"id": item_id}

    @app.get("/missing")
    def missing() -> None:
        abort(404)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    return app


def test_metrics_hooks() -> None:
    clock = StepClock()
    app = make_app(clock)
    metrics = Metrics()
    init_metrics(app, metrics, clock=clock, skip_routes={"/metrics"})
    client = app.test_client()
    assert client.get("/items/1").status_code == 200
    assert client.get("/items/2").status_code == 200
    assert client.post("/items/2").status_code == 405
    assert client.get("/missing").status_code == 404
    assert client.get("/no/such").status_code == 404
    assert client.get("/boom").status_code == 500
    scrape = client.get("/metrics")
    assert scrape.status_code == 200 and scrape.headers["Content-Type"] == CONTENT_TYPE
    text = scrape.get_data(as_text=True)
    assert counts(text) == {
        ("GET", "/items/<int:item_id>", "200"): 2,
        # Flask matches the rule before answering 405, so the rule is known.
        ("POST", "/items/<int:item_id>", "405"): 1,
        ("GET", "/missing", "404"): 1,
        ("GET", "unmatched", "404"): 1,
        ("GET", "/boom", "500"): 1,
    }
    sums = {
        s.labels["route"]: s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "http_request_duration_seconds_sum" and s.labels["status"] == "200"
    }
    assert sums == {"/items/<int:item_id>": 2.0}


def test_propagated_exception_counts_as_500_at_teardown() -> None:
    app = make_app(StepClock())
    app.config["PROPAGATE_EXCEPTIONS"] = True
    metrics = Metrics()
    init_metrics(app, metrics, path=None)
    with pytest.raises(RuntimeError):
        app.test_client().get("/boom")
    assert counts(metrics.render()) == {("GET", "/boom", "500"): 1}


def test_metrics_from_config(tmp_path: Path) -> None:
    app = make_app(StepClock())
    app.config.update(
        WEBACCEL_METRICS=True,
        WEBACCEL_METRICS_NAMESPACE="shop",
        WEBACCEL_METRICS_BUCKETS=[0.5, 5],
        WEBACCEL_METRICS_PATH="/internal/metrics",
        WEBACCEL_METRICS_DIR=str(tmp_path),
    )
    WebAccel(app)
    client = app.test_client()
    client.get("/items/1")
    text = client.get("/internal/metrics").get_data(as_text=True)
    names = {f.name for f in text_string_to_metric_families(text)}
    assert names == {"shop_requests", "shop_request_errors", "shop_request_duration_seconds"}
    assert 'le="0.5"' in text and 'le="5.0"' in text
    source = get_metrics(app)
    assert isinstance(source, MultiProcessMetrics)
    assert list(tmp_path.glob("*.json")) == [source.path]
    source.close()


def test_metrics_off_by_default_and_config_checked() -> None:
    app = make_app(StepClock())
    WebAccel(app)
    assert app.test_client().get("/metrics").status_code == 404
    bad = make_app(StepClock())
    bad.config["WEBACCEL_METRICS_MAX_SERIES"] = "many"
    with pytest.raises(TypeError):
        WebAccel(bad)


def test_health_endpoint() -> None:
    app = Flask(__name__)
    checks = HealthChecks()
    release = threading.Event()
    checks.add("db", lambda: None)
    checks.add("queue", release.wait, timeout=0.05)
    add_health_endpoint(app, checks)
    add_health_endpoint(app, checks, "/health/live", kind="live")
    client = app.test_client()
    try:
        r = client.get("/health")
        assert r.status_code == 503 and r.headers["Content-Type"] == "application/json"
        body = r.get_json()
        assert body["status"] == "fail"
        assert body["checks"]["db"]["status"] == "ok"
        assert body["checks"]["queue"] == {"status": "fail", "duration_ms": body["checks"]["queue"]["duration_ms"], "error": "timed out after 0.05 s"}
        assert client.get("/health/live").get_json() == {"status": "ok", "checks": {}}
    finally:
        release.set()


def test_access_log() -> None:
    lines: list[str] = []
    access = AccessLog(lines.append, trusted_proxies=["127.0.0.1"])
    clock = StepClock()
    app = make_app(clock)

    @app.get("/rid")
    def rid() -> str:
        return str(g.request_id)

    init_access_log(app, access, clock=clock)
    client = app.test_client()
    r = client.get("/items/3", headers={"X-Request-ID": "abc.123", "User-Agent": "ua/1", "X-Forwarded-For": "198.51.100.4"})
    assert r.headers["X-Request-ID"] == "abc.123"
    generated = client.get("/rid")
    assert generated.headers["X-Request-ID"] == generated.get_data(as_text=True)
    assert len(generated.headers["X-Request-ID"]) == 32
    client.get("/nope")
    assert client.get("/boom").status_code == 500
    assert access.flush(10)
    access.close()
    records = [json.loads(line) for line in lines]
    assert [(x["route"], x["path"], x["status"]) for x in records] == [
        ("/items/<int:item_id>", "/items/3", 200),
        ("/rid", "/rid", 200),
        ("unmatched", "/nope", 404),
        ("/boom", "/boom", 500),
    ]
    first = records[0]
    assert first["request_id"] == "abc.123" and first["user_agent"] == "ua/1"
    assert first["client_ip"] == "198.51.100.4"  # the test client's peer is 127.0.0.1, trusted
    assert first["duration_ms"] == 1000.0 and first["bytes"] == len(r.data)


def test_access_log_from_config_never_blocks() -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow(line: str) -> None:
        entered.set()
        release.wait()

    app = make_app(StepClock())
    app.config.update(WEBACCEL_ACCESS_LOG=True, WEBACCEL_ACCESS_LOG_SINK=slow, WEBACCEL_ACCESS_LOG_MAX_QUEUE=1)
    WebAccel(app)
    access: AccessLog = app.extensions["webaccel.accesslog"]
    client = app.test_client()
    try:
        assert client.get("/items/0").status_code == 200
        assert entered.wait(10)
        assert [client.get(f"/items/{i}").status_code for i in range(5)] == [200] * 5
        assert access.dropped == 4
    finally:
        release.set()
    access.close()


@pytest.mark.redis
def test_metrics_through_redis_from_config(redis_url: str) -> None:
    apps = []
    for _ in range(2):  # two "workers" sharing one Redis hash
        app = make_app(StepClock())
        app.config.update(WEBACCEL_METRICS=True, WEBACCEL_METRICS_REDIS_URL=redis_url)
        WebAccel(app)
        apps.append(app)
    apps[0].test_client().get("/items/1")
    apps[1].test_client().get("/items/2")
    apps[1].test_client().get("/missing")
    # Each process' counts reach Redis at its flushes (every second, and at its own scrapes).
    for app in apps:
        source = get_metrics(app)
        assert isinstance(source, RedisMetrics)
        source.flush()
    for app in apps:
        assert counts(app.test_client().get("/metrics").get_data(as_text=True)) == {
            ("GET", "/items/<int:item_id>", "200"): 2,
            ("GET", "/missing", "404"): 1,
        }
    for app in apps:
        source = get_metrics(app)
        assert isinstance(source, RedisMetrics)
        source.close()

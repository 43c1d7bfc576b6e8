"""Django adapters through the test client (sync and async): MetricsMiddleware (resolver
routes, unmatched 404s, exceptions as 500), the metrics view, health views and the access log
middleware, configured through WEBACCEL."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.test import AsyncClient, Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from tests.django import observability_urls as urls
from webaccel.django.accesslog import get_access_log, reset_access_log
from webaccel.django.conf import validate
from webaccel.django.metrics import get_metrics, get_renderable, reset_metrics
from webaccel.metrics import CONTENT_TYPE, RedisMetrics

METRICS_MW = "webaccel.django.metrics.MetricsMiddleware"
ACCESS_MW = "webaccel.django.accesslog.AccessLogMiddleware"


def counts(text: str) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name.endswith("_requests")
        for s in family.samples
    }


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    reset_metrics()
    reset_access_log()
    yield
    reset_metrics()
    reset_access_log()


@override_settings(MIDDLEWARE=[METRICS_MW])
def test_metrics_middleware_sync() -> None:
    client = Client(raise_request_exception=False)
    assert client.get("/obs/items/1").status_code == 200
    assert client.get("/obs/items/2").status_code == 200
    assert client.get("/obs/legacy/3").status_code == 200
    assert client.get("/obs/nowhere").status_code == 404
    assert client.get("/obs/boom").status_code == 500
    assert client.get("/obs/stream").status_code == 200
    scrape = client.get("/obs/metrics")
    assert scrape["Content-Type"] == CONTENT_TYPE
    assert counts(scrape.content.decode()) == {
        ("GET", "obs/items/<int:item_id>", "200"): 2,
        ("GET", "obs/legacy/(?P<item_id>[0-9]+)$", "200"): 1,  # Django joins the patterns without "^"
        ("GET", "unmatched", "404"): 1,
        ("GET", "obs/boom", "500"): 1,
        ("GET", "obs/stream", "200"): 1,
    }


@override_settings(MIDDLEWARE=[METRICS_MW])
def test_metrics_middleware_async() -> None:
    client = AsyncClient()
    assert async_to_sync(client.get)("/obs/async-items/5").status_code == 200
    assert async_to_sync(client.get)("/obs/items/5").status_code == 200
    assert counts(get_metrics().render()) == {
        ("GET", "obs/async-items/<int:item_id>", "200"): 1,
        ("GET", "obs/items/<int:item_id>", "200"): 1,
    }


@override_settings(MIDDLEWARE=[METRICS_MW], WEBACCEL={"METRICS_NAMESPACE": "shop", "METRICS_BUCKETS": [0.5, 2.0], "METRICS_COUNT_4XX_ERRORS": True})
def test_metrics_settings() -> None:
    client = Client()
    client.get("/obs/nowhere")
    text = client.get("/obs/metrics").content.decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) == {"shop_requests", "shop_request_errors", "shop_request_duration_seconds"}
    assert [s.labels["status"] for s in families["shop_request_errors"].samples] == ["404"]
    assert 'le="2.0"' in text


def test_settings_validation() -> None:
    assert validate({"METRICS_MAX_SERIES": 10, "ACCESS_LOG_TRUSTED_PROXIES": ["10.0.0.0/8"], "METRICS_DIR": None}) == []
    problems = validate({"METRICS_MAX_SERIES": "10", "ACCESS_LOG_MAX_QUEUE": True})
    assert [p.id for p in problems] == ["webaccel.E003", "webaccel.E003"]


def test_health_views() -> None:
    client = Client()
    try:
        r = client.get("/obs/health")
        assert r.status_code == 503 and r["Content-Type"] == "application/json"
        body = json.loads(r.content)
        assert body["checks"]["db"]["status"] == "ok"
        assert body["checks"]["queue"]["error"] == "timed out after 0.05 s"
        assert json.loads(client.get("/obs/health/live").content)["status"] == "ok"
        r = async_to_sync(AsyncClient().get)("/obs/health/async")
        assert r.status_code == 503
    finally:
        urls.RELEASE.set()
    for thread in threading.enumerate():
        if thread.name == "webaccel-health-queue":
            thread.join(10)
    assert client.get("/obs/health").status_code == 200
    urls.DB_UP["value"] = False
    try:
        assert json.loads(client.get("/obs/health").content)["checks"]["db"]["error"] == "check returned False"
    finally:
        urls.DB_UP["value"] = True


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@override_settings(MIDDLEWARE=[ACCESS_MW], WEBACCEL={"ACCESS_LOG_LOGGER": "tests.django.access", "ACCESS_LOG_TRUSTED_PROXIES": ["127.0.0.1"]})
def test_access_log_middleware() -> None:
    handler = Collect()
    logger = logging.getLogger("tests.django.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client = Client(raise_request_exception=False, REMOTE_ADDR="127.0.0.1")
        r = client.get("/obs/items/9", headers={"X-Request-ID": "dj-1", "User-Agent": "ua", "X-Forwarded-For": "198.51.100.20"})
        assert r["X-Request-ID"] == "dj-1"
        assert json.loads(r.content)["rid"] == "dj-1"
        generated = client.get("/obs/items/10", headers={"X-Request-ID": "bad id"})
        assert len(generated["X-Request-ID"]) == 32
        client.get("/obs/boom")
        async_to_sync(AsyncClient().get)("/obs/async-items/1")
        access = get_access_log()
        assert access.flush(10)
    finally:
        logger.removeHandler(handler)
    records = [json.loads(line) for line in handler.lines]
    assert [(x["route"], x["path"], x["status"]) for x in records] == [
        ("obs/items/<int:item_id>", "/obs/items/9", 200),
        ("obs/items/<int:item_id>", "/obs/items/10", 200),
        ("obs/boom", "/obs/boom", 500),
        ("obs/async-items/<int:item_id>", "/obs/async-items/1", 200),
    ]
    first = records[0]
    assert first["request_id"] == "dj-1" and first["client_ip"] == "198.51.100.20" and first["user_agent"] == "ua"
    assert first["bytes"] == len(r.content)
    assert records[1]["request_id"] == generated["X-Request-ID"]


@pytest.mark.redis
def test_metrics_through_redis_from_settings(redis_url: str) -> None:
    with override_settings(MIDDLEWARE=[METRICS_MW], WEBACCEL={"METRICS_REDIS_URL": redis_url}):
        client = Client()
        client.get("/obs/items/1")
        assert isinstance(get_renderable(), RedisMetrics)
        text = client.get("/obs/metrics").content.decode()
        assert counts(text) == {("GET", "obs/items/<int:item_id>", "200"): 1}
    with override_settings(WEBACCEL={"METRICS_REDIS_URL": redis_url, "METRICS_DIR": "/tmp/x"}):
        reset_metrics()
        with pytest.raises(ImproperlyConfigured):
            get_renderable()

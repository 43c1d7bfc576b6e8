"""webaccel.django.ratelimit through Django's test clients (sync and async): the per-view
decorator, RateLimitMiddleware with WEBACCEL["RATELIMIT_*"], headers, keys, exemptions, the
settings check, and the Redis-down policy (never a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import AsyncClient, Client, override_settings

from tests.django.ratelimit_urls import CLOCK
from tests.redis_server import RedisServer
from webaccel.django import conf
from webaccel.django.ratelimit import RateLimitMiddleware
from webaccel.errors import RateLimitError

MIDDLEWARE = ["webaccel.django.ratelimit.RateLimitMiddleware"]


@pytest.fixture(autouse=True)
def fresh_limiters() -> Any:
    # A new WEBACCEL value for every test: each decorator rebuilds its limiter (empty counters).
    CLOCK.now += 10_000
    with override_settings(WEBACCEL={"RATELIMIT_KEY_PREFIX": f"t{CLOCK.now}"}):
        yield


def test_decorator_limits_a_view_with_headers() -> None:
    client = Client()
    first = client.get("/ratelimit/limited")
    assert first.status_code == 200
    assert first["RateLimit-Policy"] == '"default";q=2;w=60'
    assert first["RateLimit"] == '"default";r=1;t=30'
    assert client.get("/ratelimit/limited").status_code == 200
    refused = client.get("/ratelimit/limited")
    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too Many Requests"}
    assert refused["Retry-After"] == "30"
    CLOCK.now += 30
    assert client.get("/ratelimit/limited").status_code == 200


def test_key_function() -> None:
    client = Client()
    assert client.get("/ratelimit/by-user", headers={"X-User": "a"}).status_code == 200
    assert client.get("/ratelimit/by-user", headers={"X-User": "a"}).status_code == 429
    assert client.get("/ratelimit/by-user", headers={"X-User": "b"}).status_code == 200
    assert all(client.get("/ratelimit/by-user").status_code == 200 for _ in range(3))


def test_async_view_through_the_async_client() -> None:
    import asyncio

    async def run() -> list[int]:
        client = AsyncClient()
        return [(await client.get("/ratelimit/async")).status_code for _ in range(2)]

    assert asyncio.run(run()) == [200, 429]


@pytest.mark.parametrize("use_async", [False, True])
def test_middleware_applies_the_default_limit(use_async: bool) -> None:
    settings = {"RATELIMIT_DEFAULT": "3/hour", "RATELIMIT_EXEMPT": ["/ratelimit/health"], "RATELIMIT_LEGACY_HEADERS": True}
    with override_settings(MIDDLEWARE=MIDDLEWARE, WEBACCEL=settings):
        if use_async:
            import asyncio

            async def run() -> list[Any]:
                client = AsyncClient()
                return [await client.get("/ratelimit/free") for _ in range(4)]

            responses = asyncio.run(run())
        else:
            client = Client()
            responses = [client.get("/ratelimit/free") for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert responses[0]["RateLimit"] == '"global";r=2;t=1200'
        assert responses[0]["X-RateLimit-Remaining"] == "2"
        assert responses[3]["Retry-After"] == "1200"
        health = Client().get("/ratelimit/health")
        assert health.status_code == 200 and "RateLimit" not in health


def test_middleware_is_sync_and_async_capable() -> None:
    assert RateLimitMiddleware.sync_capable and RateLimitMiddleware.async_capable


def test_disabled() -> None:
    with override_settings(MIDDLEWARE=MIDDLEWARE, WEBACCEL={"RATELIMIT_DEFAULT": "1/hour", "RATELIMIT_ENABLED": False}):
        client = Client()
        assert all(client.get("/ratelimit/limited").status_code == 200 for _ in range(5))


def test_trusted_proxies_setting() -> None:
    with override_settings(WEBACCEL={"RATELIMIT_TRUSTED_PROXIES": ["10.0.0.0/8"], "RATELIMIT_KEY_PREFIX": "proxies"}):
        client = Client(REMOTE_ADDR="10.0.0.7")
        assert client.get("/ratelimit/async", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
        assert client.get("/ratelimit/async", headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 200
        assert client.get("/ratelimit/async", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 429
        direct = Client(REMOTE_ADDR="203.0.113.5")
        assert direct.get("/ratelimit/async", headers={"X-Forwarded-For": "3.3.3.3"}).status_code == 200
        assert direct.get("/ratelimit/async", headers={"X-Forwarded-For": "4.4.4.4"}).status_code == 429


@pytest.mark.parametrize(("prefix", "second"), [(64, 429), (None, 200)])
def test_ipv6_prefix_setting(prefix: int | None, second: int) -> None:
    with override_settings(WEBACCEL={"RATELIMIT_IPV6_PREFIX": prefix, "RATELIMIT_KEY_PREFIX": f"v6{prefix}"}):
        assert Client(REMOTE_ADDR="2001:db8::1").get("/ratelimit/async").status_code == 200
        assert Client(REMOTE_ADDR="2001:db8::2").get("/ratelimit/async").status_code == second


def test_settings_are_typed_and_checked() -> None:
    assert conf.get_settings().RATELIMIT_STORAGE == "memory://"
    problems = conf.validate({"RATELIMIT_FAIL_OPEN": "no", "RATELIMIT_TIMEOUT": "fast", "RATELIMIT_DEFALT": "1/s"})
    assert sorted(p.id for p in problems) == ["webaccel.E002", "webaccel.E003", "webaccel.E003"]
    assert conf.validate({"RATELIMIT_TIMEOUT": 1, "RATELIMIT_TRUSTED_PROXIES": ["10.0.0.0/8"]}) == []


def test_a_bad_default_rate_fails_at_start_up() -> None:
    with override_settings(WEBACCEL={"RATELIMIT_DEFAULT": "often"}):
        with pytest.raises(RateLimitError):
            RateLimitMiddleware(lambda request: None)


@pytest.mark.redis
@pytest.mark.parametrize("fail_open", [True, False])
def test_redis_down_is_never_a_500(redis_outage: RedisServer, fail_open: bool) -> None:
    settings = {"RATELIMIT_STORAGE": redis_outage.url, "RATELIMIT_DEFAULT": "100/hour", "RATELIMIT_FAIL_OPEN": fail_open}
    with override_settings(MIDDLEWARE=MIDDLEWARE, WEBACCEL=settings):
        client = Client()
        assert client.get("/ratelimit/real-clock").status_code == 200
        redis_outage.stop()
        for _ in range(3):
            r = client.get("/ratelimit/real-clock")
            assert r.status_code == (200 if fail_open else 429)


@pytest.mark.redis
def test_redis_storage_shared_limit(redis_url: str) -> None:
    with override_settings(WEBACCEL={"RATELIMIT_STORAGE": redis_url}):
        client = Client()
        assert [client.get("/ratelimit/real-clock").status_code for _ in range(6)] == [200] * 5 + [429]

"""webaccel.fastapi.ratelimit through FastAPI's TestClient: the per-route dependency, the ASGI
middleware, keys (client IP behind trusted proxies, a claim, async callables, exemption), the
429 response and its headers, and the Redis-down policy (never a 500)."""

# No `from __future__ import annotations`: FastAPI must see the route annotations, which refer
# to dependencies local to the app factories.
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from tests.redis_server import RedisServer
from webaccel.fastapi.ratelimit import RateLimit, RateLimitMiddleware
from webaccel.ratelimit import RateLimiter, RateLimitResult


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_app(clock: Clock) -> FastAPI:
    app = FastAPI()
    per_ip = RateLimit("3/minute", clock=clock)
    by_user = RateLimit("2/minute", key=lambda r: r.headers.get("x-user"), clock=clock)

    async def async_key(request: Request) -> str | None:
        return request.query_params.get("tenant")

    by_tenant = RateLimit("1/minute", key=async_key, clock=clock, legacy_headers=True)

    @app.get("/ip", dependencies=[Depends(per_ip)])
    async def ip() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/user")
    async def user(result: Annotated[RateLimitResult | None, Depends(by_user)]) -> dict[str, Any]:
        return {"remaining": None if result is None else result.remaining}

    @app.get("/tenant", dependencies=[Depends(by_tenant)])
    def tenant() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def test_dependency_limits_per_client_ip_with_headers() -> None:
    clock = Clock()
    client = TestClient(make_app(clock))
    responses = [client.get("/ip") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0].headers["ratelimit-policy"] == '"default";q=3;w=60'
    assert responses[0].headers["ratelimit"] == '"default";r=2;t=20'
    refused = responses[3]
    assert refused.json() == {"detail": "Too Many Requests"}
    assert refused.headers["retry-after"] == "20"
    assert refused.headers["ratelimit"] == '"default";r=0;t=60'
    clock.now += 20
    assert client.get("/ip").status_code == 200


def test_forwarded_addresses_count_only_through_trusted_proxies() -> None:
    clock = Clock()
    app = FastAPI()
    limit = RateLimit("1/minute", trusted_proxies=["10.0.0.0/8"], clock=clock)

    @app.get("/", dependencies=[Depends(limit)])
    async def root() -> str:
        return "ok"

    # TestClient's peer is "testclient" (not an IP address): headers are never read for it.
    client = TestClient(app)
    assert client.get("/", headers={"x-forwarded-for": "1.1.1.1"}).status_code == 200
    assert client.get("/", headers={"x-forwarded-for": "2.2.2.2"}).status_code == 429

    # With a trusted proxy as the peer, each forwarded client has its own count.
    behind_proxy = TestClient(app, client=("10.0.0.5", 1234))
    assert behind_proxy.get("/", headers={"x-forwarded-for": "1.1.1.1"}).status_code == 200
    assert behind_proxy.get("/", headers={"x-forwarded-for": "2.2.2.2"}).status_code == 200
    assert behind_proxy.get("/", headers={"x-forwarded-for": "1.1.1.1"}).status_code == 429
    # An untrusted peer cannot choose its address by sending the header.
    direct = TestClient(app, client=("203.0.113.9", 1234))
    assert direct.get("/", headers={"x-forwarded-for": "3.3.3.3"}).status_code == 200
    assert direct.get("/", headers={"x-forwarded-for": "4.4.4.4"}).status_code == 429


def test_ipv6_clients_are_counted_per_64_by_default() -> None:
    clock = Clock()
    app = FastAPI()

    @app.get("/", dependencies=[Depends(RateLimit("1/minute", clock=clock))])
    async def root() -> str:
        return "ok"

    @app.get("/each", dependencies=[Depends(RateLimit("1/minute", clock=clock, ipv6_prefix=None))])
    async def each() -> str:
        return "ok"

    a = TestClient(app, client=("2001:db8:1:2::1", 1))
    b = TestClient(app, client=("2001:db8:1:2::ffff", 1))
    other = TestClient(app, client=("2001:db8:1:3::1", 1))
    assert a.get("/").status_code == 200
    assert b.get("/").status_code == 429  # same /64
    assert other.get("/").status_code == 200
    assert a.get("/each").status_code == 200
    assert b.get("/each").status_code == 200
    with pytest.raises(ValueError):
        RateLimit("1/minute", ipv6_prefix=129)


def test_key_callables_and_exemption() -> None:
    client = TestClient(make_app(Clock()))
    assert client.get("/user", headers={"x-user": "alice"}).json() == {"remaining": 1}
    assert client.get("/user", headers={"x-user": "alice"}).json() == {"remaining": 0}
    assert client.get("/user", headers={"x-user": "alice"}).status_code == 429
    assert client.get("/user", headers={"x-user": "bob"}).status_code == 200
    # No user: the key function returns None and the request is not limited.
    for _ in range(5):
        assert client.get("/user").json() == {"remaining": None}
    # An async key function, legacy headers, a sync route.
    first = client.get("/tenant?tenant=t1")
    assert first.status_code == 200 and first.headers["x-ratelimit-remaining"] == "0"
    assert client.get("/tenant?tenant=t1").status_code == 429
    assert client.get("/tenant?tenant=t2").status_code == 200


def test_a_shared_limiter_counts_across_routes() -> None:
    clock = Clock()
    shared = RateLimiter("2/minute", clock=clock)
    app = FastAPI()

    @app.get("/a", dependencies=[Depends(RateLimit(shared))])
    async def a() -> str:
        return "a"

    @app.get("/b", dependencies=[Depends(RateLimit(shared))])
    async def b() -> str:
        return "b"

    client = TestClient(app)
    assert [client.get(p).status_code for p in ("/a", "/b", "/a")] == [200, 200, 429]
    with pytest.raises(TypeError):
        RateLimit(shared, burst=3)


def make_middleware_app(clock: Clock, **kwargs: Any) -> FastAPI:
    app = FastAPI()
    app.add_middleware(RateLimitMiddleware, rate="2/minute", clock=clock, exempt=["/health"], **kwargs)

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("hello", headers={"x-own": "1"})

    @app.get("/health")
    async def health() -> str:
        return "up"

    return app


def test_middleware_limits_the_whole_app() -> None:
    client = TestClient(make_middleware_app(Clock()))
    first = client.get("/")
    assert first.status_code == 200 and first.headers["ratelimit"] == '"global";r=1;t=30'
    second = client.get("/text")
    assert second.text == "hello" and second.headers["x-own"] == "1" and "ratelimit" in second.headers
    third = client.get("/")
    assert third.status_code == 429
    assert third.json() == {"detail": "Too Many Requests"}
    assert third.headers["retry-after"] == "30" and third.headers["content-type"] == "application/json"
    for _ in range(5):
        assert client.get("/health").status_code == 200


def test_middleware_key_function_and_no_headers() -> None:
    client = TestClient(make_middleware_app(Clock(), key=lambda r: r.headers.get("x-api-key"), headers=False))
    for _ in range(4):
        r = client.get("/")
        assert r.status_code == 200 and "ratelimit" not in r.headers  # no key: not limited
    assert client.get("/", headers={"x-api-key": "k"}).status_code == 200
    assert client.get("/", headers={"x-api-key": "k"}).status_code == 200
    refused = client.get("/", headers={"x-api-key": "k"})
    assert refused.status_code == 429 and "retry-after" in refused.headers and "ratelimit" not in refused.headers


@pytest.mark.redis
@pytest.mark.parametrize("fail_open", [True, False])
def test_redis_down_is_never_a_500(redis_outage: RedisServer, fail_open: bool) -> None:
    app = FastAPI()
    app.add_middleware(RateLimitMiddleware, rate="100/minute", storage=redis_outage.url, fail_open=fail_open)
    limit = RateLimit("5/minute", storage=redis_outage.url, fail_open=fail_open, key_prefix="route")

    @app.get("/", dependencies=[Depends(limit)])
    async def root() -> str:
        return "ok"

    client = TestClient(app)
    ok = client.get("/")
    # Both the route's and the app-wide policy report, each under its own name.
    assert ok.status_code == 200 and ok.headers["ratelimit"] == '"default";r=4;t=12, "global";r=99;t=1'
    redis_outage.stop()
    for _ in range(3):
        r = client.get("/")
        if fail_open:
            assert r.status_code == 200 and "ratelimit" not in r.headers
        else:
            assert r.status_code == 429 and r.headers["retry-after"] == "1"
    redis_outage.start()


@pytest.mark.redis
def test_dependency_with_redis_storage(redis_url: str) -> None:
    app = FastAPI()
    limit = RateLimit("2/minute", storage=redis_url)

    @app.get("/", dependencies=[Depends(limit)])
    async def root() -> str:
        return "ok"

    client = TestClient(app)
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]

"""webaccel.flask.ratelimit through Flask's test client: @limit per view, the app-wide default
from WEBACCEL_RATELIMIT_* config, exemptions, keys, headers, 429 handling, config errors, and
the Redis-down policy (never a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request

from tests.redis_server import RedisServer
from webaccel.errors import RateLimitError
from webaccel.flask import WebAccel
from webaccel.flask.ratelimit import RateLimitExceeded, exempt, limit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_app(clock: Clock, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    WebAccel(app)

    @app.get("/limited")
    @limit("2/minute", clock=clock)
    def limited() -> str:
        return "ok"

    @app.get("/by-user")
    @limit("1/minute", key=lambda: request.headers.get("X-User"), clock=clock)
    def by_user() -> str:
        return "ok"

    @app.get("/async")
    @limit("1/minute", clock=clock)
    async def async_view() -> str:
        return "ok"

    @app.get("/free")
    def free() -> str:
        return "free"

    @app.get("/health")
    @exempt
    def health() -> str:
        return "up"

    return app


def test_limit_decorator_answers_429_with_headers() -> None:
    clock = Clock()
    client = make_app(clock).test_client()
    first = client.get("/limited")
    assert first.status_code == 200
    assert first.headers["RateLimit-Policy"] == '"default";q=2;w=60'
    assert first.headers["RateLimit"] == '"default";r=1;t=30'
    assert client.get("/limited").status_code == 200
    refused = client.get("/limited")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert refused.headers["RateLimit"] == '"default";r=0;t=60'
    assert "Too Many Requests" in refused.get_data(as_text=True)
    assert client.get("/free").status_code == 200 and "RateLimit" not in client.get("/free").headers
    clock.now += 30
    assert client.get("/limited").status_code == 200


def test_key_function_async_views_and_separate_counters() -> None:
    client = make_app(Clock()).test_client()
    assert client.get("/by-user", headers={"X-User": "a"}).status_code == 200
    assert client.get("/by-user", headers={"X-User": "a"}).status_code == 429
    assert client.get("/by-user", headers={"X-User": "b"}).status_code == 200
    for _ in range(3):
        assert client.get("/by-user").status_code == 200  # no user: exempt
    assert client.get("/async").status_code == 200
    assert client.get("/async").status_code == 429
    # /limited has its own counter: the other views' hits did not consume it
    assert client.get("/limited").status_code == 200


def test_app_wide_default_limit_from_config() -> None:
    app = make_app(
        Clock(),
        WEBACCEL_RATELIMIT_DEFAULT="3/hour",
        WEBACCEL_RATELIMIT_EXEMPT=["/static/"],
        WEBACCEL_RATELIMIT_LEGACY_HEADERS=True,
    )

    @app.get("/static/x")
    def static_x() -> str:
        return "x"

    client = app.test_client()
    r = client.get("/free")
    assert r.headers["RateLimit"] == '"global";r=2;t=1200'
    assert r.headers["X-RateLimit-Limit"] == "3" and r.headers["X-RateLimit-Remaining"] == "2"
    assert client.get("/free").status_code == 200
    assert client.get("/free").status_code == 200
    assert client.get("/free").status_code == 429
    assert client.get("/health").status_code == 200  # @exempt
    assert client.get("/static/x").status_code == 200  # WEBACCEL_RATELIMIT_EXEMPT


def test_the_most_restrictive_limit_reports() -> None:
    client = make_app(Clock(), WEBACCEL_RATELIMIT_DEFAULT="100/hour").test_client()
    r = client.get("/limited")
    assert r.headers["RateLimit"] == '"default";r=1;t=30'


def test_trusted_proxies_from_config() -> None:
    app = make_app(Clock(), WEBACCEL_RATELIMIT_TRUSTED_PROXIES=["10.0.0.0/8"])
    client = app.test_client()
    proxied = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/async", headers={"X-Forwarded-For": "1.1.1.1"}, environ_base=proxied).status_code == 200
    assert client.get("/async", headers={"X-Forwarded-For": "2.2.2.2"}, environ_base=proxied).status_code == 200
    assert client.get("/async", headers={"X-Forwarded-For": "1.1.1.1"}, environ_base=proxied).status_code == 429
    direct = {"REMOTE_ADDR": "203.0.113.1"}
    assert client.get("/async", headers={"X-Forwarded-For": "3.3.3.3"}, environ_base=direct).status_code == 200
    assert client.get("/async", headers={"X-Forwarded-For": "4.4.4.4"}, environ_base=direct).status_code == 429


def test_ipv6_prefix_from_config() -> None:
    for prefix, second in ((64, 429), (None, 200)):
        client = make_app(Clock(), WEBACCEL_RATELIMIT_IPV6_PREFIX=prefix).test_client()
        assert client.get("/async", environ_base={"REMOTE_ADDR": "2001:db8::1"}).status_code == 200
        assert client.get("/async", environ_base={"REMOTE_ADDR": "2001:db8::2"}).status_code == second


def test_disabled_and_custom_429_handler() -> None:
    client = make_app(Clock(), WEBACCEL_RATELIMIT_ENABLED=False).test_client()
    assert all(client.get("/limited").status_code == 200 for _ in range(5))

    app = make_app(Clock(), WEBACCEL_RATELIMIT_HEADERS=False)

    @app.errorhandler(429)
    def too_many(e: RateLimitExceeded) -> tuple[dict[str, Any], int, dict[str, str]]:
        return {"error": "slow down", "retry": e.result.retry_after}, 429, e.rate_limit_headers

    client = app.test_client()
    assert "RateLimit" not in client.get("/limited").headers
    client.get("/limited")
    r = client.get("/limited")
    assert r.status_code == 429 and r.json == {"error": "slow down", "retry": 30.0}
    assert r.headers["Retry-After"] == "30"


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("WEBACCEL_RATELIMIT_FAIL_OPEN", "yes", TypeError),
        ("WEBACCEL_RATELIMIT_DEFAULT", 10, TypeError),
        ("WEBACCEL_RATELIMIT_DEFAULT", "10/fortnight", RateLimitError),
        ("WEBACCEL_RATELIMIT_TIMEOUT", "fast", TypeError),
        ("WEBACCEL_RATELIMIT_TRUSTED_PROXIES", "10.0.0.0/8", TypeError),
        ("WEBACCEL_RATELIMIT_ALGORITHM", "leaky", RateLimitError),
        ("WEBACCEL_RATELIMIT_IPV6_PREFIX", 200, RateLimitError),
    ],
)
def test_config_errors_fail_at_init(key: str, value: Any, error: type[Exception]) -> None:
    app = Flask(__name__)
    app.config[key] = value
    if key == "WEBACCEL_RATELIMIT_ALGORITHM":
        app.config["WEBACCEL_RATELIMIT_DEFAULT"] = "1/second"
    with pytest.raises(error):
        WebAccel(app)


def test_a_bad_rate_fails_at_decoration() -> None:
    with pytest.raises(RateLimitError):
        limit("often")


@pytest.mark.redis
@pytest.mark.parametrize("fail_open", [True, False])
def test_redis_down_is_never_a_500(redis_outage: RedisServer, fail_open: bool) -> None:
    app = Flask(__name__)
    app.config.update(
        WEBACCEL_RATELIMIT_STORAGE=redis_outage.url,
        WEBACCEL_RATELIMIT_DEFAULT="100/hour",
        WEBACCEL_RATELIMIT_FAIL_OPEN=fail_open,
    )
    WebAccel(app)

    @app.get("/")
    @limit("5/minute")
    def index() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/").status_code == 200
    redis_outage.stop()
    for _ in range(3):
        r = client.get("/")
        assert r.status_code == (200 if fail_open else 429)
        if not fail_open:
            assert r.headers["Retry-After"] == "1"


@pytest.mark.redis
def test_limit_with_redis_storage(redis_url: str) -> None:
    app = Flask(__name__)
    app.config["WEBACCEL_RATELIMIT_STORAGE"] = redis_url
    WebAccel(app)

    @app.get("/")
    @limit("2/minute")
    def index() -> str:
        return "ok"

    client = app.test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_one_decorated_view_has_a_limiter_per_app() -> None:
    @limit("2/minute", key=lambda: "k")
    def shared() -> Any:
        return {"ok": True}

    apps = []
    for legacy in (False, True):
        app = Flask(__name__)
        app.config["WEBACCEL_RATELIMIT_LEGACY_HEADERS"] = legacy
        WebAccel(app)
        app.add_url_rule("/s", view_func=shared)
        apps.append(app.test_client())
    first, second = apps
    assert [first.get("/s").status_code for _ in range(3)] == [200, 200, 429]
    replies = [second.get("/s") for _ in range(3)]  # its own counter, its own settings
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert replies[0].headers["X-RateLimit-Remaining"] == "1" and "X-RateLimit-Limit" not in first.get("/s").headers

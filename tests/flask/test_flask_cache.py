"""webaccel.flask.cache: ``@webaccel.cached`` through Flask's test client, on the in-process and
the Redis cache, configured from WEBACCEL_CACHE_* keys; ETag and 304 on If-None-Match."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, jsonify, make_response, request

from webaccel.cache import Cache, RedisCache, etag_for
from webaccel.flask import CONFIG_DEFAULTS, WebAccel
from webaccel.flask.cache import cached, current_cache


def make_app(config: dict[str, Any]) -> tuple[Flask, dict[str, int]]:
    app = Flask(__name__)
    app.config.update(config)
    webaccel = WebAccel(app)
    calls = {"report": 0, "cookie": 0, "post": 0, "default": 0}

    @app.route("/report", methods=["GET", "POST"])
    @webaccel.cached(timeout=60)
    def report() -> Any:
        calls["report"] += 1
        return jsonify(calls=calls["report"], q=request.args.get("q"), text="é")

    @app.get("/cookie")
    @cached(timeout=60)
    def cookie() -> Any:
        calls["cookie"] += 1
        r = make_response("hi")
        r.set_cookie("s", "1")
        return r

    @app.get("/default")
    @cached(cache_control="public, max-age=5", vary=["Accept-Language"])
    def default() -> str:
        calls["default"] += 1
        return f"default {calls['default']} {request.headers.get('Accept-Language')}"

    @app.get("/missing")
    @cached(timeout=60)
    def missing() -> Any:
        return "nope", 404

    return app, calls


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def config(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "memory":
        return {"WEBACCEL_CACHE_MAX_ITEMS": 100}
    return {"WEBACCEL_CACHE_TYPE": "redis", "WEBACCEL_CACHE_URL": request.getfixturevalue("redis_url")}


def test_cached_view(config: dict[str, Any]) -> None:
    app, calls = make_app(config)
    client = app.test_client()
    first = client.get("/report?q=1")
    second = client.get("/report?q=1")
    assert first.data == second.data and calls["report"] == 1
    assert first.headers["X-WebAccel-Cache"] == "miss" and second.headers["X-WebAccel-Cache"] == "hit"
    assert second.headers["ETag"] == etag_for(second.data)
    assert second.headers["Cache-Control"] == "max-age=60"
    assert second.headers["Content-Type"] == "application/json"
    assert second.json == {"calls": 1, "q": "1", "text": "é"}
    client.get("/report?q=2")
    assert calls["report"] == 2
    client.post("/report")
    client.post("/report")
    assert calls["report"] == 4  # POST is never cached


def test_304(config: dict[str, Any]) -> None:
    app, calls = make_app(config)
    client = app.test_client()
    etag = client.get("/report").headers["ETag"]
    for header in (etag, f"W/{etag}", f'"x", {etag}', "*"):
        r = client.get("/report", headers={"If-None-Match": header})
        assert r.status_code == 304 and r.data == b"" and r.headers["ETag"] == etag
    assert client.get("/report", headers={"If-None-Match": '"other"'}).status_code == 200
    assert calls["report"] == 1


def test_not_cached(config: dict[str, Any]) -> None:
    app, calls = make_app(config)
    client = app.test_client()
    client.get("/cookie")
    client.get("/cookie")
    assert calls["cookie"] == 2
    client.get("/report", headers={"Authorization": "Bearer t"})
    client.get("/report", headers={"Authorization": "Bearer t"})
    assert calls["report"] == 2
    assert client.get("/missing").status_code == 404 and "ETag" not in client.get("/missing").headers


def test_default_timeout_and_vary(config: dict[str, Any]) -> None:
    app, calls = make_app(config)
    client = app.test_client()
    a = client.get("/default", headers={"Accept-Language": "en"})
    b = client.get("/default", headers={"Accept-Language": "en"})
    c = client.get("/default", headers={"Accept-Language": "fr"})
    assert a.data == b.data != c.data and calls["default"] == 2
    assert a.headers["Cache-Control"] == "public, max-age=5" and a.headers["Vary"] == "accept-language"


def test_config_builds_the_cache(redis_url: str) -> None:
    for key in ("WEBACCEL_CACHE_TYPE", "WEBACCEL_CACHE_URL", "WEBACCEL_CACHE_DEFAULT_TIMEOUT",
                "WEBACCEL_CACHE_MAX_ITEMS", "WEBACCEL_CACHE_MAX_BYTES", "WEBACCEL_CACHE_KEY_PREFIX"):
        assert key in CONFIG_DEFAULTS
    app, _ = make_app({"WEBACCEL_CACHE_MAX_ITEMS": 7, "WEBACCEL_CACHE_MAX_BYTES": 10_000, "WEBACCEL_CACHE_DEFAULT_TIMEOUT": 30})
    with app.app_context():
        cache = current_cache()
        assert isinstance(cache, Cache)
        assert (cache.max_items, cache.max_bytes, cache.ttl) == (7, 10_000, 30)
    app, _ = make_app({"WEBACCEL_CACHE_TYPE": "redis", "WEBACCEL_CACHE_URL": redis_url, "WEBACCEL_CACHE_KEY_PREFIX": "mine:"})
    with app.app_context():
        cache = current_cache()
        assert isinstance(cache, RedisCache) and cache.key_prefix == b"mine:" and cache.default_ttl == 300


@pytest.mark.parametrize(
    "config",
    [
        {"WEBACCEL_CACHE_TYPE": "memcached"},
        {"WEBACCEL_CACHE_TYPE": "redis"},
        {"WEBACCEL_CACHE_MAX_ITEMS": "10"},
        {"WEBACCEL_CACHE_DEFAULT_TIMEOUT": 0},
    ],
)
def test_bad_config(config: dict[str, Any]) -> None:
    app = Flask(__name__)
    app.config.update(config)
    with pytest.raises(TypeError):
        WebAccel(app)


def test_without_the_extension() -> None:
    app = Flask(__name__)

    @app.get("/x")
    @cached(timeout=5)
    def x() -> str:
        return "x"

    with pytest.raises(RuntimeError, match="WebAccel"):
        with app.test_request_context("/x"):
            app.view_functions["x"]()
    with pytest.raises(ValueError):
        cached(timeout=0)

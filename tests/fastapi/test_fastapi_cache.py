"""webaccel.fastapi.cache: cached routes through FastAPI's TestClient (in-process and Redis
caches), ETag stability, 304 on If-None-Match, and what is never cached."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from webaccel.cache import Cache, RedisCache, etag_for
from webaccel.fastapi.cache import CacheRoute, cache_response


class Item(BaseModel):
    id: int
    name: str


class ItemWithSecret(Item):
    secret: str


def make_app(cache: Cache | RedisCache) -> tuple[FastAPI, dict[str, int]]:
    calls = {"items": 0, "sync": 0, "personal": 0, "error": 0, "model": 0}
    app = FastAPI()
    app.router.route_class = CacheRoute

    @app.get("/items")
    @cache_response(ttl=60, cache=cache)
    async def items(q: str = "") -> dict[str, Any]:
        calls["items"] += 1
        return {"q": q, "calls": calls["items"], "text": "é"}

    @app.get("/sync")
    @cache_response(ttl=60, cache=cache, cache_control="public, max-age=30")
    def sync_route() -> list[int]:
        calls["sync"] += 1
        return [calls["sync"]]

    @app.get("/personal")
    @cache_response(ttl=60, cache=cache)
    async def personal(response: Response) -> dict[str, int]:
        calls["personal"] += 1
        response.set_cookie("session", "abc")
        return {"calls": calls["personal"]}

    @app.get("/error")
    @cache_response(ttl=60, cache=cache)
    async def error(response: Response) -> dict[str, int]:
        calls["error"] += 1
        response.status_code = 404
        return {"calls": calls["error"]}

    @app.get("/model", response_model=Item)
    @cache_response(ttl=60, cache=cache, vary=["accept-language"])
    async def model() -> ItemWithSecret:
        calls["model"] += 1
        return ItemWithSecret(id=calls["model"], name="n", secret="never in a response")

    @app.get("/plain")
    async def plain() -> dict[str, int]:
        return {"x": 1}

    return app, calls


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache | RedisCache]:
    if request.param == "memory":
        yield Cache(max_items=100)
    else:
        yield RedisCache(request.getfixturevalue("redis_url"), key_prefix="fa:")


def test_second_request_is_served_from_the_cache(cache: Cache | RedisCache) -> None:
    app, calls = make_app(cache)
    client = TestClient(app)
    first = client.get("/items?q=a")
    second = client.get("/items?q=a")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and calls["items"] == 1
    assert first.headers["x-webaccel-cache"] == "miss" and second.headers["x-webaccel-cache"] == "hit"
    assert first.headers["etag"] == second.headers["etag"] == etag_for(first.content)
    assert first.headers["cache-control"] == "max-age=60"
    assert second.headers["content-type"] == "application/json"
    assert int(second.headers["content-length"]) == len(second.content)
    assert second.json() == {"q": "a", "calls": 1, "text": "é"}
    # The query is part of the key, in any order.
    client.get("/items?q=b")
    assert calls["items"] == 2
    client.get("/items?q=b&z=1")
    client.get("/items?z=1&q=b")
    assert calls["items"] == 3


def test_304_on_if_none_match(cache: Cache | RedisCache) -> None:
    app, calls = make_app(cache)
    client = TestClient(app)
    etag = client.get("/items").headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = client.get("/items", headers={"If-None-Match": header})
        assert r.status_code == 304, header
        assert r.content == b""
        assert r.headers["etag"] == etag and r.headers["cache-control"] == "max-age=60"
    r = client.get("/items", headers={"If-None-Match": '"something-else"'})
    assert r.status_code == 200 and r.content
    assert calls["items"] == 1


def test_sync_endpoint_and_custom_cache_control(cache: Cache | RedisCache) -> None:
    app, calls = make_app(cache)
    client = TestClient(app)
    assert client.get("/sync").json() == [1]
    r = client.get("/sync")
    assert r.json() == [1] and r.headers["cache-control"] == "public, max-age=30"
    assert calls["sync"] == 1


def test_response_model_is_applied_before_caching(cache: Cache | RedisCache) -> None:
    app, calls = make_app(cache)
    client = TestClient(app)
    for _ in range(2):
        r = client.get("/model", headers={"Accept-Language": "en"})
        assert r.json() == {"id": 1, "name": "n"}
        assert "secret" not in r.text
    assert r.headers["vary"] == "accept-language"
    client.get("/model", headers={"Accept-Language": "fr"})
    assert calls["model"] == 2


def test_never_cached(cache: Cache | RedisCache) -> None:
    app, calls = make_app(cache)
    client = TestClient(app)
    for _ in range(2):
        assert client.get("/personal").cookies.get("session") == "abc"
        assert client.get("/error").status_code == 404
        client.get("/items", headers={"Authorization": "Bearer x"})
    assert calls["personal"] == 2 and calls["error"] == 2 and calls["items"] == 2
    assert "etag" not in client.get("/plain").headers


def test_decorator_without_the_route_class_fails_loudly() -> None:
    app = FastAPI()

    @app.get("/x")
    @cache_response(ttl=5)
    async def x() -> int:
        return 1

    with pytest.raises(RuntimeError, match="CacheRoute"):
        TestClient(app).get("/x")


def test_router_with_route_class_and_default_cache() -> None:
    router = APIRouter(route_class=CacheRoute)
    n = 0

    @router.get("/r")
    @cache_response(ttl=5)
    def r() -> int:
        nonlocal n
        n += 1
        return n

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    assert client.get("/r").json() == client.get("/r").json() == 1


def test_bad_ttl() -> None:
    with pytest.raises(ValueError):
        cache_response(ttl=0)


def test_etag_is_the_same_in_another_process() -> None:
    """Not Python's salted hash(): a fresh interpreter (another hash seed) computes the same tag."""
    body = b'{"q":"a","calls":1}'
    code = f"from webaccel.cache import etag_for; print(etag_for({body!r}))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONHASHSEED": "123"}, check=True
    )
    assert out.stdout.strip() == etag_for(body)

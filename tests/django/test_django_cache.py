"""Django's cache semantics (the behaviours of Django's tests/cache/tests.py BaseCacheTests,
restated here) run against webaccel's CACHES backends, plus a view cached through the test client.

Every test takes ``make``: a factory for a fresh backend of each kind with Django's params.
Time is a fake clock handed to the backend (``OPTIONS["TIMER"]``), never slept on.
"""

from __future__ import annotations

import asyncio
import itertools
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import CacheKeyWarning, caches
from django.core.cache.backends.base import BaseCache
from django.test import Client

from webaccel.django.cache import WebAccelCache, WebAccelRedisCache

_names = itertools.count()


class Clock:
    """A fake clock. The in-process backend reads it; for Redis, whose clock cannot be faked,
    ``advance`` shortens the remaining TTL of the backend's keys on the server by the same amount
    (and removes those it runs out), which is what the passing of that time would do."""

    def __init__(self) -> None:
        self.t = 1_000.0
        self.listeners: list[Callable[[float], None]] = []

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds
        for listener in self.listeners:
            listener(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


Make = Callable[..., BaseCache]


def _memory(clock: Clock) -> Iterator[Make]:
    def make(**params: Any) -> BaseCache:
        options = {"TIMER": clock, **params.pop("OPTIONS", {})}
        return WebAccelCache(f"test-{next(_names)}", {"OPTIONS": options, **params})

    yield make


def _redis(clock: Clock, request: pytest.FixtureRequest) -> Iterator[Make]:
    import redis as redis_py

    url = request.getfixturevalue("redis_url")
    raw = redis_py.Redis.from_url(url)

    def shift(seconds: float) -> None:
        for key in raw.scan_iter(match="dj*"):
            left = raw.pttl(key)
            if left > 0:
                if left - seconds * 1000 <= 0:
                    raw.delete(key)
                else:
                    raw.pexpire(key, int(left - seconds * 1000))

    clock.listeners.append(shift)

    def make(**params: Any) -> BaseCache:
        options = {"NAMESPACE": f"dj{next(_names)}:", "ON_ERROR": "raise", **params.pop("OPTIONS", {})}
        return WebAccelRedisCache(url, {"OPTIONS": options, **params})

    yield make
    raw.close()


BACKENDS: dict[str, Callable[[Clock, Any], Iterator[Make]]] = {
    "memory": lambda clock, request: _memory(clock),
    "redis": _redis,
}


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make(request: pytest.FixtureRequest, clock: Clock) -> Iterator[Make]:
    yield from BACKENDS[request.param](clock, request)


@pytest.fixture
def cache(make: Make) -> BaseCache:
    return make()


def test_simple(cache: BaseCache) -> None:
    cache.set("key", "value")
    assert cache.get("key") == "value"
    assert cache.get("missing") is None
    assert cache.get("missing", "default") == "default"


def test_default_used_when_none_is_not_stored_but_none_is_a_value(cache: BaseCache) -> None:
    cache.set("none", None)
    assert cache.get("none", "default") is None
    assert cache.has_key("none")
    assert cache.get_many(["none"]) == {"none": None}


def test_add(cache: BaseCache) -> None:
    assert cache.add("addkey1", "value") is True
    assert cache.add("addkey1", "newvalue") is False
    assert cache.get("addkey1") == "value"


def test_prefix_and_versions_separate_keys(make: Make) -> None:
    a = make(KEY_PREFIX="a")
    b = make(KEY_PREFIX="b")
    # Two backends with different prefixes share nothing, even on one store.
    b._store = a._store  # type: ignore[attr-defined]
    a.set("k", 1)
    assert b.get("k") is None
    assert not b.has_key("k")
    a.set("v", "one", version=1)
    a.set("v", "two", version=2)
    assert a.get("v") == "one" and a.get("v", version=2) == "two"
    assert a.make_key("v", version=3) == "a:3:v"


def test_get_many_set_many_delete_many(cache: BaseCache) -> None:
    assert cache.set_many({"a": "a", "b": "b", "c": "c", "d": "d"}) == []
    assert cache.get_many(["a", "c", "d"]) == {"a": "a", "c": "c", "d": "d"}
    assert cache.get_many(["a", "b", "e"]) == {"a": "a", "b": "b"}
    assert cache.get_many(iter(["a", "b", "e"])) == {"a": "a", "b": "b"}
    cache.delete_many(["a", "b"])
    assert cache.get_many(["a", "b", "c"]) == {"c": "c"}
    cache.delete_many(iter(["c"]))
    assert cache.get("c") is None


def test_delete(cache: BaseCache) -> None:
    cache.set_many({"key1": "spam", "key2": "eggs"})
    assert cache.delete("key1") is True
    assert cache.get("key1") is None
    assert cache.get("key2") == "eggs"
    assert cache.delete("key1") is False


def test_has_key_and_in(cache: BaseCache) -> None:
    cache.set("hello1", "goodbye1")
    assert cache.has_key("hello1") and "hello1" in cache
    assert not cache.has_key("goodbye1") and "goodbye1" not in cache


def test_incr_decr(cache: BaseCache) -> None:
    cache.set("answer", 41)
    assert cache.incr("answer") == 42
    assert cache.get("answer") == 42
    assert cache.incr("answer", 10) == 52
    assert cache.incr("answer", -10) == 42
    assert cache.decr("answer") == 41
    assert cache.decr("answer", 10) == 31
    assert cache.decr("answer", -10) == 41
    with pytest.raises(ValueError):
        cache.incr("does_not_exist")
    with pytest.raises(ValueError):
        cache.incr("does_not_exist", -1)
    with pytest.raises(ValueError):
        cache.decr("does_not_exist")
    cache.set("null", None)
    with pytest.raises(TypeError):
        cache.incr("null")


def test_data_types(cache: BaseCache) -> None:
    stuff = {
        "string": "this is a string",
        "int": 42,
        "bool": True,
        "list": [1, 2, 3, 4],
        "dict": {"A": 1, "B": [1, 2], "C": {"nested": None}},
        "float": 1.5,
        "unicode": "Iñtërnâtiônàlizætiøn, ℬ𝓁ℯ𝓈𝓈ℯ𝒹",
    }
    cache.set("stuff", stuff)
    assert cache.get("stuff") == stuff


def test_unicode_keys_and_values(cache: BaseCache) -> None:
    stuff = {"ascii": "ascii_value", "unicode_ascii": "Iñtërnâtiônàlizætiøn1", "Iñtërnâtiônàlizætiøn": "2", "ascii2": {"x": 1}}
    for key, value in stuff.items():
        cache.set(key, value)
        assert cache.get(key) == value
        cache.delete(key)
        cache.add(key, value)
        assert cache.get(key) == value
    cache.set_many(stuff)
    for key, value in stuff.items():
        assert cache.get(key) == value


def test_expiration(cache: BaseCache, clock: Clock) -> None:
    cache.set("expire1", "very quickly", 1)
    cache.set("expire2", "very quickly", 1)
    cache.set("expire3", "very quickly", 1)
    clock.advance(2)
    assert cache.get("expire1") is None
    assert cache.add("expire2", "newvalue") is True
    assert cache.get("expire2") == "newvalue"
    assert not cache.has_key("expire3")


def test_touch(cache: BaseCache, clock: Clock) -> None:
    cache.set("expire1", "very quickly", timeout=1)
    assert cache.touch("expire1", timeout=4) is True
    clock.advance(2)
    assert cache.has_key("expire1")
    clock.advance(3)
    assert not cache.has_key("expire1")
    cache.set("expire2", "very quickly", timeout=1)
    assert cache.touch("expire2", timeout=None) is True
    clock.advance(2)
    assert cache.has_key("expire2")
    assert cache.touch("nonexistent") is False


def test_default_timeout_and_forever(make: Make, clock: Clock) -> None:
    cache = make(TIMEOUT=10)
    cache.set("default", "x")
    cache.set("forever", "y", None)
    cache.add("forever-add", "z", None)
    cache.set_many({"forever-many": "w"}, None)
    clock.advance(11)
    assert cache.get("default") is None
    clock.advance(10**8)
    assert cache.get_many(["forever", "forever-add", "forever-many"]) == {"forever": "y", "forever-add": "z", "forever-many": "w"}
    forever = make(TIMEOUT=None)
    forever.set("k", 1)
    clock.advance(10**9)
    assert forever.get("k") == 1


def test_long_and_float_timeouts(cache: BaseCache, clock: Clock) -> None:
    cache.set("key1", "eggs", 60 * 60 * 24 * 30 + 1)  # more than 30 days (memcached's limit)
    assert cache.get("key1") == "eggs"
    assert cache.add("key2", "ham", 60 * 60 * 24 * 30 + 1) is True
    assert cache.get("key2") == "ham"
    cache.set("float", "f", 1.5)
    clock.advance(1.4)
    assert cache.get("float") == "f"
    clock.advance(0.2)
    assert cache.get("float") is None


def test_zero_and_negative_timeout(cache: BaseCache) -> None:
    cache.set("key1", "eggs", 0)
    assert cache.get("key1") is None
    cache.add("key2", "ham", 0)
    assert cache.get("key2") is None
    cache.set_many({"key3": "sausage", "key4": "lobster bisque"}, 0)
    assert cache.get("key3") is None and cache.get("key4") is None
    cache.set("key5", "belgian fries", timeout=1)
    assert cache.touch("key5", timeout=0) is True
    assert cache.get("key5") is None
    cache.set("neg", "x", -1)
    assert cache.get("neg") is None
    cache.set("live", "y")
    cache.set("live", "z", 0)  # setting with timeout 0 removes a live value
    assert cache.get("live") is None


def test_clear(cache: BaseCache) -> None:
    cache.set_many({"key1": "spam", "key2": "eggs"})
    cache.clear()
    assert cache.get("key1") is None and cache.get("key2") is None


def test_versioning_incr_decr_version(cache: BaseCache) -> None:
    cache.set("answer", 42, version=2)
    assert cache.get("answer") is None
    assert cache.get("answer", version=2) == 42
    assert cache.incr_version("answer", version=2) == 3
    assert cache.get("answer", version=2) is None
    assert cache.get("answer", version=3) == 42
    assert cache.decr_version("answer", version=3) == 2
    assert cache.get("answer", version=2) == 42
    with pytest.raises(ValueError):
        cache.incr_version("does_not_exist")
    cache.set_many({"ford": 37, "arthur": 42}, version=2)
    assert cache.get_many(["ford", "arthur"], version=2) == {"ford": 37, "arthur": 42}
    assert cache.get_many(["ford", "arthur"]) == {}
    cache.delete("ford", version=2)
    assert cache.get("ford", version=2) is None
    assert cache.incr("arthur", version=2) == 43


def test_version_setting(make: Make) -> None:
    v2 = make(VERSION=2)
    v2.set("answer", 42)
    assert v2.get("answer") == 42
    assert v2.get("answer", version=1) is None
    assert v2.make_key("answer") == ":2:answer"


def test_custom_key_function(make: Make) -> None:
    cache = make(KEY_FUNCTION=lambda key, prefix, version: f"custom-{key}")
    cache.set("answer1", 42)
    assert cache.make_key("answer1") == "custom-answer1"
    assert cache.get("answer1") == 42


def test_get_or_set(cache: BaseCache) -> None:
    assert cache.get("projector") is None
    assert cache.get_or_set("projector", 42) == 42
    assert cache.get("projector") == 42
    assert cache.get_or_set("null", None) is None
    # A callable default is called; None from it is stored like any value.
    assert cache.get_or_set("mykey", lambda: "value") == "value"
    assert cache.get_or_set("mykey", lambda: "other") == "value"
    assert cache.get_or_set("brian", 1979, version=2) == 1979
    assert cache.get("brian", version=2) == 1979
    assert cache.get("brian") is None


def test_invalid_keys_warn(cache: BaseCache) -> None:
    for key in ("key with spaces", "a" * 251, "key\x07ctrl"):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            cache.set(key, "value")
            assert cache.get(key) == "value"
        assert any(issubclass(x.category, CacheKeyWarning) for x in w), key


def test_close(cache: BaseCache) -> None:
    cache.set("k", 1)
    cache.close()
    assert cache.get("k") == 1


def test_async_methods(cache: BaseCache, clock: Clock) -> None:
    async def run() -> None:
        assert await cache.aadd("a", 1) is True
        assert await cache.aadd("a", 2) is False
        assert await cache.aget("a") == 1
        assert await cache.aget("missing", "d") == "d"
        await cache.aset("b", 2, 1)
        assert await cache.ahas_key("b")
        assert await cache.atouch("b", None) is True
        clock.advance(5)
        assert await cache.aget("b") == 2
        assert await cache.aget_many(["a", "b", "c"]) == {"a": 1, "b": 2}
        assert await cache.aset_many({"c": 3, "d": 4}) == []
        assert await cache.aincr("c") == 4
        assert await cache.adecr("c", 2) == 2
        assert await cache.aget_or_set("e", lambda: 5) == 5
        assert await cache.adelete("a") is True
        await cache.adelete_many(["b", "c"])
        assert await cache.aget_many(["a", "b", "c", "d"]) == {"d": 4}
        assert await cache.aincr_version("d") == 2
        assert await cache.aget("d", version=2) == 4
        await cache.aclear()
        assert await cache.aget("d", version=2) is None
        await cache.aclose()

    asyncio.run(run())


# --- in-process specifics ----------------------------------------------------------------


def test_memory_max_entries_bounds_the_store() -> None:
    cache = WebAccelCache("bounded", {"OPTIONS": {"MAX_ENTRIES": 30}})
    for i in range(200):
        cache.set(f"k{i}", i)
    assert len(cache._store) <= 30


def test_memory_same_location_shares_the_store() -> None:
    a = WebAccelCache("shared-loc", {})
    b = WebAccelCache("shared-loc", {})
    a.set("k", 1)
    assert b.get("k") == 1


def test_memory_serialize_option_stores_copies() -> None:
    by_ref = WebAccelCache("by-ref", {})
    copies = WebAccelCache("copies", {"OPTIONS": {"SERIALIZE": True}})
    for cache in (by_ref, copies):
        value = [1, 2]
        cache.set("k", value)
        value.append(3)
        cache.set("n", 1)
        assert cache.incr("n") == 2
    assert by_ref.get("k") == [1, 2, 3]
    assert copies.get("k") == [1, 2]


def test_cache_page_through_the_test_client() -> None:
    caches["webaccel"].clear()
    client = Client()
    first = client.get("/cached-view")
    second = client.get("/cached-view")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content  # the view's counter did not move: served from cache
    other = client.get("/cached-view?x=1")
    assert other.content != first.content


# --- Redis specifics ---------------------------------------------------------------------------


@pytest.mark.redis
def test_redis_clear_keeps_other_keys(redis_url: str) -> None:
    import redis as redis_py

    raw = redis_py.Redis.from_url(redis_url)
    raw.set(b"not-django", b"1")
    cache = WebAccelRedisCache(redis_url, {"KEY_PREFIX": "site"})
    cache.set("k", "v")
    assert raw.exists(b"webaccel:django:site:1:k")  # namespace + Django's make_key
    cache.clear()
    assert cache.get("k") is None
    assert raw.get(b"not-django") == b"1"


@pytest.mark.redis
def test_redis_outage_reads_as_a_miss(redis_outage: Any) -> None:
    cache = WebAccelRedisCache(redis_outage.url, {"OPTIONS": {"RETRY_INTERVAL": 0}})
    cache.set("k", "v")
    redis_outage.stop()
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", "w")  # dropped, no exception: the page still renders
    redis_outage.start()
    cache.set("k", "x")
    assert cache.get("k") == "x"

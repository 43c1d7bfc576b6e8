"""webaccel.cache.RedisCache against a real redis-server started by the test fixtures: the cache
interface, serializers (no pickle unless asked), clear() by prefix only, the outage policy with
the server stopped, and recovery after it restarts. Interop: values written by redis-py are read
by RedisCache and the other way round."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
import redis as redis_py

import webaccel.json
from tests.redis_server import RedisServer
from webaccel.cache import RedisCache
from webaccel.errors import CacheError, CacheUnavailableError, StorageError

pytestmark = pytest.mark.redis


@pytest.fixture
def rc(redis_url: str) -> RedisCache:
    return RedisCache(redis_url, key_prefix="t:")


@pytest.fixture
def raw(redis_url: str) -> redis_py.Redis:
    return redis_py.Redis.from_url(redis_url)


def test_round_trip_and_layout(rc: RedisCache, raw: redis_py.Redis) -> None:
    assert rc.get("a") is None and rc.get("a", 5) == 5
    assert rc.set("a", {"x": [1, 2, None], "s": "é"}) is True
    assert rc.get("a") == {"x": [1, 2, None], "s": "é"}
    # The layout: prefix + key, the value as JSON, no TTL.
    assert raw.get(b"t:a") == webaccel.json.dumps({"x": [1, 2, None], "s": "é"})
    assert raw.ttl(b"t:a") == -1
    rc[b"bin"] = 1
    assert rc[b"bin"] == 1 and b"bin" in rc and "bin" in rc
    assert rc.delete("a") is True and rc.delete("a") is False
    with pytest.raises(KeyError):
        rc["a"]
    with pytest.raises(TypeError):
        rc.get(1)  # type: ignore[arg-type]


def test_add_touch_ttl(rc: RedisCache, raw: redis_py.Redis) -> None:
    assert rc.add("k", 1, ttl=100) is True
    assert rc.add("k", 2) is False and rc.get("k") == 1
    assert 99_000 < raw.pttl(b"t:k") <= 100_000
    assert rc.touch("k", None) is True and raw.ttl(b"t:k") == -1  # no default: forever
    assert rc.touch("k", 5.5) is True and 5000 < raw.pttl(b"t:k") <= 5500
    assert rc.touch("missing", 5) is False
    assert rc.touch("k", 0) is True and "k" not in rc
    rc.set("k", 1)
    rc.set("k", 2, ttl=-1)
    assert rc.get("k") is None
    assert rc.add("k", 3, ttl=0) is True and "k" not in rc


def test_default_ttl(redis_url: str, raw: redis_py.Redis) -> None:
    rc = RedisCache(redis_url, key_prefix="d:", default_ttl=60)
    rc.set("k", 1)
    assert 59_000 < raw.pttl(b"d:k") <= 60_000
    rc.set("forever", 1, ttl=float("inf"))
    assert raw.ttl(b"d:forever") == -1
    with pytest.raises(ValueError):
        RedisCache(redis_url, default_ttl=0)


def test_many(rc: RedisCache, raw: redis_py.Redis) -> None:
    assert rc.set_many({"a": 1, "b": [2], "c": "3"}, ttl=30) is True
    assert rc.get_many(["a", "b", "c", "zz"]) == {"a": 1, "b": [2], "c": "3"}
    assert 29_000 < raw.pttl(b"t:b") <= 30_000
    assert rc.delete_many(["a", "b", "nope"]) == 2
    assert rc.get_many([]) == {} and rc.delete_many([]) == 0
    rc.set_many([("x", 1)])
    assert rc.get("x") == 1


def test_incr(rc: RedisCache, raw: redis_py.Redis) -> None:
    with pytest.raises(KeyError):
        rc.incr("n")
    assert rc.incr("n", initial=10) == 11
    assert rc.incr("n", -5) == 6
    assert rc.get("n") == 6
    rc.set("t", 1, ttl=100)
    rc.incr("t")
    assert raw.pttl(b"t:t") > 0  # the TTL is kept
    rc.set("s", "text")
    with pytest.raises(TypeError):
        rc.incr("s")
    with pytest.raises(TypeError):
        rc.incr("n", 1.5)  # type: ignore[arg-type]


def test_incr_is_atomic_across_threads(rc: RedisCache) -> None:
    rc.set("n", 0)

    def work() -> None:
        for _ in range(200):
            rc.incr("n")

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rc.get("n") == 1000


def test_clear_removes_only_its_prefix(redis_url: str, raw: redis_py.Redis) -> None:
    ours = RedisCache(redis_url, key_prefix="app:[1]*:")  # glob characters in the prefix
    lookalike = RedisCache(redis_url, key_prefix="app:11:")  # what an unescaped pattern would hit
    for i in range(2500):  # more than one SCAN batch
        ours.set(f"k{i}", i)
    lookalike.set("k", 1)
    raw.set(b"other", b"survives")
    raw.set(b"app:[1]", b"survives too")  # shares a start, not the prefix
    assert len(ours) == 2500
    assert ours.clear() == 2500
    assert len(ours) == 0
    assert raw.get(b"other") == b"survives" and raw.get(b"app:[1]") == b"survives too"
    assert lookalike.get("k") == 1
    assert raw.dbsize() == 3
    with pytest.raises(ValueError):
        RedisCache(redis_url, key_prefix="")


def test_serializers(redis_url: str, raw: redis_py.Redis) -> None:
    b = RedisCache(redis_url, key_prefix="b:", serializer="bytes")
    b.set("k", b"\x00\xff")
    assert b.get("k") == b"\x00\xff" and raw.get(b"b:k") == b"\x00\xff"
    b.set("n", 5)
    assert b.incr("n") == 6 and b.get("n") == b"6"
    with pytest.raises(CacheError):
        b.set("k", "text")

    class Upper:
        def dumps(self, value: Any) -> bytes:
            return str(value).upper().encode()

        def loads(self, data: bytes) -> Any:
            return data.decode()

    c = RedisCache(redis_url, key_prefix="c:", serializer=Upper())
    c.set("k", "abc")
    assert c.get("k") == "ABC"
    with pytest.raises(TypeError):
        RedisCache(redis_url, serializer=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RedisCache(redis_url, serializer="marshal")  # type: ignore[arg-type]


def test_json_default_never_unpickles(redis_url: str, raw: redis_py.Redis) -> None:
    """Bytes someone else planted in Redis are parsed as JSON, never executed as a pickle."""
    import pickle

    class Exploit:
        def __reduce__(self) -> Any:
            return (exec, ("raise SystemExit('pickle executed')",))

    raw.set(b"t:evil", pickle.dumps(Exploit()))
    rc = RedisCache(redis_url, key_prefix="t:")
    with pytest.raises(ValueError):  # webaccel.json.JSONDecodeError
        rc.get("evil")
    with pytest.raises(TypeError):  # a value JSON cannot hold is refused, not pickled
        rc.set("obj", object())


def test_pickle_is_opt_in(redis_url: str) -> None:
    p = RedisCache(redis_url, key_prefix="p:", serializer="pickle")
    p.set("k", {"t": (1, 2), "b": b"x", "s": {1}})
    assert p.get("k") == {"t": (1, 2), "b": b"x", "s": {1}}
    p.set("n", 41)
    assert p.incr("n") == 42 and p.get("n") == 42


def test_interop_with_redis_py(rc: RedisCache, raw: redis_py.Redis) -> None:
    raw.set(b"t:from-redis-py", b'{"a": 1}')
    assert rc.get("from-redis-py") == {"a": 1}
    rc.set("from-us", [1, "two"])
    assert raw.get(b"t:from-us") == b'[1,"two"]'
    raw.set(b"t:counter", 7)
    assert rc.incr("counter") == 8 and raw.get(b"t:counter") == b"8"


def test_server_error_reply_is_a_cache_error(rc: RedisCache, raw: redis_py.Redis) -> None:
    raw.lpush(b"t:list", b"x")  # a key of the wrong type
    with pytest.raises(CacheError, match="WRONGTYPE"):
        rc.get("list")


def test_get_or_set_coalesces(rc: RedisCache) -> None:
    calls = 0
    release = threading.Event()

    def factory() -> int:
        nonlocal calls
        calls += 1
        release.wait(timeout=30)
        return 99

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(rc.get_or_set("g", factory))) for _ in range(6)]
    for t in threads:
        t.start()
    assert rc._flight.wait_for_waiters("g", 5, timeout=30)
    release.set()
    for t in threads:
        t.join()
    assert calls == 1 and results == [99] * 6 and rc.get("g") == 99


def test_async_methods(rc: RedisCache) -> None:
    import asyncio

    async def main() -> None:
        assert await rc.aset("a", 1) is True
        assert await rc.aget("a") == 1

        async def factory() -> str:
            return "v"

        assert await rc.aget_or_set("b", factory) == "v"
        assert await rc.adelete("a") is True

    asyncio.run(main())
    assert rc.get("b") == "v"


def test_outage_as_a_miss_then_recovery(redis_outage: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    # retry_interval=0: every call tries the server again, so recovery needs no waiting.
    rc = RedisCache(redis_outage.url, key_prefix="o:", retry_interval=0)
    rc.set("k", 1)
    redis_outage.stop()
    with caplog.at_level(logging.WARNING, logger="webaccel.cache"):
        assert rc.get("k") is None
        assert rc.get("k", "default") == "default"
        assert rc.set("k", 2) is False
        assert rc.add("k", 2) is False
        assert rc.delete("k") is False
        assert "k" not in rc
        assert rc.get_many(["k"]) == {}
        assert rc.get_or_set("fresh", lambda: "computed") == "computed"
    # incr and clear cannot pretend.
    with pytest.raises(CacheUnavailableError):
        rc.incr("n", initial=0)
    with pytest.raises(CacheUnavailableError):
        rc.clear()
    unavailable = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(unavailable) == 1  # one warning per outage, not one per call
    assert rc.stats()["down"] is True and rc.stats()["errors"] >= 8
    assert not rc.ping()
    redis_outage.start()  # a fresh, empty server on the same port
    assert rc.set("k", 3) is True
    assert rc.get("k") == 3
    assert rc.stats()["down"] is False


def test_outage_raise_policy(redis_outage: RedisServer) -> None:
    rc = RedisCache(redis_outage.url, key_prefix="o:", retry_interval=0, on_error="raise")
    rc.set("k", 1)
    redis_outage.stop()
    for call in (lambda: rc.get("k"), lambda: rc.set("k", 1), lambda: "k" in rc):
        with pytest.raises(CacheUnavailableError) as info:
            call()
        assert isinstance(info.value, StorageError) and isinstance(info.value, ConnectionError)
    redis_outage.start()
    assert rc.get("k") is None  # recovered (the restarted server is empty)
    with pytest.raises(ValueError):
        RedisCache(redis_outage.url, on_error="ignore")  # type: ignore[arg-type]


def test_unreachable_from_the_start(redis_outage: RedisServer) -> None:
    redis_outage.stop()
    rc = RedisCache(redis_outage.url, retry_interval=0)
    assert rc.get("k") is None
    redis_outage.start()
    assert rc.set("k", 1) and rc.get("k") == 1


def test_hostile_keys_are_data_not_commands(rc: RedisCache, raw: redis_py.Redis) -> None:
    """RESP is length-prefixed: CR/LF, NUL, spaces and glob characters in a key are key bytes."""
    raw.set(b"bystander", b"1")
    for key in ("a\r\nFLUSHALL\r\n", "*", "\x00nul", "sp ace", "é" * 300, b"\xff\xfe"):
        assert rc.set(key, "v") is True
        assert rc.get(key) == "v"
    assert raw.get(b"bystander") == b"1"
    assert raw.exists(b"t:a\r\nFLUSHALL\r\n")
    assert rc.clear() == 6 and raw.get(b"bystander") == b"1"

"""webaccel.cache.Cache: the in-memory cache (Rust), its bounds, TTL, eviction policy, the
single-flight get_or_set, and the HTTP validators shared by the adapters.

Time is injected (a fake clock), never slept on. Behaviour is compared with cachetools where the
two define the same thing (a model of the mapping under random operations)."""

from __future__ import annotations

import asyncio
import gc
import math
import random
import threading
import weakref
from typing import Any

import cachetools
import pytest
from hypothesis import given
from hypothesis import strategies as st

from webaccel.cache import Cache, etag_for, etag_matches
from webaccel.errors import CacheError, CacheUnavailableError, WebAccelError


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


# --- the mapping ---------------------------------------------------------------------------


def test_basic_operations() -> None:
    c = Cache()
    assert c.get("a") is None
    assert c.get("a", 5) == 5
    assert c.set("a", 1) is True
    assert c.get("a") == 1 and c["a"] == 1
    assert "a" in c and "b" not in c
    c["b"] = [1, 2]
    assert len(c) == 2
    assert c.delete("a") is True and c.delete("a") is False
    with pytest.raises(KeyError):
        c["a"]
    with pytest.raises(KeyError):
        del c["a"]
    del c["b"]
    assert len(c) == 0


def test_values_are_stored_by_reference() -> None:
    c = Cache()
    value = object()
    c.set("k", value)
    assert c.get("k") is value


def test_keys_are_str_or_bytes_and_distinct() -> None:
    c = Cache()
    c.set("a", "str")
    c.set(b"a", "bytes")
    assert c.get("a") == "str" and c.get(b"a") == "bytes"
    # Equal keys built separately (not the same object) find the entry.
    key = "".join(["us", "er:", "42"])
    c.set(key, 1)
    assert c.get("user:" + str(42)) == 1
    for bad in (1, 1.5, ("a",), None, bytearray(b"a")):
        with pytest.raises(TypeError, match="str or bytes"):
            c.get(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            c.set(bad, 1)  # type: ignore[arg-type]


def test_str_subclass_keys_refused() -> None:
    class Evil(str):
        def __eq__(self, other: object) -> bool:
            raise AssertionError("user __eq__ must never run")

        __hash__ = str.__hash__

    with pytest.raises(TypeError):
        Cache().set(Evil("a"), 1)


def test_add_touch_and_many() -> None:
    clock = Clock()
    c = Cache(timer=clock)
    assert c.add("a", 1) is True
    assert c.add("a", 2) is False and c.get("a") == 1
    c.set_many({"x": 1, "y": 2}, ttl=10)
    c.set_many([("z", 3)])
    assert c.get_many(["x", "y", "z", "missing"]) == {"x": 1, "y": 2, "z": 3}
    assert c.touch("x", 100) is True and c.touch("missing", 1) is False
    clock.advance(50)
    assert c.get_many(["x", "y"]) == {"x": 1}
    assert c.delete_many(["x", "z", "nope"]) == 2
    assert sorted(c.keys()) == ["a"]  # type: ignore[type-var]
    c.clear()
    assert len(c) == 0 and c.get("a") is None


def test_incr() -> None:
    c = Cache()
    with pytest.raises(KeyError):
        c.incr("n")
    assert c.incr("n", initial=0) == 1
    assert c.incr("n") == 2
    assert c.incr("n", 10) == 12
    assert c.incr("n", -20) == -8
    c.set("big", 2**63 - 1)
    assert c.incr("big") == 2**63
    c.set("s", "text")
    with pytest.raises(TypeError):
        c.incr("s")
    with pytest.raises(TypeError):
        c.incr("n", 1.5)  # type: ignore[arg-type]
    c.set("flag", True)
    with pytest.raises(TypeError):
        c.incr("flag")


def test_incr_is_atomic_across_threads() -> None:
    c = Cache()
    c.set("n", 0)
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for _ in range(2000):
            c.incr("n")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.get("n") == 16000


def test_incr_keeps_the_deadline() -> None:
    clock = Clock()
    c = Cache(timer=clock)
    c.set("n", 1, ttl=10)
    clock.advance(9)
    assert c.incr("n") == 2
    clock.advance(1)
    assert c.get("n") is None


# --- TTL -------------------------------------------------------------------------------------


def test_ttl_per_cache_and_per_entry() -> None:
    clock = Clock()
    c = Cache(ttl=60, timer=clock)
    assert c.ttl == 60
    c.set("default", 1)
    c.set("short", 2, ttl=5)
    c.set("forever", 3, ttl=math.inf)
    clock.advance(4.999)
    assert c.get("short") == 2
    clock.advance(0.001)
    assert c.get("short") is None and "short" not in c
    clock.advance(55)
    assert c.get("default") is None
    clock.advance(10**9)
    assert c.get("forever") == 3
    assert c.stats()["expirations"] == 2


def test_ttl_zero_or_negative_removes() -> None:
    c = Cache()
    c.set("k", 1)
    assert c.set("k", 2, ttl=0) is True
    assert "k" not in c
    c.set("k", 1)
    c.set("k", 2, ttl=-5)
    assert c.get("k") is None
    assert c.add("k", 1, ttl=0) is False
    c.set("k", 1)
    assert c.touch("k", 0) is True
    assert "k" not in c


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        Cache(max_items=-1)
    with pytest.raises(ValueError):
        Cache(max_bytes=-1)
    with pytest.raises(ValueError):
        Cache(ttl=0)
    with pytest.raises(ValueError):
        Cache().set("k", 1, ttl=math.nan)


def test_purge_drops_expired_entries() -> None:
    clock = Clock()
    c = Cache(timer=clock)
    for i in range(100):
        c.set(f"k{i}", i, ttl=1 + (i % 2) * 100)
    clock.advance(2)
    assert len(c) == 100  # expired ones are still held until met
    assert c.purge() == 50
    assert len(c) == 50
    assert sorted(c.get_many([f"k{i}" for i in range(100)]).values()) == list(range(1, 100, 2))


# --- bounds and eviction ---------------------------------------------------------------------


@pytest.mark.parametrize("max_items", [1, 2, 3, 10, 255, 1000, 5000])
def test_item_bound_holds(max_items: int) -> None:
    c = Cache(max_items=max_items)
    for i in range(max_items * 3 + 10):
        c.set(f"k{i}", i)
        c.get(f"k{i % 7}")
        assert len(c) <= max_items
    s = c.stats()
    assert s["items"] == len(c) and s["evictions"] == s["sets"] - len(c)


def test_byte_bound_holds() -> None:
    c = Cache(max_bytes=10_000)
    for i in range(1000):
        c.set(f"k{i:04d}", b"x" * random.Random(i).randrange(1, 400))
        assert c.stats()["bytes"] <= 10_000
    # An entry is len(key) + len(value): 5 + 995 = 1000 bytes.
    c.clear()
    c.set("k0000", b"x" * 995)
    assert c.stats()["bytes"] == 1000
    # str values count code points; other values use sizeof= or sys.getsizeof.
    c.clear()
    c.set("k", "é" * 10)
    assert c.stats()["bytes"] == 11


def test_too_large_is_not_stored() -> None:
    c = Cache(max_bytes=100)
    c.set("k", b"small")
    assert c.set("k", b"x" * 200) is False
    assert "k" not in c  # the old value is not left behind either
    assert c.stats()["rejections"] == 1


def test_sizeof_callable() -> None:
    c = Cache(max_bytes=1000, sizeof=lambda v: v["size"])
    for i in range(50):
        c.set(f"{i:02d}", {"size": 98})
    assert len(c) <= 10 and c.stats()["bytes"] <= 1000
    with pytest.raises(ValueError):
        c.set("neg", {"size": -1})
    with pytest.raises(TypeError):
        Cache(max_bytes=10, sizeof=lambda v: "nope").set("k", 1)  # type: ignore[arg-type,return-value]


def test_getsizeof_fallback() -> None:
    import sys

    c = Cache(max_bytes=100_000)
    value = list(range(10))
    c.set("k", value)
    assert c.stats()["bytes"] == 1 + sys.getsizeof(value)


def test_evicted_values_are_released() -> None:
    class V:
        pass

    c = Cache(max_items=10)
    refs = []
    for i in range(100):
        v = V()
        refs.append(weakref.ref(v))
        c.set(f"k{i}", v)
    del v
    gc.collect()
    alive = sum(r() is not None for r in refs)
    assert alive == len(c) <= 10


def test_destructor_that_uses_the_cache_does_not_deadlock() -> None:
    c = Cache(max_items=2)

    class Reentrant:
        def __del__(self) -> None:
            c.get("other")
            c.set("from-del", 1)

    c.set("a", Reentrant())
    c.set("a", Reentrant())  # the replaced value's __del__ runs after the shard is unlocked
    c.delete("a")
    for i in range(5):
        c.set(f"r{i}", Reentrant())
    c.clear()
    assert len(c) <= 2


def _zipf_trace(n: int, universe: int, s: float, seed: int) -> list[int]:
    rnd = random.Random(seed)
    weights = [1 / (i + 1) ** s for i in range(universe)]
    return rnd.choices(range(universe), weights, k=n)


def _hit_ratio(cache: Any, trace: list[str], is_ours: bool) -> float:
    hits = 0
    for k in trace:
        if is_ours:
            if cache.get(k) is not None:
                hits += 1
            else:
                cache.set(k, 1)
        else:
            if cache.get(k) is not None:
                hits += 1
            else:
                cache[k] = 1
    return hits / len(trace)


def test_hit_ratio_beats_lru_on_zipf_with_scans() -> None:
    zipf = _zipf_trace(60_000, 20_000, 0.9, 1)
    trace: list[str] = []
    scan = 0
    for i, k in enumerate(zipf):
        trace.append(f"z{k}")
        if i % 5000 == 0:  # a one-off scan of 2000 never-again keys
            trace += [f"scan{scan + j}" for j in range(2000)]
            scan += 2000
    ours = _hit_ratio(Cache(max_items=1000), trace, True)
    lru = _hit_ratio(cachetools.LRUCache(maxsize=1000), trace, False)
    assert ours >= lru, (ours, lru)


def test_stats() -> None:
    c = Cache(max_items=100)
    c.get("x")
    c.set("x", 1)
    c.get("x")
    c.get("x")
    s = c.stats()
    assert (s["hits"], s["misses"], s["sets"]) == (2, 1, 1)
    assert s["hit_ratio"] == pytest.approx(2 / 3)
    assert s["max_items"] == 100 and s["max_bytes"] is None and s["bytes"] is None
    assert "Cache(max_items=100" in repr(c)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["get", "set", "delete", "contains", "incr"]),
            st.sampled_from(["a", "b", "c", b"a", "é", ""]),
            st.integers(-5, 5),
        ),
        max_size=60,
    )
)
def test_unbounded_cache_behaves_like_a_dict(ops: list[tuple[str, Any, int]]) -> None:
    c = Cache()
    model: dict[Any, int] = {}
    for op, key, n in ops:
        if op == "get":
            assert c.get(key, "missing") == model.get(key, "missing")
        elif op == "set":
            c.set(key, n)
            model[key] = n
        elif op == "delete":
            assert c.delete(key) == (model.pop(key, None) is not None)
        elif op == "contains":
            assert (key in c) == (key in model)
        elif key in model:
            model[key] += n
            assert c.incr(key, n) == model[key]
        else:
            with pytest.raises(KeyError):
                c.incr(key, n)
    assert len(c) == len(model)
    assert c.get_many(list(model)) == model


@given(st.integers(1, 40), st.lists(st.integers(0, 60), max_size=300))
def test_bounded_cache_never_returns_wrong_values(cap: int, keys: list[int]) -> None:
    """Whatever it evicts, a bounded cache answers either the last value set or a miss,
    like cachetools.LRUCache of the same size, and holds no more than its bound."""
    ours = Cache(max_items=cap)
    lru: cachetools.LRUCache[str, int] = cachetools.LRUCache(maxsize=cap)
    last: dict[str, int] = {}
    for i, k in enumerate(keys):
        key = f"k{k}"
        got = ours.get(key)
        assert got is None or got == last[key]
        if i % 3:
            ours.set(key, i)
            lru[key] = i
            last[key] = i
        assert len(ours) <= cap and len(lru) <= cap


# --- get_or_set --------------------------------------------------------------------------------


def test_get_or_set_calls_the_factory_once_for_concurrent_callers() -> None:
    c = Cache()
    n = 16
    calls = 0
    release = threading.Event()

    def factory() -> str:
        nonlocal calls
        calls += 1
        release.wait(timeout=30)
        return "value"

    results: list[str] = []
    barrier = threading.Barrier(n)

    def caller() -> None:
        barrier.wait()
        results.append(c.get_or_set("k", factory))

    threads = [threading.Thread(target=caller) for _ in range(n)]
    for t in threads:
        t.start()
    # Every other caller is waiting on the leader's factory call before it may finish.
    assert c._flight.wait_for_waiters("k", n - 1, timeout=30)
    release.set()
    for t in threads:
        t.join()
    assert calls == 1
    assert results == ["value"] * n
    assert c.get("k") == "value"
    assert c.get_or_set("k", factory) == "value" and calls == 1


def test_get_or_set_exception_reaches_every_waiter_and_caches_nothing() -> None:
    c = Cache()
    n = 8
    calls = 0
    release = threading.Event()

    class Boom(Exception):
        pass

    def factory() -> str:
        nonlocal calls
        calls += 1
        release.wait(timeout=30)
        raise Boom("factory failed")

    errors: list[BaseException] = []
    lock = threading.Lock()

    def caller() -> None:
        try:
            c.get_or_set("k", factory)
        except Boom as e:
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=caller) for _ in range(n)]
    for t in threads:
        t.start()
    assert c._flight.wait_for_waiters("k", n - 1, timeout=30)
    release.set()
    for t in threads:
        t.join()
    assert calls == 1 and len(errors) == n
    assert "k" not in c
    assert c.get_or_set("k", lambda: 7) == 7


def test_get_or_set_ttl_and_distinct_keys() -> None:
    clock = Clock()
    c = Cache(timer=clock)
    assert c.get_or_set("a", lambda: 1, ttl=10) == 1
    assert c.get_or_set("b", lambda: 2) == 2
    assert c.get_or_set("a", lambda: 3) == 1
    clock.advance(10)
    assert c.get_or_set("a", lambda: 3) == 3


def test_aget_or_set_coalesces_coroutines() -> None:
    c = Cache()
    calls = 0

    async def main() -> list[int]:
        gate = asyncio.Event()

        async def factory() -> int:
            nonlocal calls
            calls += 1
            await gate.wait()
            return 42

        tasks = [asyncio.create_task(c.aget_or_set("k", factory)) for _ in range(20)]
        await asyncio.sleep(0)  # let every task reach its await (a scheduling step, not a clock)
        gate.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(main()) == [42] * 20
    assert calls == 1 and c.get("k") == 42


def test_aget_or_set_exception_propagates() -> None:
    c = Cache()

    async def main() -> list[Any]:
        gate = asyncio.Event()

        async def factory() -> int:
            await gate.wait()
            raise KeyError("nope")

        tasks = [asyncio.create_task(c.aget_or_set("k", factory)) for _ in range(5)]
        await asyncio.sleep(0)
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    out = asyncio.run(main())
    assert all(isinstance(e, KeyError) for e in out)
    assert "k" not in c


def test_aget_or_set_leader_cancelled_waiter_recomputes() -> None:
    c = Cache()

    async def main() -> int:
        gate = asyncio.Event()

        async def slow() -> int:
            await gate.wait()
            return 1

        leader = asyncio.create_task(c.aget_or_set("k", slow))
        await asyncio.sleep(0)

        async def fast() -> int:
            return 2

        waiter = asyncio.create_task(c.aget_or_set("k", fast))
        await asyncio.sleep(0)
        leader.cancel()
        return await waiter

    assert asyncio.run(main()) == 2


# --- errors and validators ---------------------------------------------------------------


def test_error_classes() -> None:
    assert issubclass(CacheError, WebAccelError)
    assert issubclass(CacheUnavailableError, CacheError)
    assert issubclass(CacheUnavailableError, ConnectionError)


def test_etag_is_stable_and_content_based() -> None:
    a = etag_for(b"hello")
    assert a == etag_for(b"hello") and a != etag_for(b"hello!")
    assert a.startswith('"') and a.endswith('"') and len(a) == 34
    assert etag_for(b"hello", weak=True) == "W/" + a
    # Not Python's salted hash(): a fixed value, the same in every process.
    assert a == '"' + __import__("hashlib").blake2b(b"hello", digest_size=16).hexdigest() + '"'


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x",W/"abc" ', True),
        ('"abcd"', False),
        ('"a,bc", "y"', False),
        ("*", True),
        (" * ", True),
        ("abc", False),
    ],
)
def test_etag_matches_weak_comparison(header: str | None, expected: bool) -> None:
    assert etag_matches(header, '"abc"') is expected
    assert etag_matches(header, 'W/"abc"') is expected


def test_etag_matches_comma_inside_quotes() -> None:
    assert etag_matches('"a,bc", "y"', '"a,bc"')


def test_many_threads_mixed_operations_keep_the_bounds() -> None:
    c = Cache(max_items=300, max_bytes=20_000)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rnd = random.Random(seed)
        barrier.wait()
        try:
            for _ in range(3000):
                k = f"k{rnd.randrange(2000)}"
                op = rnd.random()
                if op < 0.5:
                    v = c.get(k)
                    assert v is None or v == k.encode() * (len(v) // len(k))
                elif op < 0.9:
                    c.set(k, k.encode() * rnd.randrange(1, 5), ttl=rnd.choice([None, 10.0]))
                elif op < 0.95:
                    c.delete(k)
                else:
                    c.get_or_set(k, lambda: k.encode())
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    s = c.stats()
    assert len(c) <= 300 and s["bytes"] <= 20_000
    assert s["hits"] + s["misses"] > 0

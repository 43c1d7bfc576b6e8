"""In-memory caching: webaccel.cache.Cache against cachetools (TTLCache and LRUCache).

- a hit: ``Cache.get`` against ``TTLCache.get`` (both with a 300 s TTL, 10,000 items held), and
  ``Cache.get`` / ``Cache[k]`` against a plain ``LRUCache[k]`` (no TTL);
- a trace replayed (get, set on a miss) on a skewed workload: Zipf(0.9) over 20,000 keys, with a
  one-off scan of 2,000 never-repeated keys every 5,000 requests (the case TinyLFU's admission is
  for), through caches of 1,000 items; the notes give each cache's hit ratio.

- Redis (when ``redis-server`` is installed: a throwaway server on 127.0.0.1 is started for the
  run): ``RedisCache.get``/``set`` (``serializer="bytes"``, so the same bytes travel) against
  redis-py's ``GET``/``SET`` on the same server, and redis-py's bare ``PING`` for reference.

Outputs are checked first (the value of a hit; the hit count of a replay).
"""

from __future__ import annotations

import random
from typing import Any, Callable

import cachetools

from bench._harness import Case, Table, WrongOutput
from webaccel.cache import Cache, RedisCache

PACKAGES = ("cachetools", "redis")

HELD = 10_000


def _filled(cache: Any, setter: Callable[[Any, str, Any], None]) -> Any:
    for i in range(HELD):
        setter(cache, f"user:{i}", {"id": i})
    return cache


def _ours(c: Cache, k: str, v: Any) -> None:
    c.set(k, v)


def _theirs(c: Any, k: str, v: Any) -> None:
    c[k] = v


def _check_value(expected: Any) -> Callable[[str, Any], None]:
    def check(name: str, out: Any) -> None:
        if out != expected:
            raise WrongOutput(f"{out!r} instead of {expected!r}")

    return check


def zipf_scan_trace(n: int, universe: int = 20_000, skew: float = 0.9, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    weights = [1 / (i + 1) ** skew for i in range(universe)]
    trace: list[str] = []
    scan = 0
    for i, k in enumerate(rnd.choices(range(universe), weights, k=n)):
        trace.append(f"z{k}")
        if i % 5000 == 0:
            trace += [f"scan{scan + j}" for j in range(2000)]
            scan += 2000
    return trace


def _replay(make: Callable[[], Any], ours: bool) -> Callable[[list[str]], int]:
    def run(trace: list[str]) -> int:
        c = make()
        hits = 0
        if ours:
            get, set_ = c.get, c.set
            for k in trace:
                if get(k) is None:
                    set_(k, 1)
                else:
                    hits += 1
        else:
            get = c.get
            for k in trace:
                if get(k) is None:
                    c[k] = 1
                else:
                    hits += 1
        return hits

    return run


def tables(quick: bool) -> list[Table]:
    key = "user:4242"
    expected = {"id": 4242}
    ours_ttl = _filled(Cache(max_items=HELD * 2, ttl=300), _ours)
    ttl = _filled(cachetools.TTLCache(maxsize=HELD * 2, ttl=300), _theirs)
    ours = _filled(Cache(max_items=HELD * 2), _ours)
    lru = _filled(cachetools.LRUCache(maxsize=HELD * 2), _theirs)

    hit_ttl = Table(
        "cache.get (hit, TTL)",
        f"one hit among {HELD:,} entries, 300 s TTL",
        [Case("Cache.get vs TTLCache.get", key, {"webaccel": ours_ttl.get, "cachetools": ttl.get}, _check_value(expected))],
        peer="cachetools",
        notes=["cachetools: `TTLCache(maxsize=20000, ttl=300).get(k)`; webaccel: `Cache(max_items=20000, ttl=300).get(k)`"],
    )
    hit_lru = Table(
        "cache.get (hit, no TTL)",
        f"one hit among {HELD:,} entries, against a plain LRU lookup",
        [
            Case(
                "Cache.get / Cache[k] vs LRUCache[k]",
                key,
                {"webaccel": ours.get, "webaccel c[k]": ours.__getitem__, "cachetools": lru.__getitem__},
                _check_value(expected),
            )
        ],
        peer="cachetools",
        notes=["cachetools: `LRUCache(maxsize=20000)[k]`; webaccel: `Cache(max_items=20000).get(k)` (and `[k]`)"],
    )

    n = 20_000 if quick else 100_000
    trace = zipf_scan_trace(n)
    size = 1000
    makers: dict[str, tuple[Callable[[], Any], bool]] = {
        "webaccel": (lambda: Cache(max_items=size), True),
        "cachetools LRU": (lambda: cachetools.LRUCache(maxsize=size), False),
        "cachetools LFU": (lambda: cachetools.LFUCache(maxsize=size), False),
    }
    replays = {name: _replay(make, ours) for name, (make, ours) in makers.items()}
    hits = {name: run(trace) for name, run in replays.items()}

    def check_hits(name: str, out: Any) -> None:
        # webaccel's admission has a random tie-break (as Caffeine's): allow 1% of difference.
        if abs(out - hits[name]) > hits[name] // 100:
            raise WrongOutput(f"{out} hits instead of {hits[name]}")

    notes = [f"hit ratio, {name}: {h / len(trace):.3f}" for name, h in hits.items()]
    notes.append(f"{len(trace):,} requests; caches of {size:,} items; get, then set on a miss")
    replay = Table(
        "cache replay (Zipf + scans)",
        "a skewed trace with one-off scans replayed through a 1,000-item cache",
        [Case(f"{len(trace):,} requests", trace, replays, check_hits)],
        peer="cachetools LRU",
        notes=notes,
    )
    return [hit_ttl, hit_lru, replay, *_redis_tables()]


_server: Any = None


def _redis_tables() -> list[Table]:
    """The Redis tables, on a server of their own (stopped when the process exits)."""
    import atexit
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.redis_server import RedisServer, redis_server_path

    if redis_server_path() is None:
        return []
    import redis as redis_py

    global _server
    if _server is None:
        _server = RedisServer()
        _server.start()
        atexit.register(_server.close)
    ours = RedisCache(_server.url, key_prefix="bench:", serializer="bytes")
    theirs = redis_py.Redis.from_url(_server.url)
    value = b"x" * 100
    ours.set("hit", value)

    def ours_set(v: bytes) -> bool:
        return ours.set("k", v)

    def theirs_set(v: bytes) -> Any:
        return theirs.set("bench:k", v)

    def check_set(name: str, out: Any) -> None:
        if out is not True:
            raise WrongOutput(repr(out))

    ping_note = "redis-py `PING` on the same server, for reference (the floor of one round trip)"
    return [
        Table(
            "RedisCache (loopback Redis)",
            "one round trip per call, 100-byte value",
            [
                Case(
                    "get (hit)",
                    "hit",
                    {"webaccel": ours.get, "redis-py": lambda k: theirs.get("bench:" + k), "redis-py PING": lambda k: theirs.ping() and value},
                    _check_value(value),
                ),
                Case("set", value, {"webaccel": ours_set, "redis-py": theirs_set}, check_set),
            ],
            peer="redis-py",
            notes=["redis-py: `Redis.get`/`Redis.set` (the key prefixed the same way); webaccel: "
                   '`RedisCache(url, serializer="bytes").get/set`', ping_note],
        )
    ]

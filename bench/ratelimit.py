"""Rate limiting: webaccel.ratelimit against `limits` (what Flask-Limiter and slowapi run).

In memory: one ``hit`` that is admitted, on one hot key and on keys rotating through 10,000,
against ``limits``' fixed-window limiter with its memory storage (its cheapest strategy).
Against Redis: one ``hit`` (one ``EVALSHA`` of the Lua script) against a bare redis-py ``PING``
from the same process (the floor of any Redis round trip), with ``limits``' fixed window on its
Redis storage for reference. A throwaway ``redis-server`` is started for the run; when it is not
installed, the Redis table says so. Limits are large enough that every hit is admitted.
"""

from __future__ import annotations

import atexit
import functools
import itertools
from typing import Any, Callable

import limits
import redis as redis_py
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter

from bench._harness import Case, Table, WrongOutput
from webaccel.ratelimit import RateLimiter

PACKAGES = ("limits", "redis")

HUGE = "1000000/hour"  # never refused within a run, exact on Redis (amount * period < 2^53 µs)


def _admitted(_name: str, out: Any) -> None:
    if not out:
        raise WrongOutput(f"refused: {out!r}")


def _rotating(hit: Callable[[str], Any], n: int) -> Callable[[Any], Any]:
    keys = itertools.cycle([f"203.0.{i // 256}.{i % 256}" for i in range(n)])
    return lambda _arg: hit(next(keys))


def _memory_table(quick: bool) -> Table:
    item = limits.parse(HUGE)
    cases = []
    for algorithm in ("gcra", "fixed_window", "sliding_window"):
        ours = RateLimiter(HUGE, algorithm=algorithm)
        theirs = FixedWindowRateLimiter(MemoryStorage())
        cases.append(
            Case(
                f"{algorithm}, one key",
                "203.0.113.7",
                {"webaccel": ours.hit, "limits": functools.partial(theirs.hit, item)},
                _admitted,
            )
        )
    n = 1_000 if quick else 10_000
    ours = RateLimiter(HUGE)
    theirs = FixedWindowRateLimiter(MemoryStorage())
    cases.append(
        Case(
            f"gcra, {n:,} rotating keys",
            None,
            {"webaccel": _rotating(ours.hit, n), "limits": _rotating(functools.partial(theirs.hit, item), n)},
            _admitted,
        )
    )
    return Table(
        "ratelimit.hit (memory)",
        "one admitted hit, against limits' FixedWindowRateLimiter + MemoryStorage",
        cases,
        peer="limits",
        notes=["limits: `FixedWindowRateLimiter(MemoryStorage()).hit(item, key)` (its cheapest strategy)",
               "the rotating-keys row pays the same `itertools.cycle` + lambda on both sides"],
    )


_server: Any = None


def _redis_table(quick: bool) -> Table:
    global _server
    title = "ratelimit.hit (Redis)"
    description = "one admitted hit against a local redis-server, against a bare redis-py PING"
    try:
        from tests.redis_server import RedisServer, redis_server_path
    except ImportError:  # run from an installed package without the tests
        return Table(title, description, [], notes=["skipped: tests/redis_server.py is not available"])
    if redis_server_path() is None:
        return Table(title, description, [], notes=["skipped: redis-server is not installed (apt-get install redis-server)"])
    if _server is None:
        _server = RedisServer()
        _server.start()
        atexit.register(_server.close)
    url = _server.url
    client = redis_py.Redis.from_url(url)
    client.flushall()

    def ping(_arg: Any) -> Any:
        return client.ping()

    ours = RateLimiter(HUGE, storage=url, timeout=1.0)
    theirs = FixedWindowRateLimiter(RedisStorage(url))
    item = limits.parse(HUGE)
    case = Case(
        "gcra, one key",
        "203.0.113.7",
        {"webaccel": ours.hit, "redis-py PING": ping, "limits (Redis)": functools.partial(theirs.hit, item)},
        lambda name, out: _admitted(name, out),
    )
    fixed = RateLimiter(HUGE, storage=url, algorithm="fixed_window", timeout=1.0)
    case2 = Case(
        "fixed_window, one key",
        "203.0.113.8",
        {"webaccel": fixed.hit, "redis-py PING": ping, "limits (Redis)": functools.partial(theirs.hit, item)},
        lambda name, out: _admitted(name, out),
    )
    return Table(
        title,
        description,
        [case, case2],
        peer="redis-py PING",
        notes=[
            f"redis-server {_server.version()} on 127.0.0.1 (TCP, a throwaway instance), one connection reused",
            "webaccel: one EVALSHA of the rate-limit script (TIME, GET, SET PX) with the GIL released",
            "limits (Redis): `FixedWindowRateLimiter(RedisStorage(url))`, for reference",
        ],
    )


def tables(quick: bool) -> list[Table]:
    return [_memory_table(quick), _redis_table(quick)]

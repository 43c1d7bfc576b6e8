"""Caching: a fast in-process cache implemented in Rust, and (``RedisCache``) a shared one.

:class:`Cache` is a thread-safe, sharded, in-memory cache::

    from webaccel.cache import Cache

    cache = Cache(max_items=10_000, ttl=300)
    cache.set("user:1", {"name": "Ada"})
    cache.get("user:1")                      # {'name': 'Ada'}
    cache.get_or_set("report", build_report)  # build_report() runs once, however many callers

- **Eviction**: W-TinyLFU (a 1% LRU window, a segmented-LRU main space, and a count-min
  sketch with doorkeeper and aging that admits a newcomer only when it has been seen more often
  than the entry it would displace), so one-off scans do not flush the popular entries.
- **Bounds**: ``max_items`` and/or ``max_bytes`` (both ``None``: unbounded). The size of an
  entry is ``len(key)`` plus the value's size: ``len()`` for ``bytes``, ``bytearray`` and
  ``str`` (code points), ``sizeof(value)`` when a ``sizeof=`` callable is given, otherwise
  ``sys.getsizeof(value)`` (shallow). Sizes are only computed when ``max_bytes`` is set.
- **TTL**: ``ttl`` seconds per cache (default for every entry) or per ``set``; ``None`` uses the
  default, ``math.inf`` means forever, ``<= 0`` means already expired (the key is removed).
  Expired entries are dropped when met, when evicting, or by :meth:`Cache.purge`.
- **Keys**: ``str`` or ``bytes`` (exact types; ``"a"`` and ``b"a"`` are different keys). Values
  are stored by reference, never copied or pickled: do not mutate a value after caching it.
- **Time**: ``timer=`` (a callable returning seconds, e.g. a fake clock in tests) replaces the
  monotonic clock.

See ``docs/cache.md``.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar

from webaccel._core import Cache as _CoreCache
from webaccel.errors import CacheError, CacheUnavailableError

__all__ = [
    "Cache",
    "CacheError",
    "CacheUnavailableError",
    "etag_for",
    "etag_matches",
]

T = TypeVar("T")

_MISSING: Any = object()


class _Flight:
    """One factory call in progress for a key, shared by every caller that asked meanwhile."""

    __slots__ = ("done", "value", "error", "waiters")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.waiters = 0


class SingleFlight:
    """Coalesces concurrent computations of the same key: the first caller (the leader) runs
    the factory, the others wait for its result or its exception. Used by every cache's
    ``get_or_set``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}
        self._aflights: dict[tuple[int, Hashable], asyncio.Future[Any]] = {}
        self._changed = threading.Condition(self._lock)

    def waiters(self, key: Hashable) -> int:
        """How many callers wait on the computation of ``key`` (0 when none runs)."""
        with self._lock:
            flight = self._flights.get(key)
            return flight.waiters if flight is not None else 0

    def wait_for_waiters(self, key: Hashable, n: int, timeout: float | None = None) -> bool:
        """Block until ``n`` callers wait on ``key`` (for tests of the coalescing)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: (f := self._flights.get(key)) is not None and f.waiters >= n, timeout
            )

    def run(self, key: Hashable, lookup: Callable[[], Any], compute: Callable[[], T]) -> T:
        """``lookup()`` (returns ``_MISSING`` on a miss) under the leader's protection, else
        ``compute()`` once for all concurrent callers."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
            else:
                flight.waiters += 1
                self._changed.notify_all()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            value: T = flight.value
            return value
        try:
            # Another leader may have stored the value between our miss and our election.
            found = lookup()
            result: T = compute() if found is _MISSING else found
            flight.value = result
            return result
        except BaseException as e:
            flight.error = e
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    async def arun(
        self, key: Hashable, lookup: Callable[[], Awaitable[Any]], compute: Callable[[], Awaitable[T]]
    ) -> T:
        """The coroutine version of :meth:`run` (waiters on one event loop share one task)."""
        loop = asyncio.get_running_loop()
        k = (id(loop), key)
        fut = self._aflights.get(k)
        while fut is not None:
            try:
                value: T = await asyncio.shield(fut)
                return value
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not fut.cancelled() or (task is not None and task.cancelling()):
                    raise
                # The leader was cancelled, not us: run again (perhaps as the new leader).
                fut = self._aflights.get(k)
        fut = loop.create_future()
        self._aflights[k] = fut
        try:
            found = await lookup()
            result: T = await compute() if found is _MISSING else found
            fut.set_result(result)
            return result
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except BaseException as e:
            fut.set_exception(e)
            # The leader raises it itself; mark it retrieved so asyncio does not warn when
            # nobody else was waiting.
            fut.exception()
            raise
        finally:
            del self._aflights[k]


class Cache(_CoreCache):
    """A thread-safe in-memory cache (see the module docstring for bounds, size and TTL).

    ``Cache(max_items=None, max_bytes=None, ttl=None, *, sizeof=None, timer=None)``.

    The methods ``get``, ``set``, ``add``, ``delete``, ``touch``, ``incr``, ``get_many``,
    ``set_many``, ``clear``, ``purge``, ``keys``, ``stats`` and the mapping protocol
    (``c[k]``, ``c[k] = v``, ``del c[k]``, ``k in c``, ``len(c)``) are implemented in Rust.
    """

    def __init__(
        self,
        max_items: int | None = None,
        max_bytes: int | None = None,
        ttl: float | None = None,
        *,
        sizeof: Callable[[Any], int] | None = None,
        timer: Callable[[], float] | None = None,
    ) -> None:
        self._flight = SingleFlight()

    def get_or_set(self, key: str | bytes, factory: Callable[[], T], ttl: float | None = None) -> T:
        """The cached value for ``key``; on a miss, ``factory()`` computes it and it is stored
        for ``ttl`` seconds. Concurrent callers of the same key share one factory call; if it
        raises, every one of them gets the exception and nothing is cached."""
        value = self.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]

        def compute() -> T:
            result = factory()
            self.set(key, result, ttl)
            return result

        return self._flight.run(key, lambda: self.get(key, _MISSING), compute)

    async def aget_or_set(
        self, key: str | bytes, factory: Callable[[], Awaitable[T]], ttl: float | None = None
    ) -> T:
        """:meth:`get_or_set` for a coroutine factory (``await cache.aget_or_set(k, fetch)``)."""
        value = self.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]

        async def lookup() -> Any:
            return self.get(key, _MISSING)

        async def compute() -> T:
            result = await factory()
            self.set(key, result, ttl)
            return result

        return await self._flight.arun(key, lookup, compute)

    def delete_many(self, keys: Iterable[str | bytes]) -> int:
        """Remove the keys; returns how many live entries were removed."""
        return sum(1 for k in keys if self.delete(k))


# --- HTTP validators shared by the framework adapters -------------------------------------


def etag_for(body: bytes, *, weak: bool = False) -> str:
    """A strong (or weak) entity tag for a response body: the first 128 bits of its BLAKE2b
    hash, so every worker process and machine computes the same tag for the same content
    (unlike Python's salted ``hash()``)."""
    tag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    return "W/" + tag if weak else tag


def _split_tags(header: str) -> list[str]:
    """The entity tags of an ``If-None-Match`` list (commas inside quotes do not split)."""
    tags: list[str] = []
    i, n = 0, len(header)
    while i < n:
        while i < n and header[i] in " \t,":
            i += 1
        if i >= n:
            break
        start = i
        if header.startswith("W/", i):
            i += 2
        if i < n and header[i] == '"':
            end = header.find('"', i + 1)
            i = n if end < 0 else end + 1
        else:
            while i < n and header[i] != ",":
                i += 1
        tags.append(header[start:i].strip())
        while i < n and header[i] != ",":
            i += 1
    return tags


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header matches ``etag`` (RFC 9110 13.1.2: the weak
    comparison, so ``W/"x"`` matches ``"x"``; ``*`` matches any current representation)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    opaque = etag[2:] if etag.startswith("W/") else etag
    for tag in _split_tags(if_none_match):
        if (tag[2:] if tag.startswith("W/") else tag) == opaque:
            return True
    return False

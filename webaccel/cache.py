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
  entry is ``len(key)`` plus the value's size: ``sizeof(value)`` when a ``sizeof=`` callable is
  given, else ``len()`` for ``bytes``, ``bytearray`` and ``str`` (code points), else
  ``sys.getsizeof(value)`` (shallow). Sizes are only computed when ``max_bytes`` is set.
- **TTL**: ``ttl`` seconds per cache (default for every entry) or per ``set``; ``None`` uses the
  default, ``math.inf`` means forever, ``<= 0`` means already expired (the key is removed).
  Expired entries are dropped when met, when evicting, or by :meth:`Cache.purge`.
- **Keys**: ``str`` or ``bytes`` (exact types; ``"a"`` and ``b"a"`` are different keys). Values
  are stored by reference, never copied or pickled: do not mutate a value after caching it.
- **Time**: ``timer=`` (a callable returning seconds, e.g. a fake clock in tests) replaces the
  monotonic clock.

:class:`RedisCache` has the same interface over Redis (shared by every process and machine):
JSON values by default (pickle only when asked for), ``clear()`` limited to its own key prefix,
and an outage that reads as a miss (or raises :class:`CacheUnavailableError`).

See ``docs/cache.md``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import math
import pickle
import threading
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, Literal, Protocol, TypeVar

import webaccel.json
from webaccel._core import Cache as _CoreCache
from webaccel._core import RedisClient
from webaccel.errors import CacheError, CacheUnavailableError, StorageError

__all__ = [
    "Cache",
    "RedisCache",
    "Serializer",
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


# --- Redis ------------------------------------------------------------------------------------

logger = logging.getLogger("webaccel.cache")


class Serializer(Protocol):
    """How :class:`RedisCache` turns values into bytes and back (``serializer=`` accepts any
    object with these two methods)."""

    def dumps(self, value: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


class _JSON:
    """JSON through ``webaccel.json``: dicts, lists, str, int, float, bool, None (plus what
    ``webaccel.json.dumps`` writes: datetime, UUID, Decimal as strings/numbers)."""

    def dumps(self, value: Any) -> bytes:
        return webaccel.json.dumps(value)

    def loads(self, data: bytes) -> Any:
        return webaccel.json.loads(data)


class _Bytes:
    """Values are bytes, stored as they are (``bytearray``/``memoryview`` accepted, ``bytes``
    returned)."""

    def dumps(self, value: Any) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        if type(value) is int:  # what incr() stores, as Redis does: decimal text
            return str(value).encode()
        raise CacheError(f'serializer="bytes" stores bytes, not {type(value).__name__}')

    def loads(self, data: bytes) -> Any:
        return data


class _Pickle:
    """pickle: any picklable value. Opt-in only: unpickling runs code chosen by whoever wrote
    the bytes, so use it only on a Redis that nobody else can write to."""

    def dumps(self, value: Any) -> bytes:
        if type(value) is int:  # decimal text, so INCRBY works on it (pickle never starts with a digit)
            return str(value).encode()
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)

    def loads(self, data: bytes) -> Any:
        if data[:1].isdigit() or data[:1] == b"-":
            return int(data)
        return pickle.loads(data)


_SERIALIZERS: dict[str, Callable[[], Serializer]] = {"json": _JSON, "bytes": _Bytes, "pickle": _Pickle}

# incr: only an existing key (or one created from `initial`), keeping its TTL; one round trip.
_INCR = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
if ARGV[2] == '' then return false end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""
# touch: a new TTL on an existing key ('' = none: PERSIST).
_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
"""
# set_many: every key with the same TTL, in one round trip.
_SET_MANY = """
for i, key in ipairs(KEYS) do
  if ARGV[1] == '' then redis.call('SET', key, ARGV[i + 1]) else redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1]) end
end
return #KEYS
"""


def _glob_escape(prefix: bytes) -> bytes:
    """A key prefix as a literal SCAN MATCH pattern (``*``, ``?``, ``[``, ``]``, ``\\`` escaped)."""
    out = bytearray()
    for b in prefix:
        if b in b"*?[]\\":
            out += b"\\"
        out.append(b)
    return bytes(out)


class RedisCache:
    """A cache shared by every process and machine through Redis, with :class:`Cache`'s interface.

    ``RedisCache(url, *, key_prefix="webaccel:cache:", default_ttl=None, serializer="json",
    timeout=0.1, on_error="miss", ...)``

    - Keys: ``key_prefix + key`` (keys are ``str``, UTF-8 encoded, or ``bytes``).
    - Values: ``serializer="json"`` (default, through ``webaccel.json``), ``"bytes"`` (bytes in,
      bytes out) or any object with ``dumps(value) -> bytes`` and ``loads(bytes)``.
      ``"pickle"`` must be asked for by name: it is never the default, because unpickling data
      that someone else could write to Redis runs their code.
    - TTL: ``ttl``/``default_ttl`` in seconds (millisecond precision); ``None`` uses
      ``default_ttl`` (``None``: forever), ``math.inf`` is forever, ``<= 0`` removes the key.
    - ``clear()`` removes only keys under ``key_prefix`` (``SCAN MATCH`` + ``UNLINK`` in
      batches), never ``FLUSHDB``; ``len()`` counts them the same way (O(keys in the db)).
    - Outages: ``on_error="miss"`` (default) turns an unreachable server into a miss (``get``
      returns the default, writes return ``False``) with one warning logged per outage;
      ``on_error="raise"`` raises :class:`CacheUnavailableError`. ``incr`` and ``clear`` always
      raise it (they cannot pretend). The connection pool retries on its own
      (``retry_interval``), so the cache recovers when Redis returns. A server *error reply*
      (not an outage) raises :class:`CacheError`.
    - One round trip per call (``get_many``: ``MGET``; ``set_many``, ``incr``, ``touch``: a Lua
      script). Meant for one Redis server (or a primary), not Redis Cluster: the multi-key
      calls do not keep their keys in one hash slot.
    """

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str | bytes = "webaccel:cache:",
        default_ttl: float | None = None,
        serializer: Literal["json", "bytes", "pickle"] | Serializer = "json",
        timeout: float = 0.1,
        connect_timeout: float | None = None,
        pool_size: int = 16,
        retry_interval: float = 0.5,
        max_retry_interval: float = 5.0,
        on_error: Literal["miss", "raise"] = "miss",
    ) -> None:
        if on_error not in ("miss", "raise"):
            raise ValueError(f'on_error must be "miss" or "raise", not {on_error!r}')
        if isinstance(serializer, str):
            if serializer not in _SERIALIZERS:
                raise ValueError(f"unknown serializer {serializer!r}: json, bytes, pickle or an object with dumps/loads")
            self._serializer: Serializer = _SERIALIZERS[serializer]()
        elif callable(getattr(serializer, "dumps", None)) and callable(getattr(serializer, "loads", None)):
            self._serializer = serializer
        else:
            raise TypeError("serializer must be 'json', 'bytes', 'pickle' or an object with dumps() and loads()")
        if default_ttl is not None and (math.isnan(default_ttl) or default_ttl <= 0):
            raise ValueError("default_ttl must be > 0 seconds (or None)")
        self._prefix = key_prefix.encode() if isinstance(key_prefix, str) else bytes(key_prefix)
        if not self._prefix:
            raise ValueError("key_prefix must not be empty: clear() removes every key under it")
        self.default_ttl = default_ttl
        self.on_error = on_error
        self._client = RedisClient(
            url,
            timeout=timeout,
            connect_timeout=connect_timeout if connect_timeout is not None else max(timeout, 0.2),
            pool_size=pool_size,
            retry_interval=retry_interval,
            max_retry_interval=max(max_retry_interval, retry_interval),
        )
        self._stats_lock = threading.Lock()
        self._hits = self._misses = self._errors = 0
        self._down = False
        self._flight = SingleFlight()

    @property
    def key_prefix(self) -> bytes:
        return self._prefix

    @property
    def url(self) -> str:
        """The server's URL, password masked."""
        return self._client.url

    def __repr__(self) -> str:
        return f"RedisCache({self._client.url!r}, key_prefix={self._prefix!r})"

    # --- plumbing ----------------------------------------------------------------------------
    def _key(self, key: str | bytes) -> bytes:
        if isinstance(key, str):
            return self._prefix + key.encode()
        if isinstance(key, bytes):
            return self._prefix + key
        raise TypeError(f"cache keys must be str or bytes, not {type(key).__name__}")

    def _ms(self, ttl: float | None) -> str | None:
        """PX milliseconds ('' = no expiry), or None when the ttl means "already expired"."""
        if ttl is None:
            ttl = self.default_ttl
            if ttl is None:
                return ""
        if math.isnan(ttl):
            raise ValueError("ttl must be a number of seconds, not NaN")
        if ttl == math.inf:
            return ""
        if ttl <= 0:
            return None
        return str(max(1, math.ceil(ttl * 1000)))

    def _run(self, *args: Any, pretend: Any = CacheUnavailableError) -> Any:
        """One command; an outage gives ``pretend`` under on_error="miss" (or raises)."""
        try:
            reply = self._client.execute(*args)
        except StorageError as e:
            message = str(e)
            if message.startswith("Redis replied with an error"):
                raise CacheError(message) from None
            with self._stats_lock:
                self._errors += 1
                first = not self._down
                self._down = True
            if first:
                logger.warning("webaccel RedisCache %s unavailable: %s", self._client.url, message)
            if self.on_error == "raise" or pretend is CacheUnavailableError:
                raise CacheUnavailableError(message) from None
            return pretend
        if self._down:
            with self._stats_lock:
                if self._down:
                    self._down = False
                    logger.warning("webaccel RedisCache %s reachable again", self._client.url)
        return reply

    def _count(self, hit: bool, n: int = 1) -> None:
        with self._stats_lock:
            if hit:
                self._hits += n
            else:
                self._misses += n

    # --- the cache interface -------------------------------------------------------------------
    def get(self, key: str | bytes, default: Any = None) -> Any:
        data = self._run("GET", self._key(key), pretend=None)
        if data is None:
            self._count(False)
            return default
        self._count(True)
        return self._serializer.loads(data)

    def __getitem__(self, key: str | bytes) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def _store(self, key: str | bytes, value: Any, ttl: float | None, nx: bool) -> bool:
        k = self._key(key)
        ms = self._ms(ttl)
        if ms is None:
            if nx:
                return not self.__contains__(key)
            self._run("UNLINK", k, pretend=0)
            return True
        args: list[Any] = ["SET", k, self._serializer.dumps(value)]
        if ms:
            args += ["PX", ms]
        if nx:
            args.append("NX")
        return self._run(*args, pretend=None) is not None

    def set(self, key: str | bytes, value: Any, ttl: float | None = None) -> bool:
        """Store ``value``; returns whether it was stored (False during an outage)."""
        return self._store(key, value, ttl, nx=False)

    def __setitem__(self, key: str | bytes, value: Any) -> None:
        self._store(key, value, None, nx=False)

    def add(self, key: str | bytes, value: Any, ttl: float | None = None) -> bool:
        """Store only if the key is absent (``SET NX``); returns whether it was stored."""
        return self._store(key, value, ttl, nx=True)

    def delete(self, key: str | bytes) -> bool:
        return bool(self._run("UNLINK", self._key(key), pretend=0))

    def __delitem__(self, key: str | bytes) -> None:
        if not self.delete(key):
            raise KeyError(key)

    def delete_many(self, keys: Iterable[str | bytes]) -> int:
        made = [self._key(k) for k in keys]
        if not made:
            return 0
        return int(self._run("UNLINK", *made, pretend=0))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, (str, bytes)):
            return False
        return bool(self._run("EXISTS", self._key(key), pretend=0))

    def touch(self, key: str | bytes, ttl: float | None = None) -> bool:
        ms = self._ms(ttl)
        if ms is None:
            return self.delete(key)
        return bool(self._run("EVAL", _TOUCH, 1, self._key(key), ms, pretend=0))

    def incr(self, key: str | bytes, delta: int = 1, *, initial: int | None = None) -> int:
        """Add ``delta`` to the integer stored under ``key`` (atomically, in Redis; the TTL is
        kept). A missing key raises ``KeyError`` unless ``initial`` is given. The stored value
        must be an integer (JSON ``5``, bytes ``b"5"``): otherwise ``TypeError``."""
        for name, v in (("delta", delta), ("initial", initial)):
            if v is not None and type(v) is not int:
                raise TypeError(f"incr() {name} must be an int")
        ms = self._ms(None) if initial is not None else ""
        try:
            out = self._run(
                "EVAL", _INCR, 1, self._key(key), str(delta), "" if initial is None else str(initial), ms or ""
            )
        except CacheError as e:
            if "not an integer" in str(e) or "out of range" in str(e):
                raise TypeError(f"incr() needs the stored value to be an integer: {e}") from None
            raise
        if out is None:
            raise KeyError(key)
        return int(out)

    def get_many(self, keys: Iterable[str | bytes]) -> dict[str | bytes, Any]:
        keys = list(keys)
        if not keys:
            return {}
        values = self._run("MGET", *[self._key(k) for k in keys], pretend=[None] * len(keys))
        out = {k: self._serializer.loads(v) for k, v in zip(keys, values) if v is not None}
        self._count(True, len(out))
        self._count(False, len(keys) - len(out))
        return out

    def set_many(
        self, mapping: Mapping[str | bytes, Any] | Iterable[tuple[str | bytes, Any]], ttl: float | None = None
    ) -> bool:
        items = list(mapping.items()) if isinstance(mapping, Mapping) else list(mapping)
        if not items:
            return True
        ms = self._ms(ttl)
        if ms is None:
            self.delete_many(k for k, _ in items)
            return True
        keys = [self._key(k) for k, _ in items]
        values = [self._serializer.dumps(v) for _, v in items]
        return self._run("EVAL", _SET_MANY, len(keys), *keys, ms, *values, pretend=None) is not None

    def _scan(self) -> Iterable[list[bytes]]:
        pattern = _glob_escape(self._prefix) + b"*"
        cursor: bytes | str = "0"
        while True:
            cursor, keys = self._run("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            if keys:
                yield keys
            if cursor in (b"0", "0"):
                return

    def clear(self) -> int:
        """Remove every key under ``key_prefix`` (and nothing else); returns how many."""
        removed = 0
        for keys in self._scan():
            removed += int(self._run("UNLINK", *keys))
        return removed

    def __len__(self) -> int:
        """Keys under ``key_prefix`` (a SCAN of the database: for diagnostics, not hot paths)."""
        return sum(len(keys) for keys in self._scan())

    def ping(self) -> bool:
        """Whether the server answers now."""
        try:
            return bool(self._client.ping())
        except StorageError:
            return False

    def stats(self) -> dict[str, Any]:
        """This process's counters: hits, misses, hit_ratio, errors (failed round trips), and
        whether the server is believed down."""
        with self._stats_lock:
            lookups = self._hits + self._misses
            return {
                "hits": self._hits,
                "misses": self._misses,
                "hit_ratio": self._hits / lookups if lookups else 0.0,
                "errors": self._errors,
                "down": self._down,
            }

    def get_or_set(self, key: str | bytes, factory: Callable[[], T], ttl: float | None = None) -> T:
        """As :meth:`Cache.get_or_set`: one factory call per key for the concurrent callers of
        this process (other processes may compute it too; the last write wins)."""
        value = self.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]

        def compute() -> T:
            result = factory()
            self.set(key, result, ttl)
            return result

        return self._flight.run(key, lambda: self.get(key, _MISSING), compute)

    # Async: the blocking calls release the GIL, so they run in a worker thread.
    async def aget(self, key: str | bytes, default: Any = None) -> Any:
        return await asyncio.to_thread(self.get, key, default)

    async def aset(self, key: str | bytes, value: Any, ttl: float | None = None) -> bool:
        return await asyncio.to_thread(self.set, key, value, ttl)

    async def adelete(self, key: str | bytes) -> bool:
        return await asyncio.to_thread(self.delete, key)

    async def aget_or_set(
        self, key: str | bytes, factory: Callable[[], Awaitable[T]], ttl: float | None = None
    ) -> T:
        value = await self.aget(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]

        async def lookup() -> Any:
            return await self.aget(key, _MISSING)

        async def compute() -> T:
            result = await factory()
            await self.aset(key, result, ttl)
            return result

        return await self._flight.arun(key, lookup, compute)


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


# --- cached HTTP responses, shared by the FastAPI and Flask adapters -------------------------

# Response headers never stored with a cached response: per-connection or per-user.
_UNCACHED_HEADERS = frozenset({"content-length", "set-cookie", "connection", "transfer-encoding", "date"})


def encode_response(
    cache: Cache | RedisCache, status: int, headers: Iterable[tuple[str, str]], body: bytes
) -> Any:
    """A response as the cache stores it: a tuple in process, a JSON-able dict (base64 body) in
    Redis, whatever its serializer."""
    kept = [(k, v) for k, v in headers if k.lower() not in _UNCACHED_HEADERS]
    if isinstance(cache, Cache):
        return (status, kept, body)
    return {"status": status, "headers": [list(h) for h in kept], "body": base64.b64encode(body).decode("ascii")}


def decode_response(entry: Any) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """The inverse of :func:`encode_response` (None for anything else found under the key)."""
    if isinstance(entry, tuple) and len(entry) == 3:
        return entry
    if isinstance(entry, dict) and {"status", "headers", "body"} <= entry.keys():
        try:
            return (
                int(entry["status"]),
                [(str(k), str(v)) for k, v in entry["headers"]],
                base64.b64decode(entry["body"]),
            )
        except (ValueError, TypeError):
            return None
    return None


def cacheable(status: int, headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a response may be stored: a 200 without ``Set-Cookie`` whose ``Cache-Control``
    does not say ``no-store`` or ``private``."""
    if status != 200:
        return False
    for k, v in headers:
        name = k.lower()
        if name == "set-cookie":
            return False
        if name == "cache-control" and any(
            d.strip().split("=")[0].lower() in ("no-store", "private") for d in v.split(",")
        ):
            return False
    return True

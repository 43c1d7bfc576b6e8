"""Django ``CACHES`` backends on webaccel's caches.

::

    CACHES = {
        "default": {
            "BACKEND": "webaccel.django.cache.WebAccelCache",   # in-process (Rust, W-TinyLFU)
            "TIMEOUT": 300,
            "OPTIONS": {"MAX_ENTRIES": 10_000, "MAX_BYTES": None},
        },
        "shared": {
            "BACKEND": "webaccel.django.cache.WebAccelRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": "myapp",
            "OPTIONS": {"SERIALIZER": "json", "SOCKET_TIMEOUT": 0.5, "ON_ERROR": "miss"},
        },
    }

Both implement all of ``BaseCache``: add/get/set/touch/delete/get_many/set_many/delete_many/
has_key/incr/decr/clear/close, ``get_or_set``, versions (``VERSION``, ``incr_version``),
``KEY_PREFIX``/``KEY_FUNCTION``/``make_key``/``validate_key``, the ``TIMEOUT`` semantics
(``None``: forever, ``0`` or negative: expire at once, the default: ``TIMEOUT``), and every
async ``a*`` method. The in-process backend answers the ``a*`` methods directly (no thread hop);
the Redis backend runs its blocking calls (the GIL is released in them) in a worker thread.

Differences from Django's own backends, on purpose:

- ``WebAccelCache`` stores values by reference (``LocMemCache`` pickles every value on every
  ``set`` and ``get``); a value mutated after ``set`` is mutated in the cache too. Set
  ``OPTIONS["SERIALIZE"] = True`` to store pickled copies instead (in-process, so safe).
  ``MAX_ENTRIES`` bounds the cache exactly, and W-TinyLFU chooses what to evict (``CULL_FREQUENCY``
  is ignored: nothing is culled in bulk). Instances with the same ``LOCATION`` share one store,
  as ``LocMemCache`` instances with the same name do.
- ``WebAccelRedisCache.clear()`` removes only the keys under its own prefix (Django's
  ``RedisCache.clear()`` runs ``FLUSHDB``). Values are JSON by default (``"pickle"`` only when
  ``OPTIONS["SERIALIZER"]`` says so: never unpickle what others can write).
"""

from __future__ import annotations

import math
import pickle
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from webaccel.cache import Cache

__all__ = ["WebAccelCache", "WebAccelRedisCache"]

_MISSING: Any = object()
_stores: dict[str, Cache] = {}
_stores_lock = threading.Lock()


class _Backend(BaseCache):  # type: ignore[misc]
    """The shared half: key making, TIMEOUT semantics and the ``BaseCache`` methods on a store
    with webaccel's cache interface (``self._store``)."""

    _store: Any
    _serialize = False

    def _ttl(self, timeout: Any) -> float:
        """Django's timeout to the store's ttl: inf = forever, <= 0 = already expired."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return math.inf
        return float(timeout) if timeout > 0 else 0.0

    def _dump(self, value: Any) -> Any:
        # ints stay as they are (immutable, and incr() adds to them atomically in the store).
        if not self._serialize or type(value) is int:
            return value
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)

    def _load(self, value: Any) -> Any:
        if not self._serialize or type(value) is int:
            return value
        return pickle.loads(value)

    # --- sync ------------------------------------------------------------------------------
    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self._ttl(timeout)
        if ttl == 0:
            return not self._store.__contains__(key)
        return bool(self._store.add(key, self._dump(value), ttl))

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        value = self._store.get(key, _MISSING)
        return default if value is _MISSING else self._load(value)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        key = self.make_and_validate_key(key, version=version)
        self._store.set(key, self._dump(value), self._ttl(timeout))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._store.touch(key, self._ttl(timeout)))

    def delete(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._store.delete(key))

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        made = {self.make_and_validate_key(k, version=version): k for k in keys}
        found = self._store.get_many(list(made))
        return {made[k]: self._load(v) for k, v in found.items()}

    def set_many(self, data: Mapping[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        ttl = self._ttl(timeout)
        items = {self.make_and_validate_key(k, version=version): self._dump(v) for k, v in data.items()}
        self._store.set_many(items, ttl)
        return []

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        self._store.delete_many([self.make_and_validate_key(k, version=version) for k in keys])

    def has_key(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._store.__contains__(key))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        made = self.make_and_validate_key(key, version=version)
        try:
            return int(self._store.incr(made, delta))
        except KeyError:
            raise ValueError(f"Key '{key}' not found") from None

    def clear(self) -> None:
        self._store.clear()

    def close(self, **kwargs: Any) -> None:
        pass


class WebAccelCache(_Backend):
    """In-process cache backend on :class:`webaccel.cache.Cache` (Rust, W-TinyLFU).

    ``OPTIONS``: ``MAX_ENTRIES`` (default 300, as Django's; ``None``: unbounded), ``MAX_BYTES``
    (``None``), ``SERIALIZE`` (``False``: store references; ``True``: pickled copies).
    """

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = params.get("OPTIONS", {})
        max_entries = options.get("MAX_ENTRIES", 300)
        max_bytes = options.get("MAX_BYTES")
        self._serialize = bool(options.get("SERIALIZE", False))
        with _stores_lock:
            store = _stores.get(name)
            if store is None:
                store = _stores[name] = Cache(
                    max_items=None if max_entries is None else int(max_entries),
                    max_bytes=None if max_bytes is None else int(max_bytes),
                    timer=options.get("TIMER"),  # a fake clock, for tests
                )
        self._store = store

    # The in-process store never blocks: the async methods answer directly.
    async def aadd(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self.add(key, value, timeout, version)

    async def aget(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self.get(key, default, version)

    async def aset(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        self.set(key, value, timeout, version)

    async def atouch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self.touch(key, timeout, version)

    async def adelete(self, key: Any, version: Any = None) -> bool:
        return self.delete(key, version)

    async def aget_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        return self.get_many(keys, version)

    async def aset_many(self, data: Mapping[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return self.set_many(data, timeout, version)

    async def adelete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        self.delete_many(keys, version)

    async def ahas_key(self, key: Any, version: Any = None) -> bool:
        return self.has_key(key, version)

    async def aincr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self.incr(key, delta, version)

    async def aclear(self) -> None:
        self.clear()

    async def aclose(self, **kwargs: Any) -> None:
        self.close(**kwargs)


class WebAccelRedisCache(_Backend):
    """Redis cache backend on :class:`webaccel.cache.RedisCache` (one shared store for every
    process and machine).

    ``LOCATION``: a ``redis://`` URL. ``KEY_PREFIX`` (Django's) goes into every key through
    ``make_key``; the store adds its own namespace, ``OPTIONS["NAMESPACE"]`` (default
    ``"webaccel:django:"``), which is also all that ``clear()`` removes. ``OPTIONS``:
    ``SERIALIZER`` (``"json"``, ``"pickle"`` to opt in), ``SOCKET_TIMEOUT`` (seconds, default
    0.5), ``ON_ERROR`` (``"miss"``: an outage reads as a miss and writes are dropped, with a
    warning logged; ``"raise"``: ``CacheUnavailableError``), ``RETRY_INTERVAL`` (seconds
    without a connection attempt after a failure, default 0.5).
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        from webaccel.cache import RedisCache

        options = params.get("OPTIONS", {})
        self._store = RedisCache(
            server if isinstance(server, str) else server[0],
            key_prefix=options.get("NAMESPACE", "webaccel:django:"),
            serializer=options.get("SERIALIZER", "json"),
            timeout=float(options.get("SOCKET_TIMEOUT", 0.5)),
            on_error=options.get("ON_ERROR", "miss"),
            retry_interval=float(options.get("RETRY_INTERVAL", 0.5)),
        )

    def close(self, **kwargs: Any) -> None:
        # The connection pool is shared and outlives requests (Django calls close() after each).
        pass

    # Blocking network calls (the GIL is released in them) go to a worker thread.
    async def aadd(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return await sync_to_async(self.add, thread_sensitive=False)(key, value, timeout, version)

    async def aget(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return await sync_to_async(self.get, thread_sensitive=False)(key, default, version)

    async def aset(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        await sync_to_async(self.set, thread_sensitive=False)(key, value, timeout, version)

    async def atouch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return await sync_to_async(self.touch, thread_sensitive=False)(key, timeout, version)

    async def adelete(self, key: Any, version: Any = None) -> bool:
        return await sync_to_async(self.delete, thread_sensitive=False)(key, version)

    async def aget_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        return await sync_to_async(self.get_many, thread_sensitive=False)(list(keys), version)

    async def aset_many(self, data: Mapping[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return await sync_to_async(self.set_many, thread_sensitive=False)(data, timeout, version)

    async def adelete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        await sync_to_async(self.delete_many, thread_sensitive=False)(list(keys), version)

    async def ahas_key(self, key: Any, version: Any = None) -> bool:
        return await sync_to_async(self.has_key, thread_sensitive=False)(key, version)

    async def aincr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return await sync_to_async(self.incr, thread_sensitive=False)(key, delta, version)

    async def aclear(self) -> None:
        await sync_to_async(self.clear, thread_sensitive=False)()

    async def aclose(self, **kwargs: Any) -> None:
        pass

"""The shared Redis client behind webaccel's Redis-backed features (rate limiting, caching).

``RedisClient(url, *, timeout=0.1, connect_timeout=0.2, pool_size=16, retry_interval=0.5,
max_retry_interval=5.0)`` is a pool of connections to one server, implemented in Rust (redis-rs),
with the GIL released during every round trip:

- URLs: ``redis://[[user]:password@]host[:port][/db]``, ``unix:///path/redis.sock?db=N`` (also
  ``redis+unix://``). TLS (``rediss://``) is not supported.
- ``timeout`` (seconds) bounds a round trip; ``connect_timeout`` bounds opening a connection.
- Outage state: after a connection failure the server is not tried again for ``retry_interval``
  seconds (doubling up to ``max_retry_interval`` while failures repeat); calls in that pause fail
  at once. The first success clears it.
- Errors raise :class:`~webaccel.errors.StorageError` (a ``ConnectionError``); a bad URL or option
  raises :class:`~webaccel.errors.StorageConfigError` (a ``ValueError``).

Rate limiters and caches take the same keyword arguments. See ``docs/redis.md``.
"""

from __future__ import annotations

from webaccel._core import RedisClient
from webaccel.errors import StorageConfigError, StorageError

__all__ = ["RedisClient", "StorageError", "StorageConfigError"]

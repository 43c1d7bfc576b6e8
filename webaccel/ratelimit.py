"""Rate limiting in Rust: exact under concurrency, bounded in memory, shared through Redis.

    from webaccel.ratelimit import RateLimiter

    limiter = RateLimiter("100/minute")                 # GCRA, in memory
    result = limiter.hit(client_ip)
    if not result:                                      # result.allowed
        return 429, limiter.headers(result)             # Retry-After + RateLimit headers

- Rates as users write them: ``"100/minute"``, ``"10 per second"``, ``"5/2 seconds"``, several
  limits at once ``"10/second;1000/hour"`` (the ``limits`` package's grammar).
- ``algorithm``: ``"gcra"`` (token bucket; ``burst`` defaults to the whole limit, so
  ``"500/hour"`` admits 500 at once and then one every 7.2 s; a smaller ``burst`` smooths),
  ``"fixed_window"``, ``"sliding_window"`` (sliding window counter).
- Several limits: a hit is admitted only if every limit admits it; a refused hit consumes
  nothing from any limit. The result describes the binding limit.
- ``storage="memory://"`` (per process, ``max_keys`` bounded) or ``"redis://host:port/db"``
  (shared by every process and machine; one round trip per hit; Redis's clock). When Redis fails,
  ``fail_open=True`` admits and ``False`` refuses, within ``timeout``, with a warning logged
  (``webaccel.ratelimit`` logger, at most one per 10 s); recovery is automatic.

See ``docs/ratelimit.md``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from typing import Any, Callable

from webaccel import _core
from webaccel._core import RateLimitResult
from webaccel.errors import RateLimitError, StorageConfigError

__all__ = ["RateLimiter", "RateLimitResult", "RateLimitError", "StorageConfigError", "parse_rate", "ip_key"]


class RateLimiter(_core.RateLimiter):
    """A rate limiter (see the module docstring). ``hit``, ``peek``, ``reset`` and ``__len__`` are
    the Rust methods; this class adds the async variants and the response headers.

    ``name`` is the policy name in the ``RateLimit`` headers (``"default"``; several limits are
    named ``"<name>-1"``, ``"<name>-2"``, ... in the order of the rate string).
    """

    _name: str
    _inline: bool
    _limits: list[tuple[int, float]]
    _names: list[str]
    _policy: str

    def __new__(
        cls,
        rate: str,
        *,
        algorithm: str = "gcra",
        storage: str = "memory://",
        max_keys: int = 100_000,
        fail_open: bool = True,
        burst: int | None = None,
        key_prefix: str = "webaccel:rl",
        timeout: float = 0.1,
        connect_timeout: float | None = None,
        pool_size: int = 16,
        retry_interval: float = 0.5,
        clock: Callable[[], float] | None = None,
        name: str = "default",
    ) -> RateLimiter:
        self = super().__new__(
            cls,
            rate,
            algorithm=algorithm,
            storage=storage,
            max_keys=max_keys,
            fail_open=fail_open,
            burst=burst,
            key_prefix=key_prefix,
            timeout=timeout,
            connect_timeout=connect_timeout,
            pool_size=pool_size,
            retry_interval=retry_interval,
            clock=clock,
        )
        if not name or any(c in name for c in '",;\\\r\n') or not name.isprintable():
            raise RateLimitError(f"invalid policy name {name!r}")
        self._name = name
        # The limits and names never change: the names and the RateLimit-Policy value are made once.
        limits = self._limits = list(self.limits)
        self._names = [name] if len(limits) == 1 else [f"{name}-{i + 1}" for i in range(len(limits))]
        self._policy = _policy(self._names, limits)
        # Memory hits take well under a microsecond: async callers run them inline. Redis hits
        # wait on the network: they run in the loop's executor (the GIL is released meanwhile).
        self._inline = self.storage == "memory://"
        return self

    async def ahit(self, key: str, cost: int = 1) -> RateLimitResult:
        """``hit`` for async code: never blocks the event loop."""
        if self._inline:
            return self.hit(key, cost)
        return await asyncio.get_running_loop().run_in_executor(None, self.hit, key, cost)

    async def apeek(self, key: str, cost: int = 1) -> RateLimitResult:
        if self._inline:
            return self.peek(key, cost)
        return await asyncio.get_running_loop().run_in_executor(None, self.peek, key, cost)

    async def areset(self, key: str) -> bool:
        if self._inline:
            return self.reset(key)
        return await asyncio.get_running_loop().run_in_executor(None, self.reset, key)

    @property
    def name(self) -> str:
        return self._name

    def policy_names(self) -> list[str]:
        n = len(self.limits)
        return [self._name] if n == 1 else [f"{self._name}-{i + 1}" for i in range(n)]

    def headers(self, result: RateLimitResult, *, draft: bool = True, legacy: bool = False) -> dict[str, str]:
        """Response headers for ``result``.

        - ``draft``: ``RateLimit-Policy`` (every limit: ``"default";q=100;w=60``) and ``RateLimit``
          (the binding limit: ``"default";r=50;t=30``), IETF httpapi ratelimit-headers draft-11;
        - ``legacy``: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset``
          (Unix time in seconds, as Flask-Limiter and GitHub send it);
        - ``Retry-After`` (whole seconds, rounded up) whenever the hit was refused.

        A degraded result (the storage failed, ``fail_open`` decided) carries no quota headers,
        since the quota is unknown; a refusal still gets ``Retry-After``.
        """
        return headers_for(result, self._limits, self._names, draft=draft, legacy=legacy, policy=self._policy)

    def __repr__(self) -> str:
        return f"RateLimiter({self.rate!r}, algorithm={self.algorithm!r}, storage={self.storage!r})"


def headers_for(
    result: RateLimitResult,
    limits: list[tuple[int, float]],
    names: list[str],
    *,
    draft: bool = True,
    legacy: bool = False,
    policy: str | None = None,
) -> dict[str, str]:
    """The headers of :meth:`RateLimiter.headers` from a result, the limits and policy names
    (``policy``: the ``RateLimit-Policy`` value of those, when the caller made it already)."""
    out: dict[str, str] = {}
    if not result.degraded:
        if draft:
            out["RateLimit-Policy"] = _policy(names, limits) if policy is None else policy
            out["RateLimit"] = f'"{names[result.index]}";r={result.remaining};t={_whole(result.reset_after)}'
        if legacy:
            out["X-RateLimit-Limit"] = str(result.limit)
            out["X-RateLimit-Remaining"] = str(result.remaining)
            out["X-RateLimit-Reset"] = str(math.ceil(time.time() + result.reset_after))
    if not result.allowed:
        out["Retry-After"] = str(max(1, _whole(result.retry_after or 0.0)))
    return out


def _policy(names: list[str], limits: list[tuple[int, float]]) -> str:
    return ", ".join(f'"{n}";q={amount};w={_whole(window)}' for n, (amount, window) in zip(names, limits))


def _whole(seconds: float) -> int:
    """Seconds rounded up to an integer (a float's noise below a microsecond is ignored)."""
    return max(0, math.ceil(round(seconds, 6)))


def parse_rate(rate: str) -> list[tuple[int, float]]:
    """``[(amount, period_seconds), ...]`` for a rate string (``RateLimitError`` when invalid)."""
    return list(_core.RateLimiter(rate).limits)




def ip_key(address: str | None, ipv6_prefix: int | None = 64) -> str | None:
    """The rate-limit key for a client address: IPv4 as it is, IPv6 reduced to its network of
    ``ipv6_prefix`` bits (``"2001:db8:1:2::/64"``). A host or home usually holds a whole /64, so
    limiting single IPv6 addresses would let one client rotate through 2^64 of them. ``None``
    (or 128) keeps every address apart. Anything that is not an IPv6 address (a unix socket
    path, None) is returned unchanged."""
    if address is None or ipv6_prefix is None or ":" not in address or ipv6_prefix >= 128:
        return address
    try:
        network = ipaddress.IPv6Network((address, ipv6_prefix), strict=False)
    except ValueError:
        return address
    return f"{network.network_address}/{ipv6_prefix}"


def _check_prefix(ipv6_prefix: int | None) -> None:
    if ipv6_prefix is not None and (isinstance(ipv6_prefix, bool) or not isinstance(ipv6_prefix, int) or not 0 <= ipv6_prefix <= 128):
        raise RateLimitError(f"ipv6_prefix must be an int from 0 to 128 or None, not {ipv6_prefix!r}")

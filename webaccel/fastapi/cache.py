"""Response caching for FastAPI: a route class that serves GET responses from a webaccel cache,
with a content-hash ``ETag``, ``Cache-Control`` and ``304 Not Modified`` on ``If-None-Match``.

::

    from fastapi import APIRouter, FastAPI
    from webaccel.fastapi.cache import CacheRoute, cache_response

    app = FastAPI()
    app.router.route_class = CacheRoute        # or APIRouter(route_class=CacheRoute)

    @app.get("/items")
    @cache_response(ttl=60)                    # in-process Cache; or cache=RedisCache(...)
    async def items() -> list[Item]: ...

The route class works on the finished response, after FastAPI has applied ``response_model``,
status codes and dependencies, so the cached bytes are exactly what the route sent. Only ``GET``
responses with status 200, no ``Set-Cookie`` and no ``Cache-Control: no-store/private`` are
stored; requests carrying ``Authorization`` are not served from or stored in the cache unless
``cache_authorized=True`` (a URL-keyed cache would hand one user's data to another). The ETag
is a BLAKE2b hash of the body: every worker and machine computes the same one.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import math
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from webaccel.cache import (
    Cache,
    RedisCache,
    cacheable,
    decode_response,
    encode_response,
    etag_for,
    etag_matches,
)

__all__ = ["CacheRoute", "cache_response", "ResponseCache", "default_cache"]

F = TypeVar("F", bound=Callable[..., Any])

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("webaccel_cache_route", default=False)
_default: Cache | None = None


def default_cache() -> Cache:
    """The in-process cache used when ``cache_response`` is given none (10,000 responses,
    64 MiB)."""
    global _default
    if _default is None:
        _default = Cache(max_items=10_000, max_bytes=64 << 20, sizeof=_entry_size)
    return _default


def _entry_size(entry: Any) -> int:
    status, headers, body = entry
    return len(body) + sum(len(k) + len(v) for k, v in headers) + 64


class ResponseCache:
    """The caching policy of one route (built by :func:`cache_response`)."""

    def __init__(
        self,
        ttl: float,
        cache: Cache | RedisCache | None,
        cache_control: str | None,
        key: Callable[[Request], str] | None,
        vary: Sequence[str],
        cache_authorized: bool,
        key_prefix: str,
    ) -> None:
        if not ttl > 0:
            raise ValueError("cache_response ttl must be > 0 seconds")
        self.ttl = ttl
        self._cache = cache
        self.cache_control = cache_control if cache_control is not None else f"max-age={math.ceil(ttl)}"
        self.key_func = key
        self.vary = [v.lower() for v in vary]
        self.cache_authorized = cache_authorized
        self.key_prefix = key_prefix

    @property
    def cache(self) -> Cache | RedisCache:
        return self._cache if self._cache is not None else default_cache()

    def key(self, request: Request) -> str:
        if self.key_func is not None:
            return self.key_prefix + self.key_func(request)
        query = urlencode(sorted(request.query_params.multi_items()))
        varied = "".join(f"\n{h}:{request.headers.get(h, '')}" for h in self.vary)
        return f"{self.key_prefix}{request.method}:{request.url.path}?{query}{varied}"

    async def _get(self, key: str) -> Any:
        cache = self.cache
        if isinstance(cache, RedisCache):
            return await cache.aget(key)
        return cache.get(key)

    async def _set(self, key: str, entry: Any) -> None:
        cache = self.cache
        if isinstance(cache, RedisCache):
            await cache.aset(key, entry, self.ttl)
        else:
            cache.set(key, entry, self.ttl)

    def _validators(self, etag: str) -> dict[str, str]:
        headers = {"etag": etag, "cache-control": self.cache_control}
        if self.vary:
            headers["vary"] = ", ".join(self.vary)
        return headers

    async def serve(self, request: Request, handler: Callable[[Request], Awaitable[Response]]) -> Response:
        bypass = request.method != "GET" or (
            not self.cache_authorized and "authorization" in request.headers
        )
        if bypass:
            return await self._call(request, handler)
        key = self.key(request)
        found = decode_response(await self._get(key))
        if found is not None:
            status, headers, body = found
            state = "hit"
        else:
            response = await self._call(request, handler)
            rendered = getattr(response, "body", None)
            raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
            if not isinstance(rendered, (bytes, bytearray)) or not cacheable(response.status_code, raw):
                return response  # streaming, an error, personal: passed through untouched
            status, headers, body = response.status_code, raw, bytes(rendered)
            await self._set(key, encode_response(self.cache, status, headers, body))
            state = "miss"
        etag = etag_for(body)
        extra = {**self._validators(etag), "x-webaccel-cache": state}
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=extra)
        out = Response(content=body, status_code=status)
        out.raw_headers = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in headers if k.lower() not in extra
        ] + [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
        out.raw_headers.append((b"content-length", str(len(body)).encode()))
        return out

    async def _call(self, request: Request, handler: Callable[[Request], Awaitable[Response]]) -> Response:
        token = _ACTIVE.set(True)
        try:
            return await handler(request)
        finally:
            _ACTIVE.reset(token)


class CacheRoute(APIRoute):
    """An ``APIRoute`` that serves the routes decorated with :func:`cache_response` from their
    cache (other routes are untouched)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        policy: ResponseCache | None = getattr(self.endpoint, "__webaccel_cache__", None)
        if policy is None:
            return handler

        async def cached_handler(request: Request) -> Response:
            return await policy.serve(request, handler)

        return cached_handler


def cache_response(
    ttl: float = 60,
    *,
    cache: Cache | RedisCache | None = None,
    cache_control: str | None = None,
    key: Callable[[Request], str] | None = None,
    vary: Sequence[str] = (),
    cache_authorized: bool = False,
    key_prefix: str = "fastapi:",
) -> Callable[[F], F]:
    """Cache a GET route's response for ``ttl`` seconds (needs ``route_class=CacheRoute``).

    - ``cache``: a :class:`~webaccel.cache.Cache` or :class:`~webaccel.cache.RedisCache`
      (default: one in-process cache shared by the decorated routes, :func:`default_cache`);
    - ``cache_control``: the ``Cache-Control`` header sent (default ``max-age=<ttl>``);
    - ``key``: ``key(request) -> str`` (default: method, path, sorted query, and the request
      headers named in ``vary``, which are also sent in ``Vary``);
    - ``cache_authorized``: also cache requests that carry ``Authorization``.
    """
    policy = ResponseCache(ttl, cache, cache_control, key, vary, cache_authorized, key_prefix)

    def decorate(endpoint: F) -> F:
        def check() -> None:
            if not _ACTIVE.get():
                raise RuntimeError(
                    "cache_response needs the route class webaccel.fastapi.cache.CacheRoute: "
                    "set app.router.route_class = CacheRoute (or APIRouter(route_class=CacheRoute)) "
                    "before declaring the route"
                )

        wrapper: Callable[..., Any]
        if asyncio.iscoroutinefunction(endpoint):

            @functools.wraps(endpoint)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                check()
                return await endpoint(*args, **kwargs)

            wrapper = async_wrapper
        else:

            @functools.wraps(endpoint)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                check()
                return endpoint(*args, **kwargs)

            wrapper = sync_wrapper
        setattr(wrapper, "__webaccel_cache__", policy)
        return wrapper  # type: ignore[return-value]

    return decorate

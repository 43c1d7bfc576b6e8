"""Flask response caching on webaccel's caches, configured from ``WEBACCEL_CACHE_*`` keys.

::

    app.config["WEBACCEL_CACHE_TYPE"] = "redis"            # or "memory" (the default)
    app.config["WEBACCEL_CACHE_URL"] = "redis://127.0.0.1:6379/0"
    webaccel = WebAccel(app)

    @app.get("/report")
    @webaccel.cached(timeout=60)                           # or: from webaccel.flask.cache import cached
    def report(): ...

    current_cache().get("key")                             # the app's cache, for your own use

Keys (defaults in ``webaccel.flask.CONFIG_DEFAULTS``): ``WEBACCEL_CACHE_TYPE`` (``"memory"`` or
``"redis"``), ``WEBACCEL_CACHE_URL`` (Redis URL, required for ``"redis"``),
``WEBACCEL_CACHE_DEFAULT_TIMEOUT`` (seconds, 300; ``None``: forever), ``WEBACCEL_CACHE_MAX_ITEMS``
(10,000) and ``WEBACCEL_CACHE_MAX_BYTES`` (``None``) for memory, ``WEBACCEL_CACHE_KEY_PREFIX``
(``"flask:"``) for Redis, ``WEBACCEL_CACHE_ON_ERROR`` (``"miss"`` or ``"raise"``) for Redis.

``cached`` stores GET responses with status 200, no ``Set-Cookie`` and no ``Cache-Control:
no-store/private``; requests with ``Authorization`` bypass it unless ``cache_authorized=True``.
Every cached response carries a content-hash ``ETag`` (the same in every worker) and
``Cache-Control``; ``If-None-Match`` that matches gets ``304 Not Modified``.
"""

from __future__ import annotations

import functools
import math
import typing as t
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue

from webaccel.cache import Cache, RedisCache, cacheable, decode_response, encode_response, etag_for, etag_matches

__all__ = ["init_cache", "current_cache", "cached"]

EXTENSION_KEY = "webaccel.cache"

def _entry_size(entry: t.Any) -> int:
    if isinstance(entry, tuple) and len(entry) == 3:
        return len(entry[2]) + sum(len(k) + len(v) for k, v in entry[1]) + 64
    import sys

    return sys.getsizeof(entry)


def init_cache(app: Flask) -> Cache | RedisCache:
    """Build the app's cache from its config (called by ``WebAccel.init_app``, which has set the
    defaults of ``CONFIG_DEFAULTS``)."""
    from webaccel.flask.extension import CONFIG_DEFAULTS

    config = app.config
    for key, value in CONFIG_DEFAULTS.items():
        if key.startswith("WEBACCEL_CACHE_"):
            config.setdefault(key, value)
    kind = config["WEBACCEL_CACHE_TYPE"]
    timeout = config["WEBACCEL_CACHE_DEFAULT_TIMEOUT"]
    if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0):
        raise TypeError("WEBACCEL_CACHE_DEFAULT_TIMEOUT must be a number of seconds > 0, or None")
    cache: Cache | RedisCache
    if kind == "memory":
        for key in ("WEBACCEL_CACHE_MAX_ITEMS", "WEBACCEL_CACHE_MAX_BYTES"):
            v = config[key]
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise TypeError(f"{key} must be an int or None, not {type(v).__name__}")
        cache = Cache(
            max_items=config["WEBACCEL_CACHE_MAX_ITEMS"],
            max_bytes=config["WEBACCEL_CACHE_MAX_BYTES"],
            ttl=timeout,
            sizeof=_entry_size,
        )
    elif kind == "redis":
        url = config["WEBACCEL_CACHE_URL"]
        if not isinstance(url, str):
            raise TypeError('WEBACCEL_CACHE_URL must be a redis:// URL when WEBACCEL_CACHE_TYPE is "redis"')
        cache = RedisCache(
            url,
            key_prefix=config["WEBACCEL_CACHE_KEY_PREFIX"],
            default_ttl=timeout,
            on_error=config["WEBACCEL_CACHE_ON_ERROR"],
        )
    else:
        raise TypeError(f'WEBACCEL_CACHE_TYPE must be "memory" or "redis", not {kind!r}')
    app.extensions[EXTENSION_KEY] = cache
    return cache


def current_cache() -> Cache | RedisCache:
    """The cache of the current app (``WebAccel(app)`` must have been called)."""
    try:
        cache: Cache | RedisCache = current_app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("webaccel's cache is not set up: call WebAccel(app) (or init_app) first") from None
    return cache


def _default_key(prefix: str, query_string: bool, vary: Sequence[str]) -> str:
    query = urlencode(sorted(request.args.items(multi=True))) if query_string else ""
    varied = "".join(f"\n{h}:{request.headers.get(h, '')}" for h in vary)
    return f"{prefix}{request.method}:{request.path}?{query}{varied}"


def cached(
    timeout: float | None = None,
    *,
    key_prefix: str = "view:",
    key: Callable[[], str] | None = None,
    query_string: bool = True,
    cache_control: str | None = None,
    vary: Sequence[str] = (),
    cache_authorized: bool = False,
) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., t.Any]]:
    """Cache a view's GET response for ``timeout`` seconds (``None``: the app's
    ``WEBACCEL_CACHE_DEFAULT_TIMEOUT``).

    - ``key``: a function of the current request returning the key (default: method, path, the
      sorted query string when ``query_string``, and the request headers named in ``vary``);
    - ``cache_control``: the ``Cache-Control`` sent (default ``max-age=<timeout>``);
    - ``cache_authorized``: also cache requests that carry ``Authorization``.
    """
    if timeout is not None and not timeout > 0:
        raise ValueError("cached timeout must be > 0 seconds (or None for the app's default)")
    vary_l = [v.lower() for v in vary]

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., t.Any]:
        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            if request.method != "GET" or (not cache_authorized and "Authorization" in request.headers):
                return view(*args, **kwargs)
            cache = current_cache()
            ttl = timeout if timeout is not None else current_app.config["WEBACCEL_CACHE_DEFAULT_TIMEOUT"]
            k = key_prefix + (key() if key is not None else _default_key("", query_string, vary_l))
            found = decode_response(cache.get(k))
            if found is not None:
                status, headers, body = found
                state = "hit"
            else:
                response = current_app.make_response(view(*args, **kwargs))
                if response.is_streamed or not cacheable(response.status_code, response.headers.items()):
                    return response
                status, headers, body = response.status_code, list(response.headers.items()), response.get_data()
                cache.set(k, encode_response(cache, status, headers, body), ttl if ttl is not None else math.inf)
                state = "miss"
            etag = etag_for(body)
            extra = {
                "ETag": etag,
                "Cache-Control": cache_control or (f"max-age={math.ceil(ttl)}" if ttl is not None else "max-age=31536000"),
                "X-WebAccel-Cache": state,
            }
            if vary_l:
                extra["Vary"] = ", ".join(vary_l)
            if etag_matches(request.headers.get("If-None-Match"), etag):
                not_modified = current_app.response_class(status=304, headers=extra)
                del not_modified.headers["Content-Type"]
                return not_modified
            lowered = {h.lower() for h in extra}
            out = current_app.response_class(body, status=status, headers=[(h, v) for h, v in headers if h.lower() not in lowered])
            out.headers.update(extra)
            return out

        return wrapper

    return decorate

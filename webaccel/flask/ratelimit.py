"""Rate limiting for Flask: ``@limit("10/minute")`` per view and an app-wide default limit,
configured through ``WEBACCEL_RATELIMIT_*`` keys (see ``CONFIG_DEFAULTS`` in
``webaccel.flask.extension``) and installed by the ``WebAccel`` extension.

    app.config["WEBACCEL_RATELIMIT_DEFAULT"] = "1000/hour"        # optional, every request
    app.config["WEBACCEL_RATELIMIT_STORAGE"] = "redis://127.0.0.1:6379/0"
    WebAccel(app)

    @app.get("/search")
    @limit("10/minute")
    def search(): ...

A refused request raises :class:`RateLimitExceeded` (werkzeug's ``TooManyRequests``, status 429,
so ``@app.errorhandler(429)`` can render it) carrying ``Retry-After`` and the RateLimit headers;
admitted responses get the RateLimit headers of the most restrictive limit that applied
(``WEBACCEL_RATELIMIT_HEADERS``). Requests are keyed by client IP (``webaccel.http.ClientIP`` with
``WEBACCEL_RATELIMIT_TRUSTED_PROXIES``), or by ``key=`` (a function of no arguments reading
``flask.request``/``flask.g``; ``None`` exempts the request).
"""

from __future__ import annotations

import functools
import inspect
import threading
import typing as t

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import TooManyRequests

from webaccel.http import ClientIP
from webaccel.ratelimit import RateLimiter, RateLimitResult, _check_prefix, ip_key

__all__ = ["limit", "exempt", "RateLimitExceeded", "init_app", "get_state"]

_F = t.TypeVar("_F", bound=t.Callable[..., t.Any])
KeyFunc = t.Callable[[], t.Optional[str]]
_EXT = "webaccel.ratelimit"


class RateLimitExceeded(TooManyRequests):
    """429 Too Many Requests, with ``Retry-After`` and the RateLimit headers."""

    def __init__(self, result: RateLimitResult, headers: dict[str, str]) -> None:
        super().__init__("Too Many Requests: retry later.")
        self.result = result
        self.rate_limit_headers = headers

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), *self.rate_limit_headers.items()]


class _State:
    """The ratelimit configuration of one app, read once in ``init_app``."""

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        _check(config)
        self.enabled: bool = config["WEBACCEL_RATELIMIT_ENABLED"]
        # The limiter of each @limit-decorated view on this app (keyed by the decorator's token).
        self.view_limiters: dict[object, RateLimiter] = {}
        self.options: dict[str, t.Any] = {
            "storage": config["WEBACCEL_RATELIMIT_STORAGE"],
            "algorithm": config["WEBACCEL_RATELIMIT_ALGORITHM"],
            "fail_open": config["WEBACCEL_RATELIMIT_FAIL_OPEN"],
            "key_prefix": config["WEBACCEL_RATELIMIT_KEY_PREFIX"],
            "timeout": float(config["WEBACCEL_RATELIMIT_TIMEOUT"]),
        }
        if self.options["storage"] in ("memory://", "memory"):
            self.options["max_keys"] = config["WEBACCEL_RATELIMIT_MAX_KEYS"]
        self.headers: bool = config["WEBACCEL_RATELIMIT_HEADERS"]
        self.legacy_headers: bool = config["WEBACCEL_RATELIMIT_LEGACY_HEADERS"]
        self.client_ip = ClientIP(
            list(config["WEBACCEL_RATELIMIT_TRUSTED_PROXIES"]), header=config["WEBACCEL_RATELIMIT_PROXY_HEADER"]
        )
        self.exempt_paths = tuple(config["WEBACCEL_RATELIMIT_EXEMPT"])
        self.ipv6_prefix: int | None = config["WEBACCEL_RATELIMIT_IPV6_PREFIX"]
        default = config["WEBACCEL_RATELIMIT_DEFAULT"]
        self.default = None if default is None else RateLimiter(default, name="global", **self.options)

    def client_key(self) -> str | None:
        return ip_key(self.client_ip.get(request.remote_addr, request.headers), self.ipv6_prefix)

    def check(self, limiter: RateLimiter, key: str, cost: int = 1) -> None:
        """Hit, remember the result for the response headers, raise on refusal."""
        result = limiter.hit(key, cost)
        # g resolved once: an attribute read through the LocalProxy costs about a microsecond.
        results: list[tuple[RateLimiter, RateLimitResult]] = g._get_current_object().setdefault(  # type: ignore[attr-defined]
            "_webaccel_ratelimit", [])
        results.append((limiter, result))
        if not result.allowed:
            raise RateLimitExceeded(result, limiter.headers(result, draft=self.headers, legacy=self.legacy_headers))

    def before_request(self) -> None:
        if not self.enabled or self.default is None:
            return
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "_webaccel_ratelimit_exempt", False) or request.path.startswith(self.exempt_paths or ("\0",)):
            return
        key = self.client_key()
        if key is not None:
            self.check(self.default, key)

    def after_request(self, response: Response) -> Response:
        if not (self.headers or self.legacy_headers):
            return response
        results: list[tuple[RateLimiter, RateLimitResult]] | None = g._get_current_object().get(  # type: ignore[attr-defined]
            "_webaccel_ratelimit")
        if not results:
            return response
        if len(results) == 1:  # one limit (the common case): it decides
            limiter, result = results[0]
        elif refused := [(lim, res) for lim, res in results if not res.allowed]:
            limiter, result = max(refused, key=lambda p: p[1].retry_after or 0.0)
        else:
            limiter, result = min(results, key=lambda p: p[1].remaining)
        for name, value in limiter.headers(result, draft=self.headers, legacy=self.legacy_headers).items():
            response.headers[name] = value
        return response


def _check(config: t.Mapping[str, t.Any]) -> None:
    bools = ("ENABLED", "FAIL_OPEN", "HEADERS", "LEGACY_HEADERS")
    strs = ("STORAGE", "ALGORITHM", "KEY_PREFIX", "PROXY_HEADER")
    for name in bools:
        if not isinstance(config[f"WEBACCEL_RATELIMIT_{name}"], bool):
            raise TypeError(f"WEBACCEL_RATELIMIT_{name} must be a bool")
    for name in strs:
        if not isinstance(config[f"WEBACCEL_RATELIMIT_{name}"], str):
            raise TypeError(f"WEBACCEL_RATELIMIT_{name} must be a str")
    default = config["WEBACCEL_RATELIMIT_DEFAULT"]
    if default is not None and not isinstance(default, str):
        raise TypeError("WEBACCEL_RATELIMIT_DEFAULT must be a rate string or None")
    timeout = config["WEBACCEL_RATELIMIT_TIMEOUT"]
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("WEBACCEL_RATELIMIT_TIMEOUT must be a number of seconds")
    _check_prefix(config["WEBACCEL_RATELIMIT_IPV6_PREFIX"])
    max_keys = config["WEBACCEL_RATELIMIT_MAX_KEYS"]
    if isinstance(max_keys, bool) or not isinstance(max_keys, int):
        raise TypeError("WEBACCEL_RATELIMIT_MAX_KEYS must be an int")
    for name in ("TRUSTED_PROXIES", "EXEMPT"):
        value = config[f"WEBACCEL_RATELIMIT_{name}"]
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"WEBACCEL_RATELIMIT_{name} must be a list of str")


def init_app(app: Flask) -> None:
    """Read the ``WEBACCEL_RATELIMIT_*`` keys and install the hooks (called by ``WebAccel``)."""
    state = _State(app.config)
    app.extensions[_EXT] = state
    app.before_request(state.before_request)
    app.after_request(state.after_request)


def get_state(app: Flask) -> _State:
    state = app.extensions.get(_EXT)
    if state is None:
        raise RuntimeError("webaccel rate limiting is not set up on this app: call WebAccel(app) first")
    return t.cast(_State, state)


def exempt(view: _F) -> _F:
    """Exempts a view from the app-wide ``WEBACCEL_RATELIMIT_DEFAULT`` limit."""
    view._webaccel_ratelimit_exempt = True  # type: ignore[attr-defined]
    return view


def limit(
    rate: str,
    *,
    key: KeyFunc | None = None,
    cost: int = 1,
    scope: str | None = None,
    **limiter_options: t.Any,
) -> t.Callable[[_F], _F]:
    """Limits a view: ``@limit("10/minute")`` (under ``@app.route``).

    The limiter takes the app's ``WEBACCEL_RATELIMIT_*`` settings (storage, algorithm,
    fail_open, ...), overridden by ``limiter_options`` (``burst=5``, ``algorithm=...``); it is
    built on the first request of each app. ``scope`` names the counter (default: the view's
    module and name), so two views never share one unless they use the same scope.
    """
    RateLimiter(rate)  # a bad rate string fails at import time, not on the first request

    def decorator(view: _F) -> _F:
        name = scope or f"{view.__module__}.{view.__qualname__}"
        token = object()  # this view's limiter in each app's _State.view_limiters
        lock = threading.Lock()

        def enforce() -> None:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            state = app.extensions.get(_EXT)
            if state is None:
                state = get_state(app)  # raises
            if not state.enabled:
                return
            limiter = state.view_limiters.get(token)
            if limiter is None:
                with lock:
                    limiter = state.view_limiters.get(token)
                    if limiter is None:
                        limiter = state.view_limiters[token] = RateLimiter(rate, **{**state.options, **limiter_options})
            k = key() if key is not None else state.client_key()
            if k is not None:
                state.check(limiter, f"{name}|{k}", cost)

        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
                enforce()
                return await view(*args, **kwargs)

            return t.cast(_F, async_wrapped)

        @functools.wraps(view)
        def wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
            enforce()
            return view(*args, **kwargs)

        return t.cast(_F, wrapped)

    return decorator



"""Rate limiting for Django: ``RateLimitMiddleware`` (app-wide, sync and async) and the per-view
decorator ``ratelimit``, configured by the ``RATELIMIT_*`` keys of the ``WEBACCEL`` setting.

    MIDDLEWARE = [..., "webaccel.django.ratelimit.RateLimitMiddleware"]
    WEBACCEL = {"RATELIMIT_DEFAULT": "1000/hour", "RATELIMIT_STORAGE": "redis://127.0.0.1:6379/0"}

    from webaccel.django.ratelimit import ratelimit

    @ratelimit("10/minute")
    def search(request): ...

Requests are keyed by client IP (``webaccel.http.ClientIP`` on ``REMOTE_ADDR`` and the
forwarding header, believed only from ``RATELIMIT_TRUSTED_PROXIES``) or by ``key=`` (a function of
the request; ``None`` exempts it, e.g. ``key=lambda r: str(r.user.pk) if r.user.is_authenticated
else None``). A refused request gets a 429 JSON response ``{"detail": "Too Many Requests"}`` with
``Retry-After`` and the RateLimit headers; admitted responses carry the RateLimit headers. A Redis
outage never becomes a 500: ``RATELIMIT_FAIL_OPEN`` decides.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from webaccel.django.conf import WebAccelSettings, get_settings
from webaccel.django.http import JsonResponse
from webaccel.http import ClientIP
from webaccel.ratelimit import RateLimiter, RateLimitResult, _check_prefix, ip_key

__all__ = ["RateLimitMiddleware", "ratelimit", "too_many_requests"]

_V = TypeVar("_V", bound=Callable[..., Any])
KeyFunc = Callable[[HttpRequest], "str | None"]
_ATTR = "_webaccel_ratelimit"


def _options(s: WebAccelSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "storage": s.RATELIMIT_STORAGE,
        "algorithm": s.RATELIMIT_ALGORITHM,
        "fail_open": s.RATELIMIT_FAIL_OPEN,
        "key_prefix": s.RATELIMIT_KEY_PREFIX,
        "timeout": float(s.RATELIMIT_TIMEOUT),
    }
    if s.RATELIMIT_STORAGE in ("memory://", "memory"):
        options["max_keys"] = s.RATELIMIT_MAX_KEYS
    return options


_client_ips: dict[tuple[tuple[str, ...], str], ClientIP] = {}


def _client_ip(s: WebAccelSettings) -> ClientIP:
    spec = (tuple(s.RATELIMIT_TRUSTED_PROXIES), s.RATELIMIT_PROXY_HEADER)
    found = _client_ips.get(spec)
    if found is None:
        found = _client_ips[spec] = ClientIP(list(spec[0]), header=spec[1])
    return found


def client_key(request: HttpRequest) -> str | None:
    """The client IP of ``request`` as the configured proxies reveal it."""
    s = get_settings()
    return ip_key(_client_ip(s).get(request.META.get("REMOTE_ADDR"), request.headers), s.RATELIMIT_IPV6_PREFIX)


def too_many_requests(limiter: RateLimiter, result: RateLimitResult) -> JsonResponse:
    """The 429 response: JSON body, ``Retry-After`` and the RateLimit headers."""
    s = get_settings()
    response = JsonResponse({"detail": "Too Many Requests"}, status=429)
    for name, value in limiter.headers(result, draft=s.RATELIMIT_HEADERS, legacy=s.RATELIMIT_LEGACY_HEADERS).items():
        response[name] = value
    return response


def _remember(request: HttpRequest, limiter: RateLimiter, result: RateLimitResult) -> None:
    results = getattr(request, _ATTR, None)
    if results is None:
        results = []
        setattr(request, _ATTR, results)
    results.append((limiter, result))


def _add_headers(request: HttpRequest, response: HttpResponseBase, s: WebAccelSettings | None = None) -> None:
    if s is None:
        s = get_settings()
    if not (s.RATELIMIT_HEADERS or s.RATELIMIT_LEGACY_HEADERS):
        return
    results: list[tuple[RateLimiter, RateLimitResult]] | None = getattr(request, _ATTR, None)
    if not results or response.status_code == 429:
        return
    limiter, result = results[0] if len(results) == 1 else min(results, key=lambda p: p[1].remaining)
    for name, value in limiter.headers(result, draft=s.RATELIMIT_HEADERS, legacy=s.RATELIMIT_LEGACY_HEADERS).items():
        response[name] = value


class _Lazy:
    """A limiter built from the settings on first use, rebuilt when ``WEBACCEL`` changes."""

    def __init__(self, rate: Callable[[WebAccelSettings], str | None], overrides: dict[str, Any], name: str) -> None:
        self.rate = rate
        self.overrides = overrides
        self.name = name
        self.settings: WebAccelSettings | None = None
        self.limiter: RateLimiter | None = None
        self.lock = threading.Lock()

    def get(self, s: WebAccelSettings | None = None) -> RateLimiter | None:
        if s is None:
            s = get_settings()
        if self.settings is not s:
            with self.lock:
                if self.settings is not s:
                    rate = self.rate(s)
                    options = {**_options(s), "name": self.name, **self.overrides}
                    self.limiter = None if rate is None else RateLimiter(rate, **options)
                    self.settings = s
        return self.limiter


class RateLimitMiddleware:
    """The app-wide limit ``WEBACCEL["RATELIMIT_DEFAULT"]``, sync and async capable (no thread
    hop either way). Paths starting with one of ``RATELIMIT_EXEMPT`` are not limited. It also
    adds the RateLimit headers of views limited by ``@ratelimit``. Without a default rate it
    limits nothing itself but still adds those headers."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        self._limiter = _Lazy(lambda s: s.RATELIMIT_DEFAULT, {}, "global")
        self._limiter.get()  # a bad rate or storage URL fails at start-up, not per request
        _check_prefix(get_settings().RATELIMIT_IPV6_PREFIX)

    def _key(self, request: HttpRequest) -> str | None:
        s = get_settings()
        if not s.RATELIMIT_ENABLED or (s.RATELIMIT_EXEMPT and request.path.startswith(tuple(s.RATELIMIT_EXEMPT))):
            return None
        return client_key(request)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        limiter = self._limiter.get()
        key = self._key(request) if limiter is not None else None
        if limiter is not None and key is not None:
            result = limiter.hit(key)
            if not result.allowed:
                return too_many_requests(limiter, result)
            _remember(request, limiter, result)
        response = self.get_response(request)
        _add_headers(request, response)
        return response

    async def __acall__(self, request: HttpRequest) -> Any:
        limiter = self._limiter.get()
        key = self._key(request) if limiter is not None else None
        if limiter is not None and key is not None:
            result = await limiter.ahit(key)
            if not result.allowed:
                return too_many_requests(limiter, result)
            _remember(request, limiter, result)
        response = await cast(Callable[[HttpRequest], Awaitable[Any]], self.get_response)(request)
        _add_headers(request, response)
        return response


def ratelimit(
    rate: str | Callable[[], str],
    *,
    key: KeyFunc | None = None,
    cost: int = 1,
    scope: str | None = None,
    **limiter_options: Any,
) -> Callable[[_V], _V]:
    """Limits a view (function, sync or async): ``@ratelimit("10/minute")``.

    Takes storage, algorithm, outage policy... from ``WEBACCEL`` (``RATELIMIT_*``), overridden
    by ``limiter_options``. ``scope`` names the counter (default: the view's module and name).
    Refused: a 429 response. Admitted: the view's response, with the RateLimit headers (added
    here; with ``RateLimitMiddleware`` installed, the most restrictive of its and the view's).

    ``rate`` may be a function of no arguments returning the rate string (read from your own
    Django setting, say): it is called when the limiter is built, on first use and again
    whenever ``WEBACCEL`` changes.
    """
    if not callable(rate):
        RateLimiter(rate)  # a bad rate string fails at import time

    def decorator(view: _V) -> _V:
        name = scope or f"{view.__module__}.{view.__qualname__}"
        lazy = _Lazy(lambda s: rate() if callable(rate) else rate, limiter_options, "default")

        def key_of(request: HttpRequest, s: WebAccelSettings) -> str | None:
            if not s.RATELIMIT_ENABLED:
                return None
            k = key(request) if key is not None else client_key(request)
            return None if k is None else f"{name}|{k}"

        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                s = get_settings()
                limiter = lazy.limiter if lazy.settings is s else lazy.get(s)
                k = key_of(request, s)
                if limiter is not None and k is not None:
                    result = await limiter.ahit(k, cost)
                    if not result.allowed:
                        return too_many_requests(limiter, result)
                    _remember(request, limiter, result)
                response = await view(request, *args, **kwargs)
                _add_headers(request, response, s)
                return response

            return cast(_V, async_wrapped)

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            s = get_settings()
            limiter = lazy.limiter if lazy.settings is s else lazy.get(s)
            k = key_of(request, s)
            if limiter is not None and k is not None:
                result = limiter.hit(k, cost)
                if not result.allowed:
                    return too_many_requests(limiter, result)
                _remember(request, limiter, result)
            response = view(request, *args, **kwargs)
            _add_headers(request, response, s)
            return response

        return cast(_V, wrapped)

    return decorator

"""Rate limiting for FastAPI: a per-route dependency and an app-wide pure-ASGI middleware.

    from fastapi import Depends, FastAPI
    from webaccel.fastapi.ratelimit import RateLimit, RateLimitMiddleware

    app = FastAPI()
    app.add_middleware(RateLimitMiddleware, rate="1000/hour")          # every request

    @app.get("/search", dependencies=[Depends(RateLimit("10/minute"))])
    async def search(): ...

Both key requests by client IP by default (``webaccel.http.ClientIP``: forwarding headers are
believed only from ``trusted_proxies``, loopback by default), or by any callable
``key(request) -> str | None`` (sync or async; ``None`` exempts the request), e.g. a user claim
``key=lambda request: request.state.user["sub"]``. A refused request gets 429 with
``Retry-After`` and the ``RateLimit`` / ``RateLimit-Policy`` headers; admitted responses carry the
``RateLimit`` headers too (``headers=False`` turns them off). The limiter's storage and its outage
policy (``fail_open``) never turn a Redis failure into a 500.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar, Union

from fastapi import HTTPException, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webaccel import json as _json
from webaccel.fastapi._guards import AfterResponse, guard
from webaccel.http import ClientIP
from webaccel.ratelimit import RateLimiter, RateLimitResult, _check_prefix, ip_key

__all__ = ["RateLimit", "RateLimitMiddleware", "KeyFunc", "DEFAULT_TRUSTED_PROXIES"]

KeyFunc = Callable[[Request], Union[str, None, Awaitable[Union[str, None]]]]
"""``key(request)``: the string to count the request under, or None to exempt it."""

DEFAULT_TRUSTED_PROXIES = ("127.0.0.1/32", "::1/128")

_E = TypeVar("_E", bound=Callable[..., Any])


def _limiter(rate: str | RateLimiter, options: dict[str, Any]) -> RateLimiter:
    if isinstance(rate, RateLimiter):
        if options:
            raise TypeError(f"limiter options {sorted(options)} given with a RateLimiter instance")
        return rate
    return RateLimiter(rate, **options)


class _Keyer:
    """Turns a request into a key: the client IP, or the user's callable."""

    def __init__(
        self, key: KeyFunc | None, trusted_proxies: Iterable[str] | None, proxy_header: str, ipv6_prefix: int | None
    ) -> None:
        _check_prefix(ipv6_prefix)
        self.ipv6_prefix = ipv6_prefix
        self.func = key
        self.is_async = key is not None and (
            inspect.iscoroutinefunction(key) or inspect.iscoroutinefunction(getattr(key, "__call__", None))
        )
        self.client_ip = ClientIP(
            list(DEFAULT_TRUSTED_PROXIES if trusted_proxies is None else trusted_proxies), header=proxy_header
        )

    def ip(self, scope: Scope) -> str | None:
        return ip_key(self.client_ip.get(scope.get("client"), scope.get("headers") or []), self.ipv6_prefix)

    async def __call__(self, request: Request) -> str | None:
        if self.func is None:
            return self.ip(request.scope)
        value = self.func(request)
        if type(value) is str:  # the common case, first
            return value
        if inspect.isawaitable(value):
            value = await value
        if value is not None and not isinstance(value, str):
            value = str(value)
        return value


class RateLimit:
    """A per-route rate-limit dependency: ``Depends(RateLimit("10/minute"))``.

    ``rate`` is a rate string or a :class:`~webaccel.ratelimit.RateLimiter` (to share one limiter
    between routes, or to configure it fully); other keyword arguments (``algorithm``,
    ``storage``, ``fail_open``, ``burst``, ``key_prefix``, ``timeout``, ``max_keys``, ...) build
    the limiter. One ``RateLimit`` object is one counter: using it on several routes shares it.

    - ``key``: ``None`` (client IP) or ``key(request) -> str | None`` (sync or async);
    - ``trusted_proxies`` / ``proxy_header``: how the client IP is found behind proxies;
    - ``ipv6_prefix``: IPv6 clients are counted per network of this many bits (64: one home or
      host; None: per address), see :func:`webaccel.ratelimit.ip_key`;
    - ``cost``: what one request counts for;
    - ``headers`` / ``legacy_headers``: RateLimit headers on admitted responses too /
      ``X-RateLimit-*`` as well.

    The dependency returns the :class:`~webaccel.ratelimit.RateLimitResult` (or None when the key
    function exempted the request), so a route can declare
    ``result: Annotated[RateLimitResult | None, Depends(limit)]``. Headers are added through
    FastAPI's ``response`` parameter: a route that returns a ``Response`` object itself gets them
    only on 429s.
    """

    def __init__(
        self,
        rate: str | RateLimiter,
        *,
        key: KeyFunc | None = None,
        trusted_proxies: Iterable[str] | None = None,
        proxy_header: str = "x-forwarded-for",
        ipv6_prefix: int | None = 64,
        cost: int = 1,
        headers: bool = True,
        legacy_headers: bool = False,
        **limiter_options: Any,
    ) -> None:
        self.limiter = _limiter(rate, limiter_options)
        self._key = _Keyer(key, trusted_proxies, proxy_header, ipv6_prefix)
        self.cost = cost
        self.headers = headers
        self.legacy_headers = legacy_headers

    def __repr__(self) -> str:
        return f"RateLimit({self.limiter.rate!r}, storage={self.limiter.storage!r})"

    async def __call__(self, request: Request, response: Response) -> RateLimitResult | None:
        result, headers = await self.check(request)
        for name, value in headers.items():
            response.headers[name] = value
        return result

    async def check(self, request: Request) -> tuple[RateLimitResult | None, dict[str, str]]:
        """What the dependency does, callable directly: counts the request and returns the
        result with the headers to add to the response (none when ``headers=False``), or
        raises ``HTTPException`` 429. ``(None, {})`` when the key function exempted it."""
        key = await self._key(request)
        if key is None:
            return None, {}
        result = await self.limiter.ahit(key, self.cost)
        return result, self._decide(result)

    def _decide(self, result: RateLimitResult) -> dict[str, str]:
        # The headers for an admitted hit; HTTPException 429 (with its headers) for a refused one.
        if result.allowed and not (self.headers or self.legacy_headers):
            return {}
        headers = self.limiter.headers(result, draft=self.headers, legacy=self.legacy_headers)
        if not result.allowed:
            raise HTTPException(status_code=429, detail="Too Many Requests", headers=headers)
        return headers

    def limit(self, endpoint: _E) -> _E:
        """The dependency as an endpoint decorator, for hot routes: the same 429 answers and
        RateLimit headers, without FastAPI's dependency solver (15-20 µs a request on FastAPI
        0.165; see :mod:`webaccel.fastapi._guards`). The headers go on the endpoint's own
        ``Response`` too when it returns one. Under ``@auth.require`` a key function can read
        ``request.state.jwt_claims``::

            @app.get("/items")
            @auth.require
            @per_user.limit
            async def items(request: Request) -> Response: ...
        """
        if self._key.is_async or not self.limiter._inline:
            # A key or a storage to wait for (Redis runs in the loop's executor).
            async def check(request: Request) -> AfterResponse | None:
                _result, headers = await self.check(request)
                return self._after(headers)

            return guard(check)(endpoint)

        # In memory with a plain key function: the same steps as check(), with no coroutine.
        key_of, hit = self._key.func, self.limiter.hit
        client_ip = self._key.ip

        def check_now(request: Request) -> AfterResponse | Awaitable[AfterResponse | None] | None:
            if key_of is None:
                key = client_ip(request.scope)
            else:
                key = key_of(request)
                if type(key) is not str and key is not None:
                    if inspect.isawaitable(key):  # a plain function that returned one
                        return self._check_awaiting(key)
                    if not isinstance(key, str):
                        key = str(key)
            if key is None:
                return None
            return self._after(self._decide(hit(key, self.cost)))

        return guard(check_now)(endpoint)

    async def _check_awaiting(self, key: Awaitable[Any]) -> AfterResponse | None:
        value = await key
        if value is None:
            return None
        result = await self.limiter.ahit(value if isinstance(value, str) else str(value), self.cost)
        return self._after(self._decide(result))

    @staticmethod
    def _after(headers: dict[str, str]) -> AfterResponse | None:
        if not headers:
            return None

        def add_headers(response: Response) -> None:
            for name, value in headers.items():
                response.headers[name] = value

        return add_headers


class RateLimitMiddleware:
    """An app-wide limit as a pure ASGI middleware (no ``BaseHTTPMiddleware``: contextvars and
    streaming responses are untouched).

    ``app.add_middleware(RateLimitMiddleware, rate="1000/hour", key=..., exempt=...)``. The key
    function receives a ``starlette.requests.Request`` built on the scope (its body is not
    available: the request has not been read). ``exempt`` is a collection of path prefixes that
    are never limited (health checks, say). Refused requests get a 429 JSON response
    ``{"detail": "Too Many Requests"}`` with ``Retry-After`` and the RateLimit headers; admitted
    responses get the RateLimit headers unless ``headers=False``. WebSocket and lifespan scopes
    pass through. Its policy is named ``"global"`` in the headers (``name=`` changes it), so
    that it reads apart from a route's ``"default"`` one when a response carries both.
    """

    def __init__(
        self,
        app: ASGIApp,
        rate: str | RateLimiter,
        *,
        key: KeyFunc | None = None,
        trusted_proxies: Iterable[str] | None = None,
        proxy_header: str = "x-forwarded-for",
        ipv6_prefix: int | None = 64,
        exempt: Iterable[str] = (),
        cost: int = 1,
        headers: bool = True,
        legacy_headers: bool = False,
        **limiter_options: Any,
    ) -> None:
        self.app = app
        if not isinstance(rate, RateLimiter):
            limiter_options.setdefault("name", "global")
        self.limiter = _limiter(rate, limiter_options)
        self._key = _Keyer(key, trusted_proxies, proxy_header, ipv6_prefix)
        self.exempt = tuple(exempt)
        self.cost = cost
        self.headers = headers
        self.legacy_headers = legacy_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.exempt and scope.get("path", "").startswith(self.exempt)):
            await self.app(scope, receive, send)
            return
        key = self._key.ip(scope) if self._key.func is None else await self._key(Request(scope))
        if key is None:
            await self.app(scope, receive, send)
            return
        result = await self.limiter.ahit(key, self.cost)
        headers = self.limiter.headers(result, draft=self.headers, legacy=self.legacy_headers)
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        if not result.allowed:
            body = _json.dumps({"detail": "Too Many Requests"})
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        *raw,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if not raw:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *raw]
            await send(message)

        await self.app(scope, receive, send_with_headers)

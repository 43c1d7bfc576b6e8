"""Django: a middleware that authenticates ``Authorization: Bearer <JWT>`` with webaccel's
verifier, configured by the ``JWT_*`` keys of the ``WEBACCEL`` setting.

::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",   # if used: before ours
        "webaccel.django.auth.JWTAuthenticationMiddleware",
    ]
    WEBACCEL = {"JWT_KEY": PUBLIC_KEY_PEM, "JWT_ALGORITHMS": ["RS256"], "JWT_AUDIENCE": "api",
                "JWT_ISSUER": "https://id.example.com/", "JWT_USER_CALLABLE": "myapp.auth.user_for"}

The claims land on ``request.jwt_claims`` (None without a token), and, with
``JWT_USER_CALLABLE``, the user it returns on ``request.user``. A missing token passes unless
``JWT_AUTH_REQUIRED``; an invalid token is answered 401 with a JSON body and RFC 6750's
``WWW-Authenticate: Bearer error="invalid_token"`` challenge. The middleware is sync and async
capable: under ASGI it runs without a thread hop (a sync ``JWT_USER_CALLABLE`` runs through
``sync_to_async``).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string

from webaccel.auth import (
    InvalidKeyError,
    InvalidTokenError,
    JWKSClient,
    JWKSVerifier,
    JWTVerifier,
    bearer_challenge,
    bearer_token,
    error_description,
)
from webaccel.django.conf import WebAccelSettings, get_settings
from webaccel.django.http import JsonResponse

__all__ = ["JWTAuthenticationMiddleware", "build_verifier", "jwt_required"]

_V = TypeVar("_V", bound=Callable[..., Any])


def build_verifier(s: WebAccelSettings) -> JWTVerifier | JWKSVerifier:
    """The verifier the ``JWT_*`` settings describe; ``ImproperlyConfigured`` when they do not."""
    sources = [name for name in ("JWT_SECRET", "JWT_KEY", "JWT_JWKS_URL") if getattr(s, name) is not None]
    if len(sources) != 1:
        raise ImproperlyConfigured(
            "WEBACCEL: set exactly one of JWT_SECRET, JWT_KEY, JWT_JWKS_URL for JWTAuthenticationMiddleware"
            + (f" (got {', '.join(sources)})" if sources else "")
        )
    if not s.JWT_ALGORITHMS:
        raise ImproperlyConfigured('WEBACCEL["JWT_ALGORITHMS"] must list the accepted algorithms, e.g. ["RS256"]')
    kwargs: dict[str, Any] = dict(
        audience=s.JWT_AUDIENCE, issuer=s.JWT_ISSUER, leeway=s.JWT_LEEWAY, typ=s.JWT_TYP,
        options={"require": list(s.JWT_REQUIRE)} if s.JWT_REQUIRE else None,
    )
    if s.JWT_JWKS_URL is not None:
        return JWKSVerifier(JWKSClient(s.JWT_JWKS_URL), list(s.JWT_ALGORITHMS), **kwargs)
    try:
        return JWTVerifier(s.JWT_SECRET if s.JWT_SECRET is not None else s.JWT_KEY, list(s.JWT_ALGORITHMS), **kwargs)
    except InvalidKeyError as e:
        raise ImproperlyConfigured(f"WEBACCEL JWT key: {e}") from e


def _challenge(realm: str | None, error: str | None, description: str | None = None) -> HttpResponseBase:
    response = JsonResponse(
        {"error": error or "unauthorized", "error_description": description or "Authentication required"}, status=401
    )
    response["WWW-Authenticate"] = bearer_challenge(realm, error=error, error_description=description)
    return response


def jwt_required(view: _V) -> _V:
    """Decorate a view (sync or async) that needs a verified bearer token: without one
    (``request.jwt_claims`` is None, as ``JWTAuthenticationMiddleware`` leaves it when
    ``JWT_AUTH_REQUIRED`` is false) it answers the middleware's 401 with
    ``WWW-Authenticate: Bearer``. Lets an app require tokens on some views only."""

    def denied(request: HttpRequest) -> HttpResponseBase | None:
        if getattr(request, "jwt_claims", None) is not None:
            return None
        if not hasattr(request, "jwt_claims"):
            raise ImproperlyConfigured(
                "jwt_required needs webaccel.django.auth.JWTAuthenticationMiddleware in MIDDLEWARE"
            )
        return _challenge(get_settings().JWT_REALM, None)

    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return denied(request) or await view(request, *args, **kwargs)

        return cast(_V, async_wrapped)

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return denied(request) or view(request, *args, **kwargs)

    return cast(_V, wrapped)


class JWTAuthenticationMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        self._settings: WebAccelSettings | None = None
        self._verifier: JWTVerifier | JWKSVerifier | None = None
        self._user_callable: Callable[..., Any] | None = None

    def _config(self) -> tuple[WebAccelSettings, JWTVerifier | JWKSVerifier]:
        s = get_settings()
        if s is not self._settings or self._verifier is None:  # first use, or WEBACCEL changed
            self._verifier = build_verifier(s)
            self._user_callable = import_string(s.JWT_USER_CALLABLE) if s.JWT_USER_CALLABLE else None
            self._settings = s
        return s, self._verifier

    def _deny(self, s: WebAccelSettings, error: str | None, description: str | None = None) -> HttpResponseBase:
        return _challenge(s.JWT_REALM, error, description)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        s, verifier = self._config()
        request.jwt_claims = None  # type: ignore[attr-defined]
        token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        if token is None:
            if s.JWT_AUTH_REQUIRED:
                return self._deny(s, None)
            return self.get_response(request)  # type: ignore[no-any-return]
        try:
            claims = verifier.decode_sync(token) if isinstance(verifier, JWKSVerifier) else verifier.decode(token)
        except InvalidTokenError as e:
            return self._deny(s, "invalid_token", error_description(e))
        request.jwt_claims = claims  # type: ignore[attr-defined]
        if self._user_callable is not None:
            request.user = self._user_callable(request, claims)  # type: ignore[attr-defined]
        return self.get_response(request)  # type: ignore[no-any-return]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        s, verifier = self._config()
        request.jwt_claims = None  # type: ignore[attr-defined]
        token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        if token is None:
            if s.JWT_AUTH_REQUIRED:
                return self._deny(s, None)
            return await self.get_response(request)  # type: ignore[no-any-return]
        try:
            claims = await verifier.decode(token) if isinstance(verifier, JWKSVerifier) else verifier.decode(token)
        except InvalidTokenError as e:
            return self._deny(s, "invalid_token", error_description(e))
        request.jwt_claims = claims  # type: ignore[attr-defined]
        user_callable = self._user_callable
        if user_callable is not None:
            if iscoroutinefunction(user_callable):
                request.user = await user_callable(request, claims)  # type: ignore[attr-defined]
            else:
                request.user = await sync_to_async(user_callable)(request, claims)  # type: ignore[attr-defined]
        return await self.get_response(request)  # type: ignore[no-any-return]

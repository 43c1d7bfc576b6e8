"""webaccel's Django settings: one ``WEBACCEL`` dict, read lazily, cached, and reset whenever
Django reports that ``WEBACCEL`` changed (``override_settings`` in tests).

Every key, its type and its default is a field of :class:`WebAccelSettings`; a capability adds
its keys there, prefixed with its name (``JSON_...``, later ``RATELIMIT_...``, ``CACHE_...``).
The system check in ``webaccel.django.checks`` and :func:`get_settings` validate against it.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from webaccel.compress import DEFAULT_EXCLUDED_TYPES

__all__ = [
    "SETTING_NAME",
    "DEFAULTS",
    "WebAccelSettings",
    "Problem",
    "get_settings",
    "reset_settings",
    "validate",
]

SETTING_NAME = "WEBACCEL"


@dataclasses.dataclass(frozen=True)
class WebAccelSettings:
    """The resolved ``WEBACCEL`` settings: what the user set, defaults for the rest.

    Attribute names are the keys of the ``WEBACCEL`` dict.
    """

    # json
    JSON_NAN_AS_NULL: bool = False
    """``JsonResponse`` writes NaN and Infinity as ``null`` instead of raising
    ``webaccel.json.JSONEncodeError`` (a ``ValueError``)."""

    # request parsing (webaccel.django.request). None in the keys marked "fallback" means
    # Django's own setting, named in the docstring; elsewhere None means no limit.
    REQUEST_MAX_FIELDS: int | None = None
    """Fallback ``DATA_UPLOAD_MAX_NUMBER_FIELDS``: fields of an urlencoded body or query string,
    parts of a multipart body."""
    REQUEST_MAX_FILES: int | None = None
    """Fallback ``DATA_UPLOAD_MAX_NUMBER_FILES``: file parts of a multipart body."""
    REQUEST_MAX_FORM_MEMORY: int | None = None
    """Fallback ``DATA_UPLOAD_MAX_MEMORY_SIZE``: bytes of an urlencoded body, and of each
    non-file multipart part."""
    REQUEST_MAX_FILE_SIZE: int | None = 104_857_600
    """Bytes of one uploaded file (100 MiB); ``None``: no limit."""
    REQUEST_SPOOL_MAX_SIZE: int | None = None
    """Fallback ``FILE_UPLOAD_MAX_MEMORY_SIZE``: larger uploads go to a temporary file."""
    REQUEST_TRUSTED_PROXIES: tuple[str, ...] | list[str] = ("127.0.0.1/32", "::1/128")
    """Networks (CIDR) whose ``REQUEST_CLIENT_IP_HEADER`` is believed by ``client_ip``."""
    REQUEST_CLIENT_IP_HEADER: str = "x-forwarded-for"
    """``x-forwarded-for``, ``x-real-ip``, ``forwarded`` (RFC 7239) or another header name."""
    # compress (webaccel.django.compress.CompressionMiddleware)
    COMPRESS_ENCODINGS: list[str] | tuple[str, ...] = ("zstd", "br", "gzip")
    """Codings offered, most preferred first (``gzip``, ``deflate``, ``br``, ``zstd``)."""
    COMPRESS_LEVELS: dict[str, int] | None = None
    """Level per coding (``{"br": 5}``); defaults in ``webaccel.compress.DEFAULT_LEVELS``."""
    COMPRESS_MIN_SIZE: int = 200
    """Responses shorter than this are sent as they are (Django's GZipMiddleware: 200)."""
    COMPRESS_EXCLUDED_TYPES: list[str] | tuple[str, ...] = DEFAULT_EXCLUDED_TYPES
    """Media types never compressed (``type/*`` allowed)."""
    COMPRESS_STREAMS: bool = True
    """Compress streaming responses too (chunk by chunk, each flushed)."""
    COMPRESS_RANDOM_PADDING: int = 100
    """gzip only: up to this many random bytes in the gzip header, as Django's GZipMiddleware
    (BREACH mitigation); 0 turns it off."""
    COMPRESS_DECODE_REQUESTS: bool = False
    """Decode request bodies sent with ``Content-Encoding`` (413 over the size, 400 if corrupt,
    415 for an unknown coding)."""
    COMPRESS_MAX_REQUEST_SIZE: int = 16 * 1024 * 1024
    """Cap on a request body, compressed and decoded, when decoding."""
    # ratelimit (webaccel/django/ratelimit.py)
    RATELIMIT_ENABLED: bool = True
    """Turns every webaccel rate limit (middleware and ``@ratelimit``) on or off."""
    RATELIMIT_DEFAULT: str | None = None
    """The app-wide rate ``RateLimitMiddleware`` applies (``"1000/hour"``); None: no global limit."""
    RATELIMIT_STORAGE: str = "memory://"
    """``"memory://"`` (per process) or ``"redis://host:6379/0"`` (shared by every process)."""
    RATELIMIT_ALGORITHM: str = "gcra"
    """``"gcra"``, ``"fixed_window"`` or ``"sliding_window"``."""
    RATELIMIT_FAIL_OPEN: bool = True
    """When Redis fails: admit (True) or refuse with 429 (False); a warning is logged either way."""
    RATELIMIT_HEADERS: bool = True
    """``RateLimit`` / ``RateLimit-Policy`` headers on responses (``Retry-After`` on 429 always)."""
    RATELIMIT_LEGACY_HEADERS: bool = False
    """``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` as well."""
    RATELIMIT_TRUSTED_PROXIES: tuple[str, ...] | list[str] = ("127.0.0.1/32", "::1/128")
    """Networks whose forwarding header is believed when finding the client IP."""
    RATELIMIT_PROXY_HEADER: str = "x-forwarded-for"
    """``"x-forwarded-for"``, ``"forwarded"`` (RFC 7239) or ``"x-real-ip"``."""
    RATELIMIT_IPV6_PREFIX: int | None = 64
    """IPv6 clients are counted per network of this many bits (None: per address)."""
    RATELIMIT_KEY_PREFIX: str = "webaccel:rl"
    """Prefix of the Redis keys."""
    RATELIMIT_TIMEOUT: float | int = 0.1
    """Seconds a Redis round trip may take before the outage policy answers."""
    RATELIMIT_MAX_KEYS: int = 100_000
    """Keys held by memory storage at most."""
    RATELIMIT_EXEMPT: tuple[str, ...] | list[str] = ()
    """Path prefixes the middleware never limits (``"/health"``)."""
    # pagination
    PAGINATION_PAGE_SIZE: int = 20
    """Page size of ``webaccel.django.pagination.paginate`` when the request gives none."""
    PAGINATION_MAX_PAGE_SIZE: int | None = 100
    """Larger requested page sizes are clamped to this (``None``: no maximum)."""
    # metrics
    METRICS_NAMESPACE: str = "http"
    """Prefix of the metric names (``<ns>_requests_total``, ...)."""
    METRICS_BUCKETS: tuple[float, ...] | list[float] | None = None
    """Histogram upper bounds in seconds; None: prometheus_client's defaults."""
    METRICS_MAX_SERIES: int = 10000
    """Distinct (method, route, status) series kept before new ones go to ``__overflow__``."""
    METRICS_COUNT_4XX_ERRORS: bool = False
    """Count 4xx answers in ``<ns>_request_errors_total`` too (5xx always are)."""
    METRICS_DIR: str | None = None
    """A directory shared by the server's worker processes: ``metrics_view`` sums them all."""
    METRICS_REDIS_URL: str | None = None
    """Or a Redis shared by every process (``RedisMetrics``): ``metrics_view`` sums them all."""

    # accesslog
    ACCESS_LOG_LOGGER: str = "webaccel.access"
    """The ``logging`` logger the JSON lines go to (configure its handlers in ``LOGGING``)."""
    ACCESS_LOG_MAX_QUEUE: int = 10000
    """Records waiting for the writer thread at most; more are dropped (and counted)."""
    ACCESS_LOG_TRUSTED_PROXIES: tuple[str, ...] | list[str] | None = None
    """Proxies (addresses or CIDR networks) whose ``X-Forwarded-For`` is believed; None: loopback."""
    # auth (JWT): webaccel.django.auth.JWTAuthenticationMiddleware
    JWT_SECRET: str | bytes | None = None
    """HMAC secret the middleware verifies bearer tokens with (one key source only)."""
    JWT_KEY: str | bytes | dict | None = None
    """A verification key instead: PEM text, a JWK dict, or a JWKS dict (``{"keys": [...]}``)."""
    JWT_JWKS_URL: str | None = None
    """Or a JWKS URL, fetched and cached (``webaccel.auth.JWKSClient``)."""
    JWT_ALGORITHMS: list | tuple | None = None
    """The accepted algorithms, e.g. ``["RS256"]``: required with any key source."""
    JWT_AUDIENCE: str | list | tuple | None = None
    """The expected ``aud`` (one or several)."""
    JWT_ISSUER: str | list | tuple | None = None
    """The expected ``iss``, compared exactly."""
    JWT_LEEWAY: int | float = 0
    """Seconds of clock skew allowed on ``exp``/``nbf``/``iat``."""
    JWT_TYP: str | None = None
    """A required header ``typ`` (e.g. ``"at+jwt"``, RFC 9068)."""
    JWT_REQUIRE: list | tuple = ()
    """Claims every token must carry (e.g. ``["exp", "sub"]``)."""
    JWT_AUTH_REQUIRED: bool = False
    """Answer 401 to requests without a bearer token (otherwise they pass, ``request.jwt_claims``
    is None); an invalid token is always 401."""
    JWT_USER_CALLABLE: str | None = None
    """Dotted path of ``callable(request, claims) -> user`` (sync or async); its result becomes
    ``request.user``."""
    JWT_REALM: str | None = None
    """The ``realm`` of the ``WWW-Authenticate: Bearer`` challenge."""


DEFAULTS: Mapping[str, Any] = types.MappingProxyType(
    {field.name: field.default for field in dataclasses.fields(WebAccelSettings)}
)
"""Every ``WEBACCEL`` key with its default value."""

_TYPES: dict[str, Any] = typing.get_type_hints(WebAccelSettings)


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with the ``WEBACCEL`` setting, as reported by :func:`validate`."""

    id: str
    msg: str
    hint: str | None = None


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (the plain types settings use)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arm) for arm in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint in (int, float):
        # bool is an int subclass, but True as a size or a rate is a mistake.
        return isinstance(value, hint) and not isinstance(value, bool)
    return isinstance(value, origin or hint)


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return "None"
    return getattr(hint, "__name__", str(hint))


def validate(raw: Any) -> list[Problem]:
    """Check a ``WEBACCEL`` value; an empty list means it is valid.

    - ``webaccel.E001``: ``WEBACCEL`` is not a dict;
    - ``webaccel.E002``: a key webaccel does not know (a typo, most likely);
    - ``webaccel.E003``: a value of the wrong type.
    """
    if not isinstance(raw, Mapping):
        return [
            Problem(
                "webaccel.E001",
                f"The {SETTING_NAME} setting must be a dict, not {type(raw).__name__}.",
            )
        ]
    problems = []
    for key, value in raw.items():
        if key not in _TYPES:
            close = difflib.get_close_matches(str(key), list(_TYPES), n=1)
            problems.append(
                Problem(
                    "webaccel.E002",
                    f"Unknown key {key!r} in the {SETTING_NAME} setting.",
                    hint=f"Did you mean {close[0]!r}?" if close else
                    f"Known keys: {', '.join(sorted(_TYPES))}.",
                )
            )
        elif not _matches(value, _TYPES[key]):
            problems.append(
                Problem(
                    "webaccel.E003",
                    f"{SETTING_NAME}[{key!r}] must be {_describe(_TYPES[key])}, "
                    f"not {type(value).__name__}.",
                )
            )
    return problems


_cached: WebAccelSettings | None = None


def get_settings() -> WebAccelSettings:
    """The resolved ``WEBACCEL`` settings, read on first use and cached.

    Raises ``ImproperlyConfigured`` when the setting is invalid (the system check reports the
    same problems at startup, with ``manage.py check``).
    """
    global _cached
    current = _cached
    if current is None:
        raw = getattr(django_settings, SETTING_NAME, {})
        problems = validate(raw)
        if problems:
            raise ImproperlyConfigured(
                "; ".join(f"{p.msg} ({p.id})" for p in problems)
            )
        current = _cached = WebAccelSettings(**raw)
    return current


def reset_settings() -> None:
    """Drop the cached settings; the next :func:`get_settings` reads ``WEBACCEL`` again."""
    global _cached
    _cached = None


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME:
        reset_settings()


setting_changed.connect(_on_setting_changed, dispatch_uid="webaccel.django.conf")

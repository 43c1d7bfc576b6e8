"""The ``WebAccel`` Flask extension: reads ``WEBACCEL_*`` config and installs the adapters."""

from __future__ import annotations

import typing as t
from types import MappingProxyType

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from webaccel.compress import DEFAULT_EXCLUDED_TYPES
from webaccel.flask.compress import init_compress
from webaccel.flask.cache import cached, init_cache
from webaccel.flask.json import WebAccelJSONProvider
from webaccel.flask.pagination import check_config as _check_pagination_config
from webaccel.flask.accesslog import init_app as _init_access_log
from webaccel.flask.metrics import init_app as _init_metrics

__all__ = ["CONFIG_DEFAULTS", "WebAccel"]

CONFIG_DEFAULTS: t.Mapping[str, t.Any] = MappingProxyType(
    {
        # json: install WebAccelJSONProvider as app.json.
        "WEBACCEL_JSON": True,
        # None keeps the setting of the provider being replaced (Flask's: sorted keys,
        # ASCII-only output, compact unless in debug mode).
        "WEBACCEL_JSON_SORT_KEYS": None,
        "WEBACCEL_JSON_ENSURE_ASCII": None,
        "WEBACCEL_JSON_COMPACT": None,
        # Write NaN/Infinity as null instead of raising JSONEncodeError.
        "WEBACCEL_JSON_NAN_AS_NULL": False,
        # request parsing (webaccel.flask.request): opt-in, since it replaces app.request_class
        # (an app's own subclass is kept, with the engine mixed in). Limits: None in the first
        # three means Flask's MAX_FORM_PARTS / MAX_FORM_MEMORY_SIZE; elsewhere None is no limit.
        # MAX_CONTENT_LENGTH bounds the whole body, as in Flask.
        "WEBACCEL_REQUEST": False,
        "WEBACCEL_REQUEST_MAX_PARTS": None,
        "WEBACCEL_REQUEST_MAX_FIELD_SIZE": None,
        "WEBACCEL_REQUEST_MAX_FORM_MEMORY": None,
        "WEBACCEL_REQUEST_MAX_FILES": 100,
        "WEBACCEL_REQUEST_MAX_FILE_SIZE": None,
        "WEBACCEL_REQUEST_SPOOL_MAX_SIZE": 500_000,
        # compress (webaccel/flask/compress.py): opt-in response compression with the coding the
        # client prefers; levels per coding ({"br": 5}); streamed responses chunk by chunk.
        "WEBACCEL_COMPRESS_ENABLED": False,
        "WEBACCEL_COMPRESS_ENCODINGS": ("zstd", "br", "gzip"),
        "WEBACCEL_COMPRESS_LEVELS": None,
        "WEBACCEL_COMPRESS_MIN_SIZE": 500,
        "WEBACCEL_COMPRESS_EXCLUDED_TYPES": DEFAULT_EXCLUDED_TYPES,
        "WEBACCEL_COMPRESS_STREAMS": True,
        # Decode request bodies sent with Content-Encoding (413 over the size, 400 if corrupt).
        "WEBACCEL_COMPRESS_REQUESTS": False,
        "WEBACCEL_COMPRESS_MAX_REQUEST_SIZE": 16 * 1024 * 1024,
        # ratelimit (webaccel/flask/ratelimit.py): @limit(...) views and an app-wide default.
        "WEBACCEL_RATELIMIT_ENABLED": True,
        "WEBACCEL_RATELIMIT_DEFAULT": None,  # a rate string applied to every request, or None
        "WEBACCEL_RATELIMIT_STORAGE": "memory://",  # or "redis://host:6379/0"
        "WEBACCEL_RATELIMIT_ALGORITHM": "gcra",  # or "fixed_window", "sliding_window"
        "WEBACCEL_RATELIMIT_FAIL_OPEN": True,  # when Redis fails: admit (True) or refuse (False)
        "WEBACCEL_RATELIMIT_HEADERS": True,  # RateLimit / RateLimit-Policy on responses
        "WEBACCEL_RATELIMIT_LEGACY_HEADERS": False,  # X-RateLimit-Limit/Remaining/Reset as well
        "WEBACCEL_RATELIMIT_TRUSTED_PROXIES": ("127.0.0.1/32", "::1/128"),
        "WEBACCEL_RATELIMIT_PROXY_HEADER": "x-forwarded-for",
        "WEBACCEL_RATELIMIT_IPV6_PREFIX": 64,  # IPv6 clients counted per /64 (None: per address)
        "WEBACCEL_RATELIMIT_KEY_PREFIX": "webaccel:rl",  # Redis key prefix
        "WEBACCEL_RATELIMIT_TIMEOUT": 0.1,  # seconds, Redis round trip
        "WEBACCEL_RATELIMIT_MAX_KEYS": 100_000,  # memory storage bound
        "WEBACCEL_RATELIMIT_EXEMPT": (),  # path prefixes the default limit skips
        # cache (webaccel/flask/cache.py): the app's cache, used by WebAccel.cached.
        "WEBACCEL_CACHE_TYPE": "memory",  # "memory" or "redis"
        "WEBACCEL_CACHE_URL": None,  # redis:// URL, for TYPE "redis"
        "WEBACCEL_CACHE_DEFAULT_TIMEOUT": 300,  # seconds; None: forever
        "WEBACCEL_CACHE_MAX_ITEMS": 10_000,  # memory
        "WEBACCEL_CACHE_MAX_BYTES": None,  # memory
        "WEBACCEL_CACHE_KEY_PREFIX": "flask:",  # redis
        "WEBACCEL_CACHE_ON_ERROR": "miss",  # redis outage: "miss" or "raise"
        # pagination: webaccel.flask.pagination's default page size, and the maximum larger
        # requested sizes are clamped to (None: no maximum).
        "WEBACCEL_PAGINATION_PAGE_SIZE": 20,
        "WEBACCEL_PAGINATION_MAX_PAGE_SIZE": 100,
        # metrics (webaccel.flask.metrics): record every request, serve the text format.
        "WEBACCEL_METRICS": False,
        "WEBACCEL_METRICS_PATH": "/metrics",  # None: no endpoint
        "WEBACCEL_METRICS_NAMESPACE": "http",
        "WEBACCEL_METRICS_BUCKETS": None,  # None: prometheus_client's default buckets
        "WEBACCEL_METRICS_MAX_SERIES": 10000,
        "WEBACCEL_METRICS_COUNT_4XX_ERRORS": False,
        "WEBACCEL_METRICS_DIR": None,  # a directory shared by the workers: /metrics sums them
        "WEBACCEL_METRICS_REDIS_URL": None,  # or a Redis hash shared by every process (RedisMetrics)
        # access log (webaccel.flask.accesslog): JSON lines, written off the request path.
        "WEBACCEL_ACCESS_LOG": False,
        "WEBACCEL_ACCESS_LOG_SINK": None,  # a path, stream, logging.Logger or callable; None: stderr
        "WEBACCEL_ACCESS_LOG_MAX_QUEUE": 10000,
        "WEBACCEL_ACCESS_LOG_TRUSTED_PROXIES": None,  # None: loopback only
        # auth (JWT): what @jwt_required / @jwt_optional verify with (webaccel.flask.auth).
        # One key source: an HMAC secret, a verification key (PEM, JWK dict, JWTKey, JWKSet) or
        # a JWKS URL; the algorithms list is required with any of them.
        "WEBACCEL_JWT_SECRET": None,
        "WEBACCEL_JWT_KEY": None,
        "WEBACCEL_JWT_JWKS_URL": None,
        "WEBACCEL_JWT_ALGORITHMS": None,
        "WEBACCEL_JWT_AUDIENCE": None,
        "WEBACCEL_JWT_ISSUER": None,
        "WEBACCEL_JWT_LEEWAY": 0,
        "WEBACCEL_JWT_TYP": None,
        "WEBACCEL_JWT_REQUIRE": (),
        "WEBACCEL_JWT_REALM": None,
    }
)
"""Every ``WEBACCEL_*`` key with its default; ``init_app`` sets them with ``setdefault``. Later
capabilities add their keys here, prefixed with their name (``WEBACCEL_<CAPABILITY>_...``)."""

# Provider attributes carried over from the provider being replaced when they differ from
# Flask's defaults, so that settings made on app.json before init_app (or by a
# DefaultJSONProvider subclass) survive the switch.
_CARRIED_OVER = ("default", "sort_keys", "ensure_ascii", "compact", "mimetype")

# Config key -> provider attribute, for keys where None means "keep".
_PROVIDER_KEYS = {
    "WEBACCEL_JSON_SORT_KEYS": "sort_keys",
    "WEBACCEL_JSON_ENSURE_ASCII": "ensure_ascii",
    "WEBACCEL_JSON_COMPACT": "compact",
}


class WebAccel:
    """The webaccel Flask extension.

    ::

        app = Flask(__name__)
        app.config["WEBACCEL_JSON_SORT_KEYS"] = False   # optional: see CONFIG_DEFAULTS
        WebAccel(app)               # or: webaccel = WebAccel(); webaccel.init_app(app)

    The extension keeps no reference to any app (one instance can serve several apps, as with
    the application factory pattern); it registers itself in ``app.extensions["webaccel"]``.
    Configuration is read once, in :meth:`init_app`.
    """

    json_provider_class: type[WebAccelJSONProvider] = WebAccelJSONProvider
    """The provider installed when ``WEBACCEL_JSON`` is true; subclass to customise."""

    cached = staticmethod(cached)
    """``@webaccel.cached(timeout=60)``: response caching, see ``webaccel.flask.cache``."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Apply the ``WEBACCEL_*`` configuration of ``app``.

        Raises ``TypeError`` when a key has a value of the wrong type.
        """
        for key, value in CONFIG_DEFAULTS.items():
            app.config.setdefault(key, value)
        _check_config(app.config)
        _check_pagination_config(app.config)
        if app.config["WEBACCEL_JSON"]:
            app.json = self._make_json_provider(app)
        from webaccel.flask import request as _request  # request parsing

        _request.install(app)
        init_compress(app)
        from webaccel.flask import ratelimit as _ratelimit  # rate limiting: hooks + config

        _ratelimit.init_app(app)
        init_cache(app)
        _init_metrics(app)
        _init_access_log(app)
        from webaccel.flask.auth import init_jwt

        init_jwt(app)
        app.extensions["webaccel"] = self

    def _make_json_provider(self, app: Flask) -> WebAccelJSONProvider:
        provider = self.json_provider_class(app)
        current = app.json
        if isinstance(current, DefaultJSONProvider):
            for name in _CARRIED_OVER:
                value = getattr(current, name)
                if value != getattr(DefaultJSONProvider, name):
                    setattr(provider, name, value)
        for key, name in _PROVIDER_KEYS.items():
            if app.config[key] is not None:
                setattr(provider, name, app.config[key])
        provider.nan_as_null = app.config["WEBACCEL_JSON_NAN_AS_NULL"]
        return provider


def _check_config(config: t.Mapping[str, t.Any]) -> None:
    for key in ("WEBACCEL_JSON", "WEBACCEL_JSON_NAN_AS_NULL"):
        if not isinstance(config[key], bool):
            raise TypeError(f"{key} must be a bool, not {type(config[key]).__name__}")
    for key in _PROVIDER_KEYS:
        if config[key] is not None and not isinstance(config[key], bool):
            raise TypeError(f"{key} must be a bool or None, not {type(config[key]).__name__}")

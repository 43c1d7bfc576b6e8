"""The ``WebAccel`` Flask extension: reads ``WEBACCEL_*`` config and installs the adapters."""

from __future__ import annotations

import typing as t
from types import MappingProxyType

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from webaccel.flask.json import WebAccelJSONProvider

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
        if app.config["WEBACCEL_JSON"]:
            app.json = self._make_json_provider(app)
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

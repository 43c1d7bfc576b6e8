"""Flask: bearer-token authentication with webaccel's JWT verifier.

``@jwt_required`` verifies ``Authorization: Bearer <JWT>`` before the view runs and puts the
claims on ``flask.g.jwt_claims``; ``@jwt_optional`` does the same but lets requests without a
token through (``g.jwt_claims`` is None). Configuration comes from ``app.config``:

=============================  ===================================================================
``WEBACCEL_JWT_SECRET``        HMAC secret (str or bytes)
``WEBACCEL_JWT_KEY``           verification key instead: PEM, JWK dict, ``JWTKey`` or ``JWKSet``
``WEBACCEL_JWT_JWKS_URL``      or a JWKS URL (fetched and cached by :class:`JWKSClient`)
``WEBACCEL_JWT_ALGORITHMS``    the accepted algorithms (required), e.g. ``["HS256"]``
``WEBACCEL_JWT_AUDIENCE``      expected ``aud`` (str or list), ``WEBACCEL_JWT_ISSUER`` ``iss``
``WEBACCEL_JWT_LEEWAY``        seconds of clock skew allowed
``WEBACCEL_JWT_TYP``           a required header ``typ`` (e.g. ``"at+jwt"``)
``WEBACCEL_JWT_REQUIRE``       claims that must be present (list)
``WEBACCEL_JWT_REALM``         the ``realm`` of the ``WWW-Authenticate`` challenge
=============================  ===================================================================

Failures answer JSON ``{"error": ..., "error_description": ...}`` with RFC 6750's
``WWW-Authenticate: Bearer`` challenge: 401 for a missing or invalid token, 403
(``insufficient_scope``) for missing scopes or roles.
"""

from __future__ import annotations

import functools
import inspect
import typing as t
from collections.abc import Callable, Iterable, Mapping

from flask import Flask, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from webaccel.auth import (
    InvalidTokenError,
    JWKSClient,
    JWKSVerifier,
    JWTVerifier,
    bearer_challenge,
    bearer_token,
    claim_roles,
    claim_scopes,
    error_description,
    subject_key,
)
from webaccel.flask.extension import CONFIG_DEFAULTS

__all__ = ["init_jwt", "jwt_required", "jwt_optional", "get_jwt_claims", "jwt_subject"]

EXTENSION_KEY = "webaccel.jwt"

F = t.TypeVar("F", bound=Callable[..., ResponseReturnValue])


def _build(config: Mapping[str, t.Any]) -> JWTVerifier | JWKSVerifier | None:
    sources = [k for k in ("WEBACCEL_JWT_SECRET", "WEBACCEL_JWT_KEY", "WEBACCEL_JWT_JWKS_URL") if config.get(k) is not None]
    if not sources:
        return None
    if len(sources) > 1:
        raise TypeError(f"set only one of {', '.join(sources)}")
    algorithms = config.get("WEBACCEL_JWT_ALGORITHMS")
    if not algorithms or isinstance(algorithms, str):
        raise TypeError("WEBACCEL_JWT_ALGORITHMS must be a list of algorithm names, e.g. [\"HS256\"]")
    require = list(config.get("WEBACCEL_JWT_REQUIRE") or ())
    kwargs: dict[str, t.Any] = dict(
        audience=config.get("WEBACCEL_JWT_AUDIENCE"),
        issuer=config.get("WEBACCEL_JWT_ISSUER"),
        leeway=config.get("WEBACCEL_JWT_LEEWAY") or 0,
        typ=config.get("WEBACCEL_JWT_TYP"),
        options={"require": require} if require else None,
    )
    if sources[0] == "WEBACCEL_JWT_JWKS_URL":
        return JWKSVerifier(JWKSClient(config["WEBACCEL_JWT_JWKS_URL"]), list(algorithms), **kwargs)
    return JWTVerifier(config[sources[0]], list(algorithms), **kwargs)


def init_jwt(app: Flask) -> None:
    """Read the ``WEBACCEL_JWT_*`` keys (``WebAccel.init_app`` calls this) and build the
    verifier once; a misconfiguration raises here, at startup, not on the first request."""
    for key, value in CONFIG_DEFAULTS.items():
        if key.startswith("WEBACCEL_JWT_"):
            app.config.setdefault(key, value)
    app.extensions[EXTENSION_KEY] = _build(app.config)


_MISSING = object()


def _verifier(app: Flask | None = None) -> JWTVerifier | JWKSVerifier:
    if app is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    verifier = app.extensions.get(EXTENSION_KEY, _MISSING)
    if verifier is _MISSING:
        init_jwt(app)
        verifier = app.extensions[EXTENSION_KEY]
    if verifier is None:
        raise RuntimeError("jwt_required: set WEBACCEL_JWT_SECRET, WEBACCEL_JWT_KEY or WEBACCEL_JWT_JWKS_URL")
    return verifier  # type: ignore[no-any-return]


def _deny(status: int, error: str | None, description: str | None = None, **extra: str) -> ResponseReturnValue:
    realm = current_app.config.get("WEBACCEL_JWT_REALM")
    challenge = bearer_challenge(realm, error=error, error_description=description, **extra)
    body = {"error": error or "unauthorized", "error_description": description or "Authentication required"}
    return jsonify(body), status, {"WWW-Authenticate": challenge}


def get_jwt_claims() -> dict[str, t.Any] | None:
    """The verified claims of the current request (None when no token was given)."""
    return g._get_current_object().get("jwt_claims")  # type: ignore[no-any-return]


def jwt_subject() -> str:
    """The verified token's ``sub`` claim, as a string: the key of a per-user limit under
    ``@jwt_required`` (``@limit("100/minute", key=jwt_subject)``).

    Raises ``LookupError`` when the request has no verified claims (no ``@jwt_required`` above
    the limit, or ``@jwt_optional`` without a token) or claims without ``sub``: a limit keyed on
    a user it cannot find must not let the request through unlimited."""
    return subject_key(get_jwt_claims(), require_hint=' (WEBACCEL_JWT_REQUIRE=["sub"] refuses such tokens)')


def jwt_required(
    fn: F | None = None, *, optional: bool = False, scopes: Iterable[str] = (), roles: Iterable[str] = (),
    scope_claim: str = "scope", roles_claim: str = "roles",
) -> t.Any:
    """Decorate a view: ``@jwt_required`` or ``@jwt_required(scopes=["items:write"], roles=[...])``."""
    wanted_scopes = frozenset(scopes)
    wanted_roles = frozenset(roles)

    def decorate(view: F) -> F:
        # Decided once: Flask's ensure_sync inspects the view on every call.
        is_async = inspect.iscoroutinefunction(view)

        def run(*args: t.Any, **kwargs: t.Any) -> ResponseReturnValue:
            if is_async:
                return current_app.ensure_sync(view)(*args, **kwargs)  # type: ignore[no-any-return]
            return view(*args, **kwargs)

        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> ResponseReturnValue:
            # The proxies resolved once each: every attribute read through a LocalProxy costs
            # about a microsecond, ten times the object's own.
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            # The header as request.headers gives it (Werkzeug reads it from the environ).
            token = bearer_token(request._get_current_object().environ.get("HTTP_AUTHORIZATION"))  # type: ignore[attr-defined]
            if token is None:
                if not optional:
                    return _deny(401, None)
                g.jwt_claims = None
                return run(*args, **kwargs)
            verifier = _verifier(app)
            try:
                if isinstance(verifier, JWKSVerifier):
                    claims = verifier.decode_sync(token)
                else:
                    claims = verifier.decode(token)
            except InvalidTokenError as e:
                return _deny(401, "invalid_token", error_description(e))
            if wanted_scopes and not wanted_scopes <= claim_scopes(claims, scope_claim):
                return _deny(403, "insufficient_scope", "Insufficient scope", scope=" ".join(sorted(wanted_scopes)))
            if wanted_roles and not wanted_roles <= claim_roles(claims, roles_claim):
                return _deny(403, "insufficient_scope", "Insufficient role")
            g._get_current_object().jwt_claims = claims  # type: ignore[attr-defined]
            return run(*args, **kwargs)

        return t.cast(F, wrapper)

    if fn is not None:
        return decorate(fn)
    return decorate


def jwt_optional(fn: F) -> F:
    """``@jwt_required`` that lets requests without a token through (``g.jwt_claims`` None);
    a token that is present must still be valid."""
    return t.cast(F, jwt_required(fn, optional=True))

"""webaccel.django.auth.JWTAuthenticationMiddleware through Django's test clients (WSGI-style
Client and ASGI AsyncClient): claims on the request, the user callable, 401 answers with
RFC 6750 challenges, and the WEBACCEL JWT_* settings."""

from __future__ import annotations

import time
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings

from webaccel import auth
from webaccel.django.auth import JWTAuthenticationMiddleware

SECRET = "django-test-secret-long-enough-for-hs256"
MIDDLEWARE = ["webaccel.django.auth.JWTAuthenticationMiddleware"]
BASE = {"JWT_SECRET": SECRET, "JWT_ALGORITHMS": ["HS256"], "JWT_AUDIENCE": "api", "JWT_ISSUER": "issuer", "JWT_REALM": "dj"}


def token(**claims: Any) -> str:
    return auth.jwt_encode({"sub": "u1", "aud": "api", "iss": "issuer", "exp": int(time.time()) + 600, **claims}, SECRET)


def bearer(tok: str) -> dict[str, dict[str, str]]:
    return {"headers": {"Authorization": f"Bearer {tok}"}}


def settings(**extra: Any) -> Any:
    return override_settings(MIDDLEWARE=MIDDLEWARE, WEBACCEL={**BASE, **extra})


def test_claims_on_the_request() -> None:
    with settings():
        r = Client().get("/auth/claims", **bearer(token(scope="a")))
        assert r.status_code == 200
        assert r.json()["claims"]["sub"] == "u1" and r.json()["claims"]["scope"] == "a"
        assert Client().get("/auth/claims").json()["claims"] is None


def test_invalid_token_is_401() -> None:
    with settings():
        for bad in (token(exp=1), token(aud="other"), token(iss="issuer.evil"), token()[:-3] + "abc", "junk"):
            r = Client().get("/auth/claims", **bearer(bad))
            assert r.status_code == 401
            assert r["WWW-Authenticate"].startswith('Bearer realm="dj", error="invalid_token"')
            assert r.json()["error"] == "invalid_token"


def test_auth_required() -> None:
    with settings(JWT_AUTH_REQUIRED=True):
        r = Client().get("/auth/claims")
        assert r.status_code == 401 and r["WWW-Authenticate"] == 'Bearer realm="dj"'
        assert Client().get("/auth/claims", **bearer(token())).status_code == 200


def test_user_callable_sync() -> None:
    with settings(JWT_USER_CALLABLE="tests.django.auth_urls.user_for"):
        assert Client().get("/auth/claims", **bearer(token(sub="ann"))).json()["user"] == "user:ann"


def test_async_client_runs_the_middleware_async() -> None:
    import asyncio

    async def run() -> None:
        with settings(JWT_USER_CALLABLE="tests.django.auth_urls.async_user_for"):
            r = await AsyncClient().get("/auth/async-claims", **bearer(token(sub="bo")))
            assert r.status_code == 200
            assert r.json()["claims"]["sub"] == "bo" and r.json()["user"] == "async-user:bo"
            r = await AsyncClient().get("/auth/async-claims", **bearer("x.y.z"))
            assert r.status_code == 401
        with settings(JWT_USER_CALLABLE="tests.django.auth_urls.user_for"):
            r = await AsyncClient().get("/auth/async-claims", **bearer(token(sub="cy")))
            assert r.json()["user"] == "user:cy"  # a sync callable runs through sync_to_async

    asyncio.run(run())


def test_sync_and_async_capable() -> None:
    def sync_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    async def async_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert JWTAuthenticationMiddleware.sync_capable and JWTAuthenticationMiddleware.async_capable
    assert not iscoroutinefunction(JWTAuthenticationMiddleware(sync_view))
    assert iscoroutinefunction(JWTAuthenticationMiddleware(async_view))


def test_public_key_settings_refuse_algorithm_confusion() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    pub = priv.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with settings(JWT_SECRET=None, JWT_KEY=pub, JWT_ALGORITHMS=["RS256", "HS256"]):
        good = auth.jwt_encode({"sub": "r", "aud": "api", "iss": "issuer"}, pem, "RS256")
        assert Client().get("/auth/claims", **bearer(good)).json()["claims"]["sub"] == "r"
        import base64
        import hmac
        import json

        def b64(b: bytes) -> str:
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

        signing = f"{b64(json.dumps({'alg': 'HS256'}).encode())}.{b64(json.dumps({'sub': 'evil', 'aud': 'api', 'iss': 'issuer'}).encode())}"
        forged = f"{signing}.{b64(hmac.new(pub.encode(), signing.encode(), 'sha256').digest())}"
        assert Client().get("/auth/claims", **bearer(forged)).status_code == 401


def test_misconfiguration() -> None:
    for bad in ({"JWT_ALGORITHMS": None}, {"JWT_KEY": "x"}, {"JWT_SECRET": "short"}):
        with settings(**bad):
            with pytest.raises(ImproperlyConfigured):
                Client(raise_request_exception=True).get("/auth/claims")
    with override_settings(MIDDLEWARE=MIDDLEWARE, WEBACCEL={"JWT_LEEWAY": "5"}):
        with pytest.raises(ImproperlyConfigured, match="JWT_LEEWAY"):
            Client().get("/auth/claims")

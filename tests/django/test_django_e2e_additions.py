"""What the end-to-end example apps (issue #7) needed from the Django adapters, through Django's
test clients: ``jwt_required`` for views behind ``JWTAuthenticationMiddleware`` (sync and
async), ``ratelimit`` with a rate read from a setting, and ``paginate(clamp_page_size=False)``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from webaccel import auth
from webaccel.django.auth import jwt_required
from webaccel.django.pagination import paginate
from webaccel.django.ratelimit import ratelimit

SECRET = "django-e2e-additions-secret-0123456789"
ROWS = [{"id": i} for i in range(1, 31)]
WEBACCEL = {"JWT_SECRET": SECRET, "JWT_ALGORITHMS": ["HS256"], "JWT_REALM": "e2e", "PAGINATION_MAX_PAGE_SIZE": 10}


@jwt_required
def claims(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"sub": request.jwt_claims["sub"]})  # type: ignore[attr-defined]


@jwt_required
async def async_claims(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"sub": request.jwt_claims["sub"]})  # type: ignore[attr-defined]


def public(request: HttpRequest) -> HttpResponse:
    return HttpResponse("public")


@ratelimit(lambda: settings.E2E_TEST_RATE, key=lambda r: r.headers.get("X-User"))
def limited(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def strict(request: HttpRequest) -> HttpResponse:
    return paginate(request, ROWS, page_size=5, clamp_page_size=False)


def clamped(request: HttpRequest) -> HttpResponse:
    return paginate(request, ROWS, page_size=5)


urlpatterns = [
    path("claims", claims),
    path("async-claims", async_claims),
    path("public", public),
    path("limited", limited),
    path("strict", strict),
    path("clamped", clamped),
]


@pytest.fixture(autouse=True)
def project() -> Any:
    # A new WEBACCEL value per test: limiters are rebuilt (empty counters, the rate read again).
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=["webaccel.django.auth.JWTAuthenticationMiddleware"],
                           WEBACCEL=dict(WEBACCEL), E2E_TEST_RATE="2/minute"):
        yield


def bearer(sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {auth.jwt_encode({'sub': sub, 'exp': int(time.time()) + 600}, SECRET)}"}


def test_jwt_required_answers_401_without_a_token() -> None:
    client = Client()
    missing = client.get("/claims")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"] == 'Bearer realm="e2e"'
    assert missing.json()["error"] == "unauthorized"
    assert client.get("/claims", headers=bearer("alice")).json() == {"sub": "alice"}
    assert client.get("/public").status_code == 200
    forged = client.get("/claims", headers={"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401 and 'error="invalid_token"' in forged["WWW-Authenticate"]


def test_jwt_required_async_view() -> None:
    async def run() -> tuple[int, int]:
        client = AsyncClient()
        return (await client.get("/async-claims")).status_code, \
            (await client.get("/async-claims", headers=bearer("bob"))).status_code

    assert asyncio.run(run()) == (401, 200)


def test_jwt_required_without_the_middleware_is_a_configuration_error() -> None:
    with override_settings(MIDDLEWARE=[]):
        with pytest.raises(ImproperlyConfigured, match="JWTAuthenticationMiddleware"):
            Client(raise_request_exception=True).get("/claims")


def test_ratelimit_rate_read_from_a_setting() -> None:
    client = Client()
    statuses = [client.get("/limited", headers={"X-User": "a"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    with override_settings(E2E_TEST_RATE="3/minute", WEBACCEL=dict(WEBACCEL)):
        statuses = [client.get("/limited", headers={"X-User": "a"}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]


def test_page_size_above_the_maximum_is_refused_or_clamped() -> None:
    client = Client()
    refused = client.get("/strict?page_size=11")
    assert refused.status_code == 400
    assert refused.json() == {"detail": "page_size is more than 10"}
    assert client.get("/strict?page_size=10").json()["page_size"] == 10
    assert client.get("/clamped?page_size=11").json()["page_size"] == 10

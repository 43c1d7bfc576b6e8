"""Views for the JWT middleware tests (tests/django/test_django_auth.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path


def claims_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"claims": getattr(request, "jwt_claims", "unset"), "user": str(getattr(request, "user", None))})


async def async_claims_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"claims": getattr(request, "jwt_claims", "unset"), "user": str(getattr(request, "user", None))})


def user_for(request: HttpRequest, claims: dict[str, Any]) -> str:
    return f"user:{claims['sub']}"


async def async_user_for(request: HttpRequest, claims: dict[str, Any]) -> str:
    return f"async-user:{claims['sub']}"


urlpatterns = [
    path("claims", claims_view),
    path("async-claims", async_claims_view),
]

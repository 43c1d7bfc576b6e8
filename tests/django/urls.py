"""URLs for the Django adapter tests: the same data answered by Django's and webaccel's
JsonResponse, so the test client can compare the two."""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.http import HttpRequest
from django.http import JsonResponse as DjangoJsonResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy

from webaccel.django.http import JsonResponse

DATA = {
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "when": datetime.datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=datetime.timezone.utc),
    "price": decimal.Decimal("19.990"),
    "label": gettext_lazy("Hello"),
    "tags": ["a", "é", "😀"],
    "count": 3,
}


def stock(request: HttpRequest) -> DjangoJsonResponse:
    return DjangoJsonResponse(DATA, json_dumps_params={"separators": (",", ":")})


def ours(request: HttpRequest) -> JsonResponse:
    return JsonResponse(DATA)


def ours_list(request: HttpRequest) -> JsonResponse:
    return JsonResponse([1, 2, 3], safe=False, status=201, headers={"X-Test": "1"})


urlpatterns = [
    path("stock", stock),
    path("ours", ours),
    path("ours-list", ours_list),
    path("auth/", include("tests.django.auth_urls")),
]

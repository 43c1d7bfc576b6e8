"""URLs for the Django adapter tests: the same data answered by Django's and webaccel's
JsonResponse, so the test client can compare the two."""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.http import HttpRequest
from django.http import JsonResponse as DjangoJsonResponse
from django.urls import include, path, re_path
from django.urls import path
from django.views.decorators.cache import cache_page
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


_cached_calls = 0


@cache_page(60, cache="webaccel")
def cached_view(request: HttpRequest) -> JsonResponse:
    """A view cached by Django's cache_page on webaccel's backend (the counter shows reuse)."""
    global _cached_calls
    _cached_calls += 1
    return JsonResponse({"calls": _cached_calls, "query": request.GET.urlencode()})
# passwords: a login view over an in-memory user table (no database), checked with Django's
# check_password, so PASSWORD_HASHERS decides the hasher; a stale hash is upgraded on login.
PASSWORD_USERS: dict[str, str] = {}


def password_login(request: HttpRequest) -> JsonResponse:
    from django.contrib.auth.hashers import check_password

    username = request.POST.get("username", "")
    stored = PASSWORD_USERS.get(username)

    def upgrade(raw: str) -> None:
        from django.contrib.auth.hashers import make_password

        PASSWORD_USERS[username] = make_password(raw)

    if stored is None or not check_password(request.POST.get("password", ""), stored, setter=upgrade):
        return JsonResponse({"ok": False}, status=401)
    return JsonResponse({"ok": True, "user": username})


urlpatterns = [
    path("", include("tests.django.request_views")),  # request parsing
    path("passwords/login", password_login),
    path("stock", stock),
    path("ours", ours),
    path("ours-list", ours_list),
    path("ratelimit/", include("tests.django.ratelimit_urls")),
    path("cached-view", cached_view),
]

# pagination (tests/django/test_django_pagination.py)
from tests.django.pagination_app import views as pagination_views  # noqa: E402

urlpatterns += [
    path("pagination/products", pagination_views.products),
    path("pagination/products-default", pagination_views.products_default),
    path("pagination/rows", pagination_views.rows),
    path("pagination/plain", pagination_views.plain),
    path("pagination/echo", pagination_views.echo),
    # Any tail, control characters included (the generated paths have "%0a"): <path:...> is
    # ".+", which stops at a newline.
    re_path(r"^pagination/echo/(?P<rest>(?s:.+))$", pagination_views.echo),
    path("obs/", include("tests.django.observability_urls")),
    path("auth/", include("tests.django.auth_urls")),
]

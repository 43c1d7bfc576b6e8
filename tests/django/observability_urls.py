"""URLs for the observability adapter tests (included under ``obs/`` by tests/django/urls.py)."""

from __future__ import annotations

import threading

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path, re_path

from webaccel.django.health import async_health_view, health_view
from webaccel.django.metrics import metrics_view
from webaccel.health import HealthChecks

CHECKS = HealthChecks(timeout=5)
DB_UP = {"value": True}
RELEASE = threading.Event()
CHECKS.add("db", lambda: DB_UP["value"])
CHECKS.add("queue", RELEASE.wait, timeout=0.05)
CHECKS.add("process", lambda: None, liveness=True)


def item(request: HttpRequest, item_id: int) -> JsonResponse:
    return JsonResponse({"id": item_id, "rid": getattr(request, "request_id", None)})


async def async_item(request: HttpRequest, item_id: int) -> JsonResponse:
    return JsonResponse({"id": item_id})


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter([b"a", b"b"]))


urlpatterns = [
    path("items/<int:item_id>", item),
    path("async-items/<int:item_id>", async_item),
    re_path(r"^legacy/(?P<item_id>[0-9]+)$", item),
    path("boom", boom),
    path("stream", stream),
    path("metrics", metrics_view),
    path("health", health_view(CHECKS)),
    path("health/live", health_view(CHECKS, kind="live")),
    path("health/async", async_health_view(CHECKS)),
]

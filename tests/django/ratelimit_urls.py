"""Views for the rate-limit adapter tests (included under ``ratelimit/`` in tests/django/urls.py).
Their limiters read a fake clock, ``CLOCK``, that the tests move by hand."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from webaccel.django.ratelimit import ratelimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CLOCK = Clock()


@ratelimit("2/minute", clock=CLOCK)
def limited(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@ratelimit("1/minute", key=lambda r: r.headers.get("X-User"), clock=CLOCK)
def by_user(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@ratelimit("1/minute", clock=CLOCK)
async def async_limited(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def free(request: HttpRequest) -> HttpResponse:
    return HttpResponse("free")


@ratelimit("5/minute")
def real_clock(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("limited", limited),
    path("by-user", by_user),
    path("async", async_limited),
    path("free", free),
    path("health", free),
    path("real-clock", real_clock),
]

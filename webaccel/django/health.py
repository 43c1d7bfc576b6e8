"""Django: ``/health`` views answering 200 or 503 with the report as JSON.

::

    from webaccel.django.health import health_view
    checks = HealthChecks(timeout=1.0)
    checks.add("db", lambda: connection.ensure_connection())
    urlpatterns = [
        path("health", health_view(checks)),                    # readiness: every check
        path("health/live", health_view(checks, kind="live")),  # liveness checks only
    ]

Sync checks run concurrently in threads, waited for with their timeouts; async checks, if any,
on a private event loop. Under ASGI, use ``async_health_view`` to run them on the server's loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from django.http import HttpRequest, HttpResponse

import webaccel.json
from webaccel.health import CONTENT_TYPE, HealthChecks, HealthReport, Kind

__all__ = ["health_view", "async_health_view"]


def _response(report: HealthReport) -> HttpResponse:
    response = HttpResponse(webaccel.json.dumps(report.to_dict()), status=report.http_status, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def health_view(checks: HealthChecks, kind: Kind = "ready") -> Callable[[HttpRequest], HttpResponse]:
    """A sync view running ``checks``."""

    def view(request: HttpRequest) -> HttpResponse:
        return _response(checks.run(kind))

    return view


def async_health_view(checks: HealthChecks, kind: Kind = "ready") -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """An async view running ``checks`` on the event loop."""

    async def view(request: HttpRequest) -> HttpResponse:
        return _response(await checks.run_async(kind))

    return view

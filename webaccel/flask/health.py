"""Flask: a ``/health`` endpoint answering 200 or 503 with the report as JSON.

::

    checks = HealthChecks(timeout=1.0)
    checks.add("db", ping_db)
    add_health_endpoint(app, checks)                           # GET /health (readiness)
    add_health_endpoint(app, checks, "/health/live", kind="live")

Sync checks run concurrently in threads, waited for with their timeouts; async checks, if any,
on a private event loop.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response

import webaccel.json
from webaccel.health import CONTENT_TYPE, HealthChecks, Kind

__all__ = ["health_view", "add_health_endpoint"]


def health_view(checks: HealthChecks, kind: Kind = "ready") -> Callable[[], Response]:
    """A view running ``checks``."""

    def view() -> Response:
        report = checks.run(kind)
        return Response(
            webaccel.json.dumps(report.to_dict()),
            status=report.http_status,
            content_type=CONTENT_TYPE,
            headers={"Cache-Control": "no-store"},
        )

    return view


def add_health_endpoint(app: Flask, checks: HealthChecks, path: str = "/health", *, kind: Kind = "ready") -> None:
    """Adds ``GET path`` running ``checks`` (endpoint name ``webaccel_health_<kind>``)."""
    app.add_url_rule(path, f"webaccel_health_{kind}", health_view(checks, kind), methods=["GET"])

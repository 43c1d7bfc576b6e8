"""FastAPI / Starlette: ``/health`` endpoints answering 200 or 503 with the report as JSON.

::

    from webaccel.health import HealthChecks
    from webaccel.fastapi.health import add_health_endpoint

    checks = HealthChecks(timeout=1.0)
    checks.add("db", ping_db)                      # sync or async
    add_health_endpoint(app, checks)               # GET /health: readiness (every check)
    add_health_endpoint(app, checks, "/health/live", kind="live")

Checks run concurrently on the event loop (sync ones in threads) with their timeouts, so the
endpoint answers within the longest timeout even when a check hangs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import webaccel.json
from webaccel.health import CONTENT_TYPE, HealthChecks, Kind

__all__ = ["health_endpoint", "add_health_endpoint"]


def health_endpoint(checks: HealthChecks, kind: Kind = "ready") -> Callable[[Request], Awaitable[Response]]:
    """An endpoint running ``checks`` (``kind`` ``"ready"`` or ``"live"``)."""

    async def health(request: Request) -> Response:
        report = await checks.run_async(kind)
        return Response(
            webaccel.json.dumps(report.to_dict()),
            status_code=report.http_status,
            media_type=CONTENT_TYPE,
            headers={"Cache-Control": "no-store"},
        )

    return health


def add_health_endpoint(app: Any, checks: HealthChecks, path: str = "/health", *, kind: Kind = "ready") -> None:
    """Adds ``GET path`` running ``checks`` (left out of the OpenAPI schema)."""
    endpoint = health_endpoint(checks, kind)
    if hasattr(app, "add_api_route"):
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
    else:
        app.add_route(path, endpoint, methods=["GET"], include_in_schema=False)

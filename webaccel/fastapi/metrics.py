"""FastAPI / Starlette: request metrics as a pure ASGI middleware, and a ``/metrics`` endpoint.

::

    from webaccel.metrics import Metrics
    from webaccel.fastapi.metrics import MetricsMiddleware, add_metrics_endpoint

    metrics = Metrics()
    app = FastAPI()
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    add_metrics_endpoint(app, metrics)          # GET /metrics, text format 0.0.4

The route label is the matched route's template (``scope["route"].path`` after routing, e.g.
``/items/{item_id}``), ``"unmatched"`` when no route matched (404s). The duration runs until the
response's last body chunk was sent, so streaming responses are measured whole. An exception
(raised before or while the response is sent) counts as status 500. Inside a mounted sub-app
the route is the sub-app's own template (without the mount prefix).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webaccel.metrics import CONTENT_TYPE, UNMATCHED_ROUTE, Metrics, Renderable

__all__ = ["MetricsMiddleware", "metrics_endpoint", "add_metrics_endpoint", "route_template"]


def route_template(scope: Scope) -> str:
    """The template of the route that handled the request, or ``"unmatched"``."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Records every HTTP request into ``metrics`` (a :class:`webaccel.metrics.Metrics`).

    ``skip_routes``: route templates not to record (``{"/metrics"}`` to leave out scrapes).
    ``clock``: seconds, monotonic (``time.perf_counter``; inject one in tests).
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        *,
        skip_routes: Collection[str] = (),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.skip_routes = frozenset(skip_routes)
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        clock = self.clock
        start = clock()
        status = 500
        done = False

        def record(code: int) -> None:
            nonlocal done
            if done:
                return
            done = True
            route = route_template(scope)
            if route not in self.skip_routes:
                self.metrics.observe(scope["method"], route, code, max(0.0, clock() - start))

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
            await send(message)
            if kind == "http.response.body" and not message.get("more_body", False):
                record(status)

        try:
            await self.app(scope, receive, send_wrapper)
        except BaseException:
            record(500)
            raise
        # A response that never sent its last chunk (a client gone mid-stream) still counts.
        record(status)


def metrics_endpoint(source: Renderable) -> Callable[[Request], Any]:
    """An endpoint answering ``source.render()`` as ``text/plain; version=0.0.4``.

    A plain :class:`Metrics` renders on the event loop (microseconds); anything else (a
    :class:`webaccel.metrics.MultiProcessMetrics` reads files) in the thread pool.
    """
    if isinstance(source, Metrics):
        async def render_async(request: Request) -> Response:
            return Response(source.render(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

        return render_async

    def render_sync(request: Request) -> Response:
        return Response(source.render(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    return render_sync


def add_metrics_endpoint(app: Any, source: Renderable, path: str = "/metrics") -> None:
    """Adds ``GET path`` serving ``source`` (left out of the OpenAPI schema)."""
    endpoint = metrics_endpoint(source)
    if hasattr(app, "add_api_route"):
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
    else:  # a plain Starlette app
        app.add_route(path, endpoint, methods=["GET"], include_in_schema=False)

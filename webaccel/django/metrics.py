"""Django: request metrics as middleware (sync and async capable), and a ``/metrics`` view.

::

    MIDDLEWARE = ["webaccel.django.metrics.MetricsMiddleware", ...]   # first: sees every answer
    WEBACCEL = {"METRICS_NAMESPACE": "http"}    # METRICS_* keys in webaccel.django.conf

    # urls.py
    from webaccel.django.metrics import metrics_view
    urlpatterns = [path("metrics", metrics_view), ...]

The route label is ``request.resolver_match.route`` (``items/<int:item_id>``; the regex for
``re_path``), ``"unmatched"`` when no URL pattern matched. The duration runs until the view's
response returns through the middleware (a streamed body is not included). An exception that
reaches the middleware counts as 500 (Django's handler usually turns it into a 500 response
first). The process' :class:`~webaccel.metrics.Metrics` is built from the ``WEBACCEL``
settings on first use (:func:`get_metrics`); with ``METRICS_DIR`` (or ``METRICS_REDIS_URL``) set,
``metrics_view`` sums every worker's metrics through that directory (or Redis hash).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from webaccel.django.conf import get_settings
from webaccel.metrics import (
    CONTENT_TYPE,
    DEFAULT_BUCKETS,
    UNMATCHED_ROUTE,
    Metrics,
    MultiProcessMetrics,
    RedisMetrics,
    Renderable,
)

__all__ = ["MetricsMiddleware", "metrics_view", "get_metrics", "get_renderable", "reset_metrics", "route_template"]

_lock = threading.Lock()
_metrics: Metrics | None = None
_renderable: Renderable | None = None


def get_metrics() -> Metrics:
    """The process' Metrics, built from the ``METRICS_*`` settings on first use."""
    global _metrics
    with _lock:
        if _metrics is None:
            s = get_settings()
            _metrics = Metrics(
                buckets=tuple(s.METRICS_BUCKETS) if s.METRICS_BUCKETS is not None else DEFAULT_BUCKETS,
                namespace=s.METRICS_NAMESPACE,
                max_series=s.METRICS_MAX_SERIES,
                count_4xx_errors=s.METRICS_COUNT_4XX_ERRORS,
            )
        return _metrics


def get_renderable() -> Renderable:
    """What ``metrics_view`` renders: the Metrics, or its multi-process sum (``METRICS_DIR``)."""
    global _renderable
    metrics = get_metrics()
    with _lock:
        if _renderable is None:
            s = get_settings()
            if s.METRICS_DIR is not None and s.METRICS_REDIS_URL is not None:
                raise ImproperlyConfigured("WEBACCEL: set one of METRICS_DIR and METRICS_REDIS_URL")
            if s.METRICS_DIR is not None:
                _renderable = MultiProcessMetrics(metrics, s.METRICS_DIR)
            elif s.METRICS_REDIS_URL is not None:
                _renderable = RedisMetrics(metrics, s.METRICS_REDIS_URL)
            else:
                _renderable = metrics
        return _renderable


def reset_metrics() -> None:
    """Forgets the process' Metrics (tests; the next use builds a new one from settings)."""
    global _metrics, _renderable
    with _lock:
        if isinstance(_renderable, (MultiProcessMetrics, RedisMetrics)):
            _renderable.close()
        _metrics = _renderable = None


def route_template(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None)
    return route if isinstance(route, str) and match is not None else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Records every request into :func:`get_metrics` (or the ``metrics`` given)."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], Any],
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.get_response = get_response
        self.metrics = metrics if metrics is not None else get_metrics()
        self.clock = clock
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _record(self, request: HttpRequest, status: int, start: float) -> None:
        method = request.method or "GET"
        self.metrics.observe(method, route_template(request), status, max(0.0, self.clock() - start))

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        start = self.clock()
        try:
            response: HttpResponseBase = self.get_response(request)
        except BaseException:
            self._record(request, 500, start)
            raise
        self._record(request, response.status_code, start)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        start = self.clock()
        try:
            response: HttpResponseBase = await self.get_response(request)
        except BaseException:
            self._record(request, 500, start)
            raise
        self._record(request, response.status_code, start)
        return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET``: the text format (``text/plain; version=0.0.4``)."""
    response = HttpResponse(get_renderable().render(), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response



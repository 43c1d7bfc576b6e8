"""Flask: request metrics through ``before_request`` / ``after_request`` / ``teardown_request``
hooks, and a ``/metrics`` endpoint.

With the extension, from config::

    app.config["WEBACCEL_METRICS"] = True          # see CONFIG_DEFAULTS for the other keys
    WebAccel(app)                                   # records every request, serves /metrics

or by hand, with your own :class:`~webaccel.metrics.Metrics`::

    init_metrics(app, Metrics(namespace="shop"), path="/metrics")

The route label is ``request.url_rule.rule`` (``/items/<int:item_id>``), ``"unmatched"`` when
no rule matched. The duration runs from the first ``before_request`` hook to ``after_request``
(a streamed body is not included). An exception that propagates out of the view (so that no
``after_request`` runs) is recorded as 500 in ``teardown_request``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from webaccel.metrics import (
    CONTENT_TYPE,
    DEFAULT_BUCKETS,
    UNMATCHED_ROUTE,
    Metrics,
    MultiProcessMetrics,
    RedisMetrics,
    Renderable,
)

__all__ = ["init_app", "init_metrics", "metrics_view", "get_metrics", "route_template"]

_START = "_webaccel_metrics_start"
_KEYS = {
    "WEBACCEL_METRICS": bool,
    "WEBACCEL_METRICS_NAMESPACE": str,
    "WEBACCEL_METRICS_MAX_SERIES": int,
    "WEBACCEL_METRICS_COUNT_4XX_ERRORS": bool,
}


def route_template() -> str:
    """The rule that matched the current request, or ``"unmatched"``. For a 405 (the path
    matched a rule, not its methods) the rule is looked up again with an allowed method."""
    rule = request.url_rule
    if rule is not None:
        return rule.rule
    exc = request.routing_exception
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        try:
            adapter = current_app.url_map.bind_to_environ(request.environ)
            allowed = next(iter(exc.valid_methods))
            matched, _ = adapter.match(method=allowed, return_rule=True)
            return matched.rule
        except HTTPException:
            pass
    return UNMATCHED_ROUTE


def metrics_view(source: Renderable) -> Callable[[], Response]:
    """A view answering ``source.render()`` as ``text/plain; version=0.0.4``."""

    def view() -> Response:
        return Response(source.render(), content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    return view


def init_metrics(
    app: Flask,
    metrics: Metrics,
    *,
    path: str | None = "/metrics",
    skip_routes: Collection[str] = (),
    multiprocess_dir: str | None = None,
    redis_url: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Renderable:
    """Records every request of ``app`` into ``metrics``; serves ``GET path`` unless ``path``
    is None. With ``multiprocess_dir``, ``/metrics`` sums every worker's metrics through that
    directory (:class:`~webaccel.metrics.MultiProcessMetrics`); with ``redis_url``, through a
    Redis hash (:class:`~webaccel.metrics.RedisMetrics`). Returns what ``/metrics`` renders
    (also in ``app.extensions["webaccel.metrics"]``)."""
    skip = frozenset(skip_routes)

    def start() -> None:
        setattr(g, _START, clock())

    def done(response: Response) -> Response:
        began = g.pop(_START, None)
        if began is not None:
            route = route_template()
            if route not in skip:
                metrics.observe(request.method, route, response.status_code, max(0.0, clock() - began))
        return response

    def teardown(exc: BaseException | None) -> None:
        began = g.pop(_START, None)
        if began is not None and exc is not None:
            route = route_template()
            if route not in skip:
                metrics.observe(request.method, route, 500, max(0.0, clock() - began))

    app.before_request(start)
    app.after_request(done)
    app.teardown_request(teardown)
    if multiprocess_dir is not None and redis_url is not None:
        raise ValueError("choose one of multiprocess_dir and redis_url")
    source: Renderable = metrics
    if multiprocess_dir is not None:
        source = MultiProcessMetrics(metrics, multiprocess_dir)
    elif redis_url is not None:
        source = RedisMetrics(metrics, redis_url)
    if path is not None:
        app.add_url_rule(path, "webaccel_metrics", metrics_view(source), methods=["GET"])
    app.extensions["webaccel.metrics"] = source
    return source


def get_metrics(app: Flask) -> Renderable:
    """What ``init_metrics`` installed on ``app`` (KeyError when metrics are off)."""
    source: Renderable = app.extensions["webaccel.metrics"]
    return source


def init_app(app: Flask) -> None:
    """Called by ``WebAccel.init_app``: installs metrics when ``WEBACCEL_METRICS`` is true."""
    config = app.config
    for key, kind in _KEYS.items():
        value = config[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"{key} must be {kind.__name__}, not {type(value).__name__}")
    if not config["WEBACCEL_METRICS"]:
        return
    buckets: Any = config["WEBACCEL_METRICS_BUCKETS"]
    metrics = Metrics(
        buckets=tuple(buckets) if buckets is not None else DEFAULT_BUCKETS,
        namespace=config["WEBACCEL_METRICS_NAMESPACE"],
        max_series=config["WEBACCEL_METRICS_MAX_SERIES"],
        count_4xx_errors=config["WEBACCEL_METRICS_COUNT_4XX_ERRORS"],
    )
    path = config["WEBACCEL_METRICS_PATH"]
    init_metrics(
        app,
        metrics,
        path=path,
        skip_routes=() if path is None else (path,),  # scrapes are not traffic
        multiprocess_dir=config["WEBACCEL_METRICS_DIR"],
        redis_url=config["WEBACCEL_METRICS_REDIS_URL"],
    )

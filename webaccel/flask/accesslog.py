"""Flask: the JSON access log through request hooks.

With the extension::

    app.config["WEBACCEL_ACCESS_LOG"] = True
    app.config["WEBACCEL_ACCESS_LOG_SINK"] = "access.jsonl"     # None: stderr
    WebAccel(app)

or by hand: ``init_access_log(app, AccessLog(...))``. The request id (the incoming
``X-Request-ID`` when valid, else a new one) is in ``g.request_id`` and echoed in the response's
``X-Request-ID`` header. ``bytes`` is the response's ``Content-Length`` (0 for a streamed body of
unknown length). An exception propagating out of the view is logged as 500 at teardown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Response, g, request

from webaccel.accesslog import AccessLog
from webaccel.flask.metrics import route_template

__all__ = ["init_app", "init_access_log"]

_STATE = "_webaccel_access_start"


def init_access_log(app: Flask, access_log: AccessLog, *, clock: Callable[[], float] = time.perf_counter) -> AccessLog:
    """Logs every request of ``app`` to ``access_log`` (also in
    ``app.extensions["webaccel.accesslog"]``)."""
    header = access_log.request_id_header

    def start() -> None:
        g.request_id = access_log.request_id(request.headers.get(header))
        setattr(g, _STATE, (clock(), access_log.clock()))

    def log(status: int, size: int) -> None:
        began, wall = g.pop(_STATE)
        access_log.log(
            method=request.method,
            route=route_template(),
            path=request.path,
            status=status,
            duration=max(0.0, clock() - began),
            client_ip=access_log.client_ip(request.remote_addr, request.headers),
            request_id=g.request_id,
            user_agent=request.headers.get("User-Agent"),
            bytes_sent=size,
            start_time=wall,
        )

    def done(response: Response) -> Response:
        if _STATE in g:
            response.headers.setdefault(header, g.request_id)
            log(response.status_code, response.calculate_content_length() or 0)
        return response

    def teardown(exc: BaseException | None) -> None:
        if exc is not None and _STATE in g:
            log(500, 0)

    app.before_request(start)
    app.after_request(done)
    app.teardown_request(teardown)
    app.extensions["webaccel.accesslog"] = access_log
    return access_log


def init_app(app: Flask) -> None:
    """Called by ``WebAccel.init_app``: installs the access log when ``WEBACCEL_ACCESS_LOG``."""
    config = app.config
    if not isinstance(config["WEBACCEL_ACCESS_LOG"], bool):
        raise TypeError(f"WEBACCEL_ACCESS_LOG must be a bool, not {type(config['WEBACCEL_ACCESS_LOG']).__name__}")
    if not config["WEBACCEL_ACCESS_LOG"]:
        return
    access = AccessLog(
        config["WEBACCEL_ACCESS_LOG_SINK"],
        max_queue=config["WEBACCEL_ACCESS_LOG_MAX_QUEUE"],
        trusted_proxies=config["WEBACCEL_ACCESS_LOG_TRUSTED_PROXIES"],
    )
    init_access_log(app, access)

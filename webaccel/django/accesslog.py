"""Django: the JSON access log as middleware (sync and async capable).

::

    MIDDLEWARE = ["webaccel.django.accesslog.AccessLogMiddleware", ...]
    WEBACCEL = {"ACCESS_LOG_LOGGER": "webaccel.access"}     # ACCESS_LOG_* keys
    LOGGING = {... "loggers": {"webaccel.access": {"handlers": ["access_file"], "level": "INFO"}}}

Lines go to the ``logging`` logger named by ``ACCESS_LOG_LOGGER`` (configure its handlers in
``LOGGING``), from the access log's background thread: a slow handler never delays a request.
The request id (the incoming ``X-Request-ID`` when valid, else a new one) is set as
``request.request_id`` and echoed in the response's ``X-Request-ID`` header. ``bytes`` is the
length of the response's content (0 for a streaming response).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from webaccel.accesslog import AccessLog
from webaccel.django.conf import get_settings
from webaccel.django.metrics import route_template

__all__ = ["AccessLogMiddleware", "get_access_log", "reset_access_log"]

_lock = threading.Lock()
_access: AccessLog | None = None


def get_access_log() -> AccessLog:
    """The process' AccessLog, built from the ``ACCESS_LOG_*`` settings on first use."""
    global _access
    with _lock:
        if _access is None:
            s = get_settings()
            _access = AccessLog(
                logging.getLogger(s.ACCESS_LOG_LOGGER),
                max_queue=s.ACCESS_LOG_MAX_QUEUE,
                trusted_proxies=s.ACCESS_LOG_TRUSTED_PROXIES,
            )
        return _access


def reset_access_log() -> None:
    """Closes and forgets the process' AccessLog (tests)."""
    global _access
    with _lock:
        if _access is not None:
            _access.close()
        _access = None


class AccessLogMiddleware:
    """Logs every request to :func:`get_access_log` (or the ``access_log`` given)."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], Any],
        access_log: AccessLog | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.get_response = get_response
        self.access_log = access_log if access_log is not None else get_access_log()
        self.clock = clock
        self.header = self.access_log.request_id_header
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _begin(self, request: HttpRequest) -> tuple[float, float]:
        request.request_id = self.access_log.request_id(request.headers.get(self.header))  # type: ignore[attr-defined]
        return self.clock(), self.access_log.clock()

    def _log(self, request: HttpRequest, status: int, size: int, began: tuple[float, float]) -> None:
        access = self.access_log
        access.log(
            method=request.method or "GET",
            route=route_template(request),
            path=request.path,
            status=status,
            duration=max(0.0, self.clock() - began[0]),
            client_ip=access.client_ip(request.META.get("REMOTE_ADDR"), request.headers),
            request_id=request.request_id,  # type: ignore[attr-defined]
            user_agent=request.headers.get("User-Agent"),
            bytes_sent=size,
            start_time=began[1],
        )

    def _finish(self, request: HttpRequest, response: HttpResponseBase, began: tuple[float, float]) -> HttpResponseBase:
        if self.header not in response:
            response[self.header] = request.request_id  # type: ignore[attr-defined]
        size = 0 if getattr(response, "streaming", False) else len(getattr(response, "content", b""))
        self._log(request, response.status_code, size, began)
        return response

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        began = self._begin(request)
        try:
            response = self.get_response(request)
        except BaseException:
            self._log(request, 500, 0, began)
            raise
        return self._finish(request, response, began)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        began = self._begin(request)
        try:
            response = await self.get_response(request)
        except BaseException:
            self._log(request, 500, 0, began)
            raise
        return self._finish(request, response, began)

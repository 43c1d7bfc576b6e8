"""FastAPI / Starlette: the JSON access log as a pure ASGI middleware.

::

    from webaccel.accesslog import AccessLog
    from webaccel.fastapi.accesslog import AccessLogMiddleware

    access = AccessLog("access.jsonl", trusted_proxies=["10.0.0.0/8"])
    app.add_middleware(AccessLogMiddleware, access_log=access)

The request id (the incoming ``X-Request-ID`` when valid, else a new one) is put in
``request.state.request_id`` and echoed in the response's ``X-Request-ID`` header. The record is
queued when the last body chunk has been sent (never waiting for the log writer); an exception
is logged as status 500 and re-raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webaccel.accesslog import AccessLog
from webaccel.fastapi.metrics import route_template

__all__ = ["AccessLogMiddleware"]


class AccessLogMiddleware:
    """Logs every HTTP request to ``access_log`` (a :class:`webaccel.accesslog.AccessLog`)."""

    def __init__(self, app: ASGIApp, access_log: AccessLog, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.access_log = access_log
        self.clock = clock
        self._header = access_log.request_id_header.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        access = self.access_log
        clock = self.clock
        start = clock()
        wall = access.clock()
        incoming: bytes | None = None
        user_agent: bytes | None = None
        header = self._header
        for name, value in scope["headers"]:
            if name == header:
                incoming = value
            elif name == b"user-agent":
                user_agent = value
        request_id = access.request_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        rid_header = (header, request_id.encode("ascii"))
        status = 500
        sent = 0
        done = False

        def record(code: int) -> None:
            nonlocal done
            if done:
                return
            done = True
            access.log(
                method=scope["method"],
                route=route_template(scope),
                path=scope["path"],
                status=code,
                duration=max(0.0, clock() - start),
                client_ip=access.client_ip(scope.get("client"), scope["headers"]),
                request_id=request_id,
                user_agent=user_agent.decode("latin-1") if user_agent is not None else None,
                bytes_sent=sent,
                start_time=wall,
            )

        async def send_wrapper(message: Message) -> None:
            nonlocal status, sent
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if not any(k.lower() == header for k, _ in headers):
                    headers.append(rid_header)
                message = {**message, "headers": headers}
            elif kind == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)
            if kind == "http.response.body" and not message.get("more_body", False):
                record(status)

        try:
            await self.app(scope, receive, send_wrapper)
        except BaseException:
            record(500)
            raise
        record(status)

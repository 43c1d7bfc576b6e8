"""``CompressionMiddleware``: response compression (zstd, br, gzip) and ``Content-Encoding``
request bodies for any ASGI app (FastAPI, Starlette), in pure ASGI (no ``BaseHTTPMiddleware``,
so context variables and streaming work as usual).

It behaves like Starlette's ``GZipMiddleware`` (same default minimum size, excluded types, 206
and ``Content-Encoding`` responses left alone, ``Vary: Accept-Encoding`` whenever a response
could be compressed, streamed responses compressed chunk by chunk with a sync flush after each,
big chunks compressed in a worker thread), plus: the coding negotiated from ``Accept-Encoding``
(RFC 9110), ``Cache-Control: no-transform`` respected, strong ETags weakened and compressed
output larger than the original dropped, as Django's ``GZipMiddleware`` does.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

import anyio.to_thread

from webaccel.compress import (
    DEFAULT_ENCODINGS,
    DEFAULT_EXCLUDED_TYPES,
    DEFAULT_MAX_SIZE,
    DEFAULT_MINIMUM_SIZE,
    CompressionError,
    CompressionPolicy,
    Compressor,
    ContentDecoder,
    DecompressionError,
    SizeLimitError,
    add_vary,
    compress,
    weaken_etag,
)

__all__ = ["CompressionMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RawHeaders = list[tuple[bytes, bytes]]


def _get(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for k, v in headers:
        if k.lower() == name:
            return v.decode("latin-1")
    return None


def _set(headers: RawHeaders, name: bytes, value: str | None) -> RawHeaders:
    """``headers`` without ``name``, then ``name: value`` appended (unless ``value`` is None)."""
    out = [(k, v) for k, v in headers if k.lower() != name]
    if value is not None:
        out.append((name, value.encode("latin-1")))
    return out


class CompressionMiddleware:
    """Compresses responses with the coding the client prefers among ``encodings``.

    ::

        app = FastAPI()
        app.add_middleware(CompressionMiddleware, minimum_size=500, levels={"br": 5})

    ``decompress_requests=True`` also decodes request bodies sent with ``Content-Encoding``
    (stacked codings included) before the app sees them, capped at ``max_request_size`` bytes
    (compressed and decoded): over it the answer is 413, corrupt data 400, an unknown coding 415;
    never a 500.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        minimum_size: int = DEFAULT_MINIMUM_SIZE,
        encodings: Iterable[str] = DEFAULT_ENCODINGS,
        levels: Mapping[str, int] | None = None,
        excluded_types: Iterable[str] = DEFAULT_EXCLUDED_TYPES,
        thread_minimum_size: int = 128 * 1024,
        decompress_requests: bool = False,
        max_request_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self.app = app
        self.policy = CompressionPolicy(
            encodings=tuple(encodings),
            levels=dict(levels or {}),
            minimum_size=minimum_size,
            excluded_types=tuple(excluded_types),
        )
        self.thread_minimum_size = thread_minimum_size
        self.decompress_requests = decompress_requests
        self.max_request_size = max_request_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: RawHeaders = list(scope.get("headers") or [])
        if self.decompress_requests:
            coding = _get(headers, b"content-encoding")
            if coding is not None and coding.strip().lower() not in ("", "identity"):
                decoded = await self._decode_request(scope, headers, coding, receive, send)
                if decoded is None:
                    return
                scope, receive = decoded
        encoding = self.policy.choose(_get(headers, b"accept-encoding"))
        responder = _Responder(self, send, encoding)
        await self.app(scope, receive, responder.send)

    async def _run(self, fn: Callable[..., bytes], *args: Any, size: int) -> bytes:
        """``fn(*args)`` inline, or in a worker thread for big inputs (the codec releases the GIL,
        so the event loop goes on serving other requests meanwhile)."""
        if size >= self.thread_minimum_size:
            return await anyio.to_thread.run_sync(fn, *args)
        return fn(*args)

    async def _decode_request(
        self, scope: Scope, headers: RawHeaders, coding: str, receive: Receive, send: Send
    ) -> tuple[Scope, Receive] | None:
        try:
            decoder = ContentDecoder(coding, max_size=self.max_request_size)
        except CompressionError as e:
            await _error(send, 415, str(e), [(b"accept-encoding", ", ".join(self.policy.encodings).encode())])
            return None
        declared = _get(headers, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_request_size:
            await _error(send, 413, f"compressed request body exceeds {self.max_request_size} bytes")
            return None
        parts: list[bytes] = []
        received = 0
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return None  # the client went away
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_request_size:
                    raise SizeLimitError(f"compressed request body exceeds {self.max_request_size} bytes")
                parts.append(await self._run(decoder.decompress, chunk, size=len(chunk)))
                if not message.get("more_body", False):
                    parts.append(decoder.finish())
                    break
        except SizeLimitError as e:
            await _error(send, 413, str(e))
            return None
        except DecompressionError as e:
            await _error(send, 400, str(e))
            return None
        body = b"".join(parts)
        new_headers = _set(_set(headers, b"content-encoding", None), b"content-length", str(len(body)))
        scope = dict(scope, headers=new_headers)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return scope, replay


async def _error(send: Send, status: int, detail: str, extra: RawHeaders | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Responder:
    """One response's state: holds ``http.response.start`` until the first body chunk shows
    whether and how to compress."""

    def __init__(self, middleware: CompressionMiddleware, send: Send, encoding: str | None) -> None:
        self.mw = middleware
        self.policy = middleware.policy
        self._send = send
        self.encoding = encoding
        self.start: Message | None = None
        self.passthrough = False
        self.compressor: Compressor | None = None

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.start = message
            headers = list(message.get("headers") or [])
            eligible = self.policy.eligible(
                status=message["status"],
                content_type=_get(headers, b"content-type"),
                content_encoding=_get(headers, b"content-encoding"),
                cache_control=_get(headers, b"cache-control"),
                content_range=_get(headers, b"content-range") is not None,
            )
            if not eligible:
                self.passthrough = True
                await self._send(message)
            return
        if self.passthrough:
            await self._send(message)
            return
        if kind == "http.response.body":
            if self.start is not None:
                await self._first_body(message)
            else:
                await self._next_body(message)
            return
        if kind == "http.response.pathsend" and self.start is not None:
            # A file the server sends itself: left as it is.
            start, self.start = self.start, None
            self.passthrough = True
            await self._send(start)
        await self._send(message)

    async def _first_body(self, message: Message) -> None:
        assert self.start is not None
        start, self.start = self.start, None
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        headers: RawHeaders = list(start.get("headers") or [])
        if not more and len(body) < self.policy.minimum_size:
            self.passthrough = True
            await self._send(start)
            await self._send(message)
            return
        # The response could be compressed: caches must key it on Accept-Encoding either way.
        headers = _set(headers, b"vary", add_vary(_get(headers, b"vary")))
        encoding = self.encoding
        if encoding is None:
            self.passthrough = True
            await self._send({**start, "headers": headers})
            await self._send(message)
            return
        level = self.policy.level(encoding)
        if not more:
            out = await self.mw._run(compress, body, encoding, level, size=len(body))
            if len(out) >= len(body):
                self.passthrough = True
                await self._send({**start, "headers": headers})
                await self._send(message)
                return
            trailers = start.get("trailers", False)
            headers = self._encoded(headers, encoding)
            headers = _set(headers, b"content-length", None if trailers else str(len(out)))
            await self._send({**start, "headers": headers})
            await self._send({**message, "body": out})
            return
        self.compressor = Compressor(encoding, level)
        out = await self.mw._run(self._chunk, body, True, size=len(body))
        headers = _set(self._encoded(headers, encoding), b"content-length", None)
        await self._send({**start, "headers": headers})
        await self._send({**message, "body": out})

    def _encoded(self, headers: RawHeaders, encoding: str) -> RawHeaders:
        headers = _set(headers, b"content-encoding", encoding)
        etag = _get(headers, b"etag")
        if etag is not None:
            headers = _set(headers, b"etag", weaken_etag(etag))
        return headers

    def _chunk(self, body: bytes, more: bool) -> bytes:
        c = self.compressor
        assert c is not None
        out = c.compress(body) if body else b""
        # A sync flush after every chunk: a streamed response is streamed to be seen early.
        return out + (c.flush() if more else c.finish())

    async def _next_body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        out = await self.mw._run(self._chunk, body, more, size=len(body))
        await self._send({**message, "body": out})

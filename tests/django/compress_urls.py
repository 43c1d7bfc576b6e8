"""Views for the compression middleware tests (used through override_settings(ROOT_URLCONF=...))."""

from __future__ import annotations

import asyncio
import gzip
import io

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path

TEXT = "lorem ipsum dolor sit amet " * 200
CHUNKS = [f"line {i}: {'x' * 40}\n".encode() for i in range(50)]


def big(request: HttpRequest) -> HttpResponse:
    r = JsonResponse({"items": [{"id": i, "name": f"item {i}"} for i in range(300)]})
    r["ETag"] = '"v1"'
    return r


def text(request: HttpRequest) -> HttpResponse:
    r = HttpResponse(TEXT, content_type="text/plain")
    r["Vary"] = "Cookie"
    return r


def small(request: HttpRequest) -> HttpResponse:
    return HttpResponse("tiny")


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter(CHUNKS), content_type="text/plain")


async def astream(request: HttpRequest) -> StreamingHttpResponse:
    async def gen():  # type: ignore[no-untyped-def]
        for chunk in CHUNKS:
            await asyncio.sleep(0)
            yield chunk

    return StreamingHttpResponse(gen(), content_type="text/plain")


async def aview(request: HttpRequest) -> HttpResponse:
    return HttpResponse(TEXT, content_type="text/plain")


def sse(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter([b"data: %d\n\n" % i for i in range(100)]), content_type="text/event-stream")


def png(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"\x89PNG" + b"\x00" * 5000, content_type="image/png")


def encoded(request: HttpRequest) -> HttpResponse:
    # mtime=0: the same bytes on every call (gzip.compress stamps the current second otherwise)
    r = HttpResponse(gzip.compress(TEXT.encode(), mtime=0), content_type="text/plain")
    r["Content-Encoding"] = "gzip"
    return r


def file(request: HttpRequest) -> FileResponse:
    return FileResponse(io.BytesIO(TEXT.encode()), content_type="text/plain")


def random_bytes(request: HttpRequest) -> HttpResponse:
    import random

    return HttpResponse(random.Random(1).randbytes(4000), content_type="application/octet-stream")


def echo(request: HttpRequest) -> JsonResponse:
    body = request.body
    return JsonResponse({"size": len(body), "head": body[:20].decode("latin-1"),
                         "content_encoding": request.headers.get("Content-Encoding"),
                         "content_length": request.META.get("CONTENT_LENGTH"),
                         "post": dict(request.POST.items())})


urlpatterns = [
    path("big", big),
    path("text", text),
    path("small", small),
    path("stream", stream),
    path("astream", astream),
    path("aview", aview),
    path("sse", sse),
    path("png", png),
    path("encoded", encoded),
    path("file", file),
    path("random", random_bytes),
    path("echo", echo),
]

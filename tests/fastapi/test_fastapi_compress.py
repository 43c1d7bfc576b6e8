"""webaccel.fastapi.compress.CompressionMiddleware through FastAPI's TestClient (raw bodies
decoded with Python's own gzip/zlib/brotli/zstandard), next to Starlette's GZipMiddleware on the
same app, and driven directly as ASGI to show that streamed chunks are flushed one by one."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import brotli
import pytest
import zstandard
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.testclient import TestClient
from starlette.middleware.gzip import GZipMiddleware

from webaccel.compress import Decompressor
from webaccel.fastapi.compress import CompressionMiddleware

BIG = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(300)]}
TEXT = "lorem ipsum dolor sit amet " * 200
CHUNKS = [f"line {i}: {'x' * 40}\n".encode() for i in range(50)]

DECODE: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "br": brotli.decompress,
    "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
}


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/big")
    def big() -> JSONResponse:
        return JSONResponse(BIG, headers={"ETag": '"v1"'})

    @app.get("/small")
    def small() -> PlainTextResponse:
        return PlainTextResponse("tiny")

    @app.get("/text")
    def text() -> PlainTextResponse:
        return PlainTextResponse(TEXT, headers={"Vary": "Cookie"})

    @app.get("/stream")
    def stream() -> StreamingResponse:
        def gen():  # type: ignore[no-untyped-def]
            yield from CHUNKS

        return StreamingResponse(gen(), media_type="text/plain")

    @app.get("/sse")
    def sse() -> StreamingResponse:
        return StreamingResponse(iter([b"data: %d\n\n" % i for i in range(100)]), media_type="text/event-stream")

    @app.get("/png")
    def png() -> Response:
        return Response(b"\x89PNG" + b"\x00" * 5000, media_type="image/png")

    @app.get("/encoded")
    def encoded() -> Response:
        # mtime=0: the same bytes on every call (gzip.compress stamps the current second otherwise)
        return Response(gzip.compress(TEXT.encode(), mtime=0), media_type="text/plain", headers={"Content-Encoding": "gzip"})

    @app.get("/partial")
    def partial() -> Response:
        return Response(TEXT.encode()[:1000], status_code=206, media_type="text/plain",
                        headers={"Content-Range": f"bytes 0-999/{len(TEXT)}"})

    @app.get("/no-transform")
    def no_transform() -> PlainTextResponse:
        return PlainTextResponse(TEXT, headers={"Cache-Control": "no-transform"})

    @app.get("/random")
    def random_bytes() -> Response:
        import random

        return Response(random.Random(1).randbytes(4000), media_type="application/octet-stream")

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {"size": len(body), "head": body[:20].decode("latin-1"),
                "content_encoding": request.headers.get("content-encoding"),
                "content_length": request.headers.get("content-length")}

    return app


def client(**options: Any) -> TestClient:
    app = make_app()
    app.add_middleware(CompressionMiddleware, **options)
    return TestClient(app)


def raw_get(c: TestClient, path: str, accept: str | None) -> tuple[Any, bytes]:
    headers = {"Accept-Encoding": accept} if accept is not None else {"Accept-Encoding": ""}
    with c.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
@pytest.mark.parametrize("path", ["/big", "/text"])
def test_each_coding_decodes_with_pythons_libraries(encoding: str, path: str) -> None:
    c = client(encodings=(encoding,))
    plain = c.get(path, headers={"Accept-Encoding": "identity"}).content
    r, raw = raw_get(c, path, encoding)
    assert r.status_code == 200
    assert r.headers["content-encoding"] == encoding
    assert int(r.headers["content-length"]) == len(raw) < len(plain)
    assert DECODE[encoding](raw) == plain
    assert "accept-encoding" in r.headers["vary"].lower()
    # httpx's own decoders agree
    assert c.get(path, headers={"Accept-Encoding": encoding}).content == plain


def test_negotiation_and_headers() -> None:
    c = client()
    assert raw_get(c, "/big", "gzip, deflate, br, zstd")[0].headers["content-encoding"] == "zstd"
    assert raw_get(c, "/big", "gzip, deflate, br")[0].headers["content-encoding"] == "br"
    assert raw_get(c, "/big", "br;q=0.5, GZIP")[0].headers["content-encoding"] == "gzip"
    r, _ = raw_get(c, "/big", "gzip")
    assert r.headers["etag"] == 'W/"v1"'  # a strong validator names the unencoded bytes
    r, _ = raw_get(c, "/text", "gzip")
    assert r.headers["vary"] == "Cookie, Accept-Encoding"


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "compress"])
def test_not_compressed_when_the_client_does_not_ask(accept: str | None) -> None:
    r, raw = raw_get(client(), "/big", accept)
    assert "content-encoding" not in r.headers
    assert r.headers["vary"] == "Accept-Encoding"  # the variant still depends on the header
    assert r.headers["etag"] == '"v1"'
    assert int(r.headers["content-length"]) == len(raw)


@pytest.mark.parametrize("path", ["/small", "/sse", "/png", "/encoded", "/partial", "/no-transform"])
def test_left_alone(path: str) -> None:
    c = client()
    expected = c.get(path, headers={"Accept-Encoding": "identity"})
    r, raw = raw_get(c, path, "gzip, br, zstd")
    assert r.status_code == expected.status_code
    assert r.headers.get("content-encoding") == expected.headers.get("content-encoding")
    assert "vary" not in r.headers
    assert raw == raw_get(c, path, "identity")[1]


def test_incompressible_body_sent_as_is_with_vary() -> None:
    r, raw = raw_get(client(), "/random", "gzip")
    assert "content-encoding" not in r.headers and len(raw) == 4000
    assert r.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_streamed_response(encoding: str) -> None:
    r, raw = raw_get(client(encodings=(encoding,)), "/stream", encoding)
    assert r.headers["content-encoding"] == encoding
    assert "content-length" not in r.headers
    assert DECODE[encoding](raw) == b"".join(CHUNKS)


def test_like_starlettes_gzip_middleware() -> None:
    ours = client(encodings=("gzip",))
    app = make_app()
    app.add_middleware(GZipMiddleware)
    stock = TestClient(app)
    for path in ["/big", "/text", "/small", "/stream", "/sse", "/png", "/encoded", "/partial", "/random"]:
        a, raw_a = raw_get(ours, path, "gzip")
        b, raw_b = raw_get(stock, path, "gzip")
        assert a.status_code == b.status_code, path
        assert a.headers.get("vary") == b.headers.get("vary"), path
        if path == "/random":
            # The one difference: gzip would grow this body; Starlette sends the larger gzip
            # output, webaccel (like Django) the body as it is.
            assert b.headers["content-encoding"] == "gzip" and len(raw_b) > len(raw_a)
            assert "content-encoding" not in a.headers and gzip.decompress(raw_b) == raw_a
            continue
        assert a.headers.get("content-encoding") == b.headers.get("content-encoding"), path
        decode = gzip.decompress if a.headers.get("content-encoding") == "gzip" else (lambda x: x)
        assert decode(raw_a) == decode(raw_b), path
        assert ("content-length" in a.headers) == ("content-length" in b.headers), path


def test_streamed_chunks_are_flushed_one_by_one() -> None:
    # Straight ASGI: each body message the app sends comes out decodable up to its last byte.
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for chunk in CHUNKS:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"accept-encoding", b"br")]}
    asyncio.run(CompressionMiddleware(app)(scope, receive, send))
    assert dict(sent[0]["headers"])[b"content-encoding"] == b"br"
    d = Decompressor("br")
    seen = b""
    for message, chunk in zip(sent[1:], CHUNKS):
        seen += d.decompress(message["body"])
        assert seen.endswith(chunk)
    d.decompress(sent[-1]["body"])
    d.finish()


def test_reexported_from_the_fastapi_package() -> None:
    import webaccel.fastapi
    from webaccel.fastapi import CompressionMiddleware as Reexported

    assert Reexported is CompressionMiddleware
    assert "CompressionMiddleware" in webaccel.fastapi.__all__
    app = make_app()
    app.add_middleware(Reexported, encodings=("gzip",))
    r, raw = raw_get(TestClient(app), "/big", "gzip")
    assert r.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == TestClient(make_app()).get("/big").content


def test_other_scopes_pass_through() -> None:
    called = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope["type"])

    asyncio.run(CompressionMiddleware(app)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert called == ["lifespan"]


# --- request bodies ----------------------------------------------------------------------------


def post(c: TestClient, body: bytes, coding: str | None) -> Any:
    headers = {"Content-Type": "application/octet-stream"}
    if coding:
        headers["Content-Encoding"] = coding
    return c.post("/echo", content=body, headers=headers)


@pytest.mark.parametrize("coding,encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("br", brotli.compress),
    ("zstd", zstandard.ZstdCompressor().compress),
    ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
])
def test_request_bodies_decoded(coding: str, encode: Callable[[bytes], bytes]) -> None:
    data = b"payload " * 1000
    r = post(client(decompress_requests=True), encode(data), coding)
    assert r.status_code == 200
    assert r.json() == {"size": len(data), "head": "payload payload payl", "content_encoding": None,
                        "content_length": str(len(data))}


def test_request_bodies_untouched_unless_asked() -> None:
    body = gzip.compress(b"x" * 100)
    assert post(client(), body, "gzip").json()["size"] == len(body)
    assert post(client(decompress_requests=True), b"plain", None).json()["size"] == 5
    assert post(client(decompress_requests=True), b"plain", "identity").json()["size"] == 5


def test_request_bomb_413_corrupt_400_unknown_415() -> None:
    c = client(decompress_requests=True, max_request_size=1 << 20)
    bomb = gzip.compress(bytes(1 << 20), 9) * 64  # 64 MiB
    r = post(c, bomb, "gzip")
    assert r.status_code == 413 and "max_size" in r.json()["detail"]
    r = post(c, b"not gzip at all", "gzip")
    assert r.status_code == 400
    r = post(c, gzip.compress(b"x" * 1000)[:-5], "gzip")
    assert r.status_code == 400
    r = post(c, b"data", "compress")
    assert r.status_code == 415 and r.headers["accept-encoding"] == "zstd, br, gzip"
    r = post(c, b"\x00" * ((1 << 20) + 1), "gzip")  # compressed size over the limit too
    assert r.status_code == 413


async def _agen() -> AsyncIterator[bytes]:
    for chunk in CHUNKS:
        yield chunk


def test_async_streaming_response() -> None:
    app = FastAPI()

    @app.get("/a")
    def a() -> StreamingResponse:
        return StreamingResponse(_agen(), media_type="application/x-ndjson")

    app.add_middleware(CompressionMiddleware)
    r, raw = raw_get(TestClient(app), "/a", "zstd")
    assert DECODE["zstd"](raw) == b"".join(CHUNKS)

"""webaccel.django.compress.CompressionMiddleware through Django's test clients (sync and async),
against django.middleware.gzip.GZipMiddleware on the same views: bodies decoded with Python's
own gzip/zlib/brotli/zstandard, streaming (sync and async), ETag weakening, Vary, the BREACH
padding, and Content-Encoding request bodies (413/400/415, never 500)."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import pytest
import zstandard
from django.test import AsyncClient, Client, override_settings

from tests.django.compress_urls import CHUNKS, TEXT
from webaccel.compress import Decompressor
from webaccel.django.compress import gzip_padded

OURS = "webaccel.django.compress.CompressionMiddleware"
DJANGOS = "django.middleware.gzip.GZipMiddleware"

DECODE: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "br": brotli.decompress,
    "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
}


def settings(middleware: str = OURS, **webaccel: Any) -> Any:
    return override_settings(ROOT_URLCONF="tests.django.compress_urls", MIDDLEWARE=[middleware], WEBACCEL=webaccel)


def body(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def get(path: str, accept: str | None = None) -> Any:
    headers = {"accept-encoding": accept} if accept is not None else {}
    return Client().get(path, headers=headers)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
@pytest.mark.parametrize("path", ["/big", "/text"])
def test_each_coding_decodes_with_pythons_libraries(encoding: str, path: str) -> None:
    with settings(COMPRESS_ENCODINGS=[encoding]):
        plain = body(get(path))
        r = get(path, encoding)
    raw = body(r)
    assert r["Content-Encoding"] == encoding
    assert int(r["Content-Length"]) == len(raw) < len(plain)
    assert DECODE[encoding](raw) == plain
    assert "Accept-Encoding" in r["Vary"]


def test_negotiation_etag_vary() -> None:
    with settings(COMPRESS_LEVELS={"zstd": 19}):
        assert get("/big", "gzip, deflate, br, zstd")["Content-Encoding"] == "zstd"
        assert get("/big", "gzip;q=1, br;q=0.5")["Content-Encoding"] == "gzip"
        r = get("/big", "br")
        assert r["ETag"] == 'W/"v1"'
        assert get("/text", "br")["Vary"] == "Cookie, Accept-Encoding"
        r = get("/big")
        assert not r.has_header("Content-Encoding") and r["Vary"] == "Accept-Encoding" and r["ETag"] == '"v1"'


def test_like_djangos_gzip_middleware() -> None:
    for path in ["/big", "/text", "/small", "/stream", "/file", "/encoded", "/random"]:
        with settings(DJANGOS):
            theirs = get(path, "gzip")
            theirs_raw = body(theirs)
        with settings(COMPRESS_ENCODINGS=["gzip"]):
            ours = get(path, "gzip")
            ours_raw = body(ours)
        for header in ("Content-Encoding", "Vary", "ETag"):
            assert ours.get(header) == theirs.get(header), (path, header)
        assert ours.has_header("Content-Length") == theirs.has_header("Content-Length"), path
        decode = gzip.decompress if ours.get("Content-Encoding") == "gzip" else (lambda b: b)
        assert decode(ours_raw) == decode(theirs_raw), path


@pytest.mark.parametrize("path", ["/small", "/sse", "/png", "/encoded"])
def test_left_alone(path: str) -> None:
    with settings():
        plain, r = get(path), get(path, "gzip, br, zstd")
        assert r.get("Content-Encoding") == plain.get("Content-Encoding")
        assert body(r) == body(plain)
        assert not r.has_header("Vary")


def test_breach_padding_on_gzip_only() -> None:
    with settings(COMPRESS_ENCODINGS=["gzip"]):
        sizes = {len(body(get("/text", "gzip"))) for _ in range(20)}
        assert len(sizes) > 1  # a random file name in the header
        assert gzip.decompress(body(get("/text", "gzip"))) == TEXT.encode()
    with settings(COMPRESS_ENCODINGS=["gzip"], COMPRESS_RANDOM_PADDING=0):
        assert len({len(body(get("/text", "gzip"))) for _ in range(5)}) == 1
    padded = gzip_padded(gzip.compress(b"abc", mtime=0), 100)
    assert gzip.decompress(padded) == b"abc" and len(padded) > len(gzip.compress(b"abc", mtime=0))


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_streaming_flushed_chunk_by_chunk(encoding: str) -> None:
    with settings():
        r = get("/stream", encoding)
        assert r["Content-Encoding"] == encoding and not r.has_header("Content-Length")
        d = Decompressor(encoding)
        seen = b""
        pieces = list(r.streaming_content)
        for piece, chunk in zip(pieces, CHUNKS):
            seen += d.decompress(piece)
            assert seen.endswith(chunk)
        assert DECODE[encoding](b"".join(pieces)) == b"".join(CHUNKS)


def test_file_response() -> None:
    with settings():
        r = get("/file", "br")
        assert r["Content-Encoding"] == "br" and DECODE["br"](body(r)) == TEXT.encode()


def test_streams_can_be_left_alone() -> None:
    with settings(COMPRESS_STREAMS=False):
        r = get("/stream", "gzip")
        assert not r.has_header("Content-Encoding") and body(r) == b"".join(CHUNKS)


def test_async_stack() -> None:
    async def run() -> tuple[Any, bytes, Any]:
        client = AsyncClient()
        r = await client.get("/astream", headers={"accept-encoding": "zstd"})
        raw = b"".join([chunk async for chunk in r.streaming_content])
        r2 = await client.get("/aview", headers={"accept-encoding": "br"})
        return r, raw, r2

    with settings():
        r, raw, r2 = asyncio.run(run())
    assert r["Content-Encoding"] == "zstd" and DECODE["zstd"](raw) == b"".join(CHUNKS)
    assert r2["Content-Encoding"] == "br" and DECODE["br"](r2.content) == TEXT.encode()


def test_middleware_is_sync_and_async_capable() -> None:
    from webaccel.django.compress import CompressionMiddleware

    assert CompressionMiddleware.sync_capable and CompressionMiddleware.async_capable


# --- request bodies ----------------------------------------------------------------------------


def post(data: bytes, coding: str | None, ctype: str = "application/octet-stream") -> Any:
    headers = {"content-encoding": coding} if coding else {}
    return Client().post("/echo", data=data, content_type=ctype, headers=headers)


@pytest.mark.parametrize("coding,encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("br", brotli.compress),
    ("zstd", zstandard.ZstdCompressor().compress),
    ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
])
def test_request_bodies_decoded(coding: str, encode: Callable[[bytes], bytes]) -> None:
    data = b"payload " * 1000
    with settings(COMPRESS_DECODE_REQUESTS=True):
        r = post(encode(data), coding)
    assert r.status_code == 200
    assert r.json()["size"] == len(data) and r.json()["content_length"] == str(len(data))
    assert r.json()["content_encoding"] is None


def test_form_bodies_decoded() -> None:
    with settings(COMPRESS_DECODE_REQUESTS=True):
        r = post(gzip.compress(b"a=1&b=two"), "gzip", "application/x-www-form-urlencoded")
    assert r.json()["post"] == {"a": "1", "b": "two"}


def test_request_bodies_untouched_unless_asked() -> None:
    data = gzip.compress(b"x" * 100)
    with settings():
        assert post(data, "gzip").json()["size"] == len(data)


def test_request_bomb_413_corrupt_400_unknown_415() -> None:
    with settings(COMPRESS_DECODE_REQUESTS=True, COMPRESS_MAX_REQUEST_SIZE=1 << 20):
        assert post(gzip.compress(bytes(1 << 20), 9) * 64, "gzip").status_code == 413
        assert post(b"not gzip", "gzip").status_code == 400
        assert post(zstandard.ZstdCompressor().compress(b"x" * 1000)[:-3], "zstd").status_code == 400
        r = post(b"data", "compress")
        assert r.status_code == 415 and r["Accept-Encoding"] == "zstd, br, gzip"
        assert post(bytes((1 << 20) + 10), "gzip").status_code == 413
    # Django's own cap then applies to the decoded body (as if it had been sent plain).
    with settings(COMPRESS_DECODE_REQUESTS=True), override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        assert post(gzip.compress(b"x" * 5000), "gzip").status_code == 400

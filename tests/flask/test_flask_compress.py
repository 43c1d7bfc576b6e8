"""The Flask extension's compression (WEBACCEL_COMPRESS_*) through Flask's test client: raw
bodies decoded with Python's own gzip/zlib/brotli/zstandard, streamed responses, the responses
left alone, and Content-Encoding request bodies (413/400/415, never 500)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import pytest
import zstandard
from flask import Flask, Response, jsonify, request, send_file, stream_with_context

from webaccel.compress import CompressionError, Decompressor
from webaccel.flask import WebAccel

TEXT = "lorem ipsum dolor sit amet " * 200
CHUNKS = [f"line {i}: {'x' * 40}\n" for i in range(50)]

DECODE: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "br": brotli.decompress,
    "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
}


def make_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update({"WEBACCEL_COMPRESS_ENABLED": True, **config})
    WebAccel(app)

    @app.get("/big")
    def big() -> Any:
        r = jsonify(items=[{"id": i, "name": f"item {i}"} for i in range(300)])
        r.set_etag("v1")
        return r

    @app.get("/text")
    def text() -> Any:
        return Response(TEXT, mimetype="text/plain", headers={"Vary": "Cookie"})

    @app.get("/small")
    def small() -> str:
        return "tiny"

    @app.get("/stream")
    def stream() -> Any:
        def gen():  # type: ignore[no-untyped-def]
            yield from CHUNKS

        return Response(stream_with_context(gen()), mimetype="text/plain")

    @app.get("/sse")
    def sse() -> Any:
        return Response((f"data: {i}\n\n" for i in range(100)), mimetype="text/event-stream")

    @app.get("/png")
    def png() -> Any:
        return Response(b"\x89PNG" + b"\x00" * 5000, mimetype="image/png")

    @app.get("/encoded")
    def encoded() -> Any:
        # mtime=0: the same bytes on every call (gzip.compress stamps the current second otherwise)
        return Response(gzip.compress(TEXT.encode(), mtime=0), mimetype="text/plain", headers={"Content-Encoding": "gzip"})

    @app.get("/file")
    def file() -> Any:
        import io

        return send_file(io.BytesIO(TEXT.encode()), mimetype="text/plain")

    @app.post("/echo")
    def echo() -> Any:
        body = request.get_data()
        return {"size": len(body), "head": body[:20].decode("latin-1"),
                "content_encoding": request.headers.get("Content-Encoding"),
                "content_length": request.content_length, "json": request.get_json(silent=True)}

    return app


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
@pytest.mark.parametrize("path", ["/big", "/text"])
def test_each_coding_decodes_with_pythons_libraries(encoding: str, path: str) -> None:
    c = make_app(WEBACCEL_COMPRESS_ENCODINGS=[encoding]).test_client()
    plain = c.get(path).data
    r = c.get(path, headers={"Accept-Encoding": encoding})
    assert r.headers["Content-Encoding"] == encoding
    assert int(r.headers["Content-Length"]) == len(r.data) < len(plain)
    assert DECODE[encoding](r.data) == plain
    assert "Accept-Encoding" in r.headers["Vary"]


def test_negotiation_levels_and_headers() -> None:
    c = make_app(WEBACCEL_COMPRESS_LEVELS={"br": 9}).test_client()
    assert c.get("/big", headers={"Accept-Encoding": "gzip, deflate, br, zstd"}).headers["Content-Encoding"] == "zstd"
    r = c.get("/big", headers={"Accept-Encoding": "gzip, br"})
    assert r.headers["Content-Encoding"] == "br" and r.headers["ETag"] == 'W/"v1"'
    assert r.data == brotli.compress(c.get("/big").data, quality=9) or DECODE["br"](r.data) == c.get("/big").data
    r = c.get("/text", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Vary"] == "Cookie, Accept-Encoding"
    r = c.get("/big")  # no Accept-Encoding: as it is, with Vary
    assert "Content-Encoding" not in r.headers and r.headers["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize("path", ["/small", "/sse", "/png", "/encoded", "/file"])
def test_left_alone(path: str) -> None:
    c = make_app().test_client()
    plain = c.get(path)
    r = c.get(path, headers={"Accept-Encoding": "gzip, br, zstd"})
    assert r.headers.get("Content-Encoding") == plain.headers.get("Content-Encoding")
    assert r.data == plain.data
    assert "Vary" not in r.headers


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_streamed_response(encoding: str) -> None:
    c = make_app().test_client()
    r = c.get("/stream", headers={"Accept-Encoding": encoding}, buffered=False)
    assert r.headers["Content-Encoding"] == encoding and "Content-Length" not in r.headers
    d = Decompressor(encoding)
    seen = ""
    pieces = list(r.response)
    for piece, chunk in zip(pieces, CHUNKS):
        seen += d.decompress(piece).decode()
        assert seen.endswith(chunk)  # flushed chunk by chunk
    assert DECODE[encoding](b"".join(pieces)) == "".join(CHUNKS).encode()


def test_streams_can_be_left_alone() -> None:
    r = make_app(WEBACCEL_COMPRESS_STREAMS=False).test_client().get("/stream", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in r.headers and r.data == "".join(CHUNKS).encode()


def test_disabled_by_default() -> None:
    app = Flask(__name__)
    WebAccel(app)
    app.get("/t")(lambda: TEXT)
    r = app.test_client().get("/t", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in r.headers and "Vary" not in r.headers


@pytest.mark.parametrize(
    "key,value,error",
    [
        ("WEBACCEL_COMPRESS_ENABLED", "yes", TypeError),
        ("WEBACCEL_COMPRESS_MIN_SIZE", "500", TypeError),
        ("WEBACCEL_COMPRESS_ENCODINGS", "gzip", TypeError),
        ("WEBACCEL_COMPRESS_ENCODINGS", ["lzma"], CompressionError),
        ("WEBACCEL_COMPRESS_LEVELS", {"gzip": 42}, CompressionError),
        ("WEBACCEL_COMPRESS_LEVELS", [1], TypeError),
    ],
)
def test_bad_config(key: str, value: Any, error: type[Exception]) -> None:
    app = Flask(__name__)
    app.config[key] = value
    with pytest.raises(error):
        WebAccel(app)


# --- request bodies ----------------------------------------------------------------------------


def post(c: Any, body: bytes, coding: str | None, ctype: str = "application/octet-stream") -> Any:
    headers = {"Content-Type": ctype}
    if coding:
        headers["Content-Encoding"] = coding
    return c.post("/echo", data=body, headers=headers)


@pytest.mark.parametrize("coding,encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("br", brotli.compress),
    ("zstd", zstandard.ZstdCompressor().compress),
    ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
])
def test_request_bodies_decoded(coding: str, encode: Callable[[bytes], bytes]) -> None:
    c = make_app(WEBACCEL_COMPRESS_REQUESTS=True).test_client()
    data = b'{"payload": "' + b"p" * 5000 + b'"}'
    r = post(c, encode(data), coding, "application/json")
    assert r.status_code == 200
    body = r.get_json()
    assert body["size"] == len(data) and body["content_length"] == len(data)
    assert body["content_encoding"] is None and body["json"] == {"payload": "p" * 5000}


def test_request_bodies_untouched_unless_asked() -> None:
    body = gzip.compress(b"x" * 100)
    assert post(make_app().test_client(), body, "gzip").get_json()["size"] == len(body)


def test_request_bomb_413_corrupt_400_unknown_415() -> None:
    c = make_app(WEBACCEL_COMPRESS_REQUESTS=True, WEBACCEL_COMPRESS_MAX_REQUEST_SIZE=1 << 20).test_client()
    assert post(c, gzip.compress(bytes(1 << 20), 9) * 64, "gzip").status_code == 413
    assert post(c, b"not gzip", "gzip").status_code == 400
    assert post(c, brotli.compress(b"x" * 1000)[:-2], "br").status_code == 400
    r = post(c, b"data", "compress")
    assert r.status_code == 415 and r.headers["Accept-Encoding"] == "zstd, br, gzip"
    assert post(c, bytes((1 << 20) + 10), "gzip").status_code == 413

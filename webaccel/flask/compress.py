"""Response compression and ``Content-Encoding`` request bodies for Flask, installed by the
``WebAccel`` extension when ``WEBACCEL_COMPRESS_ENABLED`` is true (keys in
``webaccel.flask.extension.CONFIG_DEFAULTS``).

- An ``after_request`` hook compresses eligible responses with the coding the client prefers
  (zstd, br, gzip by default), adds ``Vary: Accept-Encoding``, fixes ``Content-Length``,
  weakens a strong ``ETag``, and compresses streamed responses chunk by chunk (a sync flush after
  each chunk, so each reaches the client when the view yields it).
- With ``WEBACCEL_COMPRESS_REQUESTS``, a ``before_request`` hook decodes request bodies sent
  with ``Content-Encoding`` before the view reads them, capped at
  ``WEBACCEL_COMPRESS_MAX_REQUEST_SIZE``: 413 over it, 400 for corrupt data, 415 for an unknown
  coding.
"""

from __future__ import annotations

import io
import typing as t
from collections.abc import Iterable, Iterator, Mapping

from flask import Flask, Response, abort, request

from webaccel.compress import (
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

__all__ = ["init_compress", "policy_from_config"]

_READ = 64 * 1024


def policy_from_config(config: Mapping[str, t.Any]) -> CompressionPolicy:
    """The :class:`CompressionPolicy` the ``WEBACCEL_COMPRESS_*`` keys describe (``TypeError``
    for a value of the wrong type, ``CompressionError`` for an unknown coding or bad level)."""
    for key in ("WEBACCEL_COMPRESS_ENABLED", "WEBACCEL_COMPRESS_STREAMS", "WEBACCEL_COMPRESS_REQUESTS"):
        if not isinstance(config[key], bool):
            raise TypeError(f"{key} must be a bool, not {type(config[key]).__name__}")
    for key in ("WEBACCEL_COMPRESS_MIN_SIZE", "WEBACCEL_COMPRESS_MAX_REQUEST_SIZE"):
        if not isinstance(config[key], int) or isinstance(config[key], bool):
            raise TypeError(f"{key} must be an int, not {type(config[key]).__name__}")
    levels = config["WEBACCEL_COMPRESS_LEVELS"]
    if levels is not None and not isinstance(levels, Mapping):
        raise TypeError(f"WEBACCEL_COMPRESS_LEVELS must be a dict or None, not {type(levels).__name__}")
    for key in ("WEBACCEL_COMPRESS_ENCODINGS", "WEBACCEL_COMPRESS_EXCLUDED_TYPES"):
        if isinstance(config[key], str) or not isinstance(config[key], Iterable):
            raise TypeError(f"{key} must be a list or tuple of str, not {type(config[key]).__name__}")
    return CompressionPolicy(
        encodings=tuple(config["WEBACCEL_COMPRESS_ENCODINGS"]),
        levels=dict(levels or {}),
        minimum_size=config["WEBACCEL_COMPRESS_MIN_SIZE"],
        excluded_types=tuple(config["WEBACCEL_COMPRESS_EXCLUDED_TYPES"]),
    )


def init_compress(app: Flask) -> None:
    """Register the hooks on ``app`` as its ``WEBACCEL_COMPRESS_*`` configuration asks."""
    policy = policy_from_config(app.config)
    if not app.config["WEBACCEL_COMPRESS_ENABLED"]:
        return
    streams = app.config["WEBACCEL_COMPRESS_STREAMS"]
    max_request_size = app.config["WEBACCEL_COMPRESS_MAX_REQUEST_SIZE"]

    if app.config["WEBACCEL_COMPRESS_REQUESTS"]:

        def decode_request_body() -> None:
            _decode_request(policy, max_request_size)

        app.before_request(decode_request_body)

    def compress_response(response: Response) -> Response:
        return _compress_response(policy, streams, response)

    app.after_request(compress_response)


def _compress_response(policy: CompressionPolicy, streams: bool, response: Response) -> Response:
    if response.direct_passthrough:
        return response  # send_file's file wrapper: served as it is
    eligible = policy.eligible(
        status=response.status_code,
        content_type=response.headers.get("Content-Type"),
        content_encoding=response.headers.get("Content-Encoding"),
        cache_control=response.headers.get("Cache-Control"),
        content_range="Content-Range" in response.headers,
    )
    if not eligible:
        return response
    if response.is_streamed:
        if not streams:
            return response
        response.headers["Vary"] = add_vary(response.headers.get("Vary"))
        encoding = policy.choose(request.headers.get("Accept-Encoding"))
        if encoding is None:
            return response
        response.response = _compress_stream(response.response, Compressor(encoding, policy.level(encoding)))
        response.headers.pop("Content-Length", None)
        _mark_encoded(response, encoding)
        return response
    body = response.get_data()
    if len(body) < policy.minimum_size:
        return response
    response.headers["Vary"] = add_vary(response.headers.get("Vary"))
    encoding = policy.choose(request.headers.get("Accept-Encoding"))
    if encoding is None:
        return response
    out = compress(body, encoding, policy.level(encoding))
    if len(out) >= len(body):
        return response
    response.set_data(out)  # sets Content-Length
    _mark_encoded(response, encoding)
    return response


def _mark_encoded(response: Response, encoding: str) -> None:
    response.headers["Content-Encoding"] = encoding
    etag = response.headers.get("ETag")
    if etag is not None:
        response.headers["ETag"] = weaken_etag(etag)


def _compress_stream(chunks: Iterable[t.Any], compressor: Compressor) -> Iterator[bytes]:
    try:
        for chunk in chunks:
            data = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
            out = (compressor.compress(data) if data else b"") + compressor.flush()
            if out:
                yield out
        yield compressor.finish()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _decode_request(policy: CompressionPolicy, max_size: int) -> None:
    coding = request.headers.get("Content-Encoding")
    if coding is None or coding.strip().lower() in ("", "identity"):
        return
    try:
        decoder = ContentDecoder(coding, max_size=max_size)
    except CompressionError as e:
        abort(Response(str(e), 415, {"Accept-Encoding": ", ".join(policy.encodings)}))
    if (request.content_length or 0) > max_size:
        abort(413, description=f"compressed request body exceeds {max_size} bytes")
    stream = request.stream  # bounded by Content-Length (and MAX_CONTENT_LENGTH) by werkzeug
    parts = []
    received = 0
    try:
        while True:
            chunk = stream.read(_READ)
            if not chunk:
                break
            received += len(chunk)
            if received > max_size:
                raise SizeLimitError(f"compressed request body exceeds {max_size} bytes")
            parts.append(decoder.decompress(chunk))
        parts.append(decoder.finish())
    except SizeLimitError as e:
        abort(413, description=str(e))
    except DecompressionError as e:
        abort(400, description=str(e))
    body = b"".join(parts)
    environ = request.environ
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_CONTENT_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)
    # The request cached the stream it just read and the length it declared: the view gets
    # fresh ones for the decoded body.
    for cached in ("stream", "content_length"):
        request.__dict__.pop(cached, None)

"""``CompressionMiddleware`` for Django: a drop-in for ``django.middleware.gzip.GZipMiddleware``
that negotiates zstd, br or gzip (RFC 9110 ``Accept-Encoding``), sync and async capable, and
optionally decodes request bodies sent with ``Content-Encoding``.

::

    MIDDLEWARE = ["webaccel.django.compress.CompressionMiddleware", ...]   # where GZipMiddleware was
    WEBACCEL = {"COMPRESS_LEVELS": {"br": 5}, "COMPRESS_DECODE_REQUESTS": True}

Like Django's: responses under ``COMPRESS_MIN_SIZE`` (200) or with ``Content-Encoding`` are left
alone, ``Vary: Accept-Encoding`` is added to every response that could be compressed, compressed
output that is not smaller is dropped, strong ETags become weak, streaming responses (sync and
async) are compressed as they stream, and gzip output carries Django's "Heal the BREACH" random
padding (``COMPRESS_RANDOM_PADDING`` bytes at most, in the gzip header's file name). Besides:
the excluded media types (``text/event-stream``, images, ...), ``Cache-Control: no-transform``
and 206 responses are left alone; streamed chunks are flushed one by one.
"""

from __future__ import annotations

import difflib
import io
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

from webaccel.compress import (
    ENCODINGS,
    CompressionError,
    CompressionPolicy,
    Compressor,
    ContentDecoder,
    DecompressionError,
    SizeLimitError,
    compress,
    weaken_etag,
)
from webaccel.django.conf import SETTING_NAME, Problem, WebAccelSettings, get_settings

__all__ = ["CompressionMiddleware", "gzip_padded", "check_compress_settings"]

_READ = 64 * 1024
_FNAME = 0x08


def gzip_padded(stream_start: bytes, max_random_bytes: int) -> bytes:
    """A gzip stream's first bytes with a random-length file name (1..``max_random_bytes``
    random letters) in its header: Django's mitigation of BREACH-style length oracles, which
    leaves the decoded content unchanged. ``stream_start`` must hold the 10-byte header of a
    gzip member without FNAME (what webaccel writes)."""
    if max_random_bytes <= 0 or len(stream_start) < 10 or stream_start[3] & _FNAME:
        return stream_start
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    n = secrets.randbelow(max_random_bytes) + 1
    name = bytes(secrets.choice(alphabet) for _ in range(n)) + b"\x00"
    flags = stream_start[3] | _FNAME
    # FEXTRA (0x04) would come before FNAME; webaccel's encoders never set it.
    if stream_start[3] & 0x04:
        return stream_start
    return stream_start[:3] + bytes([flags]) + stream_start[4:10] + name + stream_start[10:]


# Names people write for a coding, besides the token HTTP uses.
_ALIASES = {"brotli": "br", "zstandard": "zstd", "x-gzip": "gzip", "zlib": "deflate"}


def _coding_problem(key: str, name: object) -> Problem:
    lower = str(name).lower()
    close = [_ALIASES[lower]] if lower in _ALIASES else difflib.get_close_matches(lower, ENCODINGS, n=1)
    return Problem(
        "webaccel.E010",
        f"{SETTING_NAME}[{key!r}] names an unknown content coding {name!r}.",
        hint=f"Did you mean {close[0]!r}?" if close else f"Expected one of {', '.join(ENCODINGS)}.",
    )


def check_compress_settings(raw: Any) -> list[Problem]:
    """What the type check of ``WEBACCEL`` cannot see in the ``COMPRESS_...`` keys, reported by
    the system check at startup instead of by ``CompressionMiddleware`` on its first request:

    - ``webaccel.E010``: a coding name in ``COMPRESS_ENCODINGS`` or ``COMPRESS_LEVELS`` that is
      not one of ``gzip``, ``deflate``, ``br``, ``zstd`` (the hint suggests the closest);
    - ``webaccel.E011``: a level out of its coding's range, or a negative ``COMPRESS_MIN_SIZE``
      or ``COMPRESS_MAX_REQUEST_SIZE``.

    Values of the wrong type are left to ``webaccel.E003``.
    """
    if not isinstance(raw, Mapping):
        return []
    problems = []
    encodings = raw.get("COMPRESS_ENCODINGS")
    if isinstance(encodings, (list, tuple)):
        problems += [
            _coding_problem("COMPRESS_ENCODINGS", name)
            for name in encodings
            if not isinstance(name, str) or name.lower() not in ENCODINGS
        ]
    levels = raw.get("COMPRESS_LEVELS")
    if isinstance(levels, dict):
        for name, level in levels.items():
            if not isinstance(name, str) or name.lower() not in ENCODINGS:
                problems.append(_coding_problem("COMPRESS_LEVELS", name))
                continue
            try:
                if isinstance(level, bool):
                    raise TypeError("a level is an int")
                Compressor(name, level)
            except (CompressionError, TypeError) as e:
                problems.append(Problem("webaccel.E011", f"{SETTING_NAME}['COMPRESS_LEVELS'][{name!r}]: {e}."))
    for key in ("COMPRESS_MIN_SIZE", "COMPRESS_MAX_REQUEST_SIZE"):
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            problems.append(Problem("webaccel.E011", f"{SETTING_NAME}[{key!r}] must be >= 0, not {value}."))
    return problems


class _Options:
    """The middleware's view of the ``WEBACCEL`` settings, rebuilt when they change."""

    def __init__(self, settings: WebAccelSettings) -> None:
        self.source = settings
        self.policy = CompressionPolicy(
            encodings=tuple(settings.COMPRESS_ENCODINGS),
            levels=dict(settings.COMPRESS_LEVELS or {}),
            minimum_size=settings.COMPRESS_MIN_SIZE,
            excluded_types=tuple(settings.COMPRESS_EXCLUDED_TYPES),
        )
        self.streams = settings.COMPRESS_STREAMS
        self.padding = settings.COMPRESS_RANDOM_PADDING
        self.decode_requests = settings.COMPRESS_DECODE_REQUESTS
        self.max_request_size = settings.COMPRESS_MAX_REQUEST_SIZE


class CompressionMiddleware:
    """Compresses responses with the coding the client prefers; see the module docstring."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)
        self._options: _Options | None = None

    def options(self) -> _Options:
        settings = get_settings()
        current = self._options
        if current is None or current.source is not settings:
            current = self._options = _Options(settings)
        return current

    def __call__(self, request: HttpRequest) -> Any:
        if self._async:
            return self.__acall__(request)
        refused = self.process_request(request)
        if refused is not None:
            return refused
        return self.process_response(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        refused = self.process_request(request)
        if refused is not None:
            return refused
        response = await self.get_response(request)
        return self.process_response(request, response)

    # --- request bodies ------------------------------------------------------------------------

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        """Decodes a ``Content-Encoding`` body when ``COMPRESS_DECODE_REQUESTS`` is on; the
        answer when it is refused (413, 400, 415), else None. Django's own limits
        (``DATA_UPLOAD_MAX_MEMORY_SIZE``...) then apply to the decoded body."""
        options = self.options()
        coding = request.META.get("HTTP_CONTENT_ENCODING")
        if not options.decode_requests or coding is None or coding.strip().lower() in ("", "identity"):
            return None
        max_size = options.max_request_size
        try:
            decoder = ContentDecoder(coding, max_size=max_size)
        except CompressionError as e:
            return HttpResponse(str(e), status=415, content_type="text/plain",
                                headers={"Accept-Encoding": ", ".join(options.policy.encodings)})
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > max_size:
                raise SizeLimitError(f"compressed request body exceeds {max_size} bytes")
            parts = []
            received = 0
            while chunk := request.read(_READ):
                received += len(chunk)
                if received > max_size:
                    raise SizeLimitError(f"compressed request body exceeds {max_size} bytes")
                parts.append(decoder.decompress(chunk))
            parts.append(decoder.finish())
        except SizeLimitError as e:
            return HttpResponse(str(e), status=413, content_type="text/plain")
        except DecompressionError as e:
            return HttpResponse(str(e), status=400, content_type="text/plain")
        body = b"".join(parts)
        request._stream = io.BytesIO(body)
        request._read_started = False
        request.META["CONTENT_LENGTH"] = str(len(body))
        del request.META["HTTP_CONTENT_ENCODING"]
        request.__dict__.pop("headers", None)  # a cached view of META
        return None

    # --- responses -----------------------------------------------------------------------------

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        options = self.options()
        policy = options.policy
        if not response.streaming and len(response.content) < policy.minimum_size:
            return response
        if response.streaming and not options.streams:
            return response
        eligible = policy.eligible(
            status=response.status_code,
            content_type=response.get("Content-Type"),
            content_encoding=response.get("Content-Encoding"),
            cache_control=response.get("Cache-Control"),
            content_range=response.has_header("Content-Range"),
        )
        if not eligible:
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        encoding = policy.choose(request.META.get("HTTP_ACCEPT_ENCODING"))
        if encoding is None:
            return response
        level = policy.level(encoding)
        padding = options.padding if encoding == "gzip" else 0
        if response.streaming:
            if getattr(response, "is_async", False):
                response.streaming_content = _acompressed(response.streaming_content, Compressor(encoding, level), padding)
            else:
                response.streaming_content = _compressed(response.streaming_content, Compressor(encoding, level), padding)
            if response.has_header("Content-Length"):
                del response.headers["Content-Length"]
        else:
            content: bytes = response.content
            out = gzip_padded(compress(content, encoding, level), padding)
            if len(out) >= len(content):
                return response
            response.content = out
            response.headers["Content-Length"] = str(len(out))
        etag = response.get("ETag")
        if etag:
            response.headers["ETag"] = weaken_etag(etag)
        response.headers["Content-Encoding"] = encoding
        return response


def _compressed(chunks: Iterable[bytes], compressor: Compressor, padding: int) -> Iterator[bytes]:
    first = True
    for chunk in chunks:
        out = (compressor.compress(chunk) if chunk else b"") + compressor.flush()
        if out:
            if first:
                out, first = gzip_padded(out, padding), False
            yield out
    last = compressor.finish()
    yield gzip_padded(last, padding) if first else last


async def _acompressed(chunks: AsyncIterator[bytes], compressor: Compressor, padding: int) -> AsyncIterator[bytes]:
    first = True
    async for chunk in chunks:
        out = (compressor.compress(chunk) if chunk else b"") + compressor.flush()
        if out:
            if first:
                out, first = gzip_padded(out, padding), False
            yield out
    last = compressor.finish()
    yield gzip_padded(last, padding) if first else last


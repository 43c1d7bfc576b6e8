"""HTTP content codings in Rust: gzip, deflate, br (brotli) and zstd.

- ``compress(data, encoding, level=None)`` / ``decompress(data, encoding, max_size=...)``:
  one-shot, interoperable with Python's ``gzip``/``zlib`` and the ``brotli`` and ``zstandard``
  packages (both ways); the GIL is released while the codec runs, except for gzip/deflate
  bodies of at most 8 KiB (tens of microseconds), which are compressed with zlib's own
  algorithm (the same output as ``gzip.compress``, faster) while holding it.
- ``Compressor(encoding, level=None)``: streaming, ``compress(chunk)`` / ``flush()`` /
  ``finish()``; ``Decompressor(encoding, max_size=...)``: streaming, ``decompress(chunk)`` /
  ``finish()``, with the same cap on the total output.
- ``negotiate(accept_encoding, available=("zstd", "br", "gzip"))``: RFC 9110 §12.5.3.
- ``CompressionPolicy`` and ``ContentDecoder``: what the FastAPI, Flask and Django adapters share
  (which responses to compress, stacked ``Content-Encoding`` request bodies).

Decoding never produces more than ``max_size`` bytes: past it, :class:`SizeLimitError` (a
:class:`DecompressionError`, so a ``ValueError``) is raised and the work stops, so a
decompression bomb costs at most ``max_size`` bytes of memory and the time to produce them.
Corrupt, truncated or trailing data raise :class:`DecompressionError`; misuse (an unknown
coding, a level out of range) :class:`CompressionError`. See ``docs/compress.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from webaccel._core import Compressor, Decompressor
from webaccel._core import compress_compress as compress
from webaccel._core import compress_decompress as decompress
from webaccel._core import compress_negotiate as _negotiate
from webaccel.errors import CompressionError, DecompressionError, SizeLimitError

__all__ = [
    "compress",
    "decompress",
    "negotiate",
    "Compressor",
    "Decompressor",
    "ContentDecoder",
    "decode_content",
    "CompressionPolicy",
    "ENCODINGS",
    "DEFAULT_ENCODINGS",
    "DEFAULT_LEVELS",
    "DEFAULT_MAX_SIZE",
    "DEFAULT_MINIMUM_SIZE",
    "DEFAULT_EXCLUDED_TYPES",
    "MAX_STACKED_CODINGS",
    "weaken_etag",
    "add_vary",
    "CompressionError",
    "DecompressionError",
    "SizeLimitError",
]

ENCODINGS: tuple[str, ...] = ("gzip", "deflate", "br", "zstd")
"""Every content coding webaccel applies and removes."""

DEFAULT_ENCODINGS: tuple[str, ...] = ("zstd", "br", "gzip")
"""What the adapters offer, most preferred first (deflate's zlib-or-raw ambiguity makes it the
coding servers stopped offering)."""

DEFAULT_LEVELS: Mapping[str, int] = MappingProxyType({"gzip": 6, "deflate": 6, "br": 4, "zstd": 3})
"""The level each coding uses when none is given: zlib's default, brotli 4 (its own default, 11,
is for static assets: ~50x slower), zstd's default."""

DEFAULT_MAX_SIZE = 16 * 1024 * 1024
"""``decompress``'s default cap on decoded output, and the adapters' on request bodies."""

DEFAULT_MINIMUM_SIZE = 500
"""Responses smaller than this are sent as they are (Starlette's default)."""

DEFAULT_EXCLUDED_TYPES: tuple[str, ...] = (
    "text/event-stream",
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "application/zstd",
    "application/x-7z-compressed",
    "application/x-bzip2",
    "application/x-xz",
    "audio/*",
    "video/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
)
"""Media types the adapters never compress: server-sent events (each event must reach the
client when sent) and already-compressed formats (Starlette's list, plus zstd/7z/bzip2/xz).
``type/*`` covers a whole top-level type."""

MAX_STACKED_CODINGS = 4
"""How many codings a request's ``Content-Encoding`` may stack (``gzip, br``); more is refused."""


def negotiate(accept_encoding: str | bytes | None, available: Iterable[str] = DEFAULT_ENCODINGS) -> str | None:
    """The coding of ``available`` to apply for this ``Accept-Encoding`` value, or ``None``.

    RFC 9110 §12.5.3: the highest q-value wins, ties go to the order of ``available`` (the
    server's preference); ``*`` covers codings not listed; ``q=0`` refuses; ``identity``
    weighted above every acceptable coding means no coding. Matching is case-insensitive and
    elements that break the grammar are ignored. ``None`` (no ``Accept-Encoding`` field) and
    an empty value give ``None``: the content is sent as it is.
    """
    return _negotiate(accept_encoding, list(available))


def _parse_codings(content_encoding: str) -> list[str]:
    """The codings of a ``Content-Encoding`` value in the order they were applied, without
    ``identity``. Raises ``CompressionError`` for an unknown or over-stacked coding."""
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    for c in codings:
        if c not in ENCODINGS and c != "x-gzip":
            raise CompressionError(f"unsupported content coding {c!r}")
    if len(codings) > MAX_STACKED_CODINGS:
        raise CompressionError(f"more than {MAX_STACKED_CODINGS} stacked content codings")
    return codings


class ContentDecoder:
    """Streaming decoder for a ``Content-Encoding`` header value, stacked codings included
    (``gzip, br`` was gzipped first: it is un-brotlied first). Every layer is capped at
    ``max_size`` bytes of output.

    Raises ``CompressionError`` for a coding webaccel does not know (HTTP 415),
    ``SizeLimitError`` past ``max_size`` (413), ``DecompressionError`` for bad data (400).
    """

    def __init__(self, content_encoding: str, *, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.codings = _parse_codings(content_encoding)
        self._layers = [Decompressor(c, max_size=max_size) for c in reversed(self.codings)]

    def decompress(self, data: bytes) -> bytes:
        for layer in self._layers:
            if not data:
                break
            data = layer.decompress(data)
        return data

    def finish(self) -> bytes:
        data = b""
        for layer in self._layers:
            if data:
                data = layer.decompress(data)
            data += layer.finish()
        return data


def decode_content(body: bytes, content_encoding: str, *, max_size: int = DEFAULT_MAX_SIZE) -> bytes:
    """``body`` with every coding of ``content_encoding`` removed (see :class:`ContentDecoder`)."""
    codings = _parse_codings(content_encoding)
    for coding in reversed(codings):
        body = decompress(body, coding, max_size=max_size)
    return body


def _media_type(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


@dataclasses.dataclass(frozen=True)
class CompressionPolicy:
    """Which responses the adapters compress, and how.

    ``encodings``: offered codings, most preferred first; ``levels``: per coding (defaults in
    :data:`DEFAULT_LEVELS`); ``minimum_size``: smaller bodies are sent as they are;
    ``excluded_types``: media types never compressed (``type/*`` allowed).
    """

    encodings: tuple[str, ...] = DEFAULT_ENCODINGS
    levels: Mapping[str, int] = dataclasses.field(default_factory=dict)
    minimum_size: int = DEFAULT_MINIMUM_SIZE
    excluded_types: tuple[str, ...] = DEFAULT_EXCLUDED_TYPES

    def __post_init__(self) -> None:
        encodings = tuple(e.lower() for e in self.encodings)
        for e in encodings:
            if e not in ENCODINGS:
                raise CompressionError(f"unknown content coding {e!r} (expected one of {', '.join(ENCODINGS)})")
        levels = {k.lower(): v for k, v in self.levels.items()}
        for e, level in levels.items():
            if e not in ENCODINGS:
                raise CompressionError(f"unknown content coding {e!r} in levels")
            Compressor(e, level)  # raises CompressionError for a level out of range
        object.__setattr__(self, "encodings", encodings)
        object.__setattr__(self, "levels", MappingProxyType({**DEFAULT_LEVELS, **levels}))
        object.__setattr__(self, "excluded_types", tuple(_media_type(t) for t in self.excluded_types))
        if self.minimum_size < 0:
            raise CompressionError("minimum_size must be >= 0")

    def choose(self, accept_encoding: str | bytes | None) -> str | None:
        """The coding to apply for this request, or ``None``."""
        if not self.encodings:
            return None
        return _negotiate(accept_encoding, list(self.encodings))

    def level(self, encoding: str) -> int:
        return self.levels[encoding]

    def excluded(self, content_type: str | None) -> bool:
        """Whether responses of this ``Content-Type`` are never compressed."""
        media = _media_type(content_type)
        candidates = {media, media.partition("/")[0] + "/*"}
        if media.startswith("application/grpc+"):
            candidates.add("application/grpc")
        return not candidates.isdisjoint(self.excluded_types)

    def eligible(
        self,
        *,
        status: int,
        content_type: str | None,
        content_encoding: str | None,
        cache_control: str | None = None,
        content_range: bool = False,
    ) -> bool:
        """Whether a response could be compressed at all (size and client aside): not already
        encoded, not a partial (206 / ``Content-Range``) response, not ``no-transform``, no
        bodiless status, and a media type that is not excluded."""
        if content_encoding and content_encoding.strip().lower() != "identity":
            return False
        if status == 206 or content_range or status in (204, 304) or status < 200:
            return False
        if cache_control and "no-transform" in cache_control.lower():
            return False
        return not self.excluded(content_type)


def weaken_etag(etag: str) -> str:
    """A strong ETag made weak (``"x"`` -> ``W/"x"``): the encoded representation is not
    byte-for-byte the one the strong validator names (RFC 9110 §8.8.1, as Django does)."""
    return "W/" + etag if etag.startswith('"') else etag


def add_vary(vary: str | None, field: str = "Accept-Encoding") -> str:
    """``Vary`` with ``field`` added once (case-insensitive); ``*`` is left alone."""
    if not vary:
        return field
    names = [v.strip().lower() for v in vary.split(",")]
    if field.lower() in names or "*" in names:
        return vary
    return f"{vary}, {field}"

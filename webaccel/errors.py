"""webaccel's exception hierarchy: every exception webaccel raises derives from WebAccelError.

Where users already catch a standard exception for the same failure, webaccel's class subclasses
it too, so code written for the library webaccel replaces keeps working:

- ``JSONDecodeError`` is a ``json.JSONDecodeError`` (so a ``ValueError``) with ``msg``, ``doc``,
  ``pos``, ``lineno`` and ``colno``;
- ``JSONEncodeError`` is a ``TypeError`` (unsupported type, as stdlib ``json`` raises) and a
  ``ValueError`` (NaN/Infinity refused, circular or too deep, as stdlib raises).

The Rust engine raises these very classes (``rust/errors.rs`` looks them up here).
"""

from __future__ import annotations

import json as _stdlib_json

__all__ = [
    "WebAccelError",
    "InternalError",
    "JSONDecodeError",
    "JSONEncodeError",
    "HTTPParseError",
    "QueryStringError",
    "FormError",
    "CookieError",
    "HeaderError",
    "MultipartError",
    "CompressionError",
    "DecompressionError",
    "SizeLimitError",
]


class WebAccelError(Exception):
    """Root of every exception raised by webaccel."""


class InternalError(WebAccelError, RuntimeError):
    """A bug inside webaccel (a Rust panic caught at the boundary). Please report it."""


class JSONDecodeError(_stdlib_json.JSONDecodeError, WebAccelError):
    """The input is not valid JSON (RFC 8259), or exceeds a configured limit.

    ``pos`` is the index of the offending character in ``doc`` (the input as text).
    """


class JSONEncodeError(WebAccelError, TypeError, ValueError):
    """The object cannot be serialized: an unsupported type, a non-finite float when NaN is
    refused, a circular reference or nesting beyond the depth limit."""


class HTTPParseError(WebAccelError, ValueError):
    """Root of the errors raised while parsing HTTP request data (``webaccel.http``)."""


class QueryStringError(HTTPParseError):
    """A query string was refused: more fields than ``max_num_fields``, a malformed field under
    ``strict_parsing``, or an invalid ``separator``. The message is stdlib's."""


class FormError(HTTPParseError):
    """An ``application/x-www-form-urlencoded`` body exceeds ``max_size`` or ``max_fields``."""


class CookieError(HTTPParseError):
    """A ``Cookie:`` header exceeds the opt-in ``max_size`` or ``max_cookies`` limit."""


class HeaderError(HTTPParseError):
    """A header was refused: a malformed or over-limit header block (obs-fold, bare CR, control
    characters, invalid field name, ``max_headers`` / ``max_line`` / ``max_size``), undecodable
    ``Basic`` credentials, or an invalid media type passed to ``best_match``."""
class MultipartError(HTTPParseError):
    """A ``multipart/form-data`` body was refused: malformed (no closing boundary, a part without
    ``Content-Disposition`` or ``name``, a bad boundary), or over one of the parser's limits
    (``max_parts``, ``max_files``, ``max_field_size``, ``max_file_size``, ``max_header_size``,
    ``max_headers``, ``max_preamble``, ``max_epilogue``, ``max_body_size``)."""


class CompressionError(WebAccelError, ValueError):
    """Root of ``webaccel.compress``'s errors; raised itself for misuse: an unknown content
    coding, a level out of range, a streaming object used after ``finish()``."""


class DecompressionError(CompressionError):
    """Compressed data was refused: corrupt, truncated, followed by stray bytes, or (as the
    subclass :class:`SizeLimitError`) decoding to more than ``max_size`` bytes."""


class SizeLimitError(DecompressionError):
    """The decoded output would exceed ``max_size`` (a decompression bomb, or simply too large).
    Decoding stops at the limit: memory stays bounded by ``max_size``."""

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
    "CacheError",
    "CacheUnavailableError",


    "MetricsError",
    "StorageError",
    "StorageConfigError",
    "RateLimitError",
    "PaginationError",
    "InvalidPage",
    "PageNotAnInteger",
    "EmptyPage",
    "InvalidPageSize",
    "InvalidCursor",
    "FilterError",
    "Argon2Error",
    "VerificationError",
    "VerifyMismatchError",
    "HashingError",
    "InvalidHashError",
    "WebhookSignatureError",
    # auth (JWT)
    "InvalidTokenError",
    "DecodeError",
    "InvalidSignatureError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidIssuedAtError",
    "InvalidAlgorithmError",
    "MissingRequiredClaimError",
    "InvalidSubjectError",
    "InvalidJTIError",
    "InvalidTypeError",
    "UnknownKeyError",
    "InvalidKeyError",
    "JWKSFetchError",
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

    limit: str | None = None
    """The name of the limit the input exceeded (``"max_file_size"``, ``"max_fields"``...), set
    on refusals caused by a limit; ``None`` for malformed input. Adapters answer 413 or 400 by it."""


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
class MetricsError(WebAccelError, ValueError):
    """``webaccel.metrics`` refused a value: an invalid ``namespace`` or ``buckets``, a status
    outside 0..999, negative or non-finite seconds, or a snapshot that does not fit (other
    buckets, malformed)."""


class StorageError(WebAccelError, ConnectionError):
    """A storage backend (Redis) could not serve a call: unreachable, timed out, in the pause after
    a failure, or it replied with an error. Rate limiters never raise it (their outage policy,
    ``fail_open``, decides instead); ``RedisClient`` does."""


class StorageConfigError(WebAccelError, ValueError):
    """A storage URL or option is invalid (``redis://`` URL, negative timeout, ...)."""


class RateLimitError(WebAccelError, ValueError):
    """A rate limit is misconfigured: a rate string that does not parse (``"10/fortnight"``), a
    zero amount or period, an unknown algorithm or storage, or an invalid option or cost."""


class CacheError(WebAccelError):
    """Root of the errors raised by ``webaccel.cache`` (a value the serializer refuses, a
    malformed stored value)."""


class CacheUnavailableError(CacheError, StorageError):
    """The cache's server (Redis) could not be reached within the timeout, or is in the pause
    after a failure (a ``StorageError``, so a ``ConnectionError``). Raised only when the cache is
    configured with ``on_error="raise"`` (and by ``incr``/``clear``, which cannot pretend);
    otherwise an outage behaves as a miss."""
# pagination


class PaginationError(WebAccelError, ValueError):
    """Root of the errors raised by ``webaccel.pagination`` (pages, cursors, filters, sorting)."""


class InvalidPage(PaginationError):
    """A page number was refused (mirrors ``django.core.paginator.InvalidPage``)."""


class PageNotAnInteger(InvalidPage):
    """The page number is not an integer: a non-numeric string, a non-integral float, an object
    ``int()`` refuses (mirrors Django's ``PageNotAnInteger``, same message)."""


class EmptyPage(InvalidPage):
    """The page number is below 1 or past the last page (mirrors Django's ``EmptyPage``, same
    messages)."""


class InvalidPageSize(PaginationError):
    """The page size is not an integer, or is below 1. (Sizes above the maximum are clamped.)"""


class InvalidCursor(PaginationError):
    """A pagination cursor was refused: malformed, truncated, tampered with, signed with an
    unknown secret, longer than the codec's ``max_length``, or older than its ``max_age``."""


class FilterError(PaginationError):
    """A filter or sort query parameter was refused: a field or operator outside the allow-list,
    a value that does not convert to the field's type, or one of the explicit limits (number of
    sort keys, of filters, of ``in`` items, value length). Adapters answer 400."""
# passwords (webaccel.passwords): argon2-cffi's exception names under one area root.


class Argon2Error(WebAccelError):
    """Root of the password-hashing errors (argon2-cffi's ``Argon2Error``)."""


class VerificationError(Argon2Error):
    """Verification failed for a reason other than a wrong password; the message is
    libargon2's (``args[0]``), as in argon2-cffi."""


class VerifyMismatchError(VerificationError):
    """The password does not match the hash."""


class HashingError(Argon2Error):
    """Hashing failed: a parameter out of Argon2's range (the message is libargon2's, e.g.
    ``"Memory cost is too small"``) or memory could not be allocated."""


class InvalidHashError(VerificationError, ValueError):
    """An encoded hash is malformed, of an unexpected type, or asks for more than the
    verification caps allow (``max_memory_cost``, ``max_time_cost``, ``max_parallelism``, the
    string length). A ``ValueError`` as in argon2-cffi, and a ``VerificationError`` because
    argon2-cffi reports some malformed hashes as ``VerificationError("Decoding failed")``: code
    catching either keeps working."""


# webhooks (webaccel.webhooks)


class WebhookSignatureError(WebAccelError, ValueError):
    """An unsupported ``algorithm`` or ``encoding`` was passed to ``webaccel.webhooks``. A
    signature that does not match is never an exception: ``verify`` returns ``False``."""
# auth (JWT): PyJWT's class names and hierarchy, rooted in WebAccelError.


class InvalidTokenError(WebAccelError, ValueError):
    """A token was refused (``webaccel.auth``): malformed, badly signed, expired, or failing a
    claim check. Every token problem is one of its subclasses, so adapters answer 401 on it."""


class DecodeError(InvalidTokenError):
    """The token is malformed: segments, base64url, JSON, a refused header (``crit``, ``b64``),
    a size or depth cap, or a time claim that is not a JSON number."""


class InvalidSignatureError(DecodeError):
    """The signature or MAC does not match."""


class ExpiredSignatureError(InvalidTokenError):
    """``exp`` is in the past (beyond ``leeway``)."""


class ImmatureSignatureError(InvalidTokenError):
    """``nbf`` or ``iat`` is in the future (beyond ``leeway``)."""


class InvalidAudienceError(InvalidTokenError):
    """``aud`` does not match the expected audience, or is malformed."""


class InvalidIssuerError(InvalidTokenError):
    """``iss`` is not (exactly) one of the expected issuers."""


class InvalidIssuedAtError(InvalidTokenError):
    """``iat`` is not a JSON number."""


class InvalidAlgorithmError(InvalidTokenError):
    """The token's ``alg`` is not allowed, unknown, ``none``, or not usable with the key."""


class MissingRequiredClaimError(InvalidTokenError):
    """A required claim is absent. ``claim`` names it."""

    def __init__(self, claim: str) -> None:
        super().__init__(claim)
        self.claim = claim

    def __str__(self) -> str:
        return f'Token is missing the "{self.claim}" claim'


class InvalidSubjectError(InvalidTokenError):
    """``sub`` is not a string, or not the expected subject."""


class InvalidJTIError(InvalidTokenError):
    """``jti`` is not a string."""


class InvalidTypeError(InvalidTokenError):
    """The header's ``typ`` is not the one the verifier requires."""


class UnknownKeyError(InvalidTokenError):
    """No key of the key set matches the token's ``kid``."""


class InvalidKeyError(WebAccelError, ValueError):
    """A key is unusable or does not fit the configuration: malformed PEM/JWK, unsupported
    type or curve, RSA below 2048 bits, an HMAC secret shorter than the hash output, a public
    key given where a secret is expected. A configuration error, not a token error."""


class JWKSFetchError(WebAccelError):
    """The JWK Set could not be fetched or parsed (and no cached set could answer)."""

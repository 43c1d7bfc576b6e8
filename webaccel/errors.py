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

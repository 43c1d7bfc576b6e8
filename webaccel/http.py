"""HTTP request parsing in Rust: query strings, urlencoded forms and cookies.

- ``parse_qsl`` / ``parse_qs``: the results of ``urllib.parse.parse_qsl`` / ``parse_qs`` for every
  input (str or bytes), same arguments, same exceptions; the ``ValueError`` webaccel raises is a
  :class:`QueryStringError` (a ``ValueError`` and a ``WebAccelError``).
- ``urlencode``: ``urllib.parse.urlencode`` with the same results.
- ``parse_form``: an ``application/x-www-form-urlencoded`` body, parsed as Django's ``QueryDict``
  parses it, into a list of ``(name, value)`` pairs, with ``max_size`` and ``max_fields`` checked
  before any work (:class:`FormError`). Only ``&`` separates fields.
- ``parse_cookie``: Django's ``django.http.cookie.parse_cookie`` in linear time (CVE-2024-7592),
  with opt-in ``max_size`` / ``max_cookies`` limits (:class:`CookieError`).
- ``parse_header_block`` / ``headers_from_asgi``: raw HTTP/1.1 header blocks (obs-fold, bare CR,
  control characters and bad names refused, explicit limits) and ASGI ``(bytes, bytes)`` lists.
- ``parse_options_header``, ``parse_accept``, ``best_match``: werkzeug 3.1.9's
  ``parse_options_header``, ``parse_accept_header`` and ``MIMEAccept``/``LanguageAccept``/``Accept``
  ``best_match`` results, in linear time (:class:`HeaderError`).
- ``parse_authorization`` / ``parse_basic_auth`` / ``parse_cache_control``: ``Authorization``
  (scheme lower-cased; strict ``Basic`` decoding) and ``Cache-Control`` directives.
- ``client_ip`` / ``ClientIP``: the client address from ``Forwarded`` / ``X-Forwarded-For`` /
  ``X-Real-IP``, believed only through configured trusted proxies (walked from the right).
- ``parse_multipart`` / ``MultipartParser``: ``multipart/form-data`` bodies, one-shot or streamed
  chunk by chunk, into :class:`Part` objects, with limits on every dimension an attacker controls
  (:class:`MultipartError`); large file parts streamed to a temporary file.

See ``docs/http.md`` for the exact compatibility notes and limits.
"""

from __future__ import annotations

from webaccel._core import ClientIP
from webaccel._core import http_best_match as best_match
from webaccel._core import http_client_ip as client_ip
from webaccel._core import http_headers_from_asgi as headers_from_asgi
from webaccel._core import http_parse_accept as parse_accept
from webaccel._core import http_parse_authorization as parse_authorization
from webaccel._core import http_parse_basic_auth as parse_basic_auth
from webaccel._core import http_parse_cache_control as parse_cache_control
from webaccel._core import http_parse_cookie as parse_cookie
from webaccel._core import http_parse_form as parse_form
from webaccel._core import http_parse_header_block as parse_header_block
from webaccel._core import http_parse_options_header as parse_options_header
from webaccel._core import http_parse_qs as parse_qs
from webaccel._core import http_parse_qsl as parse_qsl
from webaccel._core import http_parse_multipart as parse_multipart
from webaccel._core import http_urlencode as urlencode
from webaccel._core import MultipartParser
from webaccel._core import MultipartPart as Part
from webaccel.errors import CookieError, FormError, HeaderError, HTTPParseError, MultipartError, QueryStringError

__all__ = [
    "parse_qsl",
    "parse_qs",
    "urlencode",
    "parse_form",
    "parse_cookie",
    "parse_header_block",
    "headers_from_asgi",
    "parse_options_header",
    "parse_accept",
    "best_match",
    "parse_authorization",
    "parse_basic_auth",
    "parse_cache_control",
    "client_ip",
    "ClientIP",
    "parse_multipart",
    "MultipartParser",
    "Part",
    "HTTPParseError",
    "QueryStringError",
    "FormError",
    "CookieError",
    "HeaderError",
    "MultipartError",
]

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
- ``parse_multipart`` / ``MultipartParser``: ``multipart/form-data`` bodies, one-shot or streamed
  chunk by chunk, into :class:`Part` objects, with limits on every dimension an attacker controls
  (:class:`MultipartError`); large file parts streamed to a temporary file.

See ``docs/http.md`` for the exact compatibility notes and limits.
"""

from __future__ import annotations

from webaccel._core import http_parse_cookie as parse_cookie
from webaccel._core import http_parse_form as parse_form
from webaccel._core import http_parse_qs as parse_qs
from webaccel._core import http_parse_qsl as parse_qsl
from webaccel._core import http_parse_multipart as parse_multipart
from webaccel._core import http_urlencode as urlencode
from webaccel._core import MultipartParser
from webaccel._core import MultipartPart as Part
from webaccel.errors import CookieError, FormError, HTTPParseError, MultipartError, QueryStringError

__all__ = [
    "parse_qsl",
    "parse_qs",
    "urlencode",
    "parse_form",
    "parse_cookie",
    "parse_multipart",
    "MultipartParser",
    "Part",
    "HTTPParseError",
    "QueryStringError",
    "FormError",
    "CookieError",
    "MultipartError",
]

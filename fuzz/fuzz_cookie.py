#!/usr/bin/env python3
"""Differential fuzzer: ``webaccel.http.parse_cookie`` against Django's
``django.http.cookie.parse_cookie`` (the same dict, key order included), and its opt-in limits.

Input: the bytes decoded as UTF-8 (invalid sequences replaced) are the ``Cookie:`` header.
Django's ``_unquote`` is quadratic on backslash-heavy values (CVE-2024-7592), so inputs stay
under ``-max_len`` (4096 by default in the test command). With ``max_cookies`` / ``max_size``
set from the input's length, webaccel must raise ``CookieError`` exactly when the header has
more ``;``-separated chunks / characters than allowed, and nothing else ever.

Run: ``.venv/bin/python fuzz/fuzz_cookie.py -max_total_time=30 fuzz/seeds/cookie``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fuzzlib import Mismatch, only, run  # noqa: E402

from django.http.cookie import parse_cookie as django_parse_cookie  # noqa: E402

import webaccel.http as wa  # noqa: E402

NAME = "cookie"


def check(data: bytes) -> None:
    header = data.decode("utf-8", "replace")
    theirs = django_parse_cookie(header)
    ok, ours = only((), "parse_cookie", wa.parse_cookie, header)
    if not isinstance(ours, dict) or list(ours.items()) != list(theirs.items()):
        raise Mismatch(f"parse_cookie({header!r:.300}): {ours!r:.300} != django {theirs!r:.300}")
    max_cookies = len(data) % 7
    ok, _ = only((wa.CookieError,), "parse_cookie(max_cookies)", wa.parse_cookie, header, max_cookies=max_cookies)
    if ok != (header.count(";") + 1 <= max_cookies):
        raise Mismatch(f"max_cookies={max_cookies} on {header.count(';') + 1} chunks: accepted={ok}")
    max_size = len(data) // 2
    ok, _ = only((wa.CookieError,), "parse_cookie(max_size)", wa.parse_cookie, header, max_size=max_size)
    if ok != (len(header) <= max_size):
        raise Mismatch(f"max_size={max_size} on {len(header)} characters: accepted={ok}")


if __name__ == "__main__":
    run(NAME, check, ["django.http.cookie", "http.cookies"])

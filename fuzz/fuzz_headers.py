#!/usr/bin/env python3
"""Header parsers: differential against werkzeug 3.1.9 where webaccel promises its results,
"typed errors only" elsewhere.

For every input (arbitrary bytes; ``text`` is the input decoded as Latin-1, as HTTP values reach
Python):

- ``parse_options_header(text)`` equals ``werkzeug.http.parse_options_header(text)``;
- ``parse_accept(text, kind)`` equals ``list(werkzeug.http.parse_accept_header(text, cls))`` for
  the three kinds, and ``best_match`` equals werkzeug's ``best_match`` for fixed offers;
- ``parse_header_block(data)`` returns ``(name, value)`` str pairs or raises ``HeaderError``;
  accepted names are tokens, values hold no CR, LF or NUL;
- ``headers_from_asgi`` on pairs cut from the input honours ``max_headers`` / ``max_size``
  exactly (``HeaderError`` with ``limit`` set) and otherwise joins duplicates;
- ``parse_authorization``, ``parse_basic_auth`` raise only ``HeaderError``;
  ``parse_cache_control`` never raises.

Run: ``.venv/bin/python fuzz/fuzz_headers.py -max_total_time=30 fuzz/seeds/headers``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fuzzlib import Mismatch, only, run  # noqa: E402

from werkzeug.datastructures import Accept, LanguageAccept, MIMEAccept  # noqa: E402
from werkzeug.http import parse_accept_header, parse_options_header  # noqa: E402

import webaccel.http as wa  # noqa: E402

NAME = "headers"
KINDS = {"mime": MIMEAccept, "language": LanguageAccept, "encoding": Accept}
OFFERS = {
    "mime": ["application/json", "text/html", "text/plain;format=flowed"],
    "language": ["en", "fr-CA", "de_DE"],
    "encoding": ["gzip", "br", "identity"],
}
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def check(data: bytes) -> None:
    text = data.decode("latin-1")

    ours_opts = only((), "parse_options_header", wa.parse_options_header, text)[1]
    theirs_opts = parse_options_header(text)
    if ours_opts != theirs_opts:
        raise Mismatch(f"parse_options_header({text!r:.200}): {ours_opts!r:.200} != {theirs_opts!r:.200}")

    for kind, cls in KINDS.items():
        ours = only((), "parse_accept", wa.parse_accept, text, kind)[1]
        werk = parse_accept_header(text, cls)
        if ours != list(werk):
            raise Mismatch(f"parse_accept({text!r:.200}, {kind}): {ours!r:.200} != {list(werk)!r:.200}")
        chosen = only((), "best_match", wa.best_match, text, OFFERS[kind], "D", kind=kind)[1]
        expected = werk.best_match(OFFERS[kind], "D")
        if chosen != expected:
            raise Mismatch(f"best_match({text!r:.200}, {kind}): {chosen!r} != {expected!r}")

    ok, fields = only((wa.HeaderError,), "parse_header_block", wa.parse_header_block, data)
    if ok:
        for name, value in fields:  # type: ignore[union-attr]
            if not TOKEN.fullmatch(name) or any(c in value for c in "\r\n\0"):
                raise Mismatch(f"parse_header_block accepted {name!r}: {value!r:.100}")

    check_asgi(data)

    only((wa.HeaderError,), "parse_authorization", wa.parse_authorization, text)
    only((wa.HeaderError,), "parse_basic_auth", wa.parse_basic_auth, text, max_size=64)
    only((), "parse_cache_control", wa.parse_cache_control, text)


def check_asgi(data: bytes) -> None:
    pairs = []
    for line in data.split(b"\n"):
        name, _, value = line.partition(b":")
        pairs.append((name, value))
    max_headers, max_size = len(data) % 5, len(data) // 3
    size = 0
    expected_error = None
    for i, (name, value) in enumerate(pairs):
        if i == max_headers:
            expected_error = "max_headers"
            break
        size += len(name) + len(value)
        if size > max_size:
            expected_error = "max_size"
            break
    ok, got = only((wa.HeaderError,), "headers_from_asgi", wa.headers_from_asgi, pairs,
                   max_headers=max_headers, max_size=max_size)
    if ok != (expected_error is None) or (not ok and getattr(got, "limit", None) != expected_error):
        raise Mismatch(f"headers_from_asgi limits {max_headers}/{max_size} on {pairs!r:.200}: {got!r:.200}, expected {expected_error}")
    merged = only((wa.HeaderError,), "headers_from_asgi", wa.headers_from_asgi, pairs, max_headers=None, max_size=None)[1]
    names = {n.lower() for n, _ in pairs}
    if not isinstance(merged, dict) or set(merged) != {n.decode("latin-1") for n in names}:
        raise Mismatch(f"headers_from_asgi names {merged!r:.200}")


if __name__ == "__main__":
    run(NAME, check, ["werkzeug.http", "werkzeug.datastructures.accept"])

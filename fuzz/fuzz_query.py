#!/usr/bin/env python3
"""Differential fuzzer: ``webaccel.http.parse_qsl`` / ``parse_qs`` / ``urlencode`` /
``parse_form`` against ``urllib.parse`` (and Django's ``QueryDict`` rule for form bodies).

Input: the first byte chooses the arguments (bits 0-1 ``errors``, bit 2 ``keep_blank_values``,
bit 3 ``strict_parsing``, bit 4 ``bytes`` input, bit 5 separator ``;``, bit 6 latin-1 encoding,
bit 7 a ``max_num_fields`` of 3); the rest is the query string. For every input:

- ``parse_qsl`` and ``parse_qs`` give stdlib's result, or raise the same exception class
  category (``UnicodeError`` / ``ValueError``) with the same message;
- ``urlencode`` of the pairs equals stdlib's, and (``doseq``) of the ``parse_qs`` dict too;
- ``parse_form(body)`` equals ``parse_qsl(body decoded as UTF-8, else Latin-1,
  keep_blank_values=True)`` (Django's ``QueryDict``), ``FormError`` exactly when stdlib's
  ``max_num_fields`` or the size limit refuses.

Run: ``.venv/bin/python fuzz/fuzz_query.py -max_total_time=30 fuzz/seeds/query``.
"""

from __future__ import annotations

import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fuzzlib import Mismatch, only, run  # noqa: E402

import webaccel.http as wa  # noqa: E402

NAME = "query"
ERRORS = ("replace", "strict", "ignore", "surrogateescape")
STDLIB_ERRORS = (ValueError, UnicodeError, TypeError)


def outcome(ok: bool, value: object) -> object:
    if ok:
        return ("ok", value)
    category = "unicode" if isinstance(value, UnicodeError) else "value"
    return ("error", category, str(value) if category == "value" else "")


def check(data: bytes) -> None:
    if not data:
        data = b"\0"
    flags, raw = data[0], data[1:]
    kwargs: dict[str, object] = {
        "errors": ERRORS[flags & 3],
        "keep_blank_values": bool(flags & 4),
        "strict_parsing": bool(flags & 8),
        "encoding": "latin-1" if flags & 64 else "utf-8",
        "max_num_fields": 3 if flags & 128 else None,
    }
    sep: str | bytes = ";" if flags & 32 else "&"
    qs: str | bytes
    if flags & 16:
        qs, sep = raw, sep.encode()  # type: ignore[union-attr]
    else:
        qs = raw.decode("utf-8", "replace")
    kwargs["separator"] = sep

    for ours_fn, ref_fn, name in (
        (wa.parse_qsl, urllib.parse.parse_qsl, "parse_qsl"),
        (wa.parse_qs, urllib.parse.parse_qs, "parse_qs"),
    ):
        theirs = outcome(*only(STDLIB_ERRORS, f"stdlib {name}", ref_fn, qs, **kwargs))
        ours = outcome(*only((ValueError, UnicodeError), name, ours_fn, qs, **kwargs))
        if ours != theirs:
            raise Mismatch(f"{name}({qs!r}, {kwargs}): ours {ours!r:.300} != stdlib {theirs!r:.300}")

    ok, pairs = only((ValueError, UnicodeError), "parse_qsl", urllib.parse.parse_qsl, qs, keep_blank_values=True)
    if ok and isinstance(qs, str):
        for doseq in (False, True):
            ours_enc = wa.urlencode(pairs, doseq=doseq)  # type: ignore[arg-type]
            theirs_enc = urllib.parse.urlencode(pairs, doseq=doseq)  # type: ignore[arg-type]
            if ours_enc != theirs_enc:
                raise Mismatch(f"urlencode({pairs!r:.200}): {ours_enc!r:.200} != {theirs_enc!r:.200}")
        as_dict = urllib.parse.parse_qs(qs, keep_blank_values=True)
        if wa.urlencode(as_dict, doseq=True) != urllib.parse.urlencode(as_dict, doseq=True):
            raise Mismatch(f"urlencode(doseq) of {as_dict!r:.200} differs")

    check_form(raw, max_fields=3 if flags & 128 else 1000, max_size=64 if flags & 2 else 2_621_440)


def check_form(body: bytes, max_fields: int, max_size: int) -> None:
    # Django's QueryDict(body): decode (Latin-1 when not UTF-8), parse_qsl(keep_blank_values=True).
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    if len(body) > max_size:
        expected: object = ("error",)
    else:
        ok, value = only(STDLIB_ERRORS, "stdlib parse_qsl", urllib.parse.parse_qsl, text,
                         keep_blank_values=True, max_num_fields=max_fields)
        expected = ("ok", value) if ok else ("error",)
    ok, value = only((wa.FormError,), "parse_form", wa.parse_form, body, max_fields=max_fields, max_size=max_size)
    got = ("ok", value) if ok else ("error",)
    if got != expected:
        raise Mismatch(f"parse_form({body!r:.200}, max_fields={max_fields}, max_size={max_size}): {got!r:.300} != {expected!r:.300}")


if __name__ == "__main__":
    run(NAME, check, ["urllib.parse"])

#!/usr/bin/env python3
"""Multipart: the one-shot ``parse_multipart`` and the streaming ``MultipartParser`` must agree on
every input, whatever the chunking, and raise nothing but ``MultipartError``.

Input: byte 0 seeds the chunk sizes (1 to 64 bytes, cycling), byte 1 picks small limits or the
defaults (bit 0) and whether a slice of the body is repeated in place to make it longer than
64 KiB (bit 1: the one-shot path that searches and copies large parts block by block); the rest
is the body, with boundary ``xyz``. For every input:

- ``parse_multipart(body)`` (GIL released, slices of the body), ``parse_multipart(body,
  spool_max_size=8)`` (the Python sink, files spooled) and ``MultipartParser`` fed in chunks
  then closed give the same parts (name, filename, content type, headers, content) or the same
  error message;
- every spooled part's temporary file holds its content and is closed afterwards;
- ``max_body_size`` one byte short of the body is refused with ``limit == "max_body_size"``;
- ``buffered`` never exceeds one delimiter (while in part data) or one header block.

Run: ``.venv/bin/python fuzz/fuzz_multipart.py -max_total_time=30 fuzz/seeds/multipart``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fuzzlib import Mismatch, only, run  # noqa: E402

import python_multipart  # noqa: E402

import webaccel.http as wa  # noqa: E402

NAME = "multipart"
BOUNDARY = b"xyz"
CONTENT_TYPE = "multipart/form-data; boundary=xyz"
SMALL = dict(max_parts=4, max_files=2, max_field_size=64, max_file_size=128, max_header_size=128,
             max_headers=4, max_preamble=16, max_epilogue=16)


def describe(parts: Any) -> list[tuple[Any, ...]]:
    out = []
    for p in parts:
        if p.file is not None:
            content = p.file.read()
            p.file.close()
        else:
            content = p.data
        if len(content) != p.size:
            raise Mismatch(f"part {p.name!r}: size {p.size} but {len(content)} bytes")
        out.append((p.name, p.filename, p.content_type, tuple(p.headers), content))
    return out


def result(ok: bool, value: Any) -> tuple[Any, ...]:
    return ("ok", describe(value)) if ok else ("error", str(value))


def steer(body: bytes) -> None:
    """python-multipart's pure-Python state machine, run for its coverage only: it steers
    libFuzzer towards bodies with boundaries, headers and parts. Its result is not compared
    (its tolerance differs from webaccel's on purpose, see docs/http.md)."""
    try:
        parser = python_multipart.MultipartParser(BOUNDARY, callbacks={})
        parser.write(body)
        parser.finalize()
    except Exception:  # noqa: BLE001 - any refusal is fine, only coverage matters
        pass


def check(data: bytes) -> None:
    if len(data) < 2:
        data = data + b"\0\0"
    seed, limits_kind, body = data[0], data[1], data[2:]
    steer(body)
    if limits_kind & 2:
        # Stretch the body past 64 KiB by repeating a slice of it in place, so that the one-shot
        # path that searches and copies large parts block by block meets arbitrary structure.
        at = seed * len(body) // 256
        piece = body[at : at + 1 + limits_kind % 37] or b"\r"
        body = body[:at] + piece * (70_000 // len(piece) + 1) + body[at:]
    limits: dict[str, Any] = dict(SMALL) if limits_kind & 1 else {}

    one = result(*only((wa.MultipartError,), "parse_multipart", wa.parse_multipart, body, CONTENT_TYPE, **limits))
    spooled = result(*only((wa.MultipartError,), "parse_multipart(spool)", wa.parse_multipart, body, CONTENT_TYPE,
                           spool_max_size=8, **limits))
    if spooled != one:
        raise Mismatch(f"spooled {spooled!r:.300} != one-shot {one!r:.300}")

    parser = wa.MultipartParser(BOUNDARY, spool_max_size=8, **limits)
    bound = max(len(BOUNDARY) + 4, limits.get("max_header_size", 8192))
    parts: list[Any] = []
    streamed: tuple[Any, ...] | None = None
    pos, step = 0, seed
    while pos < len(body):
        size = step % 64 + 1 if len(body) < 8192 else 4096 + step * 61
        step = (step * 31 + 7) & 0xFF
        ok, got = only((wa.MultipartError,), "feed", parser.feed, body[pos : pos + size])
        if not ok:
            describe(parts)  # closes the spooled files
            streamed = ("error", str(got))
            break
        parts.extend(got)  # type: ignore[arg-type]
        if parser.buffered > bound:
            raise Mismatch(f"buffered {parser.buffered} > {bound}")
        pos += size
    if streamed is None:
        ok, got = only((wa.MultipartError,), "close", parser.close)
        streamed = ("ok", describe(parts)) if ok else ("error", str(got))
        if not ok:
            describe(parts)
    if streamed != one:
        raise Mismatch(f"streamed {streamed!r:.300} != one-shot {one!r:.300}")

    # max_body_size: one-shot checks len(body) before any work.
    ok, err = only((wa.MultipartError,), "parse_multipart(max_body_size)", wa.parse_multipart, body, CONTENT_TYPE,
                   max_body_size=len(body) - 1 if body else 0)
    if body and (ok or getattr(err, "limit", None) != "max_body_size"):
        raise Mismatch(f"max_body_size={len(body) - 1} on {len(body)} bytes: {err!r}")


if __name__ == "__main__":
    run(NAME, check, ["python_multipart.multipart"])

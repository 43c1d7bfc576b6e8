"""JSON: webaccel.json against orjson (the named peer), msgspec and the standard library.

Inputs: the standard corpora in ``<repo>/../shared/bench-data/`` (twitter, citm_catalog, canada,
github; ``WEBACCEL_BENCH_DATA`` points elsewhere) and a small API payload. Every candidate
produces the same kind of result (bytes from ``dumps``, str from ``dumps_str``), and every output
is checked before timing: ``loads`` must equal stdlib's result exactly (types, key order, floats
bit for bit), ``dumps`` must read back (with stdlib ``json.loads``) to exactly the input.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import struct
from pathlib import Path
from typing import Any, Callable

import msgspec
import orjson

import webaccel.json
from bench._harness import Case, Table, WrongOutput

PACKAGES = ("orjson", "msgspec")

DATA = Path(
    os.environ.get("WEBACCEL_BENCH_DATA") or Path(__file__).resolve().parents[2] / "shared" / "bench-data"
)
CORPORA = ("twitter.json", "citm_catalog.json", "canada.json", "github.json")
API_PAYLOAD = (
    b'{"id":12345,"name":"Widget Pro","price":19.99,"tags":["new","sale"],"active":true,'
    b'"stock":null,"created":"2026-01-01T12:00:00Z","rating":4.5}'
)


def e2e_envelope() -> Any:
    """The page the end-to-end example apps serve on their list route (examples/e2e): 50 catalogue
    items (ints, floats, bools, short strs, a tag list, a small dict and a ~100-character
    description with one non-ASCII character each) in the pagination envelope."""
    import sys

    examples = str(Path(__file__).resolve().parents[1] / "examples")
    if examples not in sys.path:
        sys.path.insert(0, examples)
    data = importlib.import_module("e2e.data")
    items = data.ITEMS[:50]
    return {"items": items, "page": 1, "page_size": 50, "total_items": len(items), "total_pages": 1,
            "next": None, "prev": None}


def inputs() -> tuple[list[tuple[str, bytes]], list[str]]:
    found = [(f"api payload ({len(API_PAYLOAD)} B)", API_PAYLOAD)]
    missing = []
    for name in CORPORA:
        path = DATA / name
        if path.is_file():
            data = path.read_bytes()
            found.append((f"{name} ({_size(len(data))})", data))
        else:
            missing.append(name)
    return found, missing


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MiB"


def assert_same(ours: Any, expected: Any) -> None:
    """Exact equality: same types, same dict key order, floats bit for bit (iterative)."""
    stack = [(ours, expected, "$")]
    while stack:
        a, b, path = stack.pop()
        if type(a) is not type(b):
            got, want = f"{type(a).__name__} {a!r:.60}", f"{type(b).__name__} {b!r:.60}"
            raise WrongOutput(f"at {path}: {got} instead of {want}")
        if isinstance(a, float):
            if struct.pack("<d", a) != struct.pack("<d", b) and not (math.isnan(a) and math.isnan(b)):
                raise WrongOutput(f"at {path}: {a!r} instead of {b!r}")
        elif isinstance(a, list):
            if len(a) != len(b):
                raise WrongOutput(f"at {path}: {len(a)} items instead of {len(b)}")
            stack.extend((x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
        elif isinstance(a, dict):
            if list(a) != list(b):
                raise WrongOutput(f"at {path}: keys {list(a)!r:.100} instead of {list(b)!r:.100}")
            stack.extend((a[k], b[k], f"{path}[{k!r}]") for k in a)
        elif a != b:
            raise WrongOutput(f"at {path}: {a!r:.60} instead of {b!r:.60}")


def _loads_check(expected: Any) -> Callable[[str, Any], None]:
    def check(_name: str, out: Any) -> None:
        assert_same(out, expected)

    return check


def _dumps_check(obj: Any, kind: type) -> Callable[[str, Any], None]:
    def check(_name: str, out: Any) -> None:
        if not isinstance(out, (bytes, str)) or type(out) is not kind:
            raise WrongOutput(f"returned {type(out).__name__}, not {kind.__name__}")
        assert_same(json.loads(out), obj)

    return check


def _stdlib_dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _stdlib_dumps_str(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _stdlib_dumps_ascii(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _webaccel_dumps_ascii(obj: Any) -> bytes:
    # A function like json's (one Python frame each); functools.partial with a keyword was
    # slower still on Python 3.11 (it builds a kwargs dict per call).
    return webaccel.json.dumps(obj, ensure_ascii=True)


def _ascii_check(obj: Any) -> Callable[[str, Any], None]:
    """ensure_ascii candidates must write stdlib's exact bytes; the others read back to `obj`."""
    want = _stdlib_dumps_ascii(obj)
    plain = _dumps_check(obj, bytes)

    def check(name: str, out: Any) -> None:
        if name in ("webaccel", "json"):
            if out != want:
                raise WrongOutput("not the bytes of json.dumps(obj, ensure_ascii=True)")
        else:
            plain(name, out)

    return check


def tables(quick: bool) -> list[Table]:
    found, missing = inputs()
    if quick:  # a smoke run: the small inputs only
        found = [(label, data) for label, data in found if len(data) < 100_000]
    decoder = msgspec.json.Decoder()
    encoder = msgspec.json.Encoder()
    encode = encoder.encode

    envelope = e2e_envelope()
    envelope_label = f"e2e page, 50 items ({len(orjson.dumps(envelope)) / 1024:.0f} KiB)"
    loads, dumps, dumps_str, ascii_ = [], [], [], []
    for label, data, obj in [(label, data, json.loads(data)) for label, data in found] + [
        (envelope_label, None, envelope)
    ]:
        ascii_.append(
            Case(
                label,
                obj,
                {
                    "webaccel": _webaccel_dumps_ascii,
                    "json": _stdlib_dumps_ascii,
                    "webaccel (UTF-8)": webaccel.json.dumps,
                    "orjson (UTF-8)": orjson.dumps,
                },
                _ascii_check(obj),
            )
        )
        if data is None:  # the envelope is only a dumps input
            dumps.append(
                Case(
                    label,
                    obj,
                    {"webaccel": webaccel.json.dumps, "orjson": orjson.dumps, "msgspec": encode, "json": _stdlib_dumps},
                    _dumps_check(obj, bytes),
                )
            )
            continue
        loads.append(
            Case(
                label,
                data,
                {
                    "webaccel": webaccel.json.loads,
                    "orjson": orjson.loads,
                    "msgspec": decoder.decode,
                    "json": json.loads,
                },
                _loads_check(obj),
            )
        )
        dumps.append(
            Case(
                label,
                obj,
                {
                    "webaccel": webaccel.json.dumps,
                    "orjson": orjson.dumps,
                    "msgspec": encode,
                    "json": _stdlib_dumps,
                },
                _dumps_check(obj, bytes),
            )
        )
        dumps_str.append(
            Case(
                label,
                obj,
                {
                    "webaccel": webaccel.json.dumps_str,
                    "orjson": lambda o: orjson.dumps(o).decode(),
                    "msgspec": lambda o: encode(o).decode(),
                    "json": _stdlib_dumps_str,
                },
                _dumps_check(obj, str),
            )
        )

    common = ["goal: webaccel / orjson ≤ 1.25"]
    if missing:
        common.append(f"not found in {DATA}, skipped: {', '.join(missing)}")
    return [
        Table(
            "json.loads",
            "bytes in, Python objects out",
            loads,
            peer="orjson",
            notes=[*common, "msgspec: one `msgspec.json.Decoder()` reused; json: `json.loads(bytes)`"],
        ),
        Table(
            "json.dumps",
            "Python objects in, UTF-8 bytes out",
            dumps,
            peer="orjson",
            notes=[
                *common,
                "msgspec: one `msgspec.json.Encoder()` reused; json: "
                '`json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()` (the same compact '
                "UTF-8 output as the others)",
            ],
        ),
        Table(
            "json.dumps, ensure_ascii=True",
            "Python objects in, ASCII bytes out (non-ASCII as \\uXXXX: Django's and Flask's default)",
            ascii_,
            peer="json",
            notes=[
                "webaccel: `dumps(obj, ensure_ascii=True)`; json: "
                '`json.dumps(obj, separators=(",", ":")).encode()`; both checked byte for byte against json',
                "webaccel (UTF-8), orjson (UTF-8): the same data without escaping, for scale "
                "(orjson has no ensure_ascii)",
            ],
        ),
        Table(
            "json.dumps_str",
            "Python objects in, str out",
            dumps_str,
            peer="orjson",
            notes=[
                *common,
                "orjson and msgspec have no str output: `orjson.dumps(obj).decode()`, "
                "`encoder.encode(obj).decode()`; json: the same call as above without `.encode()`",
            ],
        ),
    ]

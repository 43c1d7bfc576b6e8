"""JSON: webaccel.json against orjson (the named peer), msgspec and the standard library.

Inputs: the standard corpora in ``<repo>/../shared/bench-data/`` (twitter, citm_catalog, canada,
github; ``WEBACCEL_BENCH_DATA`` points elsewhere) and a small API payload. Every candidate
produces the same kind of result (bytes from ``dumps``, str from ``dumps_str``), and every output
is checked before timing: ``loads`` must equal stdlib's result exactly (types, key order, floats
bit for bit), ``dumps`` must read back (with stdlib ``json.loads``) to exactly the input.
"""

from __future__ import annotations

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


def tables(quick: bool) -> list[Table]:
    found, missing = inputs()
    if quick:  # a smoke run: the small inputs only
        found = [(label, data) for label, data in found if len(data) < 100_000]
    decoder = msgspec.json.Decoder()
    encoder = msgspec.json.Encoder()
    encode = encoder.encode

    loads, dumps, dumps_str = [], [], []
    for label, data in found:
        obj = json.loads(data)
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

#!/usr/bin/env python3
r"""Differential fuzzer: ``webaccel.json.loads`` against stdlib ``json.loads`` (atheris/libFuzzer).

For every input (arbitrary bytes) the two parsers must agree:

- both accept, with identical values: same types (``True`` is not ``1``), same dict key order,
  floats bit for bit (``-0.0`` is not ``0.0``; NaN matches NaN);
- or both refuse;
- or webaccel refuses where stdlib accepts, but only for webaccel's documented differences
  (``deliberate_difference`` below): NaN/Infinity literals and numbers that overflow to
  infinity, lone surrogates, input that is not UTF-8 (stdlib detects UTF-16/32 and lets
  UTF-8-encoded surrogates through), a leading UTF-8 BOM (RFC 8259 8.1 lets a parser refuse
  it) and nesting at or beyond ``max_depth``.

webaccel may raise nothing but ``webaccel.json.JSONDecodeError`` (with ``0 <= pos <= len(doc)``):
an ``InternalError`` (a caught Rust panic), a ``RecursionError`` or any other exception fails the
run, and so does a crash of the process. Each input is also parsed as ``str`` / ``bytearray`` /
``memoryview`` (chosen by the input's length, so a run is reproducible) and with a small
``max_depth``; every accepted value must round-trip through ``dumps`` and ``dumps_str``.

The reference is ``json.loads`` itself (its C scanner). Coverage: libFuzzer is steered by the
JSON grammar through stdlib's pure-Python scanner (``py_make_scanner``, ``py_scanstring``),
instrumented by atheris and run on every input for its coverage only. webaccel's native code is
NOT instrumented, so its own branches give no feedback (building the extension with sanitizer
coverage would add that).

Run it (libFuzzer writes new inputs into the FIRST directory; the ones after it are read only):

    .venv/bin/python fuzz/fuzz_json_loads.py -runs=200000 -max_len=4096 -max_total_time=120 \
        fuzz/corpus fuzz/seeds

``fuzz/corpus`` (git-ignored, kept between local runs) is created when missing. If the first
directory given is ``fuzz/seeds`` itself, ``fuzz/corpus`` is put in front of it, so the
committed seeds are never written to. Unless given, ``-dict=fuzz/json.dict`` (JSON tokens),
``-artifact_prefix=fuzz/artifacts/`` and ``-timeout=10`` (seconds per input) are added.
A failure prints the input (hex and Base64) and saves it in ``fuzz/artifacts/``; replay it with
``.venv/bin/python fuzz/fuzz_json_loads.py fuzz/artifacts/crash-<sha1>``.
"""

from __future__ import annotations

import math
import struct
import sys
from pathlib import Path
from typing import Any, Callable

import atheris  # type: ignore[import-untyped]

# stdlib json's Python code is instrumented: the pure-Python scanner's branches are the coverage
# signal. webaccel's Python modules are thin re-exports; instrumenting them costs nothing.
with atheris.instrument_imports(include=["json", "webaccel"]):
    import json
    import json.decoder
    import json.scanner

    import webaccel.json as wa

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"
CORPUS = HERE / "corpus"
ARTIFACTS = HERE / "artifacts"
DICTIONARY = HERE / "json.dict"

MAX_DEPTH = 1024  # webaccel.json.loads's default max_depth
SMALL_DEPTH = 8  # a second parse with this limit exercises the depth check cheaply
UTF8_BOM = b"\xef\xbb\xbf"

# Nested input is legal up to max_len (4096) levels: let json.loads, the steering scanner (about 2
# frames per level) and the checks below get there without RecursionError.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))


class Mismatch(AssertionError):
    """webaccel and the reference disagree in a way that is not a documented difference."""


# --- the reference and the coverage signal ---------------------------------------------------

reference_loads = json.loads  # the truth: what stdlib users get (the C scanner)

# The same grammar in pure Python, instrumented: run for its coverage only. Its result is not the
# reference, because it is not quite stdlib's behaviour: py_scanstring reads "\u001<TAB>" as
# U+0001 (int(..., 16) strips whitespace) where the C scanner refuses it.
_STEERING = json.JSONDecoder()
_STEERING.parse_string = json.decoder.py_scanstring  # type: ignore[attr-defined]
_STEERING.scan_once = json.scanner.py_make_scanner(_STEERING)  # type: ignore[attr-defined]


def steer(data: bytes) -> None:
    try:
        _STEERING.decode(data.decode(json.detect_encoding(data), "surrogatepass"))
    except (ValueError, UnicodeError):
        pass


# --- comparing values (iteratively: values can be 4096 levels deep) -------------------------

def _float_same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return struct.pack("<d", a) == struct.pack("<d", b)


def assert_same(ours: Any, theirs: Any, what: str) -> None:
    # A path is a linked list (parent, key), spelled out only for the error message.
    stack: list[tuple[Any, Any, Any]] = [(ours, theirs, None)]
    while stack:
        a, b, path = stack.pop()
        if type(a) is not type(b):
            problem = f"{type(a).__name__} {a!r:.80} != {type(b).__name__} {b!r:.80}"
        elif isinstance(a, float):
            if _float_same(a, b):
                continue
            problem = f"float {a!r} != {b!r}"
        elif isinstance(a, list):
            if len(a) == len(b):
                stack.extend((x, y, (path, i)) for i, (x, y) in enumerate(zip(a, b)))
                continue
            problem = f"list of {len(a)} != list of {len(b)}"
        elif isinstance(a, dict):
            if list(a) == list(b):
                stack.extend((a[k], b[k], (path, k)) for k in a)
                continue
            problem = f"keys {list(a)!r:.200} != {list(b)!r:.200}"
        elif a == b:
            continue
        else:
            problem = f"{a!r:.200} != {b!r:.200}"
        keys = []
        while path is not None:
            path, key = path
            keys.append(f"[{key!r}]")
        raise Mismatch(f"{what}: at ${''.join(reversed(keys))}: {problem}")


def describe(value: Any) -> tuple[int, bool, bool]:
    """(nesting depth, contains a non-finite float, contains a lone surrogate)."""
    nonfinite = surrogate = False
    max_depth = 0
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            d += 1
            max_depth = max(max_depth, d)
            if isinstance(v, dict):
                for k, x in v.items():
                    surrogate = surrogate or _has_surrogate(k)
                    stack.append((x, d))
            else:
                stack.extend((x, d) for x in v)
        elif isinstance(v, float):
            nonfinite = nonfinite or not math.isfinite(v)
        elif isinstance(v, str):
            surrogate = surrogate or _has_surrogate(v)
    return max_depth, nonfinite, surrogate


def _has_surrogate(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --- calling webaccel ---------------------------------------------------------------------

def call_ours(fn: Callable[..., Any], arg: Any, what: str, **kwargs: Any) -> tuple[bool, Any]:
    """(accepted, value-or-error). Anything but webaccel.json.JSONDecodeError is a failure."""
    try:
        return True, fn(arg, **kwargs)
    except wa.JSONDecodeError as e:
        doc = e.doc
        if not (isinstance(e.pos, int) and isinstance(doc, str) and 0 <= e.pos <= len(doc)):
            raise Mismatch(f"{what}: malformed JSONDecodeError: pos={e.pos!r}, doc={doc!r:.80}") from e
        return False, e
    except BaseException as e:  # noqa: B036 - InternalError, PanicException, RecursionError...
        raise Mismatch(f"{what}: webaccel raised {type(e).__module__}.{type(e).__qualname__}: {e}") from e


def deliberate_difference(data: bytes, value: Any) -> str | None:
    """Why webaccel may refuse ``data`` although stdlib accepted it as ``value`` (None: no reason)."""
    encoding = json.detect_encoding(data)
    if encoding not in ("utf-8", "utf-8-sig"):
        return f"stdlib read it as {encoding}"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 (stdlib lets UTF-8-encoded surrogates through)"
    if data.startswith(UTF8_BOM):
        return "leading UTF-8 BOM"
    depth, nonfinite, surrogate = describe(value)
    if nonfinite:
        return "NaN/Infinity literal or a number that overflows to infinity"
    if surrogate:
        return "lone surrogate escape"
    if depth >= MAX_DEPTH:  # >=: either reading of the boundary is accepted
        return "nesting at or beyond max_depth"
    return None


def check_round_trip(value: Any, depth: int, nonfinite: bool) -> None:
    try:
        out = wa.dumps(value)
        out_str = wa.dumps_str(value)
    except wa.JSONEncodeError as e:
        if nonfinite or depth >= MAX_DEPTH:
            return  # NaN/Infinity refused by default; the depth limit of dumps
        raise Mismatch(f"dumps refused a value that loads accepted: {e}") from e
    except BaseException as e:  # noqa: B036
        raise Mismatch(f"dumps raised {type(e).__module__}.{type(e).__qualname__}: {e}") from e
    if type(out) is not bytes or type(out_str) is not str:
        raise Mismatch(f"dumps returned {type(out).__name__}, dumps_str {type(out_str).__name__}")
    if out_str.encode("utf-8") != out:
        raise Mismatch(f"dumps_str {out_str!r:.200} != dumps {out!r:.200}")
    if nonfinite:
        raise Mismatch(f"dumps wrote a non-finite float: {out!r:.200}")
    accepted, back = call_ours(wa.loads, out, "loads(dumps(value))")
    if not accepted:
        raise Mismatch(f"loads refused its own dumps output {out!r:.200}: {back}")
    assert_same(back, value, "loads(dumps(value))")
    assert_same(json.loads(out), value, "json.loads(dumps(value))")


def check(data: bytes) -> None:
    ours_ok, ours = call_ours(wa.loads, data, "loads(bytes)")
    try:
        theirs = reference_loads(data)
        theirs_ok = True
    except RecursionError as e:  # cannot happen within max_len 4096 with the limit raised above
        raise Mismatch(f"json.loads hit the recursion limit at len {len(data)}") from e
    except (ValueError, UnicodeError) as e:  # JSONDecodeError, UnicodeDecodeError, int digit limit
        theirs_ok, theirs = False, e

    if ours_ok and theirs_ok:
        assert_same(ours, theirs, "loads(bytes) vs json.loads")
    elif ours_ok:
        raise Mismatch(f"webaccel accepted what json refuses ({theirs!r}): got {ours!r:.200}")
    elif theirs_ok and deliberate_difference(data, theirs) is None:
        raise Mismatch(f"webaccel refused what json accepts ({ours}): json gives {theirs!r:.200}")

    # Other input types must behave exactly like bytes (str only when it is UTF-8 without a BOM:
    # stdlib refuses a BOM in a str, and a str cannot hold invalid UTF-8).
    variant = len(data) % 3
    arg: Any
    if variant == 0:
        try:
            arg = data.decode("utf-8")
        except UnicodeDecodeError:
            arg = None
        if arg is not None and arg.startswith("\ufeff"):
            arg = None
    elif variant == 1:
        arg = bytearray(data)
    else:
        arg = memoryview(data)
    if arg is not None:
        what = f"loads({type(arg).__name__})"
        ok, value = call_ours(wa.loads, arg, what)
        if ok != ours_ok:
            raise Mismatch(f"{what} {'accepted' if ok else 'refused'} what loads(bytes) did not")
        if ok:
            assert_same(value, ours, f"{what} vs loads(bytes)")

    if not ours_ok:
        return
    depth, nonfinite, _ = describe(ours)

    # A small max_depth: accepted below the limit, refused above it (either at the limit).
    ok, value = call_ours(wa.loads, data, f"loads(max_depth={SMALL_DEPTH})", max_depth=SMALL_DEPTH)
    if ok and depth > SMALL_DEPTH:
        raise Mismatch(f"loads(max_depth={SMALL_DEPTH}) accepted nesting {depth} deep")
    if not ok and depth < SMALL_DEPTH:
        raise Mismatch(f"loads(max_depth={SMALL_DEPTH}) refused nesting {depth} deep: {value}")
    if ok:
        assert_same(value, ours, f"loads(max_depth={SMALL_DEPTH}) vs loads")

    check_round_trip(ours, depth, nonfinite)


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris's name
    steer(data)
    check(data)


def libfuzzer_args(argv: list[str]) -> list[str]:
    """argv plus defaults: never write into fuzz/seeds, the JSON dictionary, artifacts in fuzz/."""
    args = list(argv)
    positional = [i for i, a in enumerate(args[1:], 1) if not a.startswith("-")]
    first = Path(args[positional[0]]).resolve() if positional else None
    if first == SEEDS:
        args.insert(positional[0], str(CORPUS))
        print(f"fuzz: new inputs go to {CORPUS}, {SEEDS} is read only", file=sys.stderr)
    if first in (SEEDS, CORPUS):
        CORPUS.mkdir(exist_ok=True)  # libFuzzer refuses a corpus directory that does not exist
    if not any(a.startswith("-artifact_prefix=") for a in args):
        ARTIFACTS.mkdir(exist_ok=True)
        args.insert(1, f"-artifact_prefix={ARTIFACTS}/")
    if not any(a.startswith("-timeout=") for a in args):
        args.insert(1, "-timeout=10")
    if not any(a.startswith("-dict=") for a in args):
        args.insert(1, f"-dict={DICTIONARY}")
    return args


def main() -> None:
    atheris.Setup(libfuzzer_args(sys.argv), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""webaccel.json.loads: parity with stdlib json on real and generated documents, RFC 8259
strictness, error types and positions, and hostile inputs (depth, huge ints, threads)."""

from __future__ import annotations

import json
import math
import struct
import sys
import threading
import time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import webaccel
import webaccel.json as wj
from tests.conftest import BENCH_DATA

CORPORA = ["twitter", "citm_catalog", "canada", "github"]


def same(a, b) -> bool:
    """Deep equality that also tells floats apart bit for bit (-0.0 vs 0.0) and int vs float."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def as_types(text: str):
    raw = text.encode()
    return [raw, text, bytearray(raw), memoryview(raw)]


# --- parity on real documents -------------------------------------------------------------


@pytest.mark.parametrize("name", CORPORA)
def test_corpus_parity_every_input_type(name):
    raw = (BENCH_DATA / f"{name}.json").read_bytes()
    want = json.loads(raw)
    for data in [raw, raw.decode(), bytearray(raw), memoryview(raw)]:
        assert same(wj.loads(data), want), type(data)


def test_small_api_payload():
    doc = (
        b'{"id":12345,"name":"Widget Pro","price":19.99,"tags":["new","sale"],"active":true,'
        b'"stock":null,"created":"2026-01-01T12:00:00Z","rating":4.5}'
    )
    assert same(wj.loads(doc), json.loads(doc))


@pytest.mark.parametrize(
    "text",
    [
        "0", "-0", "-0.0", "0.0", "1e400", "-1e400", "1e-400", "123456789012345678901234567890",
        "-123456789012345678901234567890", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
        "1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324", "2.4703282292062327e-324",
        "0.1", "1E+2", "1e-2", "12345678901234567890.123456789e-5", "3.141592653589793238462643383279",
        '""', '"\\u0000"', '"\\ud83d\\ude00"', '"\\uD83D\\uDE00"', '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
        '"é日本😀"', '"\\u00e9\\u65e5"', '"a\\u00e9b"', '"\\u0100"', '"ÿ"', '"\\uffff"',
        "[]", "{}", "[[]]", '{"a":{}}', ' \t\r\n[ 1 , 2 ] \t\r\n', "true", "false", "null",
        '{"a":1,"a":2,"b":3,"a":4}', '{"b":1,"a":2}', '["x"' + ',"x"' * 100 + "]",
    ],
)
def test_values_match_stdlib(text):
    want = json.loads(text)
    for data in as_types(text):
        assert same(wj.loads(data), want), (text, data)


def test_duplicate_keys_last_wins_first_position():
    got = wj.loads('{"a":1,"b":2,"a":3}')
    assert list(got.items()) == [("a", 3), ("b", 2)]


def test_bom_skipped_in_bytes_refused_in_str():
    assert wj.loads(b"\xef\xbb\xbf[1]") == [1]
    assert wj.loads(bytearray(b"\xef\xbb\xbf{}")) == {}
    with pytest.raises(wj.JSONDecodeError) as e:
        wj.loads("\ufeff[1]")
    assert e.value.pos == 0
    with pytest.raises(json.JSONDecodeError):
        json.loads("\ufeff[1]")  # stdlib refuses it too


def test_non_ascii_strings_of_every_width():
    for ch in ["é", "ÿ", "\u0100", "日", "\uffff", "😀", "\U0010ffff"]:
        for n in [1, 2, 15, 16, 17, 100]:
            s = ("ab" + ch) * n
            assert wj.loads(json.dumps(s, ensure_ascii=False).encode()) == s
            assert wj.loads(json.dumps(s)) == s


def test_long_strings_and_keys():
    for n in [0, 1, 15, 16, 17, 63, 64, 65, 1000]:
        s = "k" * n
        doc = {s: s, s + "x": [s]}
        assert wj.loads(json.dumps(doc)) == doc


# --- generated documents ------------------------------------------------------------------

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
)
json_values = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


@given(json_values)
def test_roundtrip_stdlib_dumps(value):
    for text in [json.dumps(value), json.dumps(value, ensure_ascii=False), json.dumps(value, indent=2)]:
        assert same(wj.loads(text), value)
        assert same(wj.loads(text.encode()), value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_bit_exact(x):
    assert same(wj.loads(repr(x)), x)
    assert same(wj.loads(repr(x).encode()), x)
    # Other spellings of the same number must round identically to stdlib.
    for text in [f"{x:.17e}", f"{x:.25e}", f"{x:.5e}", f"{x:.3f}"]:
        assert same(wj.loads(text), json.loads(text))


@given(
    st.integers(min_value=0, max_value=10**25),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=-400, max_value=400),
)
def test_float_spellings_match_stdlib(mantissa, frac_digits, exp):
    digits = str(mantissa).rjust(frac_digits + 1, "0")
    text = f"{digits[: len(digits) - frac_digits]}.{digits[len(digits) - frac_digits:] or '0'}e{exp}"
    assert same(wj.loads(text), json.loads(text))
    assert same(wj.loads("-" + text), json.loads("-" + text))


def _stdlib_outcome(data):
    try:
        return True, json.loads(data)
    except RecursionError:
        return False, None
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError and int-digits limit included
        return False, None


def _deliberately_refused(data) -> bool:
    """Inputs stdlib accepts but RFC 8259 (and so webaccel) does not."""
    text = data if isinstance(data, str) else None
    if text is None:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) >= 2 and (data[0] == 0 or data[1] == 0)):
            return True  # stdlib guesses UTF-16/32 from the first bytes; webaccel reads UTF-8 only
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return True
    if any(w in text for w in ("NaN", "Infinity")):
        return True  # non-standard constants
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return True  # a raw lone surrogate in str input has no UTF-8 form
    lowered = text.lower()
    return "\\ud" in lowered  # a \\uD800-style escape that may be a lone surrogate


def _check_differential(data):
    ok, want = _stdlib_outcome(data)
    try:
        got = wj.loads(data)
    except wj.JSONDecodeError:
        assert not ok or _deliberately_refused(data), data
        return
    assert ok, data
    assert same(got, want), data


json_ish = st.text(alphabet=st.sampled_from(list('[]{}:,"\\ .-+eE0123456789truefalsnul\t\n\r\x00\x1fé日😀\ud800/ubdfDF')), max_size=30)


@given(json_ish)
def test_differential_text(text):
    _check_differential(text)


@given(st.text())
def test_differential_arbitrary_text(text):
    _check_differential(text)


@given(st.binary(max_size=30))
def test_differential_bytes(data):
    _check_differential(data)


@given(json_ish)
def test_differential_text_as_bytes(text):
    try:
        data = text.encode()
    except UnicodeEncodeError:
        assume(False)
    _check_differential(data)


@given(json_values.map(json.dumps), st.integers(min_value=0, max_value=40), st.sampled_from(list(',]}[{":x \\0')))
def test_differential_mutated(text, at, ch):
    at = min(at, len(text))
    _check_differential(text[:at] + ch + text[at + 1 :])
    _check_differential(text[:at] + ch + text[at:])


# --- deliberate differences from stdlib, asserted explicitly --------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "NaN", "Infinity", "-Infinity", "[NaN]", '{"a":Infinity}',
        '"\\ud800"', '"\\udc00"', '"\\ud800x"', '"\\ud800\\u0041"', '"\\udc00\\ud800"', '["\\uDBFF"]',
        '"\ud800"',  # raw lone surrogate in str input
        b"[\x001\x00]\x00",  # UTF-16-LE: stdlib guesses the encoding
        "[1]".encode("utf-16"),
    ],
)
def test_stdlib_accepts_webaccel_refuses(data):
    json.loads(data)
    with pytest.raises(wj.JSONDecodeError):
        wj.loads(data)


# --- invalid inputs -----------------------------------------------------------------------

INVALID = {
    "empty": "",
    "only whitespace": " \n\t",
    "trailing comma array": "[1,]",
    "trailing comma object": '{"a":1,}',
    "double comma": "[1,,2]",
    "leading comma": "[,1]",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "lone high surrogate": '"\\ud800"',
    "lone low surrogate": '"\\udc00"',
    "raw control char": '"a\x01b"',
    "raw newline in string": '"a\nb"',
    "raw tab in string": '"a\tb"',
    "invalid escape": '"\\x41"',
    "short unicode escape": '"\\u12"',
    "non-hex unicode escape": '"\\u12g4"',
    "leading zero": "01",
    "negative leading zero": "-01",
    "leading zeros in array": "[00]",
    "dot without fraction": "1.",
    "dot without int": ".5",
    "plus sign": "+1",
    "exponent without digits": "1e",
    "exponent sign only": "1e+",
    "minus only": "-",
    "hex number": "0x10",
    "invalid utf-8": b'"\xff"',
    "truncated utf-8": b'"\xe6\x97"',
    "overlong utf-8": b'"\xc0\xaf"',
    "utf-8 surrogate": b'"\xed\xa0\x80"',
    "utf-8 beyond U+10FFFF": b'"\xf4\x90\x80\x80"',
    "non-ascii outside string": b"\xc3\xa9",
    "trailing garbage": "[1] x",
    "two values": "1 2",
    "unclosed array": "[1, 2",
    "unclosed object": '{"a": 1',
    "unclosed string": '"abc',
    "unclosed string after escape": '"abc\\',
    "unclosed nested": "[[[",
    "mismatched brackets": "[1}",
    "single quotes": "'a'",
    "single-quoted key": "{'a': 1}",
    "unquoted key": "{a: 1}",
    "number key": "{1: 2}",
    "missing colon": '{"a" 1}',
    "missing comma": "[1 2]",
    "line comment": "[1] // c",
    "block comment": "/* c */ [1]",
    "True": "True",
    "None": "None",
    "truncated literal": "tru",
    "literal with suffix": "truex",
    "form feed whitespace": "\f[1]",
    "vertical tab whitespace": "[1]\v",
    "nbsp whitespace": "\u00a0[1]",
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_inputs_raise_decode_error(name):
    data = INVALID[name]
    variants = [data] if isinstance(data, bytes) else as_types(data)
    for value in variants:
        with pytest.raises(wj.JSONDecodeError) as e:
            wj.loads(value)
        err = e.value
        assert isinstance(err, json.JSONDecodeError)
        assert isinstance(err, ValueError)
        assert isinstance(err, webaccel.WebAccelError)
        assert isinstance(err.doc, str)
        assert 0 <= err.pos <= len(err.doc)


@pytest.mark.parametrize(
    ("data", "pos", "lineno", "colno", "msg"),
    [
        ("", 0, 1, 1, "Expecting value"),
        ("[1,]", 3, 1, 4, "Trailing comma"),
        ('{"a": 1,\n "b": 2,\n}', 18, 3, 1, "Trailing comma"),
        ("[1, 2] x", 7, 1, 8, "Extra data"),
        ('{"a" 1}', 5, 1, 6, "Expecting ':' delimiter"),
        ("[1 2]", 3, 1, 4, "Expecting ',' delimiter"),
        ("{1:2}", 1, 1, 2, "Expecting property name enclosed in double quotes"),
        ('["é", NaN]', 6, 1, 7, "NaN"),
        ('\n\n  ["abc', 5, 3, 4, "Unterminated string"),
        ('"a\x01"', 2, 1, 3, "Invalid control character"),
        ('"\\q"', 1, 1, 2, "Invalid \\escape"),
        ('"\\ud800"', 1, 1, 2, "lone surrogate"),
    ],
)
def test_error_positions(data, pos, lineno, colno, msg):
    for value in [data, data.encode(), bytearray(data.encode())]:
        with pytest.raises(wj.JSONDecodeError) as e:
            wj.loads(value)
        assert (e.value.pos, e.value.lineno, e.value.colno) == (pos, lineno, colno), value
        assert msg in e.value.msg
        assert e.value.doc == data


def test_error_position_counts_characters_not_bytes():
    data = '["日本語", "😀", x]'
    for value in [data, data.encode()]:
        with pytest.raises(wj.JSONDecodeError) as e:
            wj.loads(value)
        assert e.value.pos == data.index("x")


def test_error_doc_for_invalid_utf8_uses_replacement():
    with pytest.raises(wj.JSONDecodeError) as e:
        wj.loads(b'["ok", "\xff"]')
    assert e.value.doc == '["ok", "\ufffd"]'
    assert e.value.pos == 8
    assert "UTF-8" in e.value.msg


def test_error_position_after_bom_is_relative_to_text():
    with pytest.raises(wj.JSONDecodeError) as e:
        wj.loads(b"\xef\xbb\xbf[1,]")
    assert e.value.pos == 3
    assert e.value.doc == "[1,]"


@pytest.mark.parametrize("value", [None, 1, 1.5, [], {}, object(), b"x".decode, __import__("array").array("b", b"[1]")])
def test_wrong_input_types(value):
    with pytest.raises(wj.JSONDecodeError) as e:
        wj.loads(value)
    assert "Input must be bytes, bytearray, memoryview, or str" in e.value.msg


def test_memoryview_inputs():
    raw = b'xx[1, "a"]yy'
    assert wj.loads(memoryview(raw)[2:-2]) == [1, "a"]
    with pytest.raises(wj.JSONDecodeError):
        wj.loads(memoryview(raw)[::2])  # not contiguous


def test_str_subclass_and_bytes_subclass():
    class S(str):
        pass

    class B(bytes):
        pass

    assert wj.loads(S("[1]")) == [1]
    assert wj.loads(B(b"[1]")) == [1]


def test_bytearray_can_be_resized_after_parse():
    data = bytearray(b'{"a": [1, 2, 3]}')
    assert wj.loads(data) == {"a": [1, 2, 3]}
    data.extend(b"   ")  # the buffer export was released
    assert wj.loads(data) == {"a": [1, 2, 3]}


# --- limits -------------------------------------------------------------------------------


def test_deep_nesting_is_a_decode_error_and_fast():
    for data in ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 100_000, '[{"a":' * 50_000]:
        start = time.perf_counter()
        with pytest.raises(wj.JSONDecodeError) as e:
            wj.loads(data)
        assert "maximum nesting depth exceeded" in e.value.msg
        if data.startswith("[["):
            assert e.value.pos == 1024
        assert time.perf_counter() - start < 1.0


def test_max_depth_is_honoured():
    assert wj.loads("[" * 1024 + "]" * 1024) is not None
    with pytest.raises(wj.JSONDecodeError):
        wj.loads("[" * 1025 + "]" * 1025)
    assert wj.loads("[[1]]", max_depth=2) == [[1]]
    with pytest.raises(wj.JSONDecodeError):
        wj.loads("[[1]]", max_depth=1)
    with pytest.raises(wj.JSONDecodeError):
        wj.loads('{"a":{"b":1}}', max_depth=1)
    assert wj.loads("1", max_depth=1) == 1
    assert wj.loads('{"a":[]}', max_depth=2) == {"a": []}


@pytest.mark.parametrize("bad", [0, -1, 10_001, 10**30, -(10**30)])
def test_max_depth_out_of_range_is_value_error(bad):
    with pytest.raises(ValueError):
        wj.loads("[]", max_depth=bad)


def test_max_depth_is_keyword_only():
    with pytest.raises(TypeError):
        wj.loads("[]", 5)


def _deep(depth: int) -> str:
    return ('{"k":[' * (depth // 2)) + "1" + ("]}" * (depth // 2))


def test_depth_10000_in_main_thread_and_worker_thread():
    doc = _deep(10_000)
    value = wj.loads(doc, max_depth=10_000)
    result = {}

    def work():
        try:
            result["value"] = wj.loads(doc, max_depth=10_000)
        except BaseException as exc:  # pragma: no cover - reported below
            result["error"] = exc

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert "error" not in result
    # Compare iteratively: == on 10k-deep structures would itself recurse too deep.
    a, b = value, result["value"]
    for _ in range(5_000):
        assert list(a) == ["k"] and list(b) == ["k"]
        a, b = a["k"][0], b["k"][0]
    assert a == b == 1


def test_huge_int_digits_limit():
    digits = "9" * 5000
    if hasattr(sys, "get_int_max_str_digits") and sys.get_int_max_str_digits():
        with pytest.raises(wj.JSONDecodeError) as e:
            wj.loads(digits)
        assert "digits" in e.value.msg or "limit" in e.value.msg
        old = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
        try:
            assert wj.loads(digits) == int(digits)
        finally:
            sys.set_int_max_str_digits(old)
    big = "-" + "1234567890" * 100
    assert wj.loads(big) == int(big)
    assert type(wj.loads("1" * 30)) is int


def test_long_float_mantissa():
    text = "0." + "1" * 5000 + "e5"
    assert same(wj.loads(text), json.loads(text))


# --- key cache ----------------------------------------------------------------------------


def test_many_distinct_keys_collide_correctly():
    keys = [f"key_{i}" for i in range(20_000)] + ["a" * n for n in range(70)]
    doc = {k: i for i, k in enumerate(keys)}
    text = json.dumps(doc)
    for _ in range(3):
        got = wj.loads(text)
        assert list(got.items()) == list(doc.items())
    # Same-length keys differing in one byte, and keys with escapes or non-ASCII.
    doc2 = {f"{chr(97 + i % 26)}{i:05d}": i for i in range(5000)}
    doc2.update({"é": 1, "a\\b": 2, "\n": 3, "日本": 4, "": 5})
    assert wj.loads(json.dumps(doc2)) == doc2
    assert wj.loads(json.dumps(doc2, ensure_ascii=False).encode()) == doc2


def test_threads_parse_concurrently():
    docs = []
    for t in range(8):
        doc = {f"t{t}_k{i}": [i, f"v{i}", {"shared": t, f"n{i % 50}": None}] for i in range(300)}
        docs.append((json.dumps(doc), doc))
    errors = []
    barrier = threading.Barrier(8)

    def work(text, want):
        barrier.wait()
        for _ in range(30):
            if wj.loads(text) != want:
                errors.append("mismatch")
                return

    threads = [threading.Thread(target=work, args=d) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_reentrant_loads_from_finalizer():
    """A finalizer run by the GC mid-parse may call loads again (the key cache is busy then)."""

    class Reenter:
        def __del__(self):
            wj.loads('{"inner_key": [1, 2, {"x": "y"}]}')

    import gc

    text = json.dumps([{"k%d" % (i % 40): [i] * 3} for i in range(3000)])
    want = json.loads(text)
    for _ in range(5):
        cycle = [Reenter()]
        cycle.append(cycle)
        del cycle
        assert wj.loads(text) == want
    gc.collect()


def test_results_are_independent_objects():
    a = wj.loads('{"k": [1], "s": "text"}')
    b = wj.loads('{"k": [1], "s": "text"}')
    a["k"].append(2)
    assert b == {"k": [1], "s": "text"}


def test_float_specials_never_produced():
    assert math.isinf(wj.loads("1e999"))
    assert wj.loads("-1e-999") == 0.0 and math.copysign(1, wj.loads("-1e-999")) == -1

"""parse_qsl / parse_qs / urlencode against urllib.parse: edge tables, generated input (str and
bytes, every argument), and hostile inputs with their typed errors."""

from __future__ import annotations

import tracemalloc
import urllib.parse as up

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webaccel import WebAccelError
from webaccel import http as h
from webaccel.http import QueryStringError


def outcome(f, *args, **kwargs):
    try:
        return ("ok", f(*args, **kwargs))
    except Exception as e:  # noqa: BLE001 - the exception itself is what is compared
        return ("err", e)


def assert_same(ours_f, ref_f, *args, **kwargs):
    ours = outcome(ours_f, *args, **kwargs)
    ref = outcome(ref_f, *args, **kwargs)
    if ref[0] == "ok":
        assert ours == ref, (args, kwargs)
        # Same element types too (str vs bytes), not only equal values.
        assert repr(ours[1]) == repr(ref[1])
    else:
        assert ours[0] == "err", (args, kwargs, ours)
        assert isinstance(ours[1], type(ref[1])), (ours[1], ref[1])
        assert ours[1].args == ref[1].args


# --- edge tables -------------------------------------------------------------------------------

EDGE_QS = [
    "", "&", "&&", "=", "==", "a", "a=", "=a", "a=b=c", "a&b", "a=1&a=2", "a=1&&b=2&",
    "+", "a+b=c+d", "%", "%4", "%zz", "%%41", "%4%41", "a%3Db=c%26d", "%2B=%2b",
    "%C3%A9=%c3%a9", "%E9", "%C3", "%E2%82", "%E2%82%AC", "%ED%A0%80", "%F0%90%80%80", "%F4%90%80%80",
    "%C0%AF", "%FF%FE", "é=ü", "é%41=%C3", "日本=語%E8%AA%9E", "a=1;b=2", "a=%00", " a = b ",
    "\x00=\x01", "a=%2", "a=%g1", "a=%1g", "a=%%", "%25=%2525",
]


@pytest.mark.parametrize("qs", EDGE_QS)
@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("strict", [False, True])
def test_edge_table_str(qs, keep, strict):
    for errors in ["replace", "strict", "ignore", "surrogateescape", "backslashreplace"]:
        kw = dict(keep_blank_values=keep, strict_parsing=strict, errors=errors)
        assert_same(h.parse_qsl, up.parse_qsl, qs, **kw)
        assert_same(h.parse_qs, up.parse_qs, qs, **kw)


@pytest.mark.parametrize("qs", EDGE_QS)
@pytest.mark.parametrize("keep", [False, True])
def test_edge_table_bytes(qs, keep):
    data = qs.encode("utf-8")  # non-ASCII bytes: stdlib raises UnicodeDecodeError, so do we
    for errors in ["replace", "strict", "ignore"]:
        assert_same(h.parse_qsl, up.parse_qsl, data, keep_blank_values=keep, errors=errors)
        assert_same(h.parse_qs, up.parse_qs, data, keep_blank_values=keep, errors=errors)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"separator": ";"}, {"separator": ";;"}, {"separator": "="}, {"separator": "é"},
        {"separator": b"&"}, {"separator": b";"}, {"separator": ""}, {"separator": b""},
        {"separator": None}, {"separator": 0}, {"separator": 5}, {"separator": bytearray(b"&")},
        {"separator": b"\xff"}, {"max_num_fields": 0}, {"max_num_fields": 1}, {"max_num_fields": 2},
        {"max_num_fields": -1}, {"max_num_fields": 2.5}, {"max_num_fields": True},
        {"max_num_fields": 10**30}, {"encoding": "latin-1"}, {"encoding": "utf-16"},
        {"encoding": "ascii"}, {"encoding": "UTF8"}, {"encoding": "bogus"}, {"encoding": None},
        {"errors": None}, {"errors": "bogus"}, {"errors": "surrogatepass"}, {"errors": 3},
        {"encoding": 3}, {"keep_blank_values": "yes"}, {"strict_parsing": []}, {"keep_blank_values": 2},
    ],
    ids=repr,
)
@pytest.mark.parametrize("qs", ["a=1&b=%E9;c&&d=%41", "", "x=%ED%A0%80+y", "é=%C3%A9&b=2"])
def test_argument_table(qs, kwargs):
    assert_same(h.parse_qsl, up.parse_qsl, qs, **kwargs)
    assert_same(h.parse_qs, up.parse_qs, qs, **kwargs)
    assert_same(h.parse_qsl, up.parse_qsl, qs.encode("ascii", "ignore"), **kwargs)


@pytest.mark.parametrize("qs", [None, 0, b"", bytearray(b"a=1"), "a=\udc80&b=%41", "\ud800=%FF", memoryview(b"a")])
def test_other_input_types_match(qs):
    assert_same(h.parse_qsl, up.parse_qsl, qs)
    assert_same(h.parse_qs, up.parse_qs, qs, keep_blank_values=True)


def test_str_subclass_input():
    class S(str):
        pass

    assert_same(h.parse_qsl, up.parse_qsl, S("a=1&b=%41"))


def test_errors_are_value_errors_and_webaccel_errors():
    for call in [
        lambda: h.parse_qsl("a&b", strict_parsing=True),
        lambda: h.parse_qsl("a=1&b=2", max_num_fields=1),
        lambda: h.parse_qsl("a=1", separator=""),
        lambda: h.parse_qs("a=1", separator=None),
        lambda: h.parse_qsl("a=1&b=2", max_num_fields=1.5),  # goes through stdlib, retyped
    ]:
        with pytest.raises(QueryStringError) as info:
            call()
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, WebAccelError)
    with pytest.raises(ValueError, match=r"^bad query field: 'x\\n'$"):
        h.parse_qsl("a=1&x\n", strict_parsing=True)


# --- generated input -----------------------------------------------------------------------------

QS_ALPHABET = st.sampled_from(list("ab=&;+%") + ["%", "%4", "%41", "%E9", "%C3", "%A9", "%FF", "%2B", "%ZZ", "é", "日", "\x00", " ", "\\"])
query_strings = st.lists(QS_ALPHABET, max_size=40).map("".join)
ERRORS = st.sampled_from(["replace", "strict", "ignore", "surrogateescape", "backslashreplace", "surrogatepass"])


@given(
    qs=query_strings,
    keep=st.booleans(),
    strict=st.booleans(),
    errors=ERRORS,
    encoding=st.sampled_from(["utf-8", "latin-1", "utf8"]),
    max_num_fields=st.none() | st.integers(-1, 12),
    separator=st.sampled_from(["&", ";", "&&", "é"]),
)
def test_generated_str(qs, keep, strict, errors, encoding, max_num_fields, separator):
    kw = dict(
        keep_blank_values=keep, strict_parsing=strict, errors=errors, encoding=encoding,
        max_num_fields=max_num_fields, separator=separator,
    )
    assert_same(h.parse_qsl, up.parse_qsl, qs, **kw)
    assert_same(h.parse_qs, up.parse_qs, qs, **kw)


@given(qs=query_strings, keep=st.booleans(), errors=ERRORS, separator=st.sampled_from([b"&", b";", "&"]))
def test_generated_bytes(qs, keep, errors, separator):
    data = qs.encode("utf-8")
    assert_same(h.parse_qsl, up.parse_qsl, data, keep_blank_values=keep, errors=errors, separator=separator)
    assert_same(h.parse_qs, up.parse_qs, data, keep_blank_values=keep, errors=errors, separator=separator)


@given(qs=st.text(max_size=60), keep=st.booleans())
def test_generated_any_text(qs, keep):
    assert_same(h.parse_qsl, up.parse_qsl, qs, keep_blank_values=keep)


@given(raw=st.binary(max_size=24), errors=ERRORS)
def test_every_byte_sequence_percent_encoded(raw, errors):
    # Every byte string reaches the UTF-8 decoder through percent escapes: the invalid ranges
    # and what each handler makes of them must be CPython's.
    qs = "k=" + "".join(f"%{b:02X}" for b in raw)
    assert_same(h.parse_qsl, up.parse_qsl, qs, errors=errors)


# --- urlencode -----------------------------------------------------------------------------------

scalars = st.one_of(
    st.text(max_size=12), st.binary(max_size=8), st.integers(), st.booleans(), st.none(),
    st.floats(allow_nan=False),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.tuples(scalars, scalars))


@given(
    pairs=st.lists(st.tuples(st.one_of(st.text(max_size=8), st.binary(max_size=6), st.integers()), values), max_size=8),
    doseq=st.booleans(),
    safe=st.sampled_from(["", "/", "/+ ", b"/=", "é~!", b"\xff&"]),
    quote_via=st.sampled_from([up.quote_plus, up.quote]),
    as_dict=st.booleans(),
)
def test_urlencode_generated(pairs, doseq, safe, quote_via, as_dict):
    query = dict(pairs) if as_dict else pairs
    assert_same(h.urlencode, up.urlencode, query, doseq, safe, quote_via=quote_via)
    assert_same(h.urlencode, up.urlencode, query, doseq=doseq, safe=safe)


@pytest.mark.parametrize(
    "query,kwargs",
    [
        ({}, {}), ([], {}), ((), {}), ({"a": "é\udc80"}, {}), ({"a": "x y"}, {"encoding": "latin-1"}),
        ({"a": "é"}, {"encoding": "latin-1"}), ({b"a": "x"}, {"encoding": "utf-8"}), ("abc", {}),
        ([1, 2], {}), ([("a", 1, 2)], {}), ([("a", "b"), ["c", "d"]], {}), (5, {}),
        ({"a": {"x": 1, "y": 2}}, {"doseq": True}), ({"a": range(3)}, {"doseq": True}),
        ({"a": iter([1])}, {"doseq": True}), ({"a": bytearray(b"x y")}, {"doseq": False}),
        ({"a": [b"x", "y", 1]}, {"doseq": True}), ({"a b": "c"}, {"quote_via": up.quote, "safe": " "}),
        ({"a": "b"}, {"quote_via": lambda s, safe="", enc=None, err=None: "X"}), ({"a": 1}, {"safe": None}),
    ],
    ids=repr,
)
def test_urlencode_table(query, kwargs):
    assert_same(h.urlencode, up.urlencode, query, **kwargs)


def test_urlencode_str_subclass_and_custom_str():
    class S(str):
        def __str__(self):
            return "custom"

    class O:
        def __str__(self):
            return "o b"

    for doseq in (False, True):
        assert_same(h.urlencode, up.urlencode, {S("k"): S("v"), "o": O()}, doseq=doseq)


# --- hostile inputs --------------------------------------------------------------------------------

def test_million_separators_refused_before_work():
    qs = "&" * 1_000_000
    tracemalloc.start()
    with pytest.raises(QueryStringError, match="Max number of fields exceeded"):
        h.parse_qsl(qs, max_num_fields=1000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 1024  # no per-field objects were built
    assert h.parse_qsl(qs) == []  # without a limit: empty fields skipped, same as stdlib


def test_million_field_limit():
    qs = "&".join(["a=1"] * 1_000_000)
    with pytest.raises(QueryStringError):
        h.parse_qs(qs, max_num_fields=999_999)
    result = h.parse_qs(qs, max_num_fields=1_000_000)
    assert len(result["a"]) == 1_000_000


def test_huge_single_value():
    value = "%41+" * 500_000 + "%E9"
    out = h.parse_qsl("k=" + value)
    assert out == up.parse_qsl("k=" + value)
    assert len(out[0][1]) == 1_000_001

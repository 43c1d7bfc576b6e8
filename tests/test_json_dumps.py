"""webaccel.json.dumps / dumps_str: byte-for-byte parity with stdlib json on everything stdlib
accepts (compact and indent layouts, sort_keys, ensure_ascii), orjson's text for datetimes, the
extra types, and typed errors for everything refused."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import json
import math
import sys
import threading
import typing
import uuid
import zoneinfo
from decimal import Decimal

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import BENCH_DATA
from webaccel.errors import JSONEncodeError, WebAccelError
from webaccel.json import dumps, dumps_str

CORPORA = ["twitter", "citm_catalog", "canada", "github"]


def stdlib(obj, *, indent=None, sort_keys=False, ensure_ascii=False, default=None) -> bytes:
    separators = (",", ":") if indent is None else None
    return json.dumps(
        obj,
        separators=separators,
        indent=indent,
        sort_keys=sort_keys,
        ensure_ascii=ensure_ascii,
        allow_nan=False,
        default=default,
    ).encode()


def check(obj, **kw) -> bytes:
    """dumps == stdlib, dumps_str == dumps().decode(), and the text parses back."""
    want = stdlib(obj, **kw)
    got = dumps(obj, **kw)
    assert got == want
    assert dumps_str(obj, **kw) == want.decode()
    return got


# ------------------------------------------------------------------ corpora


@pytest.fixture(scope="module", params=CORPORA)
def corpus(request):
    return json.loads((BENCH_DATA / f"{request.param}.json").read_text(encoding="utf-8"))


OPTION_SETS = [
    {},
    {"sort_keys": True},
    {"ensure_ascii": True},
    {"ensure_ascii": True, "sort_keys": True},
    {"indent": 0},
    {"indent": 2},
    {"indent": 4, "sort_keys": True},
    {"indent": "\t"},
    {"indent": 2, "ensure_ascii": True},
]


@pytest.mark.parametrize("opts", OPTION_SETS, ids=lambda o: ",".join(f"{k}={v!r}" for k, v in o.items()) or "compact")
def test_corpus_parity(corpus, opts):
    check(corpus, **opts)


def test_corpus_round_trip(corpus):
    assert json.loads(dumps(corpus)) == corpus


# ------------------------------------------------------------------ generated values

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True, width=64, min_value=-1e-300, max_value=1e-300)
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x7F))
    | st.text(alphabet=st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF))
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


@given(json_values)
def test_generated_compact(value):
    got = check(value)
    assert json.loads(got) == value or _has_nan(value)


@given(json_values, st.sampled_from([0, 1, 2, 4, "\t", "--"]), st.booleans(), st.booleans())
def test_generated_options(value, indent, sort_keys, ensure_ascii):
    check(value, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    check(value, sort_keys=sort_keys, ensure_ascii=ensure_ascii)


@given(json_values, st.sampled_from([None, 2, "\t"]), st.booleans(), st.booleans())
@example([2**64, {"n": -(2**63) - 1}], None, False, False)  # beyond orjson's ints
@example({"n": 2**64 - 1, "m": -(2**63)}, None, False, False)  # orjson's limits
@example([1e-06, 1e16, 0.1], None, False, False)  # floats: Python's repr here, not orjson's
def test_newline_appends_one_newline(value, indent, sort_keys, ensure_ascii):
    opts = {"indent": indent, "sort_keys": sort_keys, "ensure_ascii": ensure_ascii}
    plain = dumps(value, **opts)
    got = dumps(value, newline=True, **opts)
    assert got == plain + b"\n"
    # orjson's OPT_APPEND_NEWLINE writes the same bytes for the compact, unsorted form of the
    # values both write alike: not ints beyond 64 bits (orjson refuses them), and no floats
    # (dumps writes Python's repr, 1e-06 and NaN, as stdlib json does; orjson writes 1e-6
    # and null).
    if indent is None and not sort_keys and not ensure_ascii and not _has_float(value):
        try:
            expected = orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:
            assert _has_big_int(value)
        else:
            assert got == expected


def test_newline_on_a_text_that_fills_the_first_buffer():
    # Every length from below the writer's first buffer (472 bytes) through three growths,
    # so that the newline lands exactly on a full buffer several times.
    for n in range(400, 4200):
        value = "x" * n
        assert dumps(value, newline=True) == json.dumps(value).encode() + b"\n"
    with pytest.raises(JSONEncodeError):
        dumps(float("nan"), newline=True)  # errors are the same with or without it


def _has_leaf(v, pred):
    """Whether ``pred`` holds for a scalar anywhere in nested lists and dict values."""
    if isinstance(v, list):
        return any(_has_leaf(x, pred) for x in v)
    if isinstance(v, dict):
        return any(_has_leaf(x, pred) for x in v.values())
    return pred(v)


def _has_big_int(v):
    return _has_leaf(v, lambda x: isinstance(x, int) and not isinstance(x, bool) and not -(2**63) <= x < 2**64)


def _has_float(v):
    return _has_leaf(v, lambda x: isinstance(x, float))


def _has_nan(v):
    return isinstance(v, float) and math.isnan(v)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_is_repr(v):
    assert dumps(v) == repr(v).encode()
    assert float(dumps(v)) == v


@pytest.mark.parametrize(
    "v",
    [0.0, -0.0, 1.0, -1.0, 0.1, 1e16, 1e15, 1e-4, 1e-5, 1.5e-5, 9.999999999999999e-05, 1e-6, 1e-7, 1e-9, 1e-10,
     123456789012345.0, 1234567890123456.0, 1e22, 1e100, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308,
     -1.2345e-5, 0.30000000000000004, 100.0, 1e21],
)
def test_float_edge_cases(v):
    assert dumps(v) == repr(v).encode()
    check([v, {"k": v}])


@pytest.mark.parametrize(
    "v", [0, 1, -1, 2**30, 2**31, 2**60 - 1, 2**60, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**100, -(10**100)]
)
def test_int_exact(v):
    assert dumps(v) == str(v).encode()
    check([v])


def test_int_beyond_str_digits_limit_raises_like_stdlib():
    big = 10**5000
    with pytest.raises(ValueError) as ours:
        dumps(big)
    with pytest.raises(ValueError) as theirs:
        json.dumps(big)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "s",
    ["", "plain", 'q"uote', "back\\slash", "\n\r\t\b\f", "\x00\x01\x1f\x7f", "é", "ÿ", "€", "中文", "😀", "a😀b\x00é",
     "x" * 1000 + '"' + "y" * 17, "\u2028\u2029", "\ufeff"],
)
@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_string_escapes(s, ensure_ascii):
    check(s, ensure_ascii=ensure_ascii)
    check({s: [s]}, ensure_ascii=ensure_ascii, sort_keys=True)


def test_string_lengths_around_simd_blocks():
    for n in range(0, 70):
        for special in ["", '"', "\\", "\n", "\x7f", "é"]:
            for pos in (0, n // 2, n):
                s = "a" * pos + special + "b" * (n - pos)
                check(s)
                check(s, ensure_ascii=True)


def test_dumps_str_matches_bytes():
    obj = {"a": [1, 2.5, "é😀", None, True], "b": {"c": "x" * 100}}
    for kw in [{}, {"indent": 2}, {"ensure_ascii": True}, {"sort_keys": True}]:
        assert dumps_str(obj, **kw) == dumps(obj, **kw).decode()
    assert type(dumps_str("x")) is str
    assert type(dumps("x")) is bytes


# ------------------------------------------------------------------ indent and sort_keys


@pytest.mark.parametrize("indent", [0, 1, 2, 3, 8, "", " ", "\t", "ab", -1, True])
def test_indent_layout(indent):
    obj = {"a": [], "b": {}, "c": [1, [2, {"d": None}]], "e": {"f": [True, False]}, "g": "h"}
    check(obj, indent=indent)
    check([], indent=indent)
    check({}, indent=indent)
    check(1, indent=indent)


def test_indent_non_ascii_str():
    obj = {"a": [1, 2]}
    assert dumps(obj, indent="→") == json.dumps(obj, indent="→").encode()
    assert dumps_str(obj, indent="→") == json.dumps(obj, indent="→")


def test_indent_bad_type():
    with pytest.raises(TypeError):
        dumps([1], indent=1.5)


def test_sort_keys_every_level():
    obj = {"b": {"z": 1, "a": 2, "é": 3, "E": 4}, "a": [{"y": 1, "x": 2}], "😀": 0, "\uffff": 1}
    check(obj, sort_keys=True)
    check(obj, sort_keys=True, indent=2)


def test_sort_keys_int_keys_like_stdlib():
    obj = {10: "a", 2: "b", 1: "c", -5: "d"}
    check(obj, sort_keys=True)
    check({2.5: 1, 1: 2, 0.5: 3}, sort_keys=True)


def test_sort_keys_mixed_key_types_sorted_by_text():
    # stdlib raises TypeError ("'<' not supported"); webaccel sorts by the written key.
    assert dumps({"b": 1, 1: 2, None: 3, "a": 4}, sort_keys=True) == b'{"1":2,"a":4,"b":1,"null":3}'


# ------------------------------------------------------------------ dict keys


def test_non_str_keys_like_stdlib():
    obj = {1: "i", -2**70: "big", 1.5: "f", -0.0: "z", True: "t", None: "n", "s": "s", 1e20: "e"}
    check(obj)
    check({False: 0})


def test_key_subclasses():
    class S(str):
        pass

    class I(int):
        pass

    class IE(enum.IntEnum):
        A = 7

    class SE(str, enum.Enum):
        A = "sa"

    check({S("k"): 1, I(5): 2, IE.A: 3, SE.A: 4})


@pytest.mark.parametrize("key, name", [((1, 2), "tuple"), (frozenset(), "frozenset"), (b"x", "bytes")])
def test_unsupported_key(key, name):
    with pytest.raises(JSONEncodeError) as ei:
        dumps({key: 1})
    assert str(ei.value) == f"keys must be str, int, float, bool or None, not {name}"
    assert isinstance(ei.value, TypeError)
    with pytest.raises(TypeError) as std:
        json.dumps({key: 1})
    assert str(std.value) == str(ei.value)


def test_nan_key():
    with pytest.raises(JSONEncodeError, match="Out of range float values are not JSON compliant: nan"):
        dumps({math.nan: 1})
    assert dumps({math.inf: 1}, nan_as_null=True) == b'{"null":1}'


# ------------------------------------------------------------------ NaN / Infinity


@pytest.mark.parametrize("v, text", [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf")])
def test_non_finite(v, text):
    with pytest.raises(JSONEncodeError) as ei:
        dumps([1, v])
    assert str(ei.value) == f"Out of range float values are not JSON compliant: {text}"
    assert isinstance(ei.value, ValueError) and isinstance(ei.value, WebAccelError)
    assert dumps([1, v], nan_as_null=True) == b"[1,null]"
    assert dumps_str({"a": v}, nan_as_null=True) == '{"a":null}'


# ------------------------------------------------------------------ datetime, date, time

UTC = dt.timezone.utc
DATETIMES = [
    dt.datetime(2026, 1, 1, 12, 0, 0),
    dt.datetime(2026, 1, 1, 12, 0, 0, 123),
    dt.datetime(2026, 1, 1, 12, 0, 0, 999999),
    dt.datetime(1, 1, 1),
    dt.datetime(999, 5, 6, 7, 8, 9, 10),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2026, 1, 1, tzinfo=UTC),
    dt.datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=UTC),
    dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
    dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-23, minutes=-59))),
    dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=3661))),
    dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=-3661))),
    dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=3630))),
    dt.datetime(2026, 7, 1, 8, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
    dt.datetime(2026, 1, 1, 8, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
    dt.datetime(2026, 7, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata")),
    dt.datetime(1900, 7, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam")),
    dt.datetime(2026, 7, 1, tzinfo=zoneinfo.ZoneInfo("UTC")),
]


@pytest.mark.parametrize("value", DATETIMES, ids=repr)
def test_datetime_like_orjson(value):
    assert dumps(value) == orjson.dumps(value)
    assert dumps({"t": [value]}) == orjson.dumps({"t": [value]})


@pytest.mark.parametrize("value", [dt.date(2026, 1, 2), dt.date(5, 1, 2), dt.date(9999, 12, 31),
                                   dt.time(1, 2, 3), dt.time(1, 2, 3, 4), dt.time(0, 0), dt.time(23, 59, 59, 999999)])
def test_date_time_like_orjson(value):
    assert dumps(value) == orjson.dumps(value)


def test_time_with_tzinfo_refused_like_orjson():
    value = dt.time(1, tzinfo=UTC)
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(value)
    with pytest.raises(JSONEncodeError, match="datetime.time must not have tzinfo set"):
        dumps(value)


def test_datetime_subclass_and_custom_tzinfo():
    class D(dt.datetime):
        pass

    assert dumps(D(2020, 1, 2, 3, 4, 5)) == b'"2020-01-02T03:04:05"'

    class NoOffset(dt.tzinfo):
        def utcoffset(self, d):
            return None

    assert dumps(dt.datetime(2020, 1, 1, tzinfo=NoOffset())) == b'"2020-01-01T00:00:00"'

    class Broken(dt.tzinfo):
        def utcoffset(self, d):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        dumps(dt.datetime(2020, 1, 1, tzinfo=Broken()))


# ------------------------------------------------------------------ UUID, Enum, Decimal


def test_uuid():
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert dumps(u) == b'"12345678-1234-5678-1234-567812345678"'
    for v in [uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]:
        assert dumps([v]) == f'["{v}"]'.encode()
        assert dumps(v) == orjson.dumps(v)


class Color(enum.Enum):
    RED = 1
    GREEN = "green"
    NESTED = {"a": [1, 2.5]}
    NONE = None


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2**70


class Mode(enum.Enum):
    A = Color.RED


def test_enum_values():
    assert dumps([Color.RED, Color.GREEN, Color.NESTED, Color.NONE]) == b'[1,"green",{"a":[1,2.5]},null]'
    assert dumps(Mode.A) == b"1"
    assert dumps({"c": Color.GREEN}, indent=2) == b'{\n  "c": "green"\n}'


def test_int_and_str_enums_like_stdlib():
    check([Level.LOW, Level.HIGH])
    check({Level.LOW: Level.HIGH})
    if sys.version_info >= (3, 11):

        class S(enum.StrEnum):
            A = "alpha"

        check([S.A, {S.A: S.A}])

    class F(float, enum.Enum):
        X = 1.5

    check([F.X])


@pytest.mark.parametrize(
    "text", ["0", "-0", "1", "1E+2", "0.10", "-1.5", "123456789012345678901234567890.123456789", "1E-30", "0E-7", "1.000"]
)
def test_decimal_exact_text(text):
    d = Decimal(text)
    out = dumps(d)
    assert out == str(d).encode()
    assert json.loads(out, parse_float=Decimal, parse_int=Decimal) == d
    back = json.loads(dumps({"v": [d]}), parse_float=Decimal, parse_int=Decimal)["v"][0]
    assert str(back) == str(d) or back == d


@pytest.mark.parametrize("text", ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity"])
def test_decimal_non_finite(text):
    d = Decimal(text)
    with pytest.raises(JSONEncodeError, match="Out of range Decimal values are not JSON compliant"):
        dumps(d)
    assert dumps([d], nan_as_null=True) == b"[null]"


def test_decimal_subclass():
    class D(Decimal):
        pass

    assert dumps(D("2.50")) == b"2.50"


# ------------------------------------------------------------------ dataclasses


@dataclasses.dataclass
class Point:
    x: int
    y: float = 0.5


@dataclasses.dataclass
class Shape:
    name: str
    points: list = dataclasses.field(default_factory=list)
    tags: dict = dataclasses.field(default_factory=dict)
    kind: typing.ClassVar[str] = "shape"
    scale: dataclasses.InitVar[int] = 1
    origin: Point = dataclasses.field(default_factory=lambda: Point(0))

    def __post_init__(self, scale):
        self.extra = "not a field"


@dataclasses.dataclass(slots=True)
class Slotted:
    a: int
    b: str = "b"


@dataclasses.dataclass
class Child(Point):
    z: str = "z"


def test_dataclasses():
    s = Shape("tri", [Point(1), Point(2, 3.0)], {"k": Slotted(5)})
    assert json.loads(dumps(s)) == {
        "name": "tri",
        "points": [{"x": 1, "y": 0.5}, {"x": 2, "y": 3.0}],
        "tags": {"k": {"a": 5, "b": "b"}},
        "origin": {"x": 0, "y": 0.5},
    }
    assert dumps(Slotted(1)) == b'{"a":1,"b":"b"}'
    assert dumps(Child(1)) == b'{"x":1,"y":0.5,"z":"z"}'
    assert dumps(Child(1), sort_keys=True, indent=1) == b'{\n "x": 1,\n "y": 0.5,\n "z": "z"\n}'


def test_dataclass_class_itself_is_not_an_instance():
    with pytest.raises(JSONEncodeError, match="Object of type type is not JSON serializable"):
        dumps(Point)


# ------------------------------------------------------------------ builtin subclasses


def test_builtin_subclasses_like_stdlib():
    class S(str):
        def __str__(self):
            return "wrong"

    class I(int):
        def __repr__(self):
            return "wrong"

    class F(float):
        def __repr__(self):
            return "wrong"

    class L(list):
        pass

    class T(tuple):
        pass

    class Dd(dict):
        pass

    NT = collections.namedtuple("NT", "a b")
    dd = collections.defaultdict(list, {"x": [1]})
    od = collections.OrderedDict([("a", 1), ("b", 2), ("c", 3)])
    od.move_to_end("a")
    obj = [S("s\n"), I(3), I(-(2**80)), F(2.5), L([1, L([2])]), T((1, 2)), Dd(a=Dd(b=1)), NT(1, "x"), dd, od, (), ()]
    for kw in [{}, {"indent": 2}, {"sort_keys": True}]:
        check(obj, **kw)
    assert dumps(od) == b'{"b":2,"c":3,"a":1}'


# ------------------------------------------------------------------ default=


class Custom:
    def __init__(self, v):
        self.v = v


def test_default_called():
    calls = []

    def default(o):
        calls.append(o)
        return {"custom": o.v}

    obj = [Custom(1), {"k": Custom([Custom(2)])}]
    got = dumps(obj, default=default)
    assert len(calls) == 3
    assert got == stdlib(obj, default=default) == b'[{"custom":1},{"k":{"custom":[{"custom":2}]}}]'
    assert dumps_str(obj, default=default, indent=2) == json.dumps(obj, default=default, indent=2)


def test_default_chained():
    def default(o):
        if isinstance(o, Custom):
            return {1, 2} if o.v == "set" else o.v
        if isinstance(o, set):
            return sorted(o)
        raise TypeError("no")

    assert dumps([Custom("set"), Custom(Custom(5))], default=default) == b"[[1,2],5]"


def test_default_exception_propagates_unchanged():
    class Boom(Exception):
        pass

    def default(o):
        raise Boom("from default")

    with pytest.raises(Boom, match="from default"):
        dumps([Custom(1)], default=default)


def test_default_returning_itself_is_bounded():
    with pytest.raises(JSONEncodeError, match="Circular reference detected") as ei:
        dumps(Custom(1), default=lambda o: o)
    assert isinstance(ei.value, ValueError)

    def wrap(o):
        return [Custom(0)]

    with pytest.raises(JSONEncodeError, match="Maximum nesting depth exceeded"):
        dumps(Custom(1), default=wrap)


def test_default_none_means_no_default():
    with pytest.raises(JSONEncodeError):
        dumps(Custom(1), default=None)


def test_default_not_used_for_supported_types():
    assert dumps([Decimal("1.5")], default=lambda o: "x") == b"[1.5]"


def test_default_may_mutate_input():
    data = [Custom(1), "tail", Custom(2)]

    def default(o):
        data.clear()
        return "gone"

    assert dumps(data, default=default) == b'["gone"]'
    d = {"a": Custom(1), "b": 2}

    def default2(o):
        d.clear()
        return None

    dumps(d, default=default2)  # must not crash


# ------------------------------------------------------------------ unsupported types


@pytest.mark.parametrize("value, name", [({1, 2}, "set"), (b"x", "bytes"), (object(), "object"), (1j, "complex"),
                                         (bytearray(b"x"), "bytearray"), (Custom(1), "Custom")])
def test_unsupported_type(value, name):
    with pytest.raises(JSONEncodeError) as ei:
        dumps({"k": [value]})
    assert str(ei.value) == f"Object of type {name} is not JSON serializable"
    assert isinstance(ei.value, TypeError) and isinstance(ei.value, WebAccelError)
    with pytest.raises(TypeError) as std:
        json.dumps({"k": [value]})
    assert str(std.value) == str(ei.value)


# ------------------------------------------------------------------ lone surrogates


def test_lone_surrogates():
    s = "a\ud800b\udfff"
    with pytest.raises(JSONEncodeError, match="surrogates not allowed"):
        dumps(s)
    with pytest.raises(JSONEncodeError):
        dumps({s: 1})
    assert dumps(s, ensure_ascii=True) == json.dumps(s).encode() == b'"a\\ud800b\\udfff"'
    assert dumps_str(s) == json.dumps(s, ensure_ascii=False)
    assert dumps_str([s, "é"], indent=1) == json.dumps([s, "é"], ensure_ascii=False, indent=1)


# ------------------------------------------------------------------ circular and deep


def test_circular_list_and_dict():
    a: list = []
    a.append(a)
    with pytest.raises(JSONEncodeError, match="Circular reference detected") as ei:
        dumps(a)
    assert isinstance(ei.value, ValueError)
    d: dict = {}
    d["self"] = [d]
    with pytest.raises(JSONEncodeError, match="Circular reference detected"):
        dumps(d)
    with pytest.raises(JSONEncodeError, match="Circular reference detected"):
        dumps_str({"x": d}, indent=2, sort_keys=True)


def test_shared_references_are_not_circular():
    x = [1, 2]
    assert dumps([x, x, {"a": x}]) == b'[[1,2],[1,2],{"a":[1,2]}]'


def nested(depth, kind):
    obj: typing.Any = 1
    for _ in range(depth):
        obj = [obj] if kind == "list" else {"k": obj}
    return obj


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_depth_limit(kind):
    ok = nested(1024, kind)
    want = ("[" * 1024 + "1" + "]" * 1024) if kind == "list" else ('{"k":' * 1024 + "1" + "}" * 1024)
    assert dumps(ok) == want.encode()
    with pytest.raises(JSONEncodeError, match=r"Maximum nesting depth exceeded \(1024 levels\)") as ei:
        dumps(nested(1025, kind))
    assert isinstance(ei.value, ValueError)


def test_deep_nesting_in_thread():
    errors = []

    def run():
        try:
            for kind in ("list", "dict"):
                try:
                    dumps(nested(100_000, kind), indent=1)
                except JSONEncodeError:
                    pass
                else:
                    errors.append("no error")
            dumps(nested(1000, "list"))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert errors == []


# ------------------------------------------------------------------ misc


def test_exception_hierarchy():
    assert issubclass(JSONEncodeError, TypeError)
    assert issubclass(JSONEncodeError, ValueError)
    assert issubclass(JSONEncodeError, WebAccelError)


def test_large_output_grows_buffer():
    obj = ["x" * 1000] * 5000 + [{"k": list(range(1000))}]
    check(obj)


def test_decimal_context_does_not_matter():
    with decimal.localcontext() as ctx:
        ctx.prec = 2
        assert dumps(Decimal("1.23456")) == b"1.23456"


# ---------------------------------------------------------------------------- passthrough


class TestPassthrough:
    """`passthrough=` hands instances of the named types to `default` instead of writing them
    natively: how the Flask and Django adapters keep their frameworks' own formats."""

    def test_types_go_to_default(self) -> None:
        seen: list[object] = []

        def default(o: object) -> str:
            seen.append(o)
            return f"<{type(o).__name__}>"

        value = {
            "when": dt.datetime(2026, 1, 2, 3, 4, 5),
            "day": dt.date(2026, 1, 2),
            "price": decimal.Decimal("1.10"),
            "id": uuid.UUID(int=1),
        }
        out = dumps(value, default=default, passthrough=(dt.date, decimal.Decimal))
        # datetime is a date subclass, so it passes through too; UUID is still native.
        assert out == (
            b'{"when":"<datetime>","day":"<date>","price":"<Decimal>",'
            b'"id":"00000000-0000-0000-0000-000000000001"}'
        )
        assert [type(o).__name__ for o in seen] == ["datetime", "date", "Decimal"]
        assert dumps_str(value, default=default, passthrough=(dt.date, decimal.Decimal)) == out.decode()

    def test_without_default_is_refused_like_any_unsupported_type(self) -> None:
        with pytest.raises(JSONEncodeError, match="Object of type Decimal is not JSON serializable"):
            dumps([decimal.Decimal(1)], passthrough=(decimal.Decimal,))

    def test_empty_or_none_changes_nothing(self) -> None:
        v = [decimal.Decimal("2.50")]
        assert dumps(v, passthrough=()) == dumps(v, passthrough=None) == dumps(v) == b"[2.50]"

    def test_builtins_are_always_native(self) -> None:
        # An int subclass listed in passthrough is still written as its value: builtins and
        # their subclasses are dispatched before passthrough is consulted.
        class MyInt(int):
            pass

        assert dumps([MyInt(3)], default=str, passthrough=(MyInt,)) == b"[3]"

    @pytest.mark.parametrize("bad", [(1,), ("date",), (None,)])
    def test_must_hold_types(self, bad: tuple[object, ...]) -> None:
        with pytest.raises(TypeError, match="passthrough must be a tuple of types"):
            dumps([1], passthrough=bad)  # type: ignore[arg-type]


def test_small_thread_stack_refuses_instead_of_crashing() -> None:
    """Nesting that fits the 1024-level limit but not a small thread stack is refused with
    JSONEncodeError: the serializer checks the stack it has left (it recurses)."""
    nested: list[object] = []
    for _ in range(1000):
        nested = [nested]
    outcome: list[object] = []

    def work() -> None:
        try:
            outcome.append(dumps(nested))
        except JSONEncodeError as e:
            outcome.append(e)

    old = threading.stack_size(256 * 1024)
    try:
        t = threading.Thread(target=work)
        t.start()
        t.join()
    finally:
        threading.stack_size(old)
    assert len(outcome) == 1
    err = outcome[0]
    assert isinstance(err, JSONEncodeError) and isinstance(err, ValueError)
    assert "the thread's stack is too small" in str(err)
    # The same value serializes in a thread with an ordinary stack.
    assert dumps(nested) == b"[" * 1001 + b"]" * 1001

"""webaccel.pagination filtering and sorting: the Rust engine against a pure-Python reference on
generated lists of dicts, the query grammar and every refusal, and the SQL fragments run on
sqlite3 (with hostile values) against the in-memory result."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import math
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webaccel import _core
from webaccel.pagination import (
    DEFAULT_OPERATORS,
    SQL_DIALECTS,
    Condition,
    Field,
    FilterError,
    FilterSet,
    FilterSpec,
    PaginationError,
    SortKey,
)

UTC = dt.timezone.utc

# --- the reference: what apply() means, written plainly ----------------------------------------


def _null(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def ref_match(v: Any, op: str, x: Any) -> bool:
    if v is None:
        return op == "ne" or (op == "isnull" and x)
    if op == "isnull":
        return not x
    if op == "eq":
        return bool(v == x)
    if op == "ne":
        return bool(v != x)
    if op == "lt":
        return bool(v < x)
    if op == "lte":
        return bool(v <= x)
    if op == "gt":
        return bool(v > x)
    if op == "gte":
        return bool(v >= x)
    if op == "in":
        return any(v == y for y in x)
    if type(v) is not str:
        return False
    if op == "contains":
        return x in v
    if op == "icontains":
        return x.lower() in v.lower()
    if op == "startswith":
        return v.startswith(x)
    assert op == "endswith"
    return v.endswith(x)


def ref_apply(items: list[Mapping[str, Any]], conditions: list[tuple[str, str, Any]],
              sort: list[tuple[str, bool]]) -> list[Any]:
    out = [d for d in items if all(ref_match(d.get(f), op, x) for f, op, x in conditions)]
    for field, desc in reversed(sort):
        def key(d: Mapping[str, Any], field: str = field, desc: bool = desc) -> tuple[bool, Any]:
            v = d.get(field)
            null = _null(v)
            return (not null if desc else null, None if null else v)
        out.sort(key=key, reverse=desc)
    return out


def engine(items: Any, conditions: list[tuple[str, str, Any]], sort: list[tuple[str, bool]]) -> list[Any]:
    return _core.FilterPlan(conditions, sort).apply(items)


def same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


# --- generated data ---------------------------------------------------------------------------

MISSING = object()
INTS = st.integers(-5, 5) | st.integers(-(2**63), 2**63 - 1) | st.sampled_from([2**53, 2**53 + 1, 2**64, -(2**70)])
FLOATS = st.floats(-6, 6).map(lambda f: round(f, 1)) | st.floats(allow_infinity=True) | st.sampled_from(
    [float(2**53), -0.0, 0.0, float("nan")])
TEXT = st.text(alphabet="aAbBzZ éÉßİΣσς_%!\u0130\u2126", max_size=5) | st.text(max_size=4)
DATES = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2020, 1, 10))
OFFSETS = st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-5, minutes=-30))])
DATETIMES = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2020, 1, 2), timezones=st.just(UTC))
AWARE = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2020, 1, 2), timezones=OFFSETS)
NAIVE = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31))
COLUMNS = {
    "i": INTS | st.booleans(),
    "f": FLOATS | st.integers(-6, 6),
    "s": TEXT,
    "d": DATES,
    "t": AWARE,
    "n": NAIVE | st.dates(),
    "x": st.decimals(-5, 5, places=1) | st.integers(-5, 5) | st.sampled_from([2**65, -(2**65)]),
}


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 25))
    out = []
    for k in range(n):
        row: dict[str, Any] = {"id": k}
        for name, values in COLUMNS.items():
            choice = draw(st.sampled_from(["value", "value", "value", "none", "missing"]))
            if choice == "value":
                row[name] = draw(values)
            elif choice == "none":
                row[name] = None
        out.append(row)
    return out


OPS_FOR = {
    "i": ["eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull"],
    "f": ["eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull"],
    "s": ["eq", "ne", "lt", "gte", "in", "contains", "icontains", "startswith", "endswith", "isnull"],
    "d": ["eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull"],
    "t": ["eq", "ne", "lt", "gte", "in", "isnull"],
    "n": ["eq", "ne", "in", "isnull"],
    "x": ["eq", "ne", "lt", "gt", "in", "isnull"],
}


@st.composite
def conditions(draw: st.DrawFn) -> list[tuple[str, str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        field = draw(st.sampled_from(sorted(OPS_FOR)))
        op = draw(st.sampled_from(OPS_FOR[field]))
        if op == "isnull":
            value: Any = draw(st.booleans())
        elif op == "in":
            value = tuple(draw(st.lists(COLUMNS[field], max_size=3)))
        elif op in ("contains", "icontains", "startswith", "endswith"):
            value = draw(TEXT)
        else:
            value = draw(COLUMNS[field])
        out.append((field, op, value))
    return out


SORTS = st.lists(st.tuples(st.sampled_from(["i", "f", "s", "d", "t", "x", "id"]), st.booleans()),
                 max_size=3, unique_by=lambda k: k[0])


@given(items=rows(), conds=conditions(), sort=SORTS)
def test_engine_matches_the_python_reference(items: list[dict[str, Any]], conds: list[tuple[str, str, Any]],
                                             sort: list[tuple[str, bool]]) -> None:
    assert same(engine(items, conds, sort), ref_apply(items, conds, sort))


@given(items=rows(), sort=SORTS)
def test_sort_is_stable_and_puts_none_last_both_ways(items: list[dict[str, Any]], sort: list[tuple[str, bool]]) -> None:
    out = engine(items, [], sort)
    assert same(out, ref_apply(items, [], sort))
    assert sorted(d["id"] for d in out) == list(range(len(items)))
    if sort:
        field = sort[0][0]
        nulls = [_null(d.get(field)) for d in out]
        assert nulls == sorted(nulls)  # every null after every value


def test_none_ordering_documented_example() -> None:
    items = [{"n": 2}, {"n": None}, {}, {"n": 1}, {"n": float("nan")}, {"n": 3}]
    assert [d.get("n") for d in engine(items, [], [("n", False)])][:3] == [1, 2, 3]
    assert [d.get("n") for d in engine(items, [], [("n", True)])][:3] == [3, 2, 1]
    tail = engine(items, [], [("n", True)])[3:]
    assert same(tail, [items[1], items[2], items[4]])  # nulls keep their input order


def test_mixed_types_raise_pythons_type_error() -> None:
    items = [{"v": 1}, {"v": "a"}]
    with pytest.raises(TypeError, match="not supported between instances"):
        engine(items, [], [("v", False)])
    with pytest.raises(TypeError, match="not supported between instances"):
        engine(items, [("v", "lt", 5)], [])
    # equality between kinds is simply false, as in Python
    assert engine(items, [("v", "eq", 1)], []) == [{"v": 1}]
    assert engine(items, [("v", "ne", 1)], []) == [{"v": "a"}]
    assert engine(items, [("v", "in", ("a", 1))], []) == items
    aware = dt.datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(TypeError):
        engine([{"t": aware}, {"t": dt.datetime(2020, 1, 1)}], [], [("t", False)])


def test_python_comparisons_are_used_for_other_types() -> None:
    class Level(enum.IntEnum):
        LOW = 1
        HIGH = 2

    class Rev(str):
        def __lt__(self, other: object) -> bool:
            return str.__gt__(self, other)  # type: ignore[operator]

    items = [{"v": Level.HIGH}, {"v": Level.LOW}, {"v": decimal.Decimal("1.5")}]
    assert [d["v"] for d in engine(items, [], [("v", False)])] == [Level.LOW, decimal.Decimal("1.5"), Level.HIGH]
    assert engine(items, [("v", "gt", 1)], []) == [{"v": Level.HIGH}, {"v": decimal.Decimal("1.5")}]
    revs = [{"v": Rev("a")}, {"v": Rev("c")}, {"v": Rev("b")}]
    assert [d["v"] for d in engine(revs, [], [("v", False)])] == ["c", "b", "a"]


def test_a_comparison_that_is_not_an_order_does_not_crash() -> None:
    items = [{"v": {1}}, {"v": {2}}, {"v": {1, 2}}, {"v": set()}] * 20
    out = engine(items, [], [("v", False)])
    assert sorted(map(id, out)) == sorted(map(id, items))

    class Boom:
        def __lt__(self, other: object) -> bool:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        engine([{"v": Boom()}, {"v": Boom()}], [], [("v", False)])


def test_items_may_be_any_iterable_of_mappings() -> None:
    class Row(Mapping[str, Any]):
        def __init__(self, **kw: Any) -> None:
            self.kw = kw

        def __getitem__(self, k: str) -> Any:
            return self.kw[k]

        def __iter__(self) -> Iterator[str]:
            return iter(self.kw)

        def __len__(self) -> int:
            return len(self.kw)

    rows_ = [Row(a=2), Row(a=1), Row(b=1)]
    gen = (r for r in rows_)
    assert same(engine(gen, [("a", "isnull", False)], [("a", False)]), [rows_[1], rows_[0]])
    with pytest.raises(TypeError):
        engine([1, 2], [("a", "eq", 1)], [])


def test_icontains_uses_pythons_lower() -> None:
    items = [{"s": "İstanbul"}, {"s": "STRASSE"}, {"s": "ΟΔΟΣ"}, {"s": "x"}]
    for needle in ("i̇st", "strasse", "οδος", "οδοσ", "ς", "X"):
        conds = [("s", "icontains", needle)]
        assert same(engine(items, conds, []), ref_apply(items, conds, []))


def test_plan_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        _core.FilterPlan([("a", "regex", "x")], [])
    with pytest.raises(TypeError, match="list or a tuple"):
        _core.FilterPlan([("a", "in", "abc")], [])
    with pytest.raises(TypeError, match="str value"):
        _core.FilterPlan([("a", "contains", 5)], [])


# --- the query grammar ------------------------------------------------------------------------

PRODUCTS = FilterSet(
    {
        "id": "int",
        "name": "str",
        "price": "float",
        "qty": "int",
        "active": "bool",
        "day": "date",
        "created": "datetime",
        "status": Field("str", operators=("eq", "in")),
        "secret": Field("str", filterable=False, sortable=False),
        "tag": Field("str", column="tag_name", lookup="tag"),
    },
    default_sort="-created",
    tiebreaker="id",
)


def test_parse_the_documented_example() -> None:
    spec = PRODUCTS.parse("sort=-created,name&status=active&price__gte=10&tag__in=a,b&page=2")
    assert spec.conditions == (
        Condition("status", "eq", "active"),
        Condition("price", "gte", 10.0),
        Condition("tag", "in", ("a", "b")),
    )
    assert spec.sort == (SortKey("created", True), SortKey("name", False), SortKey("id", False))


@pytest.mark.parametrize(
    "params",
    [
        "sort=-created,name&status=active",
        b"sort=-created,name&status=active",
        {"sort": "-created,name", "status": "active"},
        [("sort", "-created,name"), ("status", "active")],
        {"sort": ["-created,name"], "status": ["active"]},
    ],
)
def test_parse_accepts_strings_mappings_and_pairs(params: Any) -> None:
    spec = PRODUCTS.parse(params)
    assert spec.conditions == (Condition("status", "eq", "active"),)
    assert [k.field for k in spec.sort] == ["created", "name", "id"]


def test_framework_multidicts() -> None:
    from django.http import QueryDict
    from starlette.datastructures import QueryParams
    from werkzeug.datastructures import MultiDict

    qs = "status=a&status=b&sort=name"
    expected = (Condition("status", "eq", "a"), Condition("status", "eq", "b"))
    assert PRODUCTS.parse(QueryParams(qs)).conditions == expected
    assert PRODUCTS.parse(MultiDict([("status", "a"), ("status", "b"), ("sort", "name")])).conditions == expected
    assert PRODUCTS.parse(QueryDict(qs)).conditions == expected


def test_typed_conversions() -> None:
    spec = PRODUCTS.parse(
        "qty__lt=-42&price=1.5e2&active=YES&day=2026-02-28&created__gte=2026-02-28T10:00:00Z"
        "&created__lt=2026-02-28 12:30:00.5%2B02:00&name__isnull=false&qty__in=1,2,3&name__in="
    )
    values = [c.value for c in spec.conditions]
    assert values == [
        -42, 150.0, True, dt.date(2026, 2, 28), dt.datetime(2026, 2, 28, 10, tzinfo=UTC),
        dt.datetime(2026, 2, 28, 12, 30, 0, 500000, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        False, (1, 2, 3), (),
    ]
    assert PRODUCTS.parse("sort=").sort == (SortKey("created", True), SortKey("id", False))
    assert PRODUCTS.parse("sort=id").sort == (SortKey("id", False),)
    assert PRODUCTS.parse("sort= name , -qty").sort == (SortKey("name"), SortKey("qty", True), SortKey("id"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=password", "cannot sort by 'password'"),
        ("sort=secret", "cannot sort by 'secret'"),
        ("sort=name,-name", "repeated"),
        ("sort=name&sort=name", "repeated"),
        ("sort=name,qty,price,day", "more than 3 sort keys"),
        ("sort=name,qty&sort=price,day", "more than 3 sort keys"),
        ("secret=x", "cannot filter on 'secret'"),
        ("price__regex=.*", "unknown operator 'regex'"),
        ("price__contains=1", "operator 'contains' is not allowed on 'price'"),
        ("status__ne=x", "operator 'ne' is not allowed on 'status'"),
        ("qty=1.5", "not a valid int"),
        ("qty=1_000", "not a valid int"),
        ("qty=", "not a valid int"),
        ("qty=%EF%BC%91", "not a valid int"),  # a fullwidth digit: int() would take it
        ("qty=9223372036854775808", "64-bit integer range"),
        ("qty=-9223372036854775809", "64-bit integer range"),
        ("price=nan", "not a valid float"),
        ("price=inf", "not a valid float"),
        ("price=1e999", "float range"),
        ("price=0x10", "not a valid float"),
        ("active=maybe", "not a valid bool"),
        ("day=2026-02-30", "not a valid date"),
        ("day=20260228", "not a valid date"),
        ("created=2026-02-28T10:00:00", "needs a UTC offset"),
        ("created=yesterday", "not a valid datetime"),
        ("qty__in=1,x", "not a valid int"),
        ("name__isnull=perhaps", "not a valid bool"),
        ("qty__in=" + ",".join(["1"] * 51), "more than 50 items"),
        ("name=" + "x" * 257, "longer than 256"),
        ("name__contains=%00", "NUL character"),
        ("sort=name%00", "NUL character"),
        ("sort=" + "," * 300, "longer than 256"),
        ("&".join(f"qty__gt={i}" for i in range(11)), "more than 10 filters"),
    ],
)
def test_every_refusal_is_a_typed_filter_error(query: str, message: str) -> None:
    with pytest.raises(FilterError, match=message) as info:
        PRODUCTS.parse(query)
    assert isinstance(info.value, PaginationError) and isinstance(info.value, ValueError)


def test_unknown_parameters_are_ignored_unless_strict() -> None:
    assert PRODUCTS.parse("page=2&page_size=5&utm_source=x").conditions == ()
    strict = FilterSet({"name": "str"}, strict=True)
    assert strict.parse("page=2&name=x&cursor=abc").conditions == (Condition("name", "eq", "x"),)
    with pytest.raises(FilterError, match="unknown query parameter 'utm_source'"):
        strict.parse("utm_source=x")


def test_limits_are_configurable() -> None:
    fs = FilterSet({"a": "int", "b": "int"}, max_sort_keys=1, max_filters=1, max_in_items=2, max_value_length=5)
    with pytest.raises(FilterError, match="more than 1 sort keys"):
        fs.parse("sort=a,b")
    with pytest.raises(FilterError, match="more than 1 filters"):
        fs.parse("a=1&b=2")
    with pytest.raises(FilterError, match="more than 2 items"):
        fs.parse("a__in=1,2,3")
    with pytest.raises(FilterError, match="longer than 5"):
        fs.parse("a=123456")
    assert FilterSet({"a": "int"}, max_in_items=1000).parse("a__in=" + ",".join(["1"] * 1000)).conditions


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": {"a b": "str"}}, "identifier"),
        ({"fields": {"a__b": "str"}}, "without '__'"),
        ({"fields": {"sort": "str"}}, "sort parameter"),
        ({"fields": {"a": "uuid"}}, "unknown type"),
        ({"fields": {"a": Field("int", operators=("eq", "like"))}}, "unknown operator"),
        ({"fields": {"a": Field("int", operators=("contains",))}}, "need a str field"),
        ({"fields": {"a": Field("int", column='a"; DROP TABLE x; --')}}, "plain SQL identifier"),
        ({"fields": {"a": Field("int", lookup="a; x")}}, "Django field path"),
        ({"fields": {"a": "int"}, "tiebreaker": "b"}, "tiebreaker"),
        ({"fields": {"a": "int"}, "max_filters": -1}, "max_filters"),
        ({"fields": {"a": "int"}, "default_sort": "b"}, "cannot sort by 'b'"),
    ],
)
def test_filterset_configuration_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        FilterSet(**kwargs)


def test_default_operators_by_type() -> None:
    assert "contains" in DEFAULT_OPERATORS["str"] and "lt" not in DEFAULT_OPERATORS["str"]
    assert DEFAULT_OPERATORS["bool"] == ("eq", "ne", "isnull")
    assert PRODUCTS.parse("name__startswith=ab").conditions == (Condition("name", "startswith", "ab"),)


# --- SQL ----------------------------------------------------------------------------------------

HOSTILE = ["'; DROP TABLE products;--", "a' OR '1'='1", '"; DELETE FROM products; --', "%", "_", "!", "\\",
           "a%b_c!d", "é'", "\x01", ")--"]
STR_ALL = (*DEFAULT_OPERATORS["str"], "lt", "lte", "gt", "gte")
SQL_SET = FilterSet(
    {"id": "int", "name": Field("str", operators=STR_ALL), "price": "float", "qty": "int", "active": "bool",
     "day": "date", "created": "datetime", "tag": Field("str", column="tag_name", operators=STR_ALL)},
    tiebreaker="id", max_filters=20,
)
SQL_TEXT = st.text(alphabet="aAbB%_!'; -é\\\"", max_size=5) | st.sampled_from(HOSTILE)


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA case_sensitive_like = ON")  # LIKE as in PostgreSQL (sqlite's default ignores ASCII case)
    conn.execute(
        "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, active INTEGER,"
        " day TEXT, created TEXT, tag_name TEXT)"
    )
    yield conn
    conn.close()


def sql_value(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, tuple):
        return tuple(sql_value(x) for x in v)
    return v


def run_sql(conn: sqlite3.Connection, spec: FilterSpec, dialect: str) -> list[int]:
    sql, params = spec.to_sql(dialect)  # type: ignore[arg-type]
    assert "%" not in sql.replace("%s", "").replace("%(p", "")  # no literal % for format styles
    if dialect == "format":
        sql = sql.replace("%s", "?")
    elif dialect == "pyformat":
        import re

        sql = re.sub(r"%\((p\d+)\)s", r":\1", sql)
    if isinstance(params, dict):
        params = {k: sql_value(v) for k, v in params.items()}
    else:
        params = [sql_value(v) for v in params]
    return [r[0] for r in conn.execute(f"SELECT id FROM products {sql}", params).fetchall()]


def insert(conn: sqlite3.Connection, items: list[dict[str, Any]]) -> None:
    conn.execute("DELETE FROM products")
    for d in items:
        conn.execute(
            "INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [d["id"], d.get("name"), d.get("price"), d.get("qty"), d.get("active"),
             sql_value(d.get("day")), sql_value(d.get("created")), d.get("tag")],
        )


SQL_COLUMNS: dict[str, st.SearchStrategy[Any]] = {
    "name": SQL_TEXT,
    "tag": SQL_TEXT,
    "price": st.floats(-5, 5, allow_nan=False).map(lambda f: round(f, 1)),
    "qty": st.integers(-3, 3) | st.integers(-(2**63), 2**63 - 1),
    "active": st.booleans(),
    "day": DATES,
    "created": DATETIMES,
}


def as_query(field: str, v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.isoformat().replace("+00:00", "Z")
    if isinstance(v, float):
        return repr(v)
    return str(v)


@st.composite
def sql_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for k in range(draw(st.integers(0, 15))):
        d: dict[str, Any] = {"id": k}
        for name, values in SQL_COLUMNS.items():
            if draw(st.integers(0, 4)):
                d[name] = draw(values)
            else:
                d[name] = None
        out.append(d)
    return out


@st.composite
def sql_queries(draw: st.DrawFn) -> list[tuple[str, str]]:
    pairs = []
    for _ in range(draw(st.integers(0, 3))):
        field = draw(st.sampled_from(sorted(SQL_COLUMNS)))
        op = draw(st.sampled_from(DEFAULT_OPERATORS[SQL_SET.fields[field].type]))
        if op == "isnull":
            pairs.append((f"{field}__isnull", draw(st.sampled_from(["true", "false"]))))
        elif op == "in":
            values = draw(st.lists(SQL_COLUMNS[field].filter(lambda v: "," not in as_query("", v)), max_size=3))
            pairs.append((f"{field}__in", ",".join(as_query(field, v) for v in values)))
        elif op in ("contains", "icontains", "startswith", "endswith"):
            pairs.append((f"{field}__{op}", draw(SQL_TEXT)))
        else:
            pairs.append((field if op == "eq" else f"{field}__{op}", as_query(field, draw(SQL_COLUMNS[field]))))
    keys = draw(st.lists(st.sampled_from(["name", "price", "qty", "active", "day", "created", "tag", "id"]),
                         max_size=3, unique=True))
    if keys:
        pairs.append(("sort", ",".join(("-" if draw(st.booleans()) else "") + k for k in keys)))
    return pairs


@settings(max_examples=150)
@given(items=sql_rows(), query=sql_queries(), dialect=st.sampled_from(SQL_DIALECTS))
def test_sql_fragment_selects_what_apply_selects(items: list[dict[str, Any]], query: list[tuple[str, str]],
                                                  dialect: str) -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("PRAGMA case_sensitive_like = ON")
        conn.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER,"
                     " active INTEGER, day TEXT, created TEXT, tag_name TEXT)")
        insert(conn, items)
        spec = SQL_SET.parse(query)
        # icontains lowers with the database's LOWER (ASCII-only in sqlite): compare on data where
        # that is Python's lower too.
        expected = [d["id"] for d in spec.apply(items)]
        assert run_sql(conn, spec, dialect) == expected
    finally:
        conn.close()


def test_hostile_values_are_only_ever_parameters(db: sqlite3.Connection) -> None:
    items = [{"id": i, "name": v, "tag": v, "qty": i} for i, v in enumerate(HOSTILE)]
    insert(db, items)
    for v in HOSTILE:
        for op in ("", "__ne", "__contains", "__icontains", "__startswith", "__endswith", "__lt", "__in"):
            spec = SQL_SET.parse([(f"name{op}", v), ("tag__gte", v), ("sort", "-name")])
            for dialect in SQL_DIALECTS:
                sql, params = spec.to_sql(dialect)
                for piece in v.split(","):
                    if len(piece) > 1:
                        assert piece not in sql
                assert run_sql(db, spec, dialect) == [d["id"] for d in spec.apply(items)]
        assert db.execute("SELECT count(*) FROM products").fetchone() == (len(HOSTILE),)


def test_like_wildcards_match_literally(db: sqlite3.Connection) -> None:
    items = [{"id": 0, "name": "100%"}, {"id": 1, "name": "1000"}, {"id": 2, "name": "a_b"}, {"id": 3, "name": "axb"},
             {"id": 4, "name": "x!y"}, {"id": 5, "name": "xy"}]
    insert(db, items)
    for q, ids in (("name__contains=%25", [0]), ("name__contains=_", [2]), ("name__endswith=!y", [4]),
                   ("name__startswith=a_", [2]), ("name__icontains=A_B", [2])):
        spec = SQL_SET.parse(q)
        assert run_sql(db, spec, "qmark") == ids == [d["id"] for d in spec.apply(items)]


def test_sql_shapes() -> None:
    spec = SQL_SET.parse("name=a&qty__ne=3&tag__in=&price__isnull=true&sort=-tag")
    assert spec.to_sql("qmark") == (
        'WHERE "name" = ? AND ("qty" <> ? OR "qty" IS NULL) AND 1 = 0 AND "price" IS NULL '
        'ORDER BY CASE WHEN "tag_name" IS NULL THEN 1 ELSE 0 END, "tag_name" DESC, '
        'CASE WHEN "id" IS NULL THEN 1 ELSE 0 END, "id" ASC',
        ["a", 3],
    )
    where, params = spec.where_sql("numeric", start=4)
    assert where.startswith('"name" = :4 AND ("qty" <> :5') and params == ["a", 3]
    where, params = spec.where_sql("pyformat", quote_char="`")
    assert where.startswith("`name` = %(p1)s AND (`qty` <> %(p2)s") and params == {"p1": "a", "p2": 3}
    assert SQL_SET.parse("").to_sql() == ('ORDER BY CASE WHEN "id" IS NULL THEN 1 ELSE 0 END, "id" ASC', [])
    assert FilterSet({"a": "int"}).parse("").to_sql() == ("", [])
    dotted = FilterSet({"a": Field("int", column="t.a")}).parse("a=1")
    assert dotted.to_sql("named") == ('WHERE "t"."a" = :p1', {"p1": 1})
    with pytest.raises(ValueError, match="dialect"):
        spec.to_sql("percent")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quote_char"):
        spec.to_sql(quote_char="[")


def test_dates_and_datetimes_compare_as_python_compares_them() -> None:
    from zoneinfo import ZoneInfo

    plus2 = dt.timezone(dt.timedelta(hours=2))
    values = [
        dt.datetime(2020, 1, 1, 12, tzinfo=UTC), dt.datetime(2020, 1, 1, 13, tzinfo=plus2),
        dt.datetime(2020, 1, 1, 11, 59, 59, 999999, tzinfo=UTC), dt.datetime(2020, 1, 1, 10, 0, 0, 1, tzinfo=UTC),
    ]
    items = [{"t": v} for v in values]
    for op in ("eq", "ne", "lt", "lte", "gt", "gte"):
        for x in values:
            assert same(engine(items, [("t", op, x)], []), ref_apply(items, [("t", op, x)], []))
    for desc in (False, True):
        assert same(engine(items, [], [("t", desc)]), ref_apply(items, [], [("t", desc)]))
    # naive and aware: never equal, not orderable (Python's TypeError)
    naive = dt.datetime(2020, 1, 1, 12)
    assert engine(items, [("t", "eq", naive)], []) == []
    with pytest.raises(TypeError):
        engine(items, [("t", "lt", naive)], [])
    with pytest.raises(TypeError):
        engine(items + [{"t": naive}], [], [("t", False)])
    # a date is not a datetime
    assert engine([{"t": dt.date(2020, 1, 1)}], [("t", "eq", dt.datetime(2020, 1, 1))], []) == []
    # zoneinfo: same-zone datetimes compare by wall time in Python (the fold is ignored); the
    # engine leaves them to Python
    paris = ZoneInfo("Europe/Paris")
    fold = [{"t": dt.datetime(2021, 10, 31, 2, 30, fold=f, tzinfo=paris)} for f in (1, 0)]
    assert same(engine(fold, [], [("t", False)]), ref_apply(fold, [], [("t", False)]))
    mixed = fold + [{"t": dt.datetime(2021, 10, 31, 0, 45, tzinfo=UTC)}]
    assert same(engine(mixed, [], [("t", True)]), ref_apply(mixed, [], [("t", True)]))

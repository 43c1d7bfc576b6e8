"""Pagination: webaccel.pagination against what an app would write otherwise.

- filtering and sorting ~10k dicts: ``FilterSpec.apply`` (Rust) against the equivalent pure
  Python (a list comprehension, then ``sort`` with a key tuple);
- page arithmetic: ``Paginator(...).to_dict()`` against Django's ``Paginator(...).page(n)`` and
  the same figures read from its ``Page``;
- cursors: ``CursorCodec.encode``/``decode`` against the same format written with ``hmac``,
  ``base64`` and ``json`` from the standard library.

Outputs are checked equal first (the same dicts in the same order, the same figures, the same
cursor strings and values).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import hmac
import json
import random
import struct
from typing import Any, Callable

from django.core.paginator import Paginator as DjangoPaginator

from bench._harness import Case, Table, WrongOutput
from webaccel.pagination import CursorCodec, Field, FilterSet, Paginator

PACKAGES = ("django",)

STATUSES = ("active", "archived", "draft")


def _rows(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(11)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    return [
        {
            "id": i,
            "name": f"product {rnd.randrange(5000):04}",
            "status": STATUSES[rnd.randrange(3)],
            "price": round(rnd.uniform(0, 100), 2),
            "qty": rnd.randrange(1000),
            "created": start + dt.timedelta(seconds=rnd.randrange(10**7)),
            "cost": decimal.Decimal(rnd.randrange(10**6)) / 100,
        }
        for i in range(n)
    ]


FILTERS = FilterSet(
    {"id": "int", "name": "str", "status": Field("str", operators=("eq", "in")), "price": "float",
     "qty": "int", "created": "datetime", "cost": "float"},
)


def _same(expected: list[Any]) -> Callable[[str, Any], None]:
    def check(_name: str, out: Any) -> None:
        if len(out) != len(expected) or any(a is not b for a, b in zip(out, expected)):
            raise WrongOutput(f"{len(out)} items, not the expected {len(expected)} in order")

    return check


def _apply_cases(rows: list[dict[str, Any]], label: str) -> list[Case]:
    cases = []
    specs: list[tuple[str, str, Callable[[list[dict[str, Any]]], list[Any]]]] = [
        (
            "filter: status=active&price__gte=50",
            "status=active&price__gte=50",
            lambda items: [d for d in items if d["status"] == "active" and d["price"] >= 50],
        ),
        (
            "sort: -price,name",
            "sort=-price,name",
            lambda items: sorted(items, key=lambda d: (-d["price"], d["name"])),
        ),
        (
            "filter + sort: status__in=active,draft&qty__lt=500&sort=name,-qty",
            "status__in=active,draft&qty__lt=500&sort=name,-qty",
            lambda items: sorted(
                [d for d in items if d["status"] in ("active", "draft") and d["qty"] < 500],
                key=lambda d: (d["name"], -d["qty"]),
            ),
        ),
        (
            "sort by an aware datetime: -created",
            "sort=-created",
            lambda items: sorted(items, key=lambda d: d["created"], reverse=True),
        ),
        (
            "sort by a Decimal (compared by Python): cost",
            "sort=cost",
            lambda items: sorted(items, key=lambda d: d["cost"]),
        ),
    ]
    for title, query, python in specs:
        spec = FILTERS.parse(query)
        expected = python(rows)
        cases.append(Case(f"{title} ({label})", rows, {"webaccel": spec.apply, "python": python}, _same(expected)))
    return cases


def _paginator_cases() -> list[Case]:
    def ours(arg: tuple[Any, int, int]) -> dict[str, Any]:
        page, size, total = arg
        return Paginator(page, size, total).to_dict()

    def django(arg: tuple[Any, int, int]) -> dict[str, Any]:
        page, size, total = arg
        paginator = DjangoPaginator(range(total), size)
        p = paginator.page(page)
        has_next, has_prev = p.has_next(), p.has_previous()
        start = p.start_index()
        return {
            "page": p.number,
            "page_size": paginator.per_page,
            "total_items": paginator.count,
            "total_pages": paginator.num_pages,
            "has_next": has_next,
            "has_prev": has_prev,
            "next_page": p.next_page_number() if has_next else None,
            "prev_page": p.previous_page_number() if has_prev else None,
            "offset": (p.number - 1) * paginator.per_page,
            "limit": len(p.object_list),
            "start_index": start,
            "end_index": p.end_index(),
        }

    def check_for(arg: tuple[Any, int, int]) -> Callable[[str, Any], None]:
        expected = django(arg)

        def check(_name: str, out: Any) -> None:
            if out != expected:
                raise WrongOutput(f"{out} != {expected}")

        return check

    cases = []
    for label, arg in (("page '7' of 10,000 items, 20 per page", ("7", 20, 10_000)),
                       ("last page, 7 of 130 items, orphans none", (7, 20, 130))):
        cases.append(Case(label, arg, {"webaccel": ours, "django": django}, check_for(arg)))
    return cases


SECRET = b"bench-secret-bench-secret"
NOW = 1_790_000_000
KEY = hmac.new(SECRET, b"webaccel.pagination.cursor.v1:", hashlib.sha256).digest()


def py_encode(values: Any) -> str:
    payload = json.dumps([0, values], separators=(",", ":"), ensure_ascii=False).encode()
    signed = b"\x01" + struct.pack(">Q", NOW) + payload
    tag = hmac.new(KEY, signed, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(signed + tag).rstrip(b"=").decode()


def py_decode(token: str) -> Any:
    if len(token) > 1024:
        raise ValueError("too long")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    signed, tag = raw[:-32], raw[-32:]
    if not hmac.compare_digest(hmac.new(KEY, signed, hashlib.sha256).digest(), tag) or signed[0] != 1:
        raise ValueError("bad cursor")
    d, values = json.loads(signed[9:])
    return values


def _cursor_cases() -> tuple[list[Case], list[Case]]:
    codec = CursorCodec(SECRET)
    values = {"created": "2026-05-01T12:30:45.123456Z", "id": 1234567}

    def ours_encode(v: Any) -> str:
        return codec.encode(v, now=NOW)

    def ours_decode(token: str) -> Any:
        return codec.decode(token).values

    token = py_encode(values)

    def check_token(_name: str, out: Any) -> None:
        if out != token:
            raise WrongOutput(f"{out!r} != {token!r}")

    def check_values(_name: str, out: Any) -> None:
        if out != values:
            raise WrongOutput(f"{out!r} != {values!r}")

    label = "{created, id} keyset values"
    encode = [Case(label, values, {"webaccel": ours_encode, "python": py_encode}, check_token)]
    decode = [Case(label, token, {"webaccel": ours_decode, "python": py_decode}, check_values)]
    return encode, decode


def tables(quick: bool) -> list[Table]:
    n = 1_000 if quick else 10_000
    rows = _rows(n)
    encode, decode = _cursor_cases()
    return [
        Table(
            "pagination.FilterSpec.apply",
            f"filtering and sorting {n:,} dicts, against a list comprehension + sort with a key tuple",
            _apply_cases(rows, f"{n:,} dicts"),
            peer="python",
            notes=["webaccel: the spec parsed once from the query string (parsing is not timed); "
                   "the same dict objects come back in the same order as the Python code's",
                   "ints, floats, str, dates and datetimes (UTC or fixed offsets) compare natively; other "
                   "values (the Decimal row; zoneinfo datetimes, enums...) through Python's `<`, called "
                   "from Rust: slower than `sorted`, which compares precomputed keys"],
        ),
        Table(
            "pagination.Paginator",
            "one page's figures, against Django's Paginator + Page",
            _paginator_cases(),
            peer="django",
            notes=["django: `Paginator(range(total), size).page(n)` and the same twelve figures read "
                   "from the Page (webaccel's `to_dict()`)"],
        ),
        Table("pagination.CursorCodec.encode", "a signed cursor, against hmac + base64 + json (stdlib)",
              encode, peer="python",
              notes=["the same bytes: the stdlib code writes webaccel's documented format"]),
        Table("pagination.CursorCodec.decode", "verify and read a cursor, against hmac + base64 + json",
              decode, peer="python"),
    ]

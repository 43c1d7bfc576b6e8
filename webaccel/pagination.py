"""Pagination, keyset cursors, filtering and sorting for list endpoints.

- :class:`Paginator`: one page of a listing with Django's ``Paginator``/``Page`` arithmetic
  (1-based pages, ``orphans``, ``allow_empty_first_page``), a maximum page size (larger sizes are
  clamped), and typed errors for page numbers it refuses: :class:`PageNotAnInteger` and
  :class:`EmptyPage` (both :class:`InvalidPage`, Django's names and messages), or Django's
  ``get_page`` behaviour with ``clamp=True``. Computed in Rust.
- :class:`CursorCodec`: opaque, signed (HMAC-SHA256), URL-safe cursors for keyset pagination;
  a tampered, truncated, foreign, expired or oversized cursor raises :class:`InvalidCursor`.
- :func:`link_header` / :func:`cursor_link_header`: RFC 8288 ``Link`` headers (first, prev,
  next, last) that keep the request's other query parameters; :func:`envelope` /
  :func:`cursor_envelope`: the standard JSON body (``items``, ``page``, ``next``, ...).
- :class:`FilterSet` parses ``?sort=-created,name&status=active&price__gte=10&tag__in=a,b``
  against an allow-list of typed fields and operators into a :class:`FilterSpec`, which filters
  and sorts lists of dicts in Rust (:meth:`FilterSpec.apply`), or becomes a Django QuerySet
  filter/order (:meth:`FilterSpec.to_django`) or a parameterised SQL fragment
  (:meth:`FilterSpec.to_sql`: identifiers from the allow-list only, values always parameters).

Every error is a :class:`PaginationError` (a ``ValueError`` and a ``WebAccelError``).
See ``docs/pagination.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Union
from urllib.parse import quote, urlsplit, urlunsplit

from webaccel import _core
from webaccel._core import Paginator
from webaccel.errors import (
    EmptyPage,
    FilterError,
    InvalidCursor,
    InvalidPage,
    InvalidPageSize,
    PageNotAnInteger,
    PaginationError,
)
from webaccel.http import parse_qsl, urlencode

__all__ = [
    "Paginator",
    "CursorCodec",
    "Cursor",
    "link_header",
    "cursor_link_header",
    "refuse_oversize",
    "replace_query",
    "envelope",
    "cursor_envelope",
    "Field",
    "FilterSet",
    "FilterSpec",
    "Condition",
    "SortKey",
    "OPERATORS",
    "DEFAULT_OPERATORS",
    "FIELD_TYPES",
    "SQL_DIALECTS",
    "PaginationError",
    "InvalidPage",
    "PageNotAnInteger",
    "EmptyPage",
    "InvalidPageSize",
    "InvalidCursor",
    "FilterError",
]

# --- cursors --------------------------------------------------------------------------------

Direction = Literal["next", "prev"]


class Cursor(NamedTuple):
    """A verified cursor: the sort-key ``values`` it was made from (JSON data: tuples come back
    as lists), the ``direction`` to read in, and when it was issued (Unix seconds)."""

    values: Any
    direction: Direction
    issued_at: int


class CursorCodec:
    """Makes and verifies opaque keyset cursors.

    A cursor is ``base64url(version | issued_at | JSON payload | HMAC-SHA256 tag)`` without
    padding: URL-safe, opaque to clients, and unforgeable without the secret. The full 32-byte
    tag is kept (no truncation) and compared in constant time.

    ``secret``: a str or bytes of 16 bytes or more, or a list of them for rotation (the first
    signs, every one verifies). The signing key is derived from the secret and ``salt`` (give
    each endpoint its own salt so that one endpoint's cursors are refused by another).
    ``max_age`` (seconds, ``None``: no expiry) refuses old cursors; ``max_length`` (characters)
    refuses longer cursors before any decoding, and :meth:`encode` refuses to make one.
    """

    __slots__ = ("_codec",)

    def __init__(
        self,
        secret: str | bytes | Sequence[str | bytes],
        *,
        salt: str = "",
        max_age: float | None = None,
        max_length: int = 1024,
    ) -> None:
        self._codec = _core.CursorCodec(secret, salt=salt, max_age=max_age, max_length=max_length)

    @property
    def max_age(self) -> float | None:
        return self._codec.max_age

    @property
    def max_length(self) -> int:
        return self._codec.max_length

    def encode(self, values: Any, direction: Direction = "next", *, now: float | None = None) -> str:
        """A cursor for ``values`` (JSON data, typically the sort-key values of the last row of
        a page). ``now`` (Unix seconds) replaces the clock, for tests."""
        return self._codec.encode(values, direction, now=now)

    def decode(self, cursor: str, *, now: float | None = None) -> Cursor:
        """The :class:`Cursor` inside ``cursor``; :class:`InvalidCursor` unless this codec (or
        one sharing a secret and salt) made it and it is within ``max_age``."""
        values, direction, issued_at = self._codec.decode(cursor, now=now)
        return Cursor(values, direction, issued_at)

    def __repr__(self) -> str:
        return f"CursorCodec(max_age={self.max_age!r}, max_length={self.max_length!r})"


def refuse_oversize(page_size: Any, max_page_size: int) -> None:
    """Raise :class:`InvalidPageSize` when ``page_size`` (as a request gives it: converted as
    :class:`Paginator` converts it) is above ``max_page_size``; for adapters that refuse a
    larger size instead of clamping it (``clamp_page_size=False``). A size that is not an
    integer is left for :class:`Paginator` to refuse."""
    size = Paginator(1, page_size, 0, max_page_size=None).page_size
    if size > max_page_size:
        raise InvalidPageSize(f"page_size is more than {max_page_size}")


# --- links and envelopes --------------------------------------------------------------------

# Characters left as they are in a path / authority: RFC 3986's reserved and unreserved sets and
# existing percent-escapes. Everything else (space, <, >, ", non-ASCII, controls) is escaped, so
# a URL can never close the <...> of a Link header or split the header.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_AUTHORITY_SAFE = "%:@[]!$&'()*+,;=-._~"


def replace_query(url: str, updates: Mapping[str, object | None]) -> str:
    """``url`` with the query parameters in ``updates`` set (``None`` removes one), the others
    kept in order; the fragment is dropped. Parsed and re-encoded with ``webaccel.http``."""
    parts = urlsplit(url)
    pairs: list[tuple[str, str]] = []
    done: set[str] = set()
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in updates:
            if key in done:
                continue
            done.add(key)
            new = updates[key]
            if new is not None:
                pairs.append((key, str(new)))
        else:
            pairs.append((key, value))
    for key, new in updates.items():
        if key not in done and new is not None:
            pairs.append((key, str(new)))
    return urlunsplit(
        (
            parts.scheme,
            quote(parts.netloc, safe=_AUTHORITY_SAFE),
            quote(parts.path, safe=_PATH_SAFE),
            urlencode(pairs),
            "",
        )
    )


def _links(items: Iterable[tuple[str, str | None]]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in items if url is not None)


class _PageURLs:
    """The URLs of other pages of one listing: what ``replace_query(url, {page_param: n,
    size_param: size})`` gives, with ``url`` split, parsed and re-encoded once rather than for
    every link (a page's envelope and ``Link`` header name up to four pages)."""

    __slots__ = ("_head", "_pieces", "_page_key", "_size_key")

    def __init__(self, url: str, page_param: str, size_param: str) -> None:
        parts = urlsplit(url)
        # urlunsplit puts the query after everything but the fragment, which is dropped.
        self._head = urlunsplit(
            (parts.scheme, quote(parts.netloc, safe=_AUTHORITY_SAFE), quote(parts.path, safe=_PATH_SAFE), "", "")
        ) + "?"
        slots = {page_param: 0, size_param: 1}
        pieces: list[str | int] = []  # an encoded pair kept as it is, or the slot of a value
        done: set[str] = set()
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key in slots:
                if key not in done:
                    done.add(key)
                    pieces.append(slots[key])
            else:
                pieces.append(urlencode([(key, value)]))
        pieces.extend(slot for key, slot in slots.items() if key not in done)
        self._pieces = pieces
        self._page_key = urlencode([(page_param, "")])
        self._size_key = urlencode([(size_param, "")])

    def __call__(self, page: int | None, size: int) -> str | None:
        if page is None:
            return None
        values = (f"{self._page_key}{page}", f"{self._size_key}{size}")
        return self._head + "&".join(p if isinstance(p, str) else values[p] for p in self._pieces)


# A listing's URLs repeat (page 1 of the same query, again and again): the split and parse are
# kept for the last few hundred. Bounded, so unique URLs from a client only cycle it.
_page_urls = functools.lru_cache(maxsize=256)(_PageURLs)


def _page_url(url: str, page: int | None, size: int, page_param: str, size_param: str) -> str | None:
    return _page_urls(url, page_param, size_param)(page, size)


def link_header(
    url: str, paginator: Paginator, *, page_param: str = "page", size_param: str = "page_size"
) -> str:
    """An RFC 8288 ``Link`` header value with ``first``, ``prev``, ``next`` and ``last`` (prev and
    next only when they exist) for the page ``paginator`` describes, built from the request's
    ``url`` (its other query parameters kept)::

        <https://api.example/items?status=active&page=1&page_size=20>; rel="first", ...
    """
    p = paginator
    return _link_header(url, page_param, size_param, p.page_size, p.prev_page, p.next_page, max(p.total_pages, 1))


# The header is a function of these values only; the same page of the same listing is asked
# for again and again. Bounded as _page_urls is.
@functools.lru_cache(maxsize=256)
def _link_header(
    url: str, page_param: str, size_param: str, size: int, prev: int | None, nxt: int | None, last: int
) -> str:
    page_url = _page_urls(url, page_param, size_param)
    return _links(
        [
            ("first", page_url(1, size)),
            ("prev", page_url(prev, size)),
            ("next", page_url(nxt, size)),
            ("last", page_url(last, size)),
        ]
    )


def cursor_link_header(
    url: str,
    *,
    next_cursor: str | None = None,
    prev_cursor: str | None = None,
    cursor_param: str = "cursor",
) -> str:
    """A ``Link`` header value with ``prev`` and ``next`` for cursor pagination ("" if neither)."""
    return _links(
        [
            ("prev", None if prev_cursor is None else replace_query(url, {cursor_param: prev_cursor})),
            ("next", None if next_cursor is None else replace_query(url, {cursor_param: next_cursor})),
        ]
    )


def envelope(
    items: Iterable[Any],
    paginator: Paginator,
    *,
    url: str | None = None,
    page_param: str = "page",
    size_param: str = "page_size",
) -> dict[str, Any]:
    """The standard page body: ``items``, ``page``, ``page_size``, ``total_items``,
    ``total_pages``, ``next`` and ``prev``. With ``url`` (the request's), ``next``/``prev`` are
    URLs; without it, page numbers; ``None`` where there is no such page."""
    p = paginator
    if url is None:
        nxt: str | int | None = p.next_page
        prev: str | int | None = p.prev_page
    elif p.next_page is None and p.prev_page is None:
        nxt = prev = None
    else:
        page_url = _page_urls(url, page_param, size_param)
        nxt = page_url(p.next_page, p.page_size)
        prev = page_url(p.prev_page, p.page_size)
    return {
        "items": list(items),
        "page": p.page,
        "page_size": p.page_size,
        "total_items": p.total_items,
        "total_pages": p.total_pages,
        "next": nxt,
        "prev": prev,
    }


def cursor_envelope(
    items: Iterable[Any],
    *,
    page_size: int,
    next_cursor: str | None = None,
    prev_cursor: str | None = None,
    url: str | None = None,
    cursor_param: str = "cursor",
) -> dict[str, Any]:
    """The cursor-page body: ``items``, ``page_size``, ``next`` and ``prev`` (URLs with ``url``,
    else the cursors themselves)."""
    if url is not None:
        nxt = None if next_cursor is None else replace_query(url, {cursor_param: next_cursor})
        prev = None if prev_cursor is None else replace_query(url, {cursor_param: prev_cursor})
    else:
        nxt, prev = next_cursor, prev_cursor
    return {"items": list(items), "page_size": page_size, "next": nxt, "prev": prev}


# --- filtering and sorting ------------------------------------------------------------------

FieldType = Literal["str", "int", "float", "bool", "date", "datetime"]
FIELD_TYPES: tuple[FieldType, ...] = ("str", "int", "float", "bool", "date", "datetime")

OPERATORS: tuple[str, ...] = (
    "eq", "ne", "lt", "lte", "gt", "gte", "in",
    "contains", "icontains", "startswith", "endswith", "isnull",
)  # fmt: skip
"""Every operator: ``field=v`` is ``eq``, ``field__<op>=v`` the others."""

_ORDERED = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull")
DEFAULT_OPERATORS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "str": ("eq", "ne", "in", "contains", "icontains", "startswith", "endswith", "isnull"),
        "int": _ORDERED,
        "float": _ORDERED,
        "date": _ORDERED,
        "datetime": _ORDERED,
        "bool": ("eq", "ne", "isnull"),
    }
)
"""The operators a field of each type allows unless its :class:`Field` says otherwise."""

_STRING_OPS = frozenset({"contains", "icontains", "startswith", "endswith"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?\Z", re.ASCII)
_LOOKUP = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)
_INT = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})\Z",
    re.ASCII,
)
_BOOLS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
_I64 = 1 << 63


@dataclasses.dataclass(frozen=True)
class Field:
    """One allow-listed field.

    ``type`` decides how query values convert (``str``, ``int`` (64-bit), ``float`` (finite),
    ``bool`` (true/false/1/0/yes/no/on/off), ``date`` (``YYYY-MM-DD``), ``datetime`` (ISO 8601
    with a UTC offset or ``Z``)) and which operators it allows by default
    (:data:`DEFAULT_OPERATORS`). ``column`` is the SQL column for :meth:`FilterSpec.to_sql`
    (default: the field name; ``table.column`` allowed) and ``lookup`` the Django ORM path for
    :meth:`FilterSpec.to_django` (default: the field name; ``author__name`` allowed).
    """

    type: FieldType = "str"
    operators: tuple[str, ...] | None = None
    sortable: bool = True
    filterable: bool = True
    column: str | None = None
    lookup: str | None = None

    def allowed(self) -> tuple[str, ...]:
        return DEFAULT_OPERATORS[self.type] if self.operators is None else self.operators


@dataclasses.dataclass(frozen=True)
class Condition:
    """One parsed filter: ``field <op> value`` (``value`` typed; a tuple for ``in``, a bool for
    ``isnull``)."""

    field: str
    op: str
    value: Any


@dataclasses.dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


Params = Union[str, bytes, Mapping[str, Any], Iterable[tuple[str, str]]]


def _pairs(params: Params) -> list[tuple[str, str]]:
    """Query parameters as (name, value) pairs, repeated names kept: a query string, a
    multi-value mapping (Starlette's ``QueryParams``, Werkzeug's ``MultiDict``, Django's
    ``QueryDict``), a plain mapping or an iterable of pairs."""
    if isinstance(params, bytes):
        params = params.decode("utf-8", "replace")
    if isinstance(params, str):
        return [(str(k), str(v)) for k, v in parse_qsl(params, keep_blank_values=True)]
    multi_items = getattr(params, "multi_items", None)  # Starlette
    if callable(multi_items):
        return [(str(k), str(v)) for k, v in multi_items()]
    lists = getattr(params, "lists", None)  # Werkzeug MultiDict, Django QueryDict
    if callable(lists):
        return [(str(k), str(v)) for k, vs in lists() for v in vs]
    if isinstance(params, Mapping):
        out: list[tuple[str, str]] = []
        for k, v in params.items():
            if isinstance(v, (list, tuple)):
                out += [(str(k), str(x)) for x in v]
            else:
                out.append((str(k), str(v)))
        return out
    return [(str(k), str(v)) for k, v in params]


class FilterSet:
    """An allow-list of fields, their types and operators, and the limits on what a request may
    ask; :meth:`parse` turns query parameters into a :class:`FilterSpec`.

    ::

        products = FilterSet(
            {"name": "str", "price": "float", "created": "datetime",
             "status": Field("str", operators=("eq", "in")), "tag": "str"},
            default_sort="-created", tiebreaker="id",
        )
        spec = products.parse("sort=-created,name&status=active&price__gte=10&tag__in=a,b")

    Grammar: ``sort=<key>[,<key>...]`` where a key is a field name, ``-`` first for descending;
    ``<field>=<value>`` (``eq``) and ``<field>__<op>=<value>``; ``in`` takes a comma-separated
    list; ``isnull`` a bool. Repeated parameters are separate conditions (all must hold).

    Refused with :class:`FilterError`: a sort on a field outside the allow-list (or not
    sortable), a repeated sort key, an operator that does not exist or that the field does not
    allow, a value that does not convert, and the limits: more than ``max_sort_keys`` sort
    keys, more than ``max_filters`` conditions, more than ``max_in_items`` items in one ``in``
    list, a value longer than ``max_value_length`` characters. Parameters naming no field are
    ignored (they are the page number, other parameters...), unless ``strict`` is true, in which
    case only the names in ``ignore`` are.

    ``default_sort`` applies when the request gives no sort; ``tiebreaker`` (a unique field,
    e.g. ``"id"``) is appended to every sort that lacks it, so that pages are deterministic in a
    database (it does not count towards ``max_sort_keys``).
    """

    def __init__(
        self,
        fields: Mapping[str, FieldType | Field],
        *,
        sort_param: str = "sort",
        default_sort: str | Sequence[str] = (),
        tiebreaker: str | None = None,
        max_sort_keys: int = 3,
        max_filters: int = 10,
        max_in_items: int = 50,
        max_value_length: int = 256,
        strict: bool = False,
        ignore: Iterable[str] = ("page", "page_size", "cursor"),
    ) -> None:
        resolved: dict[str, Field] = {}
        for name, spec in fields.items():
            field = Field(spec) if isinstance(spec, str) else spec
            if not isinstance(field, Field):
                raise TypeError(f"field {name!r}: expected a type name or a Field, not {type(spec).__name__}")
            if not _NAME.match(name) or "__" in name:
                raise ValueError(f"field name {name!r} must be an identifier without '__'")
            if name == sort_param:
                raise ValueError(f"field name {name!r} is the sort parameter")
            if field.type not in FIELD_TYPES:
                raise ValueError(f"field {name!r}: unknown type {field.type!r} (one of {', '.join(FIELD_TYPES)})")
            unknown = [op for op in field.allowed() if op not in OPERATORS]
            if unknown:
                raise ValueError(f"field {name!r}: unknown operator(s) {', '.join(map(repr, unknown))}")
            if field.type != "str" and _STRING_OPS & set(field.allowed()):
                raise ValueError(f"field {name!r}: string operators need a str field")
            if field.column is not None and not _COLUMN.match(field.column):
                raise ValueError(f"field {name!r}: column {field.column!r} is not a plain SQL identifier")
            if field.lookup is not None and not _LOOKUP.match(field.lookup):
                raise ValueError(f"field {name!r}: lookup {field.lookup!r} is not a Django field path")
            resolved[name] = field
        for limit, value in (
            ("max_sort_keys", max_sort_keys),
            ("max_filters", max_filters),
            ("max_in_items", max_in_items),
            ("max_value_length", max_value_length),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{limit} must be a non-negative int")
        self.fields: Mapping[str, Field] = MappingProxyType(resolved)
        self.sort_param = sort_param
        self.max_sort_keys = max_sort_keys
        self.max_filters = max_filters
        self.max_in_items = max_in_items
        self.max_value_length = max_value_length
        self.strict = strict
        self.ignore = frozenset(ignore)
        if tiebreaker is not None and tiebreaker not in resolved:
            raise ValueError(f"tiebreaker {tiebreaker!r} is not a field")
        self.tiebreaker = tiebreaker
        if isinstance(default_sort, str):
            default_sort = [default_sort]
        keys = self._parse_sort(",".join(default_sort), limit=False)
        self.default_sort: tuple[SortKey, ...] = tuple(keys)

    def __repr__(self) -> str:
        return f"FilterSet({dict(self.fields)!r})"

    # -- parsing

    def _check_length(self, name: str, value: str) -> None:
        if len(value) > self.max_value_length:
            raise FilterError(
                f"{name}: value of {len(value)} characters is longer than {self.max_value_length}"
            )
        if "\x00" in value:
            # PostgreSQL refuses NUL in text, and sqlite's LIKE stops at it (a pattern "%\x00"
            # would match every row): refused for every backend alike.
            raise FilterError(f"{name}: value contains a NUL character")

    def _parse_sort(self, text: str, *, limit: bool = True) -> list[SortKey]:
        keys: list[SortKey] = []
        seen: set[str] = set()
        for token in text.split(","):
            token = token.strip()
            if not token:
                continue
            descending = token.startswith("-")
            name = token[1:] if descending or token.startswith("+") else token
            field = self.fields.get(name)
            if field is None or not field.sortable:
                sortable = ", ".join(n for n, f in self.fields.items() if f.sortable)
                raise FilterError(f"cannot sort by {name!r} (sortable fields: {sortable})")
            if name in seen:
                raise FilterError(f"sort key {name!r} is repeated")
            seen.add(name)
            keys.append(SortKey(name, descending))
            if limit and len(keys) > self.max_sort_keys:
                raise FilterError(f"more than {self.max_sort_keys} sort keys")
        return keys

    def convert(self, name: str, field: Field, text: str) -> Any:
        """One query value converted to the field's type (:class:`FilterError` if it does not)."""
        kind = field.type
        if kind == "str":
            return text
        if kind == "int":
            if _INT.match(text):
                n = int(text)
                if -_I64 <= n < _I64:
                    return n
                raise FilterError(f"{name}: {text!r} is out of the 64-bit integer range")
        elif kind == "float":
            if _FLOAT.match(text):
                f = float(text)
                if math.isfinite(f):
                    return f
                raise FilterError(f"{name}: {text!r} is out of the float range")
        elif kind == "bool":
            b = _BOOLS.get(text.lower())
            if b is not None:
                return b
        elif kind == "date":
            if _DATE.match(text):
                try:
                    return _dt.date.fromisoformat(text)
                except ValueError:
                    pass
        elif kind == "datetime":
            if _DATETIME.match(text):
                try:
                    return _dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
                except ValueError:
                    pass
            elif _DATETIME.match(text + "Z") or _DATETIME.match(text + "+00:00"):
                raise FilterError(f"{name}: {text!r} needs a UTC offset (such as Z or +02:00)")
        raise FilterError(f"{name}: {text!r} is not a valid {kind}")

    def parse(self, params: Params) -> FilterSpec:
        """The :class:`FilterSpec` a request's query parameters ask for (see the class docs)."""
        conditions: list[Condition] = []
        sort: list[SortKey] | None = None
        for name, text in _pairs(params):
            if name == self.sort_param:
                self._check_length(name, text)
                keys = self._parse_sort(text)
                if not keys:  # "sort=" asks for nothing: the default applies
                    continue
                sort = keys if sort is None else sort + keys
                if len(sort) > self.max_sort_keys:
                    raise FilterError(f"more than {self.max_sort_keys} sort keys")
                if len({k.field for k in sort}) != len(sort):
                    raise FilterError("a sort key is repeated")
                continue
            field_name, sep, op = name.rpartition("__")
            if not sep or field_name not in self.fields:
                field_name, op = name, "eq"
            field = self.fields.get(field_name)
            if field is None:
                if self.strict and name not in self.ignore:
                    raise FilterError(f"unknown query parameter {name!r}")
                continue
            if not field.filterable:
                raise FilterError(f"cannot filter on {field_name!r}")
            if op not in OPERATORS:
                raise FilterError(f"{name}: unknown operator {op!r}")
            if op not in field.allowed():
                raise FilterError(
                    f"{name}: operator {op!r} is not allowed on {field_name!r} "
                    f"(allowed: {', '.join(field.allowed())})"
                )
            if len(conditions) >= self.max_filters:
                raise FilterError(f"more than {self.max_filters} filters")
            value: Any
            if op == "in":
                # The length limit applies to each item of the list.
                items = text.split(",", self.max_in_items) if text else []
                if len(items) > self.max_in_items:
                    raise FilterError(f"{name}: more than {self.max_in_items} items")
                for item in items:
                    self._check_length(name, item)
                value = tuple(self.convert(name, field, item) for item in items)
            elif op == "isnull":
                self._check_length(name, text)
                value = self.convert(name, Field("bool"), text)
            else:
                self._check_length(name, text)
                value = self.convert(name, field, text)
            conditions.append(Condition(field_name, op, value))
        order: tuple[SortKey, ...] = self.default_sort if sort is None else tuple(sort)
        if self.tiebreaker is not None and all(k.field != self.tiebreaker for k in order):
            order = (*order, SortKey(self.tiebreaker, False))
        return FilterSpec(tuple(conditions), order, self.fields)


SqlDialect = Literal["qmark", "format", "numeric", "named", "pyformat"]
SQL_DIALECTS: tuple[SqlDialect, ...] = ("qmark", "format", "numeric", "named", "pyformat")
"""DB-API ``paramstyle`` values :meth:`FilterSpec.to_sql` writes placeholders for."""

_SQL_OPS = {"eq": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _like_escape(value: str) -> str:
    # '!' as the LIKE escape character: a backslash would itself be an escape in MySQL strings.
    return value.replace("!", "!!").replace("%", "!%").replace("_", "!_")


class _Params:
    def __init__(self, dialect: str, start: int) -> None:
        if dialect not in SQL_DIALECTS:
            raise ValueError(f"unknown SQL dialect {dialect!r} (one of {', '.join(SQL_DIALECTS)})")
        self.dialect = dialect
        self.n = start
        self.values: list[Any] = []
        self.named: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        n = self.n
        self.n += 1
        if self.dialect == "qmark":
            self.values.append(value)
            return "?"
        if self.dialect == "format":
            self.values.append(value)
            return "%s"
        if self.dialect == "numeric":
            self.values.append(value)
            return f":{n}"
        self.named[f"p{n}"] = value
        return f":p{n}" if self.dialect == "named" else f"%(p{n})s"

    def result(self) -> list[Any] | dict[str, Any]:
        return self.named if self.dialect in ("named", "pyformat") else self.values


def _django_models() -> Any:
    # Imported on use: Django is optional.
    import django.db.models  # type: ignore[import-untyped]

    return django.db.models


@dataclasses.dataclass(frozen=True)
class FilterSpec:
    """What a request asked for: ``conditions`` (all must hold) and ``sort`` keys, checked
    against the :class:`FilterSet` that parsed them."""

    conditions: tuple[Condition, ...]
    sort: tuple[SortKey, ...]
    fields: Mapping[str, Field] = dataclasses.field(repr=False)

    def _plan(self) -> _core.FilterPlan:
        plan = self.__dict__.get("_plan_cache")
        if plan is None:
            plan = _core.FilterPlan(
                [(c.field, c.op, c.value) for c in self.conditions],
                [(k.field, k.descending) for k in self.sort],
            )
            object.__setattr__(self, "_plan_cache", plan)
        return plan

    def apply(self, items: Iterable[Mapping[str, Any]]) -> list[Any]:
        """The items (mappings; a missing key reads as None) that match every condition, in the
        sort order, as a new list. Computed in Rust with Python's comparison results: None
        never matches a comparison except ``ne`` (it does) and ``isnull``; string operators only
        match str values; the sort is stable and puts None (and NaN) last both ways."""
        return self._plan().apply(items)

    # -- Django

    def _lookup(self, name: str) -> str:
        return self.fields[name].lookup or name

    def to_django_q(self) -> Any:
        """The conditions as one ``django.db.models.Q``."""
        Q = _django_models().Q
        q = Q()
        for c in self.conditions:
            path = self._lookup(c.field)
            if c.op == "eq":
                q &= Q(**{path: c.value})
            elif c.op == "ne":
                # exclude() semantics: rows where the field is NULL are kept, as in apply().
                q &= ~Q(**{path: c.value})
            elif c.op == "in":
                q &= Q(**{f"{path}__in": list(c.value)})
            else:
                q &= Q(**{f"{path}__{c.op}": c.value})
        return q

    def django_ordering(self) -> list[Any]:
        """The sort keys as ``order_by`` expressions (NULLs last both ways, as in apply())."""
        F = _django_models().F
        return [
            F(self._lookup(k.field)).desc(nulls_last=True)
            if k.descending
            else F(self._lookup(k.field)).asc(nulls_last=True)
            for k in self.sort
        ]

    def to_django(self, queryset: Any) -> Any:
        """``queryset`` filtered by the conditions (``Q`` objects) and ordered by the keys (the
        queryset's own ordering kept when there are none)."""
        qs = queryset.filter(self.to_django_q()) if self.conditions else queryset
        return qs.order_by(*self.django_ordering()) if self.sort else qs

    # -- SQL

    def _ident(self, name: str, quote_char: str) -> str:
        column = self.fields[name].column or name
        return ".".join(f"{quote_char}{part}{quote_char}" for part in column.split("."))

    def where_sql(
        self, dialect: SqlDialect = "qmark", *, quote_char: str = '"', start: int = 1
    ) -> tuple[str, list[Any] | dict[str, Any]]:
        """The conditions as a SQL boolean expression joined by ``AND`` ("" when there are
        none) and its parameters: a list for ``qmark``/``format``/``numeric``, a dict for
        ``named``/``pyformat`` (``p<n>``; ``start`` numbers the first). Identifiers come only
        from the allow-list (validated, quoted with ``quote_char``: ``"`` by default, a
        backtick for MySQL); every value is a parameter."""
        if quote_char not in ('"', "`"):
            raise ValueError("quote_char must be '\"' or '`'")
        params = _Params(dialect, start)
        parts: list[str] = []
        for c in self.conditions:
            col = self._ident(c.field, quote_char)
            if c.op in _SQL_OPS:
                parts.append(f"{col} {_SQL_OPS[c.op]} {params.add(c.value)}")
            elif c.op == "ne":
                parts.append(f"({col} <> {params.add(c.value)} OR {col} IS NULL)")
            elif c.op == "in":
                if c.value:
                    parts.append(f"{col} IN ({', '.join(params.add(v) for v in c.value)})")
                else:
                    parts.append("1 = 0")
            elif c.op == "isnull":
                parts.append(f"{col} IS NULL" if c.value else f"{col} IS NOT NULL")
            else:
                escaped = _like_escape(c.value)
                pattern = {
                    "contains": f"%{escaped}%",
                    "icontains": f"%{escaped}%",
                    "startswith": f"{escaped}%",
                    "endswith": f"%{escaped}",
                }[c.op]
                if c.op == "icontains":
                    parts.append(f"LOWER({col}) LIKE LOWER({params.add(pattern)}) ESCAPE '!'")
                else:
                    parts.append(f"{col} LIKE {params.add(pattern)} ESCAPE '!'")
        return " AND ".join(parts), params.result()

    def order_by_sql(self, *, quote_char: str = '"') -> str:
        """The sort keys as an ``ORDER BY`` list ("" when there are none), NULLs last both ways
        (written portably, as a ``CASE`` key first)."""
        if quote_char not in ('"', "`"):
            raise ValueError("quote_char must be '\"' or '`'")
        out = []
        for k in self.sort:
            col = self._ident(k.field, quote_char)
            out.append(f"CASE WHEN {col} IS NULL THEN 1 ELSE 0 END, {col} {'DESC' if k.descending else 'ASC'}")
        return ", ".join(out)

    def to_sql(
        self, dialect: SqlDialect = "qmark", *, quote_char: str = '"', start: int = 1
    ) -> tuple[str, list[Any] | dict[str, Any]]:
        """``"WHERE ... ORDER BY ..."`` (each part only when there is something to say) and the
        parameters, to append to a ``SELECT``::

            sql, params = spec.to_sql("qmark")
            rows = conn.execute(f"SELECT * FROM products {sql}", params).fetchall()
        """
        where, params = self.where_sql(dialect, quote_char=quote_char, start=start)
        order = self.order_by_sql(quote_char=quote_char)
        clauses = ([f"WHERE {where}"] if where else []) + ([f"ORDER BY {order}"] if order else [])
        return " ".join(clauses), params

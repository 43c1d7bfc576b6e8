"""FastAPI dependencies for list endpoints: page/page_size, cursors, sort and filters as query
parameters (declared, so they appear in the OpenAPI schema), and the response helpers that build
the page envelope and the RFC 8288 ``Link`` header.

::

    from typing import Annotated
    from fastapi import Depends, FastAPI, Request
    from webaccel.fastapi.pagination import PageParams, filter_params, page_params, paginate
    from webaccel.pagination import FilterSet, FilterSpec

    PRODUCTS = FilterSet({"name": "str", "price": "float"}, tiebreaker="id")

    @app.get("/products")
    def products(request: Request,
                 page: Annotated[PageParams, Depends(page_params(max_page_size=50))],
                 spec: Annotated[FilterSpec, Depends(filter_params(PRODUCTS))]):
        return paginate(request, ALL_PRODUCTS, page, spec=spec)

Failures: a page or page size that is not an integer, or below 1, is FastAPI's own 422; a bad
filter or sort, or an invalid cursor, 400 (``{"detail": ...}``); a page past the last one 404.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Annotated, Any, NamedTuple, Protocol, cast

from fastapi import HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field, TypeAdapter, ValidationError
from fastapi.responses import Response

from webaccel import json as _json
from webaccel.errors import EmptyPage, PaginationError
from webaccel.http import parse_qsl
from webaccel.fastapi.responses import JSONResponse
from webaccel.pagination import (
    Cursor,
    CursorCodec,
    FilterSet,
    FilterSpec,
    Paginator,
    cursor_envelope,
    cursor_link_header,
    envelope,
    link_header,
)

__all__ = [
    "PageParams",
    "PageParamsDependency",
    "CursorParams",
    "page_params",
    "cursor_params",
    "filter_params",
    "paginate",
    "cursor_response",
]


@dataclasses.dataclass(frozen=True)
class PageParams:
    """What :func:`page_params` read from the request (``page_size`` as requested; the
    :class:`Paginator` clamps it to ``max_page_size``)."""

    page: int
    page_size: int
    max_page_size: int | None = 100
    page_param: str = "page"
    size_param: str = "page_size"

    def paginator(self, total_items: int, *, orphans: int = 0) -> Paginator:
        """The :class:`Paginator` for ``total_items``; 404 past the last page."""
        try:
            return Paginator(self.page, self.page_size, total_items, max_page_size=self.max_page_size,
                             orphans=orphans)
        except EmptyPage as e:
            raise HTTPException(status_code=404, detail=str(e)) from e
        except PaginationError as e:
            raise HTTPException(status_code=400, detail=str(e)) from e


@dataclasses.dataclass(frozen=True)
class CursorParams:
    """What :func:`cursor_params` read: the verified cursor (``None`` on the first page) and the
    page size (already clamped)."""

    cursor: Cursor | None
    page_size: int
    cursor_param: str = "cursor"


# The dependencies are ``async def`` although they never await: FastAPI runs a plain ``def``
# dependency in its thread pool, a hop that costs far more than the microseconds of parsing
# they do (measured: about a third of a list endpoint's time in process).
def _with_signature(fn: Callable[..., Any], params: list[inspect.Parameter], returns: Any) -> Callable[..., Any]:
    fn.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    return fn


def page_params(
    *,
    default_page_size: int = 20,
    max_page_size: int | None = 100,
    page_param: str = "page",
    size_param: str = "page_size",
    clamp_page_size: bool = True,
) -> PageParamsDependency:
    """A dependency reading ``?page=`` (default 1) and ``?page_size=`` (default
    ``default_page_size``; sizes above ``max_page_size`` are clamped, or refused with FastAPI's
    422 when ``clamp_page_size`` is false), both integers >= 1 (FastAPI answers 422 otherwise).

    Its ``from_request(request)`` gives the same :class:`PageParams` (or raises the same
    ``RequestValidationError``, FastAPI's 422) from inside an endpoint, without FastAPI's
    dependency solver: on a hot route that saves the 35-40 µs a request FastAPI 0.165 spends on
    a dependency with two declared query parameters. Such a route lists the parameters in
    OpenAPI with ``openapi_extra=dependency.openapi_extra``::

        page = page_params(max_page_size=100)

        @app.get("/items", openapi_extra=page.openapi_extra)
        async def items(request: Request) -> Response:
            return paginate(request, ITEMS, page.from_request(request))
    """
    if max_page_size is not None and default_page_size > max_page_size:
        raise ValueError("default_page_size is larger than max_page_size")
    refuse = not clamp_page_size and max_page_size is not None

    async def dependency(page: int, size: int) -> PageParams:
        return PageParams(page, size, max_page_size, page_param, size_param)

    page_check = _IntQuery(page_param, 1, None)
    size_check = _IntQuery(size_param, default_page_size, max_page_size if refuse else None)

    # Answers by query string: a listing's pages are asked for with the same few query strings
    # again and again. Bounded (the oldest goes first); only valid ones are kept.
    answers: dict[bytes, PageParams] = {}

    def from_request(request: Request) -> PageParams:
        # The dependency's answer without FastAPI's solver: the last value of each parameter
        # (as Starlette's QueryParams.get), FastAPI's exact 422 otherwise.
        raw = request.scope.get("query_string", b"")
        known = answers.get(raw)
        if known is not None:
            return known
        values: dict[str, str] = {}
        if raw:
            for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
                if key == page_param or key == size_param:
                    values[key] = value
        errors: list[dict[str, Any]] = []
        page = page_check(values.get(page_param), errors)
        size = size_check(values.get(size_param), errors)
        if errors:
            raise RequestValidationError(errors)
        params = PageParams(page, size, max_page_size, page_param, size_param)
        _remember(answers, raw, params, _ANSWERS_MAX, len(raw))
        return params


    if max_page_size is None:
        limit = "no maximum"
    elif refuse:
        limit = f"at most {max_page_size}"
    else:
        limit = f"larger values are clamped to {max_page_size}"
    dependency.from_request = from_request  # type: ignore[attr-defined]
    dependency.openapi_extra = {"parameters": [  # type: ignore[attr-defined]
        page_check.openapi("Page number, from 1."), size_check.openapi(f"Items per page ({limit}).")]}
    kw = inspect.Parameter.KEYWORD_ONLY
    return cast(PageParamsDependency, _with_signature(
        dependency,
        [
            inspect.Parameter("page", kw, default=1, annotation=Annotated[
                int, Query(alias=page_param, ge=1, description="Page number, from 1.")]),
            inspect.Parameter("size", kw, default=default_page_size, annotation=Annotated[
                int, Query(alias=size_param, ge=1, le=max_page_size if refuse else None,
                           description=f"Items per page ({limit}).")]),
        ],
        PageParams,
    ))


_ANSWERS_MAX = 1024  # query strings remembered per page_params(...)


class PageParamsDependency(Protocol):
    """What :func:`page_params` returns: the dependency (``Depends(...)`` it), its fast path
    ``from_request`` and the OpenAPI parameters of that path."""

    openapi_extra: dict[str, Any]

    def __call__(self, *, page: int, size: int) -> Awaitable[PageParams]: ...

    def from_request(self, request: Request) -> PageParams: ...


class _IntQuery:
    """One integer query parameter >= 1 (<= ``le`` if given), validated as FastAPI validates a
    declared ``int`` query parameter: plain digits are read here; anything else (signs,
    underscores, "1.0", spaces, out of range) goes through pydantic, so that the value or the
    422 error is exactly FastAPI's."""

    __slots__ = ("name", "default", "le", "_adapter")

    def __init__(self, name: str, default: int, le: int | None) -> None:
        self.name = name
        self.default = default
        self.le = le
        self._adapter: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(ge=1, le=le)])

    def __call__(self, value: str | None, errors: list[dict[str, Any]]) -> int:
        if value is None:
            return self.default
        if len(value) <= 18 and value.isascii() and value.isdigit():
            n = int(value)
            if n >= 1 and (self.le is None or n <= self.le):
                return n
        try:
            return self._adapter.validate_python(value)
        except ValidationError as e:
            for err in e.errors(include_url=False):
                errors.append({**err, "loc": ("query", self.name, *err["loc"])})
            return self.default

    def openapi(self, description: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer", "minimum": 1}
        if self.le is not None:
            schema["maximum"] = self.le
        schema.update(description=description, default=self.default, title=self.name.replace("_", " ").title())
        return {"name": self.name, "in": "query", "required": False, "schema": schema, "description": description}


def cursor_params(
    codec: CursorCodec,
    *,
    default_page_size: int = 20,
    max_page_size: int = 100,
    cursor_param: str = "cursor",
    size_param: str = "page_size",
) -> Callable[..., Awaitable[CursorParams]]:
    """A dependency reading ``?cursor=`` (verified with ``codec``: 400 when invalid) and
    ``?page_size=`` (clamped to ``max_page_size``)."""

    async def dependency(cursor: str | None, size: int) -> CursorParams:
        decoded = None
        if cursor:
            try:
                decoded = codec.decode(cursor)
            except PaginationError as e:
                raise HTTPException(status_code=400, detail=str(e)) from e
        return CursorParams(decoded, min(size, max_page_size), cursor_param)

    kw = inspect.Parameter.KEYWORD_ONLY
    return _with_signature(
        dependency,
        [
            inspect.Parameter("cursor", kw, default=None, annotation=Annotated[
                str | None, Query(alias=cursor_param, max_length=codec.max_length,
                                  description="Opaque cursor from a previous page's next/prev link.")]),
            inspect.Parameter("size", kw, default=default_page_size, annotation=Annotated[
                int, Query(alias=size_param, ge=1, description=f"Items per page (at most {max_page_size}).")]),
        ],
        CursorParams,
    )


def filter_params(filterset: FilterSet) -> Callable[..., Awaitable[FilterSpec]]:
    """A dependency parsing the request's query parameters with ``filterset`` (400 on a
    :class:`~webaccel.pagination.FilterError`). Every allowed ``field`` / ``field__op`` and the
    sort parameter are declared as optional string query parameters so that they appear in the
    OpenAPI schema; the values are read (repeated ones included) from the request itself."""

    async def dependency(request: Request, **_declared: Any) -> FilterSpec:
        try:
            return filterset.parse(request.query_params)
        except PaginationError as e:
            raise HTTPException(status_code=400, detail=str(e)) from e

    kw = inspect.Parameter.KEYWORD_ONLY
    sortable = [name for name, f in filterset.fields.items() if f.sortable]
    params = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("p_sort", kw, default=None, annotation=Annotated[str | None, Query(
            alias=filterset.sort_param,
            description="Comma-separated sort keys, '-' first for descending: " + ", ".join(sortable))]),
    ]
    for name, field in filterset.fields.items():
        if not field.filterable:
            continue
        for op in field.allowed():
            alias = name if op == "eq" else f"{name}__{op}"
            what = {"in": f"comma-separated {field.type} values", "isnull": "true or false"}.get(op, field.type)
            params.append(inspect.Parameter(f"p{len(params)}", kw, default=None, annotation=Annotated[
                str | None, Query(alias=alias, description=f"{name} {op} ({what})")]))
    return _with_signature(dependency, params, FilterSpec)


# The request's URL as str(request.url) gives it, for the URLs a page links to. Starlette
# rebuilds it from the scope for each request (about 4 µs); a listing's URLs repeat, so the
# string is kept per (scheme, server, path, query, Host) for the last 1,024 of them. Bounded
# in bytes too: keys longer than _KEY_MAX (path, query and Host together) are not kept.
_URLS: dict[tuple[Any, ...], str] = {}
_URLS_MAX = 1024
_KEY_MAX = 2048


def _request_url(request: Request) -> str:
    scope = request.scope
    host = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    server = scope.get("server")
    key = (scope.get("scheme", "http"), tuple(server) if server is not None else None, scope["path"],
           scope.get("query_string", b""), host)
    url = _URLS.get(key)
    if url is None:
        url = str(request.url)
        size = len(scope["path"]) + len(key[3]) + (len(host) if host is not None else 0)
        _remember(_URLS, key, url, _URLS_MAX, size)
    return url


def _remember(cache: dict[Any, Any], key: Any, value: Any, bound: int, key_size: int) -> None:
    """``cache[key] = value``, the oldest entry dropped first at ``bound`` entries: values a
    client makes unique only cycle the cache. A key of more than ``_KEY_MAX`` characters
    (``key_size``) is not kept, so the cache holds at most ``bound * _KEY_MAX`` of them.
    Threads (sync endpoints) may race here; losing the race is harmless."""
    if key_size > _KEY_MAX:
        return
    if len(cache) >= bound:
        try:
            cache.pop(next(iter(cache)), None)
        except (StopIteration, RuntimeError):
            pass
    cache[key] = value


def paginate(
    request: Request,
    items: Sequence[Any] | Iterable[Any],
    params: PageParams,
    *,
    spec: FilterSpec | None = None,
    total_items: int | None = None,
    orphans: int = 0,
    response_class: type[Response] = JSONResponse,
) -> Response:
    """A response with the page envelope (``items``, ``page``, ``page_size``, ``total_items``,
    ``total_pages``, ``next``, ``prev`` as URLs) and the ``Link`` header.

    Without ``total_items``, ``items`` is the whole listing: filtered and sorted by ``spec``
    (in Rust) and sliced here. With it, ``items`` is already the requested page (sliced by
    your database query with ``params.paginator(total).offset`` / ``.limit``). 404 past the
    last page.
    """
    if total_items is None:
        listing: Sequence[Any] = spec.apply(items) if spec is not None else (
            items if isinstance(items, Sequence) else list(items))
        total = len(listing)
    else:
        total = total_items
    url = _request_url(request)
    plan = _page_plan(url, params, total, orphans)
    if total_items is None:
        page_items: Any = listing[plan.start:plan.stop]
        if type(page_items) is not list:
            page_items = list(page_items)
    else:
        page_items = list(items)
    body = {"items": page_items, **plan.fields}
    if response_class is JSONResponse:
        return JSONResponse._rendered(_json.dumps(body), [(b"link", plan.link)])
    return response_class(body, headers={"Link": plan.link.decode("latin-1")})


class _PagePlan(NamedTuple):
    """What a page's response needs besides its items: the slice of the listing, the envelope's
    other fields (in order) and the encoded ``Link`` header."""

    start: int
    stop: int
    fields: dict[str, Any]
    link: bytes


# Plans by (URL, page parameters, total, orphans): a listing's first pages are asked for again
# and again. Bounded like _URLS (the URL is the key's only long part).
_PLANS: dict[tuple[Any, ...], _PagePlan] = {}


def _page_plan(url: str, params: PageParams, total: int, orphans: int) -> _PagePlan:
    key = (url, params.page, params.page_size, params.max_page_size, params.page_param, params.size_param,
           total, orphans)
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    p = params.paginator(total, orphans=orphans)  # 404 / 400: nothing kept
    fields = envelope((), p, url=url, page_param=params.page_param, size_param=params.size_param)
    del fields["items"]
    link = link_header(url, p, page_param=params.page_param, size_param=params.size_param)
    plan = _PagePlan(p.offset, p.offset + p.limit, fields, link.encode("latin-1"))
    _remember(_PLANS, key, plan, _URLS_MAX, len(url))
    return plan


def cursor_response(
    request: Request,
    items: Iterable[Any],
    params: CursorParams,
    *,
    next_cursor: str | None = None,
    prev_cursor: str | None = None,
    response_class: type[Response] = JSONResponse,
) -> Response:
    """A response with the cursor envelope (``items``, ``page_size``, ``next``, ``prev`` as
    URLs) and a ``Link`` header with ``next``/``prev`` (omitted when there are neither)."""
    url = _request_url(request)
    body = cursor_envelope(items, page_size=params.page_size, next_cursor=next_cursor,
                           prev_cursor=prev_cursor, url=url, cursor_param=params.cursor_param)
    link = cursor_link_header(url, next_cursor=next_cursor, prev_cursor=prev_cursor,
                              cursor_param=params.cursor_param)
    return response_class(body, headers={"Link": link} if link else None)

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
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request
from fastapi.responses import Response

from webaccel.errors import EmptyPage, PaginationError
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
) -> Callable[..., Awaitable[PageParams]]:
    """A dependency reading ``?page=`` (default 1) and ``?page_size=`` (default
    ``default_page_size``; sizes above ``max_page_size`` are clamped, or refused with FastAPI's
    422 when ``clamp_page_size`` is false), both integers >= 1 (FastAPI answers 422 otherwise)."""
    if max_page_size is not None and default_page_size > max_page_size:
        raise ValueError("default_page_size is larger than max_page_size")
    refuse = not clamp_page_size and max_page_size is not None

    async def dependency(page: int, size: int) -> PageParams:
        return PageParams(page, size, max_page_size, page_param, size_param)

    if max_page_size is None:
        limit = "no maximum"
    elif refuse:
        limit = f"at most {max_page_size}"
    else:
        limit = f"larger values are clamped to {max_page_size}"
    kw = inspect.Parameter.KEYWORD_ONLY
    return _with_signature(
        dependency,
        [
            inspect.Parameter("page", kw, default=1, annotation=Annotated[
                int, Query(alias=page_param, ge=1, description="Page number, from 1.")]),
            inspect.Parameter("size", kw, default=default_page_size, annotation=Annotated[
                int, Query(alias=size_param, ge=1, le=max_page_size if refuse else None,
                           description=f"Items per page ({limit}).")]),
        ],
        PageParams,
    )


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
        p = params.paginator(len(listing), orphans=orphans)
        page_items: Any = p.slice(listing)
    else:
        p = params.paginator(total_items, orphans=orphans)
        page_items = items
    url = str(request.url)
    body = envelope(page_items, p, url=url, page_param=params.page_param, size_param=params.size_param)
    link = link_header(url, p, page_param=params.page_param, size_param=params.size_param)
    return response_class(body, headers={"Link": link})


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
    url = str(request.url)
    body = cursor_envelope(items, page_size=params.page_size, next_cursor=next_cursor,
                           prev_cursor=prev_cursor, url=url, cursor_param=params.cursor_param)
    link = cursor_link_header(url, next_cursor=next_cursor, prev_cursor=prev_cursor,
                              cursor_param=params.cursor_param)
    return response_class(body, headers={"Link": link} if link else None)

"""Paginated JSON list responses for Flask views.

::

    from webaccel.flask.pagination import paginate
    from webaccel.pagination import FilterSet

    PRODUCTS = FilterSet({"name": "str", "price": "float"}, tiebreaker="id")

    @app.get("/products")
    def products():
        return paginate(load_products(), filterset=PRODUCTS)

``?page=`` and ``?page_size=`` are read from ``flask.request.args``; the default and maximum
page sizes from ``app.config["WEBACCEL_PAGINATION_PAGE_SIZE"]`` (20) and
``["WEBACCEL_PAGINATION_MAX_PAGE_SIZE"]`` (100, ``None`` for none). Bad parameters answer 400
(``{"detail": ...}``), a page past the last one 404.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import quote

from flask import Response, abort, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.sansio.request import Request as _SansIORequest

from webaccel.errors import EmptyPage, PaginationError
from webaccel.flask.json import WebAccelJSONProvider
from webaccel.flask.request import WebAccelRequestMixin
from webaccel.http import parse_qsl
from webaccel.pagination import FilterSet, Paginator, envelope, link_header, refuse_oversize

__all__ = ["CONFIG_DEFAULTS", "check_config", "get_page", "paginate"]

CONFIG_DEFAULTS: t.Mapping[str, t.Any] = {
    "WEBACCEL_PAGINATION_PAGE_SIZE": 20,
    "WEBACCEL_PAGINATION_MAX_PAGE_SIZE": 100,
}


def check_config(config: t.Mapping[str, t.Any]) -> None:
    """Raise ``TypeError``/``ValueError`` for a bad ``WEBACCEL_PAGINATION_*`` value."""
    size = config.get("WEBACCEL_PAGINATION_PAGE_SIZE", 20)
    top = config.get("WEBACCEL_PAGINATION_MAX_PAGE_SIZE", 100)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise TypeError("WEBACCEL_PAGINATION_PAGE_SIZE must be an int >= 1")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise TypeError("WEBACCEL_PAGINATION_MAX_PAGE_SIZE must be an int >= 1 or None")


# The two ways ``request.args`` is built (Werkzeug's and the engine's): both parse the query
# string the same way into an ImmutableMultiDict, whose .get gives the FIRST value of a key.
_STOCK_ARGS = (_SansIORequest.__dict__["args"], WebAccelRequestMixin.__dict__["args"])


def _stock_args(r: t.Any) -> bool:
    # request.args is Werkzeug's (or the engine's) parse of the query string and nothing else.
    return getattr(type(r), "args", None) in _STOCK_ARGS and r.parameter_storage_class is ImmutableMultiDict


def _args(r: t.Any) -> t.Mapping[str, str]:
    """What ``request.args.get(key)`` gives, for every key, without building the MultiDict when
    nothing has yet: ``request.args`` itself when it exists or is built some other way."""
    if "args" in r.__dict__ or not _stock_args(r):
        return t.cast("t.Mapping[str, str]", r.args)
    query = r.query_string
    if not query:
        return {}
    # As request.args parses it; reversed, so that the first value of a key is the one kept.
    pairs = parse_qsl(query.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    return dict(reversed(pairs))


def _config(key: str) -> t.Any:
    return current_app.config.get(key, CONFIG_DEFAULTS[key])


_PLAIN_PROVIDERS = (DefaultJSONProvider, WebAccelJSONProvider)
_PAGE_SIZE = CONFIG_DEFAULTS["WEBACCEL_PAGINATION_PAGE_SIZE"]
_MAX_PAGE_SIZE = CONFIG_DEFAULTS["WEBACCEL_PAGINATION_MAX_PAGE_SIZE"]


def get_page(
    items: Sequence[t.Any] | Iterable[t.Any],
    *,
    filterset: FilterSet | None = None,
    page_size: int | None = None,
    max_page_size: int | None = None,
    orphans: int = 0,
    total_items: int | None = None,
    page_param: str = "page",
    size_param: str = "page_size",
    clamp_page_size: bool = True,
) -> tuple[list[t.Any], Paginator]:
    """The page's items and its :class:`~webaccel.pagination.Paginator`, from the request's
    arguments. Without ``total_items``, ``items`` is the whole listing (filtered and sorted by
    ``filterset`` in Rust, then sliced); with it, ``items`` is already the requested page.
    A size above the maximum is clamped, or refused (:class:`InvalidPageSize`) when
    ``clamp_page_size`` is false. Raises :class:`~webaccel.pagination.PaginationError`
    subclasses."""
    args = request.args if filterset is not None else _args(request._get_current_object())  # type: ignore[attr-defined]
    size_default = page_size or _config("WEBACCEL_PAGINATION_PAGE_SIZE")
    top = max_page_size if max_page_size is not None else _config("WEBACCEL_PAGINATION_MAX_PAGE_SIZE")
    if total_items is not None:
        return list(items), _paginator(args, total_items, size_default, top, orphans, page_param, size_param,
                                       clamp_page_size)
    if filterset is not None:
        listing: Sequence[t.Any] = filterset.parse(args).apply(items)
    else:
        listing = items if type(items) is list or isinstance(items, Sequence) else list(items)
    p = _paginator(args, len(listing), size_default, top, orphans, page_param, size_param, clamp_page_size)
    return list(p.slice(listing)), p


def _paginator(
    args: t.Mapping[str, str], total: int, size_default: t.Any, top: int | None, orphans: int, page_param: str,
    size_param: str, clamp_page_size: bool,
) -> Paginator:
    size: t.Any = args.get(size_param) or size_default
    number = args.get(page_param) or 1
    if not clamp_page_size and top is not None:
        refuse_oversize(size, top)
    return Paginator(number, size, total, max_page_size=top, orphans=orphans)


_URL_SAFE = "!$&'()*+,/:;=@%"


# _request_uri's answers by (scheme, host, root path, path, query string): a listing's URL
# repeats. request.host (Werkzeug's trusted_hosts check) is still read on every request.
# Bounded: long URLs are not kept, and a full cache starts over.
_URIS: dict[tuple[str, str, str, str, bytes], str] = {}
_URIS_MAX = 512
_URI_KEY_MAX = 2048


def _request_uri(r: t.Any = None) -> str:
    """``request.url`` as a URI: Werkzeug's URL without its URI-to-IRI decoding, which costs
    more than the rest of the page's links together (they re-encode the URL anyway)."""
    if r is None:
        r = request._get_current_object()  # type: ignore[attr-defined]
    key = (r.scheme, r.host, r.root_path, r.path, r.query_string)
    uri: str | None = _URIS.get(key)
    if uri is None:
        scheme, host, root_path, path, query = key
        uri = f"{scheme}://{host}{quote(root_path.rstrip('/'), safe=_URL_SAFE)}/{quote(path.lstrip('/'), safe=_URL_SAFE)}"
        if query:
            uri = f"{uri}?{quote(query, safe=_URL_SAFE + '?')}"
        if len(host) + len(path) + len(query) + len(root_path) <= _URI_KEY_MAX:
            if len(_URIS) >= _URIS_MAX:
                _URIS.clear()
            _URIS[key] = uri
    return uri


def _error(status: int, detail: str) -> t.NoReturn:
    response = jsonify(detail=detail)
    response.status_code = status
    abort(response)


def paginate(
    items: Sequence[t.Any] | Iterable[t.Any],
    *,
    filterset: FilterSet | None = None,
    serialize: Callable[[t.Any], t.Any] | None = None,
    page_size: int | None = None,
    max_page_size: int | None = None,
    orphans: int = 0,
    total_items: int | None = None,
    page_param: str = "page",
    size_param: str = "page_size",
    clamp_page_size: bool = True,
) -> Response:
    """A JSON response with the page envelope (``next``/``prev`` as absolute URLs) and the
    ``Link`` header; aborts with 400 (bad parameter) or 404 (past the last page)."""
    r = request._get_current_object()  # type: ignore[attr-defined]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if total_items is None:
        if filterset is not None:
            try:
                listing: Sequence[t.Any] = filterset.parse(r.args).apply(items)
            except PaginationError as e:
                _error(400, str(e))
        else:
            listing = items if type(items) is list or isinstance(items, Sequence) else list(items)
        total = len(listing)
    else:
        total = total_items
    size_default = page_size or app.config.get("WEBACCEL_PAGINATION_PAGE_SIZE", _PAGE_SIZE)
    top = max_page_size if max_page_size is not None else app.config.get("WEBACCEL_PAGINATION_MAX_PAGE_SIZE",
                                                                          _MAX_PAGE_SIZE)
    url = _request_uri(r)
    # Everything but the items depends on the query string, the URL and these figures only.
    key = (r.query_string, url, total, size_default, top, orphans, page_param, size_param, clamp_page_size)
    plan = _PLANS.get(key)
    if plan is None:
        try:
            p = _paginator(_args(r), total, size_default, top, orphans, page_param, size_param, clamp_page_size)
        except EmptyPage as e:
            _error(404, str(e))
        except PaginationError as e:
            _error(400, str(e))
        fields = envelope((), p, url=url, page_param=page_param, size_param=size_param)
        del fields["items"]
        plan = (p.offset, p.offset + p.limit, fields,
                link_header(url, p, page_param=page_param, size_param=size_param))
        # Only when request.args is the query string's stock parse, and the URL is short.
        if len(url) <= _URI_KEY_MAX and _stock_args(r):
            if len(_PLANS) >= _URIS_MAX:
                _PLANS.clear()
            _PLANS[key] = plan
    start, stop, fields, link = plan
    page_items = list(items) if total_items is not None else list(listing[start:stop])
    if serialize is not None:
        page_items = [serialize(x) for x in page_items]
    # What jsonify does (the app's JSON provider writes the response), without the proxy.
    response = app.json.response({"items": page_items, **fields})
    if type(response) is Response and type(app.json) in _PLAIN_PROVIDERS:
        # A flask.Response fresh from Flask's or webaccel's provider holds Content-Type and
        # Content-Length only: add() checks the value as set() does, without looking for a
        # Link to replace.
        response.headers.add("Link", link)
    else:  # a custom response_class or provider may set headers of its own
        response.headers["Link"] = link
    return response


# paginate's plans: (offset, end, the envelope's other fields, the Link value) by request and
# figures. Bounded like _URIS.
_PLANS: dict[tuple[t.Any, ...], tuple[int, int, dict[str, t.Any], str]] = {}

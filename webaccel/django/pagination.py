"""Paginated JSON list responses for Django views: a QuerySet (sliced, counted with ``.count()``,
filtered and ordered in the database) or any sequence (filtered and sorted in Rust).

::

    from webaccel.django.pagination import paginate
    from webaccel.pagination import FilterSet

    PRODUCTS = FilterSet({"name": "str", "price": "float", "created": "datetime"},
                         default_sort="-created", tiebreaker="id")

    def products(request):
        return paginate(request, Product.objects.all(), filterset=PRODUCTS,
                        serialize=lambda p: {"id": p.id, "name": p.name})

The page size comes from ``?page_size=`` (default ``WEBACCEL["PAGINATION_PAGE_SIZE"]``, clamped
to ``WEBACCEL["PAGINATION_MAX_PAGE_SIZE"]``). Bad parameters answer 400 (``{"detail": ...}``);
a page past the last one 404, as Django's ``ListView`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.core.handlers import asgi, wsgi
from django.forms.models import model_to_dict
from django.http import HttpRequest

from webaccel.django.conf import get_settings
from webaccel.django.http import JsonResponse, header_store
from webaccel.errors import EmptyPage, PaginationError
from webaccel.http import parse_qsl
from webaccel.pagination import FilterSet, Paginator, envelope, link_header, refuse_oversize

__all__ = ["get_page", "paginate"]


_STOCK_REQUESTS = (wsgi.WSGIRequest, asgi.ASGIRequest)


def _query(request: HttpRequest) -> Any:
    """The query parameters as ``request.GET[key]`` / ``.get(key)`` see them (the last value of a
    repeated key wins): ``request.GET`` itself once it exists, else the query string parsed
    as Django's ``QueryDict`` parses it, without building one. Any case where the two could
    differ (a non-ASCII query string, a request encoding set by the view, more fields than
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS``: Django's own error) goes through ``request.GET``."""
    if type(request) not in _STOCK_REQUESTS or "GET" in request.__dict__:
        return request.GET
    qs = request.META.get("QUERY_STRING", "")
    if not qs:
        return {}
    max_fields = django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if (
        not qs.isascii()
        or request.encoding is not None
        or (max_fields is not None and 1 + qs.count("&") > max_fields)
    ):
        return request.GET
    return dict(parse_qsl(qs, keep_blank_values=True, encoding=django_settings.DEFAULT_CHARSET))


# The request's absolute URL, as build_absolute_uri() gives it, by (scheme, raw host, path,
# query string): a listing's URLs repeat. The host is checked against ALLOWED_HOSTS
# (get_host(), DisallowedHost otherwise) before a URL is kept; get_host() returns the raw host
# itself when it passes, so a kept URL stands for a host that passed. Any setting change
# (override_settings included) empties the cache. Bounded: long URLs (host included) are not
# kept, and a full cache starts over.
_URLS: dict[tuple[str, str, str, str], str] = {}
_URLS_MAX = 512
_URL_KEY_MAX = 2048


def _absolute_url(request: HttpRequest) -> str:
    if type(request) not in _STOCK_REQUESTS:  # a subclass may build it its own way
        return str(request.build_absolute_uri())
    raw_host = request._get_raw_host()
    path = request.path
    qs = request.META.get("QUERY_STRING", "")
    key = (request.scheme, raw_host, path, qs)
    url: str | None = _URLS.get(key)
    if url is None:
        host = request.get_host()  # DisallowedHost for a host ALLOWED_HOSTS does not list
        url = str(request.build_absolute_uri())
        if len(host) + len(path) + len(qs) <= _URL_KEY_MAX:
            if len(_URLS) >= _URLS_MAX:
                _URLS.clear()
            _URLS[key] = url
    return url


def _is_queryset(data: Any) -> bool:
    if type(data) is list or type(data) is tuple:  # the common listing: no failing hasattr
        return False
    return hasattr(data, "model") and callable(getattr(data, "count", None)) and hasattr(data, "query")


def get_page(
    request: HttpRequest,
    data: Any,
    *,
    filterset: FilterSet | None = None,
    page_size: int | None = None,
    max_page_size: int | None | bool = True,
    orphans: int = 0,
    page_param: str = "page",
    size_param: str = "page_size",
    clamp_page_size: bool = True,
) -> tuple[list[Any], Paginator]:
    """The items of the requested page and its :class:`~webaccel.pagination.Paginator`.

    ``data`` is a QuerySet (filtered with ``Q`` objects, ordered in the database, counted with
    ``.count()`` and sliced: one ``COUNT`` and one ``SELECT ... LIMIT``; an unordered QuerySet
    is ordered by primary key so that pages do not overlap) or a sequence of dicts (filtered and
    sorted by :meth:`FilterSpec.apply`). ``max_page_size=True`` reads the setting; a larger
    size is clamped, or refused (:class:`InvalidPageSize`) when ``clamp_page_size`` is false.

    Raises :class:`~webaccel.pagination.FilterError`, :class:`~webaccel.pagination.InvalidPage`
    and :class:`~webaccel.pagination.InvalidPageSize`.
    """
    conf = get_settings()
    query = request.GET if filterset is not None else _query(request)  # a filterset needs GET
    size: Any = query.get(size_param)
    if size is None or size == "":
        size = conf.PAGINATION_PAGE_SIZE if page_size is None else page_size
    limit = conf.PAGINATION_MAX_PAGE_SIZE if max_page_size is True else max_page_size
    number = query.get(page_param) or 1
    if not clamp_page_size and limit:
        refuse_oversize(size, limit)
    spec = filterset.parse(query) if filterset is not None else None
    if _is_queryset(data):
        qs = spec.to_django(data) if spec is not None else data
        if not qs.ordered:
            qs = qs.order_by("pk")
        p = Paginator(number, size, qs.count(), max_page_size=limit or None, orphans=orphans)
        return list(qs[p.offset : p.offset + p.limit]), p
    items: Sequence[Any] = spec.apply(data) if spec is not None else _as_sequence(data)
    p = Paginator(number, size, len(items), max_page_size=limit or None, orphans=orphans)
    return list(p.slice(items)), p


def _as_sequence(data: Iterable[Any]) -> Sequence[Any]:
    if type(data) is list or type(data) is tuple:
        return data
    return data if isinstance(data, Sequence) else list(data)


def _default_serialize(obj: Any) -> Any:
    if hasattr(obj, "_meta") and hasattr(obj, "pk"):
        return model_to_dict(obj)
    return obj


def paginate(
    request: HttpRequest,
    data: Any,
    *,
    filterset: FilterSet | None = None,
    serialize: Callable[[Any], Any] | None = None,
    page_size: int | None = None,
    max_page_size: int | None | bool = True,
    orphans: int = 0,
    page_param: str = "page",
    size_param: str = "page_size",
    clamp_page_size: bool = True,
) -> JsonResponse:
    """A ``JsonResponse`` with the page envelope (``items``, ``page``, ``page_size``,
    ``total_items``, ``total_pages``, ``next``, ``prev`` as absolute URLs) and an RFC 8288
    ``Link`` header; 400 on a bad parameter, 404 past the last page. ``serialize`` turns each
    item into JSON data (default: model instances through ``model_to_dict``, others as they
    are)."""
    if filterset is None and type(request) in _STOCK_REQUESTS and not _is_queryset(data):
        # The in-memory listing: everything but the items depends on the URL, the settings
        # and the listing's length only, and is kept per those (see _page_plan).
        listing = _as_sequence(data)
        conf = get_settings()
        size_default = conf.PAGINATION_PAGE_SIZE if page_size is None else page_size
        limit = conf.PAGINATION_MAX_PAGE_SIZE if max_page_size is True else max_page_size
        url = _absolute_url(request)
        key = (url, request.META.get("QUERY_STRING", ""), request.encoding, len(listing), size_default, limit,
               orphans, page_param, size_param, clamp_page_size)
        plan = _PLANS.get(key)
        if plan is None:
            try:
                plan = _page_plan(request, url, len(listing), size_default, limit, orphans, page_param, size_param,
                                  clamp_page_size)
            except EmptyPage as e:
                return JsonResponse({"detail": str(e)}, status=404)
            except PaginationError as e:
                return JsonResponse({"detail": str(e)}, status=400)
            if len(url) <= _URL_KEY_MAX:
                if len(_PLANS) >= _URLS_MAX:
                    _PLANS.clear()
                _PLANS[key] = plan
        start, stop, fields, store = plan
        page = listing[start:stop]
        items = _json_items(page if type(page) is list else list(page), serialize)
        return JsonResponse._rendered({"items": items, **fields}, store)
    try:
        items, p = get_page(
            request, data, filterset=filterset, page_size=page_size, max_page_size=max_page_size,
            orphans=orphans, page_param=page_param, size_param=size_param,
            clamp_page_size=clamp_page_size,
        )
    except EmptyPage as e:
        return JsonResponse({"detail": str(e)}, status=404)
    except PaginationError as e:
        return JsonResponse({"detail": str(e)}, status=400)
    url = _absolute_url(request)
    fields = envelope((), p, url=url, page_param=page_param, size_param=size_param)
    del fields["items"]
    response = JsonResponse({"items": _json_items(items, serialize), **fields})
    response["Link"] = link_header(url, p, page_param=page_param, size_param=size_param)
    return response


def _json_items(items: list[Any], serialize: Callable[[Any], Any] | None) -> list[Any]:
    if serialize is not None:
        return [serialize(x) for x in items]
    if list(map(type, items)).count(dict) != len(items):
        # Dicts (the common listing) are JSON data already: only other objects are converted.
        return [x if type(x) is dict else _default_serialize(x) for x in items]
    return items


# paginate's plans for in-memory listings: (offset, end, the envelope's other fields, the
# response's headers: Content-Type and Link, converted as Django converts them) by URL, query
# string, request encoding, length and settings. Bounded like _URLS. A request that Django
# refuses (too many fields, say) raises before anything is kept.
_PLANS: dict[tuple[Any, ...], tuple[int, int, dict[str, Any], dict[str, tuple[str, str]]]] = {}


def _on_setting_changed(**kwargs: Any) -> None:
    # DEFAULT_CHARSET, DATA_UPLOAD_MAX_NUMBER_FIELDS, ALLOWED_HOSTS...: start afresh.
    _PLANS.clear()
    _URLS.clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="webaccel.django.pagination")


def _page_plan(
    request: HttpRequest, url: str, total: int, size_default: Any, limit: Any, orphans: int, page_param: str,
    size_param: str, clamp_page_size: bool,
) -> tuple[int, int, dict[str, Any], dict[str, tuple[str, str]]]:
    # get_page's steps for a sequence without a filterset, in the same order (the same errors).
    query = _query(request)
    size: Any = query.get(size_param)
    if size is None or size == "":
        size = size_default
    number = query.get(page_param) or 1
    if not clamp_page_size and limit:
        refuse_oversize(size, limit)
    p = Paginator(number, size, total, max_page_size=limit or None, orphans=orphans)
    fields = envelope((), p, url=url, page_param=page_param, size_param=size_param)
    del fields["items"]
    link = link_header(url, p, page_param=page_param, size_param=size_param)
    return p.offset, p.offset + p.limit, fields, header_store(Link=link)

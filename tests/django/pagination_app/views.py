"""Views for the Django pagination adapter tests."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from webaccel.django.http import JsonResponse
from webaccel.django.pagination import paginate
from webaccel.pagination import Field, FilterSet

from .models import Product

PRODUCTS = FilterSet(
    {
        "id": "int",
        "name": "str",
        "tag": "str",
        "price": "float",
        "qty": "int",
        "active": "bool",
        "day": "date",
        "created": "datetime",
        "status": Field("str", lookup="tag", operators=("eq", "in")),
    },
    tiebreaker="id",
)

ROWS = [{"id": i, "name": f"item {i}", "price": float(i % 7)} for i in range(1, 48)]


def products(request: HttpRequest) -> JsonResponse:
    return paginate(request, Product.objects.all(), filterset=PRODUCTS,
                    serialize=lambda p: {"id": p.id, "name": p.name, "price": p.price})


def products_default(request: HttpRequest) -> JsonResponse:
    return paginate(request, Product.objects.all(), page_size=3, max_page_size=5)


def rows(request: HttpRequest) -> JsonResponse:
    return paginate(request, ROWS, filterset=FilterSet({"id": "int", "name": "str", "price": "float"}))


def plain(request: HttpRequest) -> Any:
    return paginate(request, range(100))


def echo(request: HttpRequest, rest: str = "") -> JsonResponse:
    """The adapter's answer next to the one Django's own ``request.GET`` and
    ``request.build_absolute_uri()`` give (computed afterwards, so the adapter's fast path ran)."""
    from webaccel.django.pagination import get_page
    from webaccel.errors import EmptyPage, PaginationError
    from webaccel.pagination import envelope, link_header

    def answer(response: JsonResponse) -> dict[str, Any]:
        return {"status": response.status_code, "body": json.loads(response.content),
                "link": response.get("Link")}

    fast = answer(paginate(request, range(100), page_size=10, max_page_size=20, clamp_page_size=False))
    request.GET  # noqa: B018  (built now: get_page reads it from here on)
    try:
        items, p = get_page(request, range(100), page_size=10, max_page_size=20, clamp_page_size=False)
    except EmptyPage as e:
        reference = answer(JsonResponse({"detail": str(e)}, status=404))
    except PaginationError as e:
        reference = answer(JsonResponse({"detail": str(e)}, status=400))
    else:
        url = request.build_absolute_uri()
        response = JsonResponse(envelope(items, p, url=url))
        response["Link"] = link_header(url, p)
        reference = answer(response)
    return JsonResponse({"fast": fast, "reference": reference, "url": request.build_absolute_uri(),
                         "get": {k: request.GET.get(k) for k in ("page", "page_size")}})

"""Views for the Django pagination adapter tests."""

from __future__ import annotations

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

"""webaccel.fastapi.pagination through FastAPI's TestClient: parameters in OpenAPI, 422/400/404,
the envelope and the Link header, and a keyset walk over signed cursors."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient

from webaccel.fastapi.pagination import (
    CursorParams,
    PageParams,
    cursor_params,
    cursor_response,
    filter_params,
    page_params,
    paginate,
)
from webaccel.pagination import CursorCodec, Field, FilterSet, FilterSpec

ROWS = [{"id": i, "name": f"item {i:02}", "price": float(i % 7), "tag": "ab"[i % 2]} for i in range(1, 58)]
PRODUCTS = FilterSet(
    {"id": "int", "name": "str", "price": "float", "tag": Field("str", operators=("eq", "in")),
     "hidden": Field("str", filterable=False, sortable=False)},
    tiebreaker="id",
)
CODEC = CursorCodec("fastapi-tests-secret-0123", salt="products")

app = FastAPI()


@app.get("/products")
def products(
    request: Request,
    page: Annotated[PageParams, Depends(page_params(default_page_size=10, max_page_size=25))],
    spec: Annotated[FilterSpec, Depends(filter_params(PRODUCTS))],
) -> Response:
    return paginate(request, ROWS, page, spec=spec)


@app.get("/counted")
def counted(request: Request, page: Annotated[PageParams, Depends(page_params(page_param="p", size_param="n"))]) -> Response:
    # What a database-backed route does: count, then fetch only the page.
    p = page.paginator(len(ROWS))
    return paginate(request, ROWS[p.offset : p.offset + p.limit], page, total_items=len(ROWS))


@app.get("/keyset")
def keyset(request: Request, params: Annotated[CursorParams, Depends(cursor_params(CODEC, default_page_size=8,
                                                                                   max_page_size=10))]) -> Response:
    after = params.cursor.values[0] if params.cursor else 0
    chunk = [r for r in ROWS if r["id"] > after][: params.page_size + 1]
    items = chunk[: params.page_size]
    nxt = CODEC.encode([items[-1]["id"]]) if len(chunk) > params.page_size else None
    return cursor_response(request, items, params, next_cursor=nxt)


client = TestClient(app)


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]*)>; rel="([a-z]+)"', header)}


def test_parameters_appear_in_openapi() -> None:
    schema = client.get("/openapi.json").json()
    names = {p["name"]: p for p in schema["paths"]["/products"]["get"]["parameters"]}
    for name in ("page", "page_size", "sort", "id", "id__gte", "name__icontains", "price__lt", "tag", "tag__in"):
        assert name in names and names[name]["in"] == "query", name
    assert "tag__contains" not in names and "hidden" not in names
    assert names["page"]["schema"]["minimum"] == 1 and names["page_size"]["schema"]["default"] == 10
    keyset_names = {p["name"] for p in schema["paths"]["/keyset"]["get"]["parameters"]}
    assert keyset_names == {"cursor", "page_size"}
    counted_names = {p["name"] for p in schema["paths"]["/counted"]["get"]["parameters"]}
    assert counted_names == {"p", "n"}


def test_page_envelope_and_link_header() -> None:
    r = client.get("/products?tag=a&sort=-price,name&page=2&page_size=5&utm=x%20y")
    assert r.status_code == 200
    expected = sorted((x for x in ROWS if x["tag"] == "a"), key=lambda x: (-x["price"], x["name"], x["id"]))
    body = r.json()
    assert body["items"] == expected[5:10]
    assert (body["page"], body["page_size"], body["total_items"]) == (2, 5, len(expected))
    rels = links(r.headers["link"])
    assert list(rels) == ["first", "prev", "next", "last"]
    assert rels["next"] == body["next"] and rels["prev"] == body["prev"]
    query = dict(parse_qsl(urlsplit(body["next"]).query))
    assert query == {"tag": "a", "sort": "-price,name", "page": "3", "page_size": "5", "utm": "x y"}


def test_page_size_is_clamped_and_defaults() -> None:
    assert client.get("/products?page_size=1000").json()["page_size"] == 25
    assert client.get("/products").json()["page_size"] == 10
    body = client.get("/counted?p=3&n=20").json()
    assert [x["id"] for x in body["items"]] == list(range(41, 58)) and body["next"] is None
    assert "p=2&n=20" in body["prev"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("page=abc", 422),
        ("page=0", 422),
        ("page=-1", 422),
        ("page=1.5", 422),
        ("page_size=0", 422),
        ("page_size=ten", 422),
        ("page=99", 404),
        ("page=99999999999999999999999999", 404),
        ("sort=hidden", 400),
        ("price__gte=cheap", 400),
        ("tag__contains=a", 400),
        ("id__in=" + ",".join(["1"] * 51), 400),
    ],
)
def test_bad_values(query: str, status: int) -> None:
    r = client.get("/products?" + query)
    assert r.status_code == status, r.text
    assert "link" not in r.headers
    if status in (400, 404):
        assert isinstance(r.json()["detail"], str)


def test_keyset_walk_visits_every_row_once() -> None:
    seen: list[int] = []
    url: str | None = "/keyset"
    pages = 0
    while url is not None:
        r = client.get(url)
        assert r.status_code == 200
        body = r.json()
        assert body["page_size"] == 8 and len(body["items"]) <= 8
        seen += [x["id"] for x in body["items"]]
        url = body["next"]
        if url is not None:
            assert links(r.headers["link"])["next"] == url
        else:
            assert "link" not in r.headers
        pages += 1
    assert seen == [x["id"] for x in ROWS] and pages == 8


def test_bad_cursors_answer_400() -> None:
    good = CODEC.encode([5])
    assert client.get(f"/keyset?cursor={good}").json()["items"][0]["id"] == 6
    for bad in (good[:-2], good[:10] + ("A" if good[10] != "A" else "B") + good[11:], "garbage",
                CursorCodec("fastapi-tests-secret-0123", salt="other").encode([5])):
        r = client.get("/keyset", params={"cursor": bad})
        assert r.status_code == 400 and "cursor" in r.json()["detail"]
    assert client.get("/keyset", params={"cursor": "A" * 2000}).status_code == 422  # max_length in the schema
    assert client.get("/keyset?page_size=50").json()["page_size"] == 10


def test_default_larger_than_maximum_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="default_page_size"):
        page_params(default_page_size=200, max_page_size=100)


def test_paginate_accepts_any_iterable() -> None:
    local = FastAPI()

    @local.get("/gen")
    def gen(request: Request, page: Annotated[PageParams, Depends(page_params())]) -> Any:
        return paginate(request, (i for i in range(45)), page)

    body = TestClient(local).get("/gen?page=3").json()
    assert body["items"] == list(range(40, 45)) and body["total_pages"] == 3

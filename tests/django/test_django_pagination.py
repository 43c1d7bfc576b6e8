"""webaccel.pagination with Django: FilterSpec.to_django against FilterSpec.apply on a real model
(sqlite test database), and webaccel.django.pagination through Django's test client."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.django.pagination_app.models import Product
from tests.django.pagination_app.views import PRODUCTS, ROWS
from webaccel.pagination import DEFAULT_OPERATORS, Field, FilterSet

UTC = dt.timezone.utc
STR_ALL = (*DEFAULT_OPERATORS["str"], "lt", "lte", "gt", "gte")
# sqlite's LIKE (what Django uses for contains/startswith/... there) ignores ASCII case: the
# generated text is lower-case, so that every backend agrees with the in-memory filter (the
# injection probe too: in capitals, "TABLE" matched a query for "b" on sqlite alone).
TEXT = st.text(alphabet="ab %_!'\\é", max_size=4) | st.sampled_from(["'; drop table pagination_app_product;--"])
SET = FilterSet(
    {"id": "int", "name": Field("str", operators=STR_ALL), "tag": Field("str", operators=STR_ALL),
     "price": "float", "qty": "int", "active": "bool", "day": "date", "created": "datetime"},
    tiebreaker="id", max_filters=20,
)
COLUMNS: dict[str, st.SearchStrategy[Any]] = {
    "tag": TEXT,
    "price": st.floats(-5, 5, allow_nan=False).map(lambda f: round(f, 1)),
    "qty": st.integers(-3, 3) | st.integers(-(2**63), 2**63 - 1),
    "active": st.booleans(),
    "day": st.dates(dt.date(2020, 1, 1), dt.date(2020, 1, 9)),
    "created": st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 3), timezones=st.just(UTC)),
}


def as_query(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.isoformat()
    return repr(v) if isinstance(v, float) else str(v)


@st.composite
def dataset(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for k in range(1, draw(st.integers(0, 12)) + 1):
        row: dict[str, Any] = {"id": k, "name": draw(TEXT)}
        for name, values in COLUMNS.items():
            row[name] = draw(values) if draw(st.integers(0, 4)) else None
        out.append(row)
    return out


@st.composite
def queries(draw: st.DrawFn) -> list[tuple[str, str]]:
    pairs = []
    fields = {"name": TEXT, **COLUMNS}
    for _ in range(draw(st.integers(0, 3))):
        field = draw(st.sampled_from(sorted(fields)))
        op = draw(st.sampled_from(SET.fields[field].allowed()))
        if op == "isnull":
            pairs.append((f"{field}__isnull", draw(st.sampled_from(["1", "0"]))))
        elif op == "in":
            values = draw(st.lists(fields[field].filter(lambda v: "," not in as_query(v)), max_size=3))
            pairs.append((f"{field}__in", ",".join(map(as_query, values))))
        elif op in ("contains", "icontains", "startswith", "endswith"):
            pairs.append((f"{field}__{op}", draw(TEXT)))
        else:
            pairs.append((field if op == "eq" else f"{field}__{op}", as_query(draw(fields[field]))))
    keys = draw(st.lists(st.sampled_from(sorted(SET.fields)), max_size=3, unique=True))
    if keys:
        pairs.append(("sort", ",".join(("-" if draw(st.booleans()) else "") + k for k in keys)))
    return pairs


@pytest.mark.django_db
@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=dataset(), query=queries())
def test_to_django_selects_and_orders_what_apply_does(rows: list[dict[str, Any]], query: list[tuple[str, str]]) -> None:
    Product.objects.all().delete()
    Product.objects.bulk_create([Product(**row) for row in rows])
    spec = SET.parse(query)
    got = list(spec.to_django(Product.objects.all()).values_list("id", flat=True))
    assert got == [d["id"] for d in spec.apply(rows)]
    assert Product.objects.count() == len(rows)


@pytest.mark.django_db
def test_lookup_paths_and_q_objects() -> None:
    Product.objects.bulk_create([Product(id=1, name="a", tag="x"), Product(id=2, name="b", tag="y"),
                                 Product(id=3, name="c", tag=None)])
    spec = PRODUCTS.parse("status__in=x,y&sort=-id")
    assert list(spec.to_django(Product.objects.all()).values_list("id", flat=True)) == [2, 1]
    # ne keeps NULLs (exclude() semantics), as apply() does
    ne = SET.parse("tag__ne=x")
    assert list(ne.to_django(Product.objects.order_by("id")).values_list("id", flat=True)) == [2, 3]
    # no conditions and no sort: the queryset comes back as it was
    qs = Product.objects.order_by("-name")
    assert FilterSet({"name": "str"}).parse("").to_django(qs) is qs


# --- the adapter through the test client ------------------------------------------------------


def get(client: Client, url: str) -> tuple[int, Any, str | None]:
    response = client.get(url)
    return response.status_code, json.loads(response.content), response.headers.get("Link")


@pytest.fixture
def products(db: Any) -> None:
    Product.objects.bulk_create(
        [Product(id=i, name=f"p{i:02}", tag="ab"[i % 2], price=float(i % 5), qty=i) for i in range(1, 24)]
    )


def test_queryset_page_with_filters_sort_and_links(products: None, client: Client,
                                                   django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):  # COUNT + one SELECT with LIMIT/OFFSET
        status, body, link = get(client, "/pagination/products?status=a&sort=-price&page=2&page_size=3&x=%3C")
    assert status == 200
    expected = list(Product.objects.filter(tag="a").order_by("-price", "id").values_list("id", flat=True))
    assert [item["id"] for item in body["items"]] == expected[3:6]
    assert (body["page"], body["page_size"], body["total_items"], body["total_pages"]) == (2, 3, len(expected), 4)
    nxt = urlsplit(body["next"])
    assert (nxt.scheme, nxt.netloc, nxt.path) == ("http", "testserver", "/pagination/products")
    assert parse_qsl(nxt.query) == [("status", "a"), ("sort", "-price"), ("page", "3"), ("page_size", "3"),
                                    ("x", "<")]
    assert link is not None and link.count("rel=") == 4 and f"<{body['next']}>; rel=\"next\"" in link


def test_sequence_page(client: Client) -> None:
    status, body, link = get(client, "/pagination/rows?price__lt=2&sort=-id&page_size=4")
    expected = sorted((r for r in ROWS if r["price"] < 2), key=lambda r: -r["id"])
    assert status == 200 and body["items"] == expected[:4] and body["total_items"] == len(expected)
    assert body["prev"] is None and link is not None and 'rel="prev"' not in link
    status, body, _ = get(client, "/pagination/plain?page=10&page_size=10")
    assert body["items"] == list(range(90, 100)) and body["next"] is None


def test_default_and_clamped_page_sizes(products: None, client: Client) -> None:
    assert get(client, "/pagination/products")[1]["page_size"] == 20
    assert get(client, "/pagination/products?page_size=500")[1]["page_size"] == 100
    assert get(client, "/pagination/products-default")[1]["page_size"] == 3
    assert get(client, "/pagination/products-default?page_size=50")[1]["page_size"] == 5
    with override_settings(WEBACCEL={"PAGINATION_PAGE_SIZE": 7, "PAGINATION_MAX_PAGE_SIZE": 8}):
        assert get(client, "/pagination/products")[1]["page_size"] == 7
        assert get(client, "/pagination/products?page_size=9")[1]["page_size"] == 8
    # an unordered queryset is ordered by primary key
    ids = [item["id"] for item in get(client, "/pagination/products-default?page=2")[1]["items"]]
    assert ids == [4, 5, 6]


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ("page=abc", 400, "That page number is not an integer"),
        ("page=0", 404, "That page number is less than 1"),
        ("page=99", 404, "That page contains no results"),
        ("page=99999999999999999999999999", 404, "That page contains no results"),
        ("page_size=0", 400, "page_size is less than 1"),
        ("page_size=x", 400, "page_size is not an integer"),
        ("sort=secret", 400, "cannot sort by 'secret'"),
        ("price__gte=cheap", 400, "not a valid float"),
        ("created__gte=2026-01-01T00:00:00", 400, "needs a UTC offset"),
        ("name__regex=.*", 400, "unknown operator"),
    ],
)
def test_bad_parameters_answer_400_and_missing_pages_404(products: None, client: Client, query: str, status: int,
                                                          detail: str) -> None:
    got_status, body, link = get(client, "/pagination/products?" + query)
    assert (got_status, link) == (status, None)
    assert detail in body["detail"]


def test_settings_are_checked() -> None:
    from webaccel.django.conf import validate

    assert validate({"PAGINATION_PAGE_SIZE": 10, "PAGINATION_MAX_PAGE_SIZE": None}) == []
    assert [p.id for p in validate({"PAGINATION_PAGE_SIZE": "10"})] == ["webaccel.E003"]


# --- the query string and absolute URL read without QueryDict / build_absolute_uri ----------------


def echo(client: Client, url: str, **extra: Any) -> dict[str, Any]:
    response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = json.loads(response.content)
    return data


ODD_URLS = [
    "/pagination/echo?page=2&page=3",  # the last value wins, as request.GET.get gives it
    "/pagination/echo?page=3&page=2&page_size=4&page_size=7",
    "/pagination/echo?page_size=5&page_size=",  # the last is empty: the default size
    "/pagination/echo?page=&page_size=",
    "/pagination/echo?page=%33&page_size=%34",
    "/pagination/echo?page=+3&page_size=3+",
    "/pagination/echo?page=3;page_size=4",  # ; separates nothing
    "/pagination/echo?a=1&&b&=c&page=2&x=%3C%3E%22%20%25",
    "/pagination/echo?x=%E2%82%AC&page=2&y=%ff%fe",
    "/pagination/echo?x=\u00e9&page=2&page_size=3",  # non-ASCII in the raw query string
    "/pagination/echo?page=99&page_size=10",
    "/pagination/echo?page=abc",
    "/pagination/echo?page_size=21",
    "/pagination/echo?page=\u0662",  # an Arabic-Indic digit
    "/pagination/echo/a%20b/%E2%82%AC/\u00e9/%2F/..;x?page=2",
    "/pagination/echo//double//slash?page=2&q=%2F%2F",
    "/pagination/echo/%25%3F%23?page=2#fragment",
    "/pagination/echo?q=a+b%2Bc&page=2&page_size=2",
]


@pytest.mark.parametrize("url", ODD_URLS)
def test_page_parameters_and_urls_are_the_ones_django_gives(client: Client, url: str) -> None:
    for _ in range(2):  # the second time from the URL cache
        data = echo(client, url)
        assert data["fast"] == data["reference"]
        if data["fast"]["status"] == 200:
            body = data["fast"]["body"]
            assert body["page"] == (int(data["get"]["page"] or 1))
            for link in (body["next"], body["prev"]):
                assert link is None or link.startswith(data["url"].split("?")[0] + "?")


def test_page_parameters_follow_default_charset(client: Client) -> None:
    with override_settings(DEFAULT_CHARSET="latin-1"):
        data = echo(client, "/pagination/echo?x=%E9%FF&page=%32")
    assert data["fast"] == data["reference"] and data["fast"]["body"]["page"] == 2


def test_too_many_fields_is_djangos_400(client: Client) -> None:
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=3):
        assert client.get("/pagination/plain?a=1&b=2&page=2").status_code == 200
        assert client.get("/pagination/plain?a=1&b=2&c=3&page=2").status_code == 400


def test_the_host_is_checked_on_every_request(client: Client) -> None:
    url = "/pagination/plain?page=2"
    first = client.get(url)
    assert first.status_code == 200 and json.loads(first.content)["next"].startswith("http://testserver/")
    with override_settings(ALLOWED_HOSTS=["api.example"]):
        assert client.get(url).status_code == 400  # DisallowedHost, though the URL was cached
        other = client.get(url, headers={"host": "api.example"})
        assert json.loads(other.content)["next"].startswith("http://api.example/pagination/plain?")
    secure = client.get(url, secure=True)
    assert json.loads(secure.content)["next"].startswith("https://testserver/")


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.lists(
        st.tuples(st.sampled_from(["page", "page_size", "x", "", "p%61ge", "page_size "]),
                  st.text(alphabet="0123+ %&=;xé2E9", max_size=4)),
        max_size=5,
    ).map(lambda pairs: "&".join(f"{k}={v}" if k or v else "" for k, v in pairs)),
    tail=st.text(alphabet="ab/%20é;.", max_size=6),
)
def test_generated_queries_and_paths(client: Client, query: str, tail: str) -> None:
    path = "/pagination/echo/z" + tail.replace("#", "").replace("?", "")
    data = echo(client, f"{path}?{query}")
    assert data["fast"] == data["reference"]


def test_no_querydict_is_built_without_a_filterset() -> None:
    from django.test import RequestFactory

    from tests.django.pagination_app.views import plain

    request = RequestFactory().get("/pagination/plain?page=3&page_size=5&page=4")
    body = json.loads(plain(request).content)
    assert (body["page"], body["page_size"]) == (4, 5)
    assert "GET" not in request.__dict__  # read from the query string itself
    assert request.GET.get("page") == "4"


def test_the_url_cache_and_page_plans_are_bounded_and_emptied_by_a_setting_change(client: Client) -> None:
    from webaccel.django import pagination

    pagination._PLANS.clear()
    long_query = "x=" + "a" * 3000 + "&page=2"
    data = echo(client, "/pagination/echo?" + long_query)
    assert data["fast"] == data["reference"]
    assert all(len(key[3]) < 3000 for key in pagination._URLS)  # served, not kept
    assert all(len(key[1]) < 3000 for key in pagination._PLANS)
    for i in range(pagination._URLS_MAX + 20):
        assert client.get(f"/pagination/plain?page=2&n={i}").status_code == 200
        assert len(pagination._URLS) <= pagination._URLS_MAX
        assert 0 < len(pagination._PLANS) <= pagination._URLS_MAX
    with override_settings(DEFAULT_CHARSET="utf-8"):
        assert not pagination._PLANS and not pagination._URLS

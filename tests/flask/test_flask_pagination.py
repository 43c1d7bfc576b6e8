"""webaccel.flask.pagination through Flask's test client: envelope, Link header, config keys,
400/404 answers."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask

from webaccel.flask import WebAccel
from webaccel.flask.pagination import paginate
from webaccel.pagination import FilterSet

ROWS = [{"id": i, "name": f"row {i:02}", "score": i % 4} for i in range(1, 36)]
ROW_SET = FilterSet({"id": "int", "name": "str", "score": "int"}, tiebreaker="id")


def make_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    WebAccel(app)

    @app.get("/rows")
    def rows() -> Any:
        return paginate(ROWS, filterset=ROW_SET)

    @app.get("/names")
    def names() -> Any:
        return paginate((r for r in ROWS), serialize=lambda r: r["name"], page_size=4, max_page_size=6)

    @app.get("/counted")
    def counted() -> Any:
        return paginate(ROWS[:3], total_items=len(ROWS), page_size=3)

    return app


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]*)>; rel="([a-z]+)"', header)}


def test_page_envelope_and_link_header() -> None:
    client = make_app().test_client()
    r = client.get("/rows?score__gte=2&sort=-score&page=2&page_size=5&q=%C3%A9")
    assert r.status_code == 200
    expected = sorted((x for x in ROWS if x["score"] >= 2), key=lambda x: (-x["score"], x["id"]))
    body = r.get_json()
    assert body["items"] == expected[5:10]
    assert (body["page"], body["total_items"], body["total_pages"]) == (2, len(expected), 4)
    rels = links(r.headers["Link"])
    assert list(rels) == ["first", "prev", "next", "last"] and rels["next"] == body["next"]
    parts = urlsplit(body["next"])
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost", "/rows")
    assert parse_qsl(parts.query) == [("score__gte", "2"), ("sort", "-score"), ("page", "3"), ("page_size", "5"),
                                      ("q", "é")]


def test_config_keys_set_defaults_and_maximum() -> None:
    client = make_app().test_client()
    assert client.get("/rows").get_json()["page_size"] == 20
    assert client.get("/rows?page_size=500").get_json()["page_size"] == 100
    client = make_app(WEBACCEL_PAGINATION_PAGE_SIZE=7, WEBACCEL_PAGINATION_MAX_PAGE_SIZE=None).test_client()
    assert client.get("/rows").get_json()["page_size"] == 7
    assert client.get("/rows?page_size=500").get_json()["page_size"] == 500
    names = client.get("/names?page_size=50").get_json()
    assert names["page_size"] == 6 and names["items"] == [f"row {i:02}" for i in range(1, 7)]
    counted = client.get("/counted").get_json()
    assert counted["items"] == ROWS[:3] and counted["total_pages"] == 12


@pytest.mark.parametrize("bad", [0, -1, "20", True, 2.5])
def test_bad_config_is_refused_at_init(bad: Any) -> None:
    with pytest.raises(TypeError, match="WEBACCEL_PAGINATION"):
        make_app(WEBACCEL_PAGINATION_PAGE_SIZE=bad)
    with pytest.raises(TypeError, match="WEBACCEL_PAGINATION"):
        make_app(WEBACCEL_PAGINATION_MAX_PAGE_SIZE=bad)


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ("page=x", 400, "That page number is not an integer"),
        ("page=1.5", 400, "That page number is not an integer"),
        ("page=0", 404, "less than 1"),
        ("page=3", 404, "no results"),
        ("page_size=-5", 400, "page_size is less than 1"),
        ("sort=nope", 400, "cannot sort by 'nope'"),
        ("score=high", 400, "not a valid int"),
    ],
)
def test_bad_parameters(query: str, status: int, detail: str) -> None:
    r = make_app().test_client().get("/rows?" + query)
    assert r.status_code == status and "Link" not in r.headers
    assert detail in r.get_json()["detail"]


def test_works_without_the_extension() -> None:
    app = Flask(__name__)

    @app.get("/r")
    def r() -> Any:
        return paginate(list(range(30)))

    body = app.test_client().get("/r?page=2").get_json()
    assert body["items"] == list(range(20, 30)) and body["next"] is None


# --- page parameters and the request URI read without building request.args --------------------


def echo_app(engine: bool) -> Flask:
    from urllib.parse import quote

    from flask import request
    from werkzeug.exceptions import HTTPException

    from webaccel.flask import pagination
    from webaccel.flask.pagination import _request_uri

    app = Flask(__name__)
    app.config["WEBACCEL_REQUEST"] = engine
    WebAccel(app)

    def run() -> list[Any]:
        try:
            response = paginate(list(range(100)), page_size=10, max_page_size=20, clamp_page_size=False)
        except HTTPException as e:
            response = e.get_response()
        return [response.status_code, response.get_json(), response.headers.get("Link")]

    @app.get("/echo")
    @app.get("/echo/<path:rest>")
    def echo(rest: str = "") -> Any:
        fast = run()
        built = "args" in request.__dict__
        request.args  # noqa: B018  (built now: get_page reads it from here on)
        pagination._PLANS.clear()  # the reference is worked out afresh, from request.args
        reference = run()
        r = request
        safe = "!$&'()*+,/:;=@%"
        uri = f"{r.scheme}://{r.host}{quote(r.root_path.rstrip('/'), safe=safe)}/{quote(r.path.lstrip('/'), safe=safe)}"
        if r.query_string:
            uri = f"{uri}?{quote(r.query_string, safe=safe + '?')}"
        return {"fast": fast, "reference": reference, "built": built, "uri": _request_uri(), "expected_uri": uri,
                "page": request.args.get("page")}

    return app


ODD_QUERIES = [
    b"page=2&page=3",  # the first value wins, as request.args.get gives it
    b"page=3&page=2&page_size=4&page_size=7",
    b"page_size=&page_size=5",
    b"page=&page_size=",
    b"page=%33&page_size=%34",
    b"page=+3&page_size=3+",
    b"page=3;page_size=4",
    b"a=1&&b&=c&page=2&x=%3C%3E%22%20%25",
    b"x=%E2%82%AC&page=2&y=%ff%fe",  # invalid UTF-8 escapes stay percent-encoded
    b"x=\xc3\xa9&page=2&page_size=3",  # raw UTF-8 in the query string
    b"page=99&page_size=10",
    b"page=abc",
    b"page_size=21",
    b"q=a+b%2Bc&page=2&page_size=2",
    b"",
]


@pytest.mark.parametrize("engine", [True, False])
@pytest.mark.parametrize("query", ODD_QUERIES)
@pytest.mark.parametrize("path", ["/echo", "/echo/a%20b/%E2%82%AC/%2F/..;x", "/echo/x;y/%25/\u00e9"])
def test_page_parameters_and_uri_are_request_args_and_url(engine: bool, query: bytes, path: str) -> None:
    client = echo_app(engine).test_client()
    for _ in range(2):  # the second time from the URI cache
        data = client.get(path, query_string=query.decode()).get_json()
        assert data["fast"] == data["reference"] and data["uri"] == data["expected_uri"]
        assert data["built"] is False  # request.args was not built for the page parameters
        if data["fast"][0] == 200:
            assert data["fast"][1]["page"] == int(data["page"] or 1)


def test_untrusted_host_is_still_refused_with_a_cached_uri() -> None:
    app = echo_app(True)
    client = app.test_client()
    assert client.get("/echo?page=2").status_code == 200
    app.request_class.trusted_hosts = ["api.example"]
    try:
        assert client.get("/echo?page=2").status_code == 400  # SecurityError: untrusted host
        data = client.get("/echo?page=2", headers={"Host": "api.example"}).get_json()
        assert data["uri"] == "http://api.example/echo?page=2" and data["fast"][1]["next"].startswith("http://api.example/")
    finally:
        app.request_class.trusted_hosts = None


def test_request_args_built_another_way_is_used() -> None:
    from flask import Request
    from werkzeug.datastructures import MultiDict

    class LastWins(Request):
        parameter_storage_class = MultiDict  # type: ignore[assignment]

        @property
        def args(self) -> MultiDict[str, str]:  # type: ignore[override]
            pairs = parse_qsl(self.query_string.decode(), keep_blank_values=True)
            return MultiDict(list(reversed(pairs)))

    app = Flask(__name__)
    app.request_class = LastWins

    @app.get("/r")
    def r() -> Any:
        return paginate(list(range(100)))

    assert app.test_client().get("/r?page=2&page=3").get_json()["page"] == 3


def test_the_uri_cache_is_bounded() -> None:
    from webaccel.flask import pagination

    client = echo_app(True).test_client()
    data = client.get("/echo", query_string="x=" + "a" * 3000 + "&page=2").get_json()
    assert data["fast"] == data["reference"] and data["uri"] == data["expected_uri"]
    assert all(len(key[4]) < 3000 for key in pagination._URIS)  # served, not kept
    for i in range(pagination._URIS_MAX + 20):
        assert client.get(f"/echo?page=2&n={i}").status_code == 200
        assert len(pagination._URIS) <= pagination._URIS_MAX


def test_page_plans_are_bounded_and_long_urls_not_kept() -> None:
    from webaccel.flask import pagination

    client = echo_app(True).test_client()
    pagination._PLANS.clear()
    long_query = "x=" + "a" * 3000 + "&page=2"
    data = client.get("/echo", query_string=long_query).get_json()
    assert data["fast"] == data["reference"] and data["fast"][0] == 200
    assert all(len(key[1]) < 3000 for key in pagination._PLANS)  # answered, not kept
    for i in range(pagination._URIS_MAX + 20):
        assert client.get(f"/echo?page=2&n={i}").status_code == 200
        assert len(pagination._PLANS) <= pagination._URIS_MAX


def test_a_plan_is_not_kept_when_request_args_is_built_another_way() -> None:
    from flask import Request
    from werkzeug.datastructures import MultiDict

    from webaccel.flask import pagination

    class Custom(Request):
        parameter_storage_class = MultiDict  # type: ignore[assignment]

    app = Flask(__name__)
    app.request_class = Custom

    @app.get("/r")
    def r() -> Any:
        return paginate(list(range(100)))

    pagination._PLANS.clear()
    assert app.test_client().get("/r?page=2").get_json()["page"] == 2
    assert not pagination._PLANS


@pytest.mark.parametrize("extension", [True, False])
def test_the_response_is_what_jsonify_writes_with_one_link(extension: bool) -> None:
    from flask import Response, jsonify

    class Tagged(Response):
        """A response class that sets a Link of its own: paginate's replaces it."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # (The test client builds its own response from the class too, with the headers
            # received: those are left alone.)
            self.headers.setdefault("Link", "<stale>")

    for response_class in (Response, Tagged):
        app = Flask(__name__)
        app.response_class = response_class
        if extension:
            WebAccel(app)  # webaccel's JSON provider; without it, Flask's own

        @app.get("/r")
        def r() -> Any:
            return paginate(ROWS, page_size=5)

        got = app.test_client().get("/r?page=2")
        assert type(app.json).__name__ == ("WebAccelJSONProvider" if extension else "DefaultJSONProvider")
        assert got.headers.getlist("Link") == [got.headers["Link"]] and "<stale>" not in got.headers["Link"]
        assert links(got.headers["Link"])["next"] == "http://localhost/r?page=3&page_size=5"
        body = got.get_json()
        with app.test_request_context("/r?page=2"):
            expected = jsonify(body).get_data()
        assert got.get_data() == expected and expected.endswith(b"}\n")
        assert got.headers["Content-Type"] == "application/json"
        assert got.headers["Content-Length"] == str(len(expected))


def test_a_custom_provider_that_sets_link_gets_it_replaced() -> None:
    from flask.json.provider import DefaultJSONProvider

    class LinkingProvider(DefaultJSONProvider):
        def response(self, *args: Any, **kwargs: Any) -> Any:
            r = super().response(*args, **kwargs)
            r.headers["Link"] = "<stale>"
            return r

    app = make_app()
    app.json = LinkingProvider(app)
    got = app.test_client().get("/rows?page=2&page_size=5")
    assert got.headers.getlist("Link") == [got.headers["Link"]] and "<stale>" not in got.headers["Link"]

"""webaccel.flask.request through Flask's test client: form, files, args and cookies parsed by the
engine give what stock Flask gives on valid input; hostile uploads are 400/413; limits come from
WEBACCEL_REQUEST_* config with Flask's settings as fallbacks; the swap is opt-in."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, Request, request
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage

from tests.hostile_uploads import (
    CONTENT_TYPE,
    FILE_CONTENT,
    HOSTILE,
    MAX_FIELD_SIZE,
    MAX_FILE_SIZE,
    MAX_PARTS,
    VALID,
    close,
    field,
    file,
)
from webaccel.flask import WebAccel
from webaccel.flask.request import WebAccelRequest, WebAccelRequestMixin

OPENED: list[Any] = []


def make_app(engine: bool, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    app.config["WEBACCEL_REQUEST"] = engine
    WebAccel(app)

    @app.post("/form")
    def form() -> Any:
        OPENED.clear()
        files = []
        for name, upload in request.files.items(multi=True):
            assert isinstance(upload, FileStorage)
            OPENED.append(upload.stream)
            files.append(
                {
                    "name": name,
                    "filename": upload.filename,
                    "content_type": upload.content_type,
                    "content": upload.read().hex(),
                }
            )
        return {"fields": [list(kv) for kv in request.form.items(multi=True)], "files": files}

    @app.get("/args")
    def args() -> Any:
        return {"args": [list(kv) for kv in request.args.items(multi=True)], "type": type(request.args).__name__}

    @app.get("/cookies")
    def cookies() -> Any:
        return {"cookies": dict(request.cookies), "type": type(request.cookies).__name__}

    return app


LIMITS = {
    "WEBACCEL_REQUEST_MAX_PARTS": MAX_PARTS,
    "WEBACCEL_REQUEST_MAX_FILE_SIZE": MAX_FILE_SIZE,
    "WEBACCEL_REQUEST_MAX_FIELD_SIZE": MAX_FIELD_SIZE,
    "WEBACCEL_REQUEST_SPOOL_MAX_SIZE": 100,
}


@pytest.fixture(scope="module")
def ours() -> FlaskClient:
    return make_app(True, **LIMITS).test_client(use_cookies=False)


@pytest.fixture(scope="module")
def stock() -> FlaskClient:
    return make_app(False).test_client(use_cookies=False)


def test_opt_in() -> None:
    assert make_app(False).request_class is Request
    assert make_app(True).request_class is WebAccelRequest


def test_an_apps_own_request_class_is_kept() -> None:
    class MyRequest(Request):
        marker = True

    app = Flask(__name__)
    app.request_class = MyRequest
    app.config["WEBACCEL_REQUEST"] = True
    WebAccel(app)
    assert issubclass(app.request_class, MyRequest)
    assert issubclass(app.request_class, WebAccelRequestMixin)
    WebAccel(app)  # idempotent
    assert app.request_class.__mro__.count(WebAccelRequestMixin) == 1


def test_config_is_checked() -> None:
    app = Flask(__name__)
    app.config["WEBACCEL_REQUEST_MAX_PARTS"] = "10"
    with pytest.raises(TypeError):
        WebAccel(app)
    app = Flask(__name__)
    app.config["WEBACCEL_REQUEST"] = 1
    with pytest.raises(TypeError):
        WebAccel(app)


def test_multipart_matches_stock(ours: FlaskClient, stock: FlaskClient) -> None:
    a = ours.post("/form", data=VALID, content_type=CONTENT_TYPE)
    b = stock.post("/form", data=VALID, content_type=CONTENT_TYPE)
    assert a.status_code == b.status_code == 200
    assert a.json == b.json
    assert a.json is not None
    assert a.json["fields"] == [["title", "Grüße"], ["tag", "a"], ["tag", "b"]]
    assert bytes.fromhex(a.json["files"][0]["content"]) == FILE_CONTENT


def test_files_are_spooled_and_closed_after_the_request(ours: FlaskClient) -> None:
    assert ours.post("/form", data=VALID, content_type=CONTENT_TYPE).status_code == 200
    assert len(OPENED) == 1 and OPENED[0].closed  # request.close() at the end of the context


def test_test_client_form_and_files_match_stock(ours: FlaskClient, stock: FlaskClient) -> None:
    def data() -> dict[str, Any]:
        import io

        return {"name": "x y", "empty": "", "up": (io.BytesIO(b"hello\r\nworld"), "a b.txt", "text/plain")}

    a = ours.post("/form", data=data())
    b = stock.post("/form", data=data())
    assert a.status_code == 200
    assert a.json == b.json


@pytest.mark.parametrize(
    "body", ["a=1&b=%C3%A9+x&a=2&empty=&flag", "a=%zz&b=%ff&c=%E2%82", "", "&&a==1&"]
)
def test_urlencoded_matches_stock(ours: FlaskClient, stock: FlaskClient, body: str) -> None:
    ct = "application/x-www-form-urlencoded"
    a = ours.post("/form", data=body, content_type=ct)
    b = stock.post("/form", data=body, content_type=ct)
    assert a.status_code == 200
    assert a.json == b.json


def test_urlencoded_limits() -> None:
    client = make_app(True, WEBACCEL_REQUEST_MAX_FORM_MEMORY=32, WEBACCEL_REQUEST_MAX_PARTS=3).test_client()
    ct = "application/x-www-form-urlencoded"
    assert client.post("/form", data="a=1&b=2&c=3", content_type=ct).status_code == 200
    assert client.post("/form", data="a=1&b=2&c=3&d=4", content_type=ct).status_code == 413
    assert client.post("/form", data="a=" + "x" * 40, content_type=ct).status_code == 413
    assert client.post("/form", data=b"a=\xff", content_type=ct).status_code == 400


def test_fallback_to_flasks_settings() -> None:
    client = make_app(True, MAX_FORM_PARTS=2, MAX_FORM_MEMORY_SIZE=10).test_client()
    two = field("a", b"1") + field("b", b"2") + close()
    assert client.post("/form", data=two, content_type=CONTENT_TYPE).status_code == 200
    three = field("a", b"1") + field("b", b"2") + field("c", b"3") + close()
    assert client.post("/form", data=three, content_type=CONTENT_TYPE).status_code == 413
    big = field("a", b"x" * 11) + close()
    assert client.post("/form", data=big, content_type=CONTENT_TYPE).status_code == 413


def test_max_content_length(ours: FlaskClient) -> None:
    client = make_app(True, MAX_CONTENT_LENGTH=200).test_client()
    body = file("f", "f.bin", b"y" * 500) + close()
    assert client.post("/form", data=body, content_type=CONTENT_TYPE).status_code == 413


@pytest.mark.parametrize(("case", "body", "content_type", "status"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_upload_is_a_4xx(ours: FlaskClient, case: str, body: bytes, content_type: str, status: int) -> None:
    response = ours.post("/form", data=body, content_type=content_type)
    # Werkzeug answers every limit with 413 RequestEntityTooLarge, the number of parts included.
    assert response.status_code == (413 if case == "too-many-parts" else status)


def test_charset_field(ours: FlaskClient) -> None:
    body = field("_charset_", b"shift_jis") + field("name", "日本".encode("shift_jis")) + close()
    response = ours.post("/form", data=body, content_type=CONTENT_TYPE)
    assert response.json is not None
    assert response.json["fields"] == [["_charset_", "shift_jis"], ["name", "日本"]]


@pytest.mark.parametrize(
    "query", ["a=1&b=%C3%A9+x&a=2&empty=&flag", "a=%zz&b=%ff", "x=%E2%82%AC;y=1", ""]
)
def test_args_match_stock(ours: FlaskClient, stock: FlaskClient, query: str) -> None:
    a = ours.get("/args?" + query)
    b = stock.get("/args?" + query)
    assert a.json == b.json


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ('msg="a\\054b"; sid=x', {"msg": "a,b", "sid": "x"}),
        ("a=1; a=2", {"a": "2"}),  # Django's rule: the last duplicate wins (Werkzeug: the first)
    ],
)
def test_cookies(ours: FlaskClient, stock: FlaskClient, header: str, expected: dict[str, str]) -> None:
    a = ours.get("/cookies", headers={"Cookie": header})
    assert a.json == {"cookies": expected, "type": "ImmutableMultiDict"}
    if header != "a=1; a=2":
        assert a.json == stock.get("/cookies", headers={"Cookie": header}).json


def test_backslash_heavy_cookie_cve_2024_7592(ours: FlaskClient) -> None:
    value = '"' + "\\" * 20000 + '"'
    response = ours.get("/cookies", headers={"Cookie": f"a={value}"})
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["cookies"]["a"] == "\\" * 10000

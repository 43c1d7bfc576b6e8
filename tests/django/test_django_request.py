"""webaccel.django.request through Django's test client: parse_body / the middleware give the
QueryDict and UploadedFiles Django's own parser gives on valid input; hostile uploads are 400;
WEBACCEL limits with Django's settings as fallbacks; client_ip behind trusted proxies."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from tests.django import request_views
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
from webaccel.django.conf import validate
from webaccel.errors import FormError, MultipartError
from webaccel.django.request import translate_error

ENGINE = ["webaccel.django.request.RequestParsingMiddleware"]
LIMITS = {
    "REQUEST_MAX_FIELDS": MAX_PARTS,
    "REQUEST_MAX_FILE_SIZE": MAX_FILE_SIZE,
    "REQUEST_MAX_FORM_MEMORY": MAX_FIELD_SIZE,
    "REQUEST_SPOOL_MAX_SIZE": 100,
}


def post(path: str, body: bytes, content_type: str = CONTENT_TYPE) -> Any:
    return Client().post(path, data=body, content_type=content_type)


@pytest.mark.parametrize("path", ["/req/form", "/req/parsed", "/req/body-then-parsed"])
def test_multipart_matches_djangos_parser(path: str) -> None:
    stock = post("/req/form", VALID)
    with override_settings(MIDDLEWARE=ENGINE, WEBACCEL=LIMITS):
        ours = post(path, VALID)
    assert stock.status_code == ours.status_code == 200
    assert ours.json() == stock.json()
    assert ours.json()["fields"] == [["title", "Grüße"], ["tag", "a"], ["tag", "b"]]
    assert bytes.fromhex(ours.json()["files"][0]["content"]) == FILE_CONTENT


def test_test_client_dict_data_matches() -> None:
    import io

    def data() -> dict[str, Any]:
        upload = io.BytesIO(b"hello\r\nworld")
        upload.name = "dir/a b.txt"
        return {"name": "x y", "empty": "", "up": upload, "multi": ["1", "2"]}

    stock = Client().post("/req/form", data=data())
    with override_settings(MIDDLEWARE=ENGINE):
        ours = Client().post("/req/form", data=data())
    assert ours.status_code == 200
    assert ours.json() == stock.json()


@pytest.mark.parametrize("body", ["a=1&b=%C3%A9+x&a=2&empty=&flag", "a=%zz&b=%ff", "a=1;b=2", ""])
def test_urlencoded_matches_django(body: str) -> None:
    ct = "application/x-www-form-urlencoded"
    stock = post("/req/form", body.encode(), ct)
    with override_settings(MIDDLEWARE=ENGINE):
        ours = post("/req/form", body.encode(), ct)
    assert ours.status_code == 200
    assert ours.json() == stock.json()


def test_other_content_types_and_methods_are_empty() -> None:
    with override_settings(MIDDLEWARE=ENGINE):
        assert post("/req/form", b"{}", "application/json").json() == {"fields": [], "files": []}
        response = Client().put("/req/parsed", data=VALID, content_type=CONTENT_TYPE)
        assert response.json() == {"fields": [], "files": []}


@pytest.mark.parametrize(("case", "body", "content_type", "status"), HOSTILE, ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize("path", ["/req/form", "/req/parsed"])
def test_hostile_upload_is_400(path: str, case: str, body: bytes, content_type: str, status: int) -> None:
    # Django answers every request-data refusal with 400 (it has no 413).
    with override_settings(MIDDLEWARE=ENGINE, WEBACCEL=LIMITS):
        response = post(path, body, content_type)
    assert response.status_code == 400


def test_uploads_spooled_and_closed_by_django_after_the_response() -> None:
    with override_settings(MIDDLEWARE=ENGINE, WEBACCEL=LIMITS):
        assert post("/req/form", VALID).status_code == 200
    assert len(request_views.OPENED) == 1
    assert not hasattr(request_views.OPENED[0], "getvalue")  # a temporary file, not BytesIO
    assert request_views.OPENED[0].closed  # request.close() closes request.FILES


def test_limits_fall_back_to_django_settings() -> None:
    three = field("a", b"1") + field("b", b"2") + field("c", b"3") + close()
    with override_settings(MIDDLEWARE=ENGINE, DATA_UPLOAD_MAX_NUMBER_FIELDS=2):
        assert post("/req/form", three).status_code == 400
    with override_settings(MIDDLEWARE=ENGINE, DATA_UPLOAD_MAX_NUMBER_FIELDS=2, WEBACCEL={"REQUEST_MAX_FIELDS": 3}):
        assert post("/req/form", three).status_code == 200
    two_files = file("f", "a.txt", b"1") + file("f", "b.txt", b"2") + close()
    with override_settings(MIDDLEWARE=ENGINE, DATA_UPLOAD_MAX_NUMBER_FILES=1):
        assert post("/req/form", two_files).status_code == 400
    with override_settings(MIDDLEWARE=ENGINE, DATA_UPLOAD_MAX_MEMORY_SIZE=10):
        assert post("/req/form", field("a", b"x" * 11) + close()).status_code == 400
        assert post("/req/form", b"a=" + b"x" * 20, "application/x-www-form-urlencoded").status_code == 400


def test_empty_file_name_is_skipped_as_django_does() -> None:
    body = file("f", "", b"") + file("g", "../../etc/passwd", b"x") + close()
    stock = post("/req/form", body)
    with override_settings(MIDDLEWARE=ENGINE):
        ours = post("/req/form", body)
    assert ours.json() == stock.json()
    assert [f["filename"] for f in ours.json()["files"]] == ["passwd"]


@pytest.mark.parametrize("qs", ["a=1&b=%C3%A9+x&a=2&empty=&flag", "a=%zz&b=%ff", "a=1;b=2", "", "%E9t%E9=1"])
def test_parse_query_matches_request_get(qs: str) -> None:
    response = Client().get("/req/query?" + qs)
    body = response.json()
    assert body["ours"] == body["django"]
    assert body["type"] == "QueryDict" and body["mutable"] is False


def test_parse_query_field_limit() -> None:
    with override_settings(WEBACCEL={"REQUEST_MAX_FIELDS": 2}):
        assert Client().get("/req/query?a=1&b=2&c=3").status_code == 400


def test_client_ip_helper_and_middleware() -> None:
    headers = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"}
    with override_settings(MIDDLEWARE=["webaccel.django.request.ClientIPMiddleware"]):
        direct = Client(REMOTE_ADDR="8.8.8.8").get("/req/ip", **headers).json()
        assert direct == {"helper": "8.8.8.8", "middleware": "8.8.8.8"}
        local = Client(REMOTE_ADDR="127.0.0.1").get("/req/ip", **headers).json()
        assert local == {"helper": "1.2.3.4", "middleware": "1.2.3.4"}
    with override_settings(WEBACCEL={"REQUEST_TRUSTED_PROXIES": ["10.0.0.0/8"], "REQUEST_CLIENT_IP_HEADER": "x-real-ip"}):
        response = Client(REMOTE_ADDR="10.1.1.1").get("/req/ip", HTTP_X_REAL_IP="9.9.9.9").json()
        assert response == {"helper": "9.9.9.9", "middleware": "unset"}


def test_middlewares_are_async_capable() -> None:
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    with override_settings(MIDDLEWARE=ENGINE + ["webaccel.django.request.ClientIPMiddleware"]):
        response = async_to_sync(AsyncClient().post)("/req/form", data=VALID, content_type=CONTENT_TYPE)
    assert response.status_code == 200
    assert response.json()["fields"][0] == ["title", "Grüße"]


def test_invalid_trusted_proxies_are_a_configuration_error() -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import RequestFactory

    from webaccel.django.request import client_ip

    with override_settings(WEBACCEL={"REQUEST_TRUSTED_PROXIES": ["10.0.0.1/8"]}):
        with pytest.raises(ImproperlyConfigured, match="REQUEST_TRUSTED_PROXIES"):
            client_ip(RequestFactory().get("/"))


def test_settings_are_validated() -> None:
    assert validate({"REQUEST_MAX_FIELDS": 10, "REQUEST_TRUSTED_PROXIES": ("10.0.0.0/8",)}) == []
    problems = validate({"REQUEST_MAX_FILES": "10", "REQUEST_TRUSTED_PROXIES": "10.0.0.0/8"})
    assert [p.id for p in problems] == ["webaccel.E003", "webaccel.E003"]


def test_translate_error() -> None:
    from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
    from django.http.multipartparser import MultiPartParserError

    from webaccel.http import parse_form, parse_multipart

    with pytest.raises(FormError) as too_many:
        parse_form(b"a&b&c", max_fields=2)
    assert isinstance(translate_error(too_many.value), TooManyFieldsSent)
    with pytest.raises(FormError) as too_big:
        parse_form(b"abc", max_size=2)
    assert isinstance(translate_error(too_big.value), RequestDataTooBig)
    with pytest.raises(MultipartError) as truncated:
        parse_multipart(VALID[:-10], CONTENT_TYPE)
    assert type(translate_error(truncated.value)) is MultiPartParserError
    assert isinstance(translate_error(FormError("x")), BadRequest)

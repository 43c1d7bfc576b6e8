"""The system check on the compression values of ``WEBACCEL``: a bad coding name or level is
reported at startup (``manage.py check``), not by ``CompressionMiddleware`` on its first request."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings
from pytest_django import Settings

from webaccel.compress import CompressionError
from webaccel.django.compress import check_compress_settings


def webaccel_errors() -> list[checks.CheckMessage]:
    return checks.run_checks(tags=["webaccel"])


def test_valid_compression_settings_pass(settings: Settings) -> None:
    settings.WEBACCEL = {
        "COMPRESS_ENCODINGS": ["GZIP", "br", "zstd", "deflate"],
        "COMPRESS_LEVELS": {"br": 11, "zstd": -5, "gzip": 0},
        "COMPRESS_MIN_SIZE": 0,
    }
    assert webaccel_errors() == []


def test_unknown_coding_in_encodings(settings: Settings) -> None:
    settings.WEBACCEL = {"COMPRESS_ENCODINGS": ["zstd", "gzp"]}
    [error] = webaccel_errors()
    assert isinstance(error, checks.Error)
    assert error.id == "webaccel.E010"
    assert error.obj == "WEBACCEL"
    assert "'COMPRESS_ENCODINGS'" in error.msg and "'gzp'" in error.msg
    assert error.hint == "Did you mean 'gzip'?"


def test_unknown_coding_without_a_close_match(settings: Settings) -> None:
    settings.WEBACCEL = {"COMPRESS_ENCODINGS": ["lzma", 7]}
    errors = webaccel_errors()
    assert [e.id for e in errors] == ["webaccel.E010", "webaccel.E010"]
    assert errors[0].hint == "Expected one of gzip, deflate, br, zstd."
    assert "7" in errors[1].msg


def test_unknown_coding_and_bad_levels_in_levels(settings: Settings) -> None:
    settings.WEBACCEL = {"COMPRESS_LEVELS": {"brotli": 5, "gzip": 10, "zstd": "3", "br": True}}
    errors = webaccel_errors()
    assert [e.id for e in errors] == ["webaccel.E010", "webaccel.E011", "webaccel.E011", "webaccel.E011"]
    assert "'brotli'" in errors[0].msg and errors[0].hint == "Did you mean 'br'?"
    assert "gzip level must be in 0..=9, not 10" in errors[1].msg


def test_negative_sizes(settings: Settings) -> None:
    settings.WEBACCEL = {"COMPRESS_MIN_SIZE": -1, "COMPRESS_MAX_REQUEST_SIZE": -5}
    assert [e.id for e in webaccel_errors()] == ["webaccel.E011", "webaccel.E011"]


def test_wrong_types_are_left_to_the_type_check(settings: Settings) -> None:
    settings.WEBACCEL = {"COMPRESS_ENCODINGS": "gzip", "COMPRESS_LEVELS": [("gzip", 5)]}
    assert sorted(e.id for e in webaccel_errors()) == ["webaccel.E003", "webaccel.E003"]


@pytest.mark.parametrize("raw", [None, ["COMPRESS_ENCODINGS"], {}])
def test_not_a_dict_or_empty_is_not_this_checks_business(raw: Any) -> None:
    assert check_compress_settings(raw) == []


def test_manage_py_check_fails_at_startup_where_the_middleware_would_fail_later(settings: Settings) -> None:
    settings.WEBACCEL = {"COMPRESS_ENCODINGS": ["gzip", "bogus"]}
    with pytest.raises(SystemCheckError, match="webaccel.E010"):
        call_command("check", tags=["webaccel"])
    # What the check saves users from: the middleware refusing its first request.
    with override_settings(ROOT_URLCONF="tests.django.compress_urls",
                           MIDDLEWARE=["webaccel.django.compress.CompressionMiddleware"]):
        with pytest.raises(CompressionError, match="bogus"):
            Client(raise_request_exception=True).get("/big", HTTP_ACCEPT_ENCODING="gzip")

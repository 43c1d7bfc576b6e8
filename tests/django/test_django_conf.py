"""webaccel.django.conf (the WEBACCEL settings dict) and its system check."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from pytest_django import Settings

from webaccel.django import conf
from webaccel.django.apps import WebAccelConfig
from webaccel.django.checks import check_settings


def webaccel_errors() -> list[checks.CheckMessage]:
    return checks.run_checks(tags=["webaccel"])


def test_app_config_is_installed() -> None:
    config = apps.get_app_config("webaccel")
    assert isinstance(config, WebAccelConfig)
    assert config.name == "webaccel.django"


def test_check_is_registered_under_its_tag() -> None:
    assert "webaccel" in checks.registry.registry.tags_available()
    assert check_settings in checks.registry.registry.get_checks()


def test_defaults_without_the_setting() -> None:
    settings = conf.get_settings()
    assert settings == conf.WebAccelSettings()
    assert settings.JSON_NAN_AS_NULL is False
    assert conf.DEFAULTS["JSON_NAN_AS_NULL"] is False
    assert dict(conf.DEFAULTS) == {f.name: f.default for f in dataclasses.fields(conf.WebAccelSettings)}
    assert webaccel_errors() == []


def test_settings_are_cached() -> None:
    assert conf.get_settings() is conf.get_settings()


def test_override_settings_resets_the_cache() -> None:
    before = conf.get_settings()
    with override_settings(WEBACCEL={"JSON_NAN_AS_NULL": True}):
        inside = conf.get_settings()
        assert inside.JSON_NAN_AS_NULL is True
        assert conf.get_settings() is inside
    after = conf.get_settings()
    assert after.JSON_NAN_AS_NULL is False
    assert after is not before  # re-read when the override ended


def test_pytest_django_settings_fixture_resets_the_cache(settings: Settings) -> None:
    assert conf.get_settings().JSON_NAN_AS_NULL is False
    settings.WEBACCEL = {"JSON_NAN_AS_NULL": True}
    assert conf.get_settings().JSON_NAN_AS_NULL is True


def test_other_settings_keep_the_cache() -> None:
    cached = conf.get_settings()
    with override_settings(DEBUG=True):
        assert conf.get_settings() is cached


def test_settings_object_is_immutable() -> None:
    with pytest.raises(AttributeError):
        conf.get_settings().JSON_NAN_AS_NULL = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "error_id", "fragment"),
    [
        (["JSON_NAN_AS_NULL"], "webaccel.E001", "must be a dict, not list"),
        (None, "webaccel.E001", "must be a dict, not NoneType"),
        ({"JSON_NAN_AS_NUL": True}, "webaccel.E002", "Unknown key 'JSON_NAN_AS_NUL'"),
        ({"RATE_LIMIT": "10/m"}, "webaccel.E002", "Unknown key 'RATE_LIMIT'"),
        ({"JSON_NAN_AS_NULL": "yes"}, "webaccel.E003", "must be bool, not str"),
        ({"JSON_NAN_AS_NULL": 1}, "webaccel.E003", "must be bool, not int"),
    ],
)
def test_system_check_errors(value: Any, error_id: str, fragment: str) -> None:
    with override_settings(WEBACCEL=value):
        errors = webaccel_errors()
        assert [error.id for error in errors] == [error_id]
        [error] = errors
        assert isinstance(error, checks.Error)
        assert fragment in error.msg
        assert error.obj == "WEBACCEL"
        with pytest.raises(ImproperlyConfigured, match=error_id):
            conf.get_settings()


def test_unknown_key_hint_suggests_the_close_key() -> None:
    with override_settings(WEBACCEL={"JSON_NAN_AS_NUL": True}):
        [error] = webaccel_errors()
        assert error.hint == "Did you mean 'JSON_NAN_AS_NULL'?"
    with override_settings(WEBACCEL={"SOMETHING": 1}):
        [error] = webaccel_errors()
        assert error.hint == f"Known keys: {', '.join(sorted(conf.DEFAULTS))}."
        assert "JSON_NAN_AS_NULL" in error.hint


def test_every_problem_is_reported() -> None:
    with override_settings(WEBACCEL={"JSON_NAN_AS_NULL": "no", "TYPO": 1}):
        assert sorted(error.id for error in webaccel_errors()) == ["webaccel.E002", "webaccel.E003"]


def test_manage_py_check_fails_on_errors() -> None:
    call_command("check", tags=["webaccel"])
    with override_settings(WEBACCEL={"JSON_NAN_AS_NULL": "yes"}):
        with pytest.raises(SystemCheckError, match="webaccel.E003"):
            call_command("check", tags=["webaccel"])


class TestValidateTypes:
    """The annotation checker that later keys rely on (bool vs int, optional, literal)."""

    @pytest.mark.parametrize(
        ("value", "hint", "ok"),
        [
            (True, bool, True),
            (1, bool, False),
            (1, int, True),
            (True, int, False),
            (1.5, float, True),
            (None, int | None, True),
            ("x", int | None, False),
            ("memory", "Literal['memory', 'redis']", True),
            ("disk", "Literal['memory', 'redis']", False),
            ("s", str, True),
        ],
    )
    def test_matches(self, value: Any, hint: Any, ok: bool) -> None:
        if isinstance(hint, str):
            from typing import Literal  # noqa: F401  (used by eval)

            hint = eval(hint)
        assert conf._matches(value, hint) is ok

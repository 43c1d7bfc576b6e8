"""System checks for ``webaccel.django``, registered by its AppConfig under the tag
``webaccel`` (``manage.py check --tag webaccel``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from webaccel.django.compress import check_compress_settings
from webaccel.django.conf import SETTING_NAME, validate

__all__ = ["check_settings"]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Validate the ``WEBACCEL`` setting (ids ``webaccel.E001``... in ``webaccel.django.conf``;
    ``webaccel.E010``/``E011``, the compression values, in ``webaccel.django.compress``)."""
    raw = getattr(settings, SETTING_NAME, {})
    return [
        checks.Error(problem.msg, hint=problem.hint, obj=SETTING_NAME, id=problem.id)
        for problem in validate(raw) + check_compress_settings(raw)
    ]

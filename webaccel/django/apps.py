"""The Django app config of ``webaccel.django``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class WebAccelConfig(AppConfig):
    """``INSTALLED_APPS += ["webaccel.django"]``: registers webaccel's system checks."""

    name = "webaccel.django"
    label = "webaccel"
    verbose_name = "webaccel"

    def ready(self) -> None:
        from webaccel.django.checks import check_settings

        checks.register(check_settings, "webaccel")

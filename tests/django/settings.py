"""Django settings for webaccel's test suite (pytest-django loads them for the whole run;
see ``[tool.pytest.ini_options]`` in pyproject.toml)."""

from __future__ import annotations

SECRET_KEY = "webaccel-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "webaccel.django",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.django.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
LANGUAGE_CODE = "en"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# cache: the in-process backend under its own alias (Django's default cache is left as it is).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "webaccel": {"BACKEND": "webaccel.django.cache.WebAccelCache", "LOCATION": "tests", "TIMEOUT": 60},
}
# pagination: a test app with one model, on an in-memory sqlite database.
INSTALLED_APPS += ["tests.django.pagination_app"]
DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

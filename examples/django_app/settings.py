"""Settings of the example project: the smallest Django setup that serves JSON views."""

from __future__ import annotations

# A development key: the example has no sessions, users or signed data.
SECRET_KEY = "django-insecure-webaccel-example-only"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "webaccel.django",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "django_app.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
TIME_ZONE = "UTC"

# webaccel's settings (keys and defaults: webaccel.django.conf.WebAccelSettings).
WEBACCEL = {
    "JSON_NAN_AS_NULL": False,
}

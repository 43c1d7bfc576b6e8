"""Settings of the webaccel end-to-end Django project (no database: the data is in memory)."""

from __future__ import annotations

from e2e import data

SECRET_KEY = "django-insecure-e2e-example-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = ["webaccel.django"]  # its system check validates WEBACCEL at start-up
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "webaccel.django.auth.JWTAuthenticationMiddleware",
]
ROOT_URLCONF = "e2e.django_webaccel.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
TIME_ZONE = "UTC"
CACHES = {"default": {"BACKEND": "webaccel.django.cache.WebAccelCache", "LOCATION": "e2e"}}
PASSWORD_HASHERS = ["webaccel.django.hashers.Argon2PasswordHasher"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The per-user rate of the list view (views.py reads it when its limiter is built).
E2E_RATE_LIMIT = data.RATE_LIMIT
WEBACCEL = {
    # Tokens are verified for every request that carries one; views that need one say so
    # with @jwt_required (login, the detail view and uploads are public).
    "JWT_SECRET": data.JWT_SECRET,
    "JWT_ALGORITHMS": ["HS256"],
    "JWT_AUDIENCE": data.JWT_AUDIENCE,
    "JWT_ISSUER": data.JWT_ISSUER,
    "JWT_REQUIRE": ["exp", "sub"],
    "RATELIMIT_HEADERS": False,  # django-ratelimit sends none either
    "REQUEST_MAX_FILES": 1,
    "REQUEST_MAX_FILE_SIZE": data.UPLOAD_MAX_BYTES,
    "PAGINATION_PAGE_SIZE": data.PAGE_SIZE_DEFAULT,
    "PAGINATION_MAX_PAGE_SIZE": data.PAGE_SIZE_MAX,
}

"""The documentation site builds, lists every page, and documents what the code has.

- ``mkdocs build --strict`` succeeds (strict mode fails on a broken link or anchor, and on a
  page left out of the nav, as configured in ``mkdocs.yml``);
- every page in ``docs/`` is in the nav;
- each capability page has sections for its API, limits, failure behaviour and security notes;
- each framework page has a migration table naming the stock libraries it replaces;
- every Flask config key (``CONFIG_DEFAULTS``), every Django ``WEBACCEL`` key
  (``WebAccelSettings``) and every parameter of the FastAPI adapter's public classes and
  functions is named on its framework page.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

CAPABILITY_PAGES = [
    "json", "http", "auth", "passwords", "ratelimit", "cache", "redis", "compress", "pagination",
    "metrics", "health", "accesslog",
]
SECTIONS = {
    "API": r"\bAPI\b",
    "limits": r"\blimits?\b",
    "failure behaviour": r"\b(failure|failures|errors)\b",
    "security notes": r"\bsecurity\b",
}
STOCK_LIBRARIES = {
    "fastapi": ["JSONResponse", "orjson", "PyJWT", "slowapi", "limits", "fastapi-cache2", "cachetools",
                "python-multipart", "GZipMiddleware", "prometheus_client"],
    "flask": ["PyJWT", "Flask-JWT-Extended", "Flask-Limiter", "Flask-Caching", "Flask-Compress"],
    "django": ["PyJWT", "djangorestframework-simplejwt", "django-ratelimit", "LocMemCache", "RedisCache",
               "Argon2PasswordHasher", "GZipMiddleware", "Paginator", "django-prometheus"],
}


def _headings(page: str) -> list[str]:
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # not comments inside code
    return [line.lstrip("#").strip() for line in text.splitlines() if re.match(r"^#{1,4} ", line)]


def _page(page: str) -> str:
    return (DOCS / f"{page}.md").read_text(encoding="utf-8")


def _nav_files(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [f for item in nav for f in _nav_files(item)]
    if isinstance(nav, dict):
        return [f for value in nav.values() for f in _nav_files(value)]
    return []


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for page in DOCS.glob("*.md"):
        built = tmp_path / "site" / ("index.html" if page.stem == "index" else f"{page.stem}/index.html")
        assert built.is_file(), f"{page.name} was not built"


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = _nav_files(config["nav"])
    on_disk = sorted(p.name for p in DOCS.glob("*.md"))
    assert sorted(in_nav) == on_disk
    assert len(in_nav) == len(set(in_nav)), "a page is listed twice"


@pytest.mark.parametrize("page", CAPABILITY_PAGES)
def test_capability_page_has_the_sections(page: str) -> None:
    headings = _headings(page)
    missing = [name for name, pattern in SECTIONS.items()
               if not any(re.search(pattern, h, re.I) for h in headings)]
    assert not missing, f"docs/{page}.md has no heading for: {missing} (headings: {headings})"


@pytest.mark.parametrize("framework", sorted(STOCK_LIBRARIES))
def test_framework_page_has_a_migration_table(framework: str) -> None:
    text = _page(framework)
    section = text[text.index("## Migration from the stock libraries"):]
    section = section[: section.find("\n## ", 1)]
    assert "| before | after |" in section
    missing = [lib for lib in STOCK_LIBRARIES[framework] if lib not in section]
    assert not missing, f"docs/{framework}.md's migration table does not name {missing}"


def test_every_flask_config_key_is_documented() -> None:
    from webaccel.flask import CONFIG_DEFAULTS

    text = _page("flask")
    missing = [key for key in CONFIG_DEFAULTS if f"`{key}`" not in text and f"`{key} " not in text]
    assert not missing, f"docs/flask.md does not document {missing}"


def test_every_django_setting_is_documented() -> None:
    from webaccel.django.conf import WebAccelSettings

    text = _page("django")
    keys = [f.name for f in dataclasses.fields(WebAccelSettings)]
    missing = [key for key in keys if not re.search(rf"`{key}`", text)]
    assert not missing, f"docs/django.md does not document the WEBACCEL keys {missing}"


def _fastapi_api() -> dict[str, Any]:
    from webaccel.fastapi import JSONBody, ClientAddress, FormBody, Negotiate
    from webaccel.fastapi.accesslog import AccessLogMiddleware
    from webaccel.fastapi.auth import JWTBearer
    from webaccel.fastapi.cache import cache_response
    from webaccel.fastapi.compress import CompressionMiddleware
    from webaccel.fastapi.health import add_health_endpoint
    from webaccel.fastapi.metrics import MetricsMiddleware, add_metrics_endpoint
    from webaccel.fastapi.pagination import cursor_params, cursor_response, filter_params, page_params, paginate
    from webaccel.fastapi.ratelimit import RateLimit, RateLimitMiddleware

    return {name: obj for name, obj in locals().items()}


@pytest.mark.parametrize("name", sorted(_fastapi_api()))
def test_every_fastapi_parameter_is_documented(name: str) -> None:
    obj = _fastapi_api()[name]
    text = _page("fastapi")
    assert f"`{name}" in text or f"{name}(" in text, f"docs/fastapi.md does not name {name}"
    params = [p for p in inspect.signature(obj).parameters.values()
              if p.name not in ("self", "app") and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    missing = [p.name for p in params if not re.search(rf"\b{re.escape(p.name)}\b", text)]
    assert not missing, f"docs/fastapi.md does not document {name}'s parameters {missing}"

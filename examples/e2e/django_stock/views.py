"""Views of the stock end-to-end Django project."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import typing as t
from datetime import datetime, timezone
from urllib.parse import urlencode

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_page
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from e2e import data

_hasher = PasswordHasher()
_store: list[dict[str, t.Any]] = []


def _rate() -> str:
    """The per-user limit in django-ratelimit's form (600/m), from ``settings.E2E_RATE_LIMIT``."""
    count, _, period = getattr(settings, "E2E_RATE_LIMIT", data.RATE_LIMIT).partition("/")
    return f"{count}/{period[0]}"

CEILING_BODY = JsonResponse(
    {"items": data.ITEMS[: data.PAGE_SIZE_DEFAULT], "page": 1, "page_size": data.PAGE_SIZE_DEFAULT,
     "total_items": len(data.ITEMS), "total_pages": 1, "next": None, "prev": None}
).content

V = t.Callable[..., HttpResponse]


def _json_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def jwt_required(view: V) -> V:
    """Verify the bearer token with PyJWT; claims on ``request.claims`` (401 otherwise)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: t.Any, **kwargs: t.Any) -> HttpResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            response = _json_error("missing bearer token", 401)
            response["WWW-Authenticate"] = "Bearer"
            return response
        try:
            request.claims = jwt.decode(  # type: ignore[attr-defined]
                token, data.JWT_SECRET, algorithms=["HS256"], audience=data.JWT_AUDIENCE,
                issuer=data.JWT_ISSUER, options={"require": ["exp", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            response = _json_error(str(exc), 401)
            response["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{exc}"'
            return response
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt
@require_POST
def login(request: HttpRequest) -> HttpResponse:
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
            or not isinstance(body.get("password"), str):
        return _json_error("username and password are required", 422)
    stored = data.USERS.get(body["username"])
    try:
        if stored is None:
            raise VerificationError()
        _hasher.verify(stored, body["password"])
    except VerificationError:
        return _json_error("invalid credentials", 401)
    now = datetime.now(timezone.utc)
    token = jwt.encode(
        {"sub": body["username"], "iss": data.JWT_ISSUER, "aud": data.JWT_AUDIENCE,
         "iat": now, "exp": now + data.JWT_LIFETIME},
        data.JWT_SECRET, algorithm="HS256",
    )
    return JsonResponse({"access_token": token, "token_type": "bearer"})


@csrf_exempt
def items(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return list_items(request)
    if request.method == "POST":
        return create_item(request)
    return _json_error("method not allowed", 405)


def _user_key(group: str, request: HttpRequest) -> str:
    return str(request.claims["sub"])  # type: ignore[attr-defined]


@jwt_required
def list_items(request: HttpRequest) -> HttpResponse:
    if is_ratelimited(request, group="items", key=_user_key, rate=_rate(), increment=True):
        response = _json_error("rate limit exceeded", 429)
        response["Retry-After"] = "60"
        return response
    try:
        page = int(request.GET.get("page", "1"))
        page_size = int(request.GET.get("page_size", str(data.PAGE_SIZE_DEFAULT)))
    except ValueError:
        return _json_error("page and page_size must be integers", 422)
    if page < 1 or not 1 <= page_size <= data.PAGE_SIZE_MAX:
        return _json_error("page or page_size out of range", 422)
    total = len(data.ITEMS)
    pages = max(1, math.ceil(total / page_size))
    if page > pages:
        return _json_error("page out of range", 404)
    start = (page - 1) * page_size
    base = request.build_absolute_uri(request.path)

    def url(p: int) -> str:
        args = request.GET.dict()
        args.update(page=str(p), page_size=str(page_size))
        return f"{base}?{urlencode(args)}"

    links = [f'<{url(1)}>; rel="first"', f'<{url(pages)}>; rel="last"']
    if page < pages:
        links.append(f'<{url(page + 1)}>; rel="next"')
    if page > 1:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    response = JsonResponse({
        "items": data.ITEMS[start : start + page_size], "page": page, "page_size": page_size,
        "total_items": total, "total_pages": pages,
        "next": url(page + 1) if page < pages else None,
        "prev": url(page - 1) if page > 1 else None,
    })
    response["Link"] = ", ".join(links)
    return response


@jwt_required
def create_item(request: HttpRequest) -> HttpResponse:
    try:
        body = json.loads(request.body)
        item = data.validate_new_item(body)
    except ValueError as exc:  # json.JSONDecodeError and ItemError are ValueErrors
        return _json_error(str(exc), 422)
    stored = {"id": 1000 + len(_store), "owner": request.claims["sub"], **item}  # type: ignore[attr-defined]
    if len(_store) >= 10_000:
        _store.clear()
    _store.append(stored)
    return JsonResponse(stored, status=201)


@require_GET
@cache_page(60)
def get_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = data.ITEMS_BY_ID.get(item_id)
    if item is None:
        return _json_error(f"no item {item_id}", 404)
    response = JsonResponse(item)
    response["Cache-Control"] = "public, max-age=60"
    return response


@csrf_exempt
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    file = request.FILES.get("file")
    if file is None:
        return _json_error("a file field is required", 422)
    if file.size is not None and file.size > data.UPLOAD_MAX_BYTES:
        return _json_error("file too large", 413)
    digest = hashlib.sha256()
    for chunk in file.chunks(64 * 1024):
        digest.update(chunk)
    return JsonResponse({"filename": file.name, "size": file.size, "sha256": digest.hexdigest()})


@require_GET
def ping(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


@require_GET
def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse(CEILING_BODY, content_type="application/json")

"""Views of the webaccel end-to-end Django project."""

from __future__ import annotations

import hashlib
import typing as t
from datetime import datetime, timezone

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_page
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from e2e import data
from webaccel import json as wjson
from webaccel.auth import jwt_encode
from webaccel.django.auth import jwt_required
from webaccel.django.http import JsonResponse
from webaccel.django.pagination import paginate
from webaccel.django.ratelimit import ratelimit
from webaccel.django.request import parse_body

_store: list[dict[str, t.Any]] = []
# data.USERS holds argon2-cffi's PHC strings; Django's argon2 format is the same behind
# "argon2", so the PASSWORD_HASHERS entry (webaccel's Argon2PasswordHasher) checks them.
_DJANGO_HASHES = {name: "argon2" + phc for name, phc in data.USERS.items()}

CEILING_BODY = JsonResponse(
    {"items": data.ITEMS[: data.PAGE_SIZE_DEFAULT], "page": 1, "page_size": data.PAGE_SIZE_DEFAULT,
     "total_items": len(data.ITEMS), "total_pages": 1, "next": None, "prev": None}
).content


def _json_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _rate() -> str:
    return str(getattr(settings, "E2E_RATE_LIMIT", data.RATE_LIMIT))


def _user_key(request: HttpRequest) -> str:
    return str(request.jwt_claims["sub"])  # type: ignore[attr-defined]


@csrf_exempt
@require_POST
def login(request: HttpRequest) -> HttpResponse:
    try:
        body = wjson.loads(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
            or not isinstance(body.get("password"), str):
        return _json_error("username and password are required", 422)
    encoded = _DJANGO_HASHES.get(body["username"])
    if encoded is None or not check_password(body["password"], encoded):
        return _json_error("invalid credentials", 401)
    now = datetime.now(timezone.utc)
    token = jwt_encode(
        {"sub": body["username"], "iss": data.JWT_ISSUER, "aud": data.JWT_AUDIENCE,
         "iat": now, "exp": now + data.JWT_LIFETIME},
        data.JWT_SECRET, "HS256",
    )
    return JsonResponse({"access_token": token, "token_type": "bearer"})


@csrf_exempt
def items(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return list_items(request)
    if request.method == "POST":
        return create_item(request)
    return _json_error("method not allowed", 405)


@jwt_required
@ratelimit(_rate, key=_user_key, algorithm="fixed_window")
def list_items(request: HttpRequest) -> HttpResponse:
    return paginate(request, data.ITEMS, clamp_page_size=False)


@jwt_required
def create_item(request: HttpRequest) -> HttpResponse:
    try:
        item = data.validate_new_item(wjson.loads(request.body))
    except ValueError as exc:  # JSONDecodeError and ItemError are ValueErrors
        return _json_error(str(exc), 422)
    stored = {"id": 1000 + len(_store), "owner": request.jwt_claims["sub"], **item}  # type: ignore[attr-defined]
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
    _fields, files = parse_body(request)
    file = files.get("file")
    if file is None:
        return _json_error("a file field is required", 422)
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

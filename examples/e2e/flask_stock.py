"""The end-to-end Flask app on the stock libraries: Flask's JSON, PyJWT, argon2-cffi,
Flask-Limiter, Flask-Caching and Werkzeug's form parser.

    .venv/bin/gunicorn -k gthread --chdir examples 'e2e.flask_stock:create_app()'
"""

from __future__ import annotations

import functools
import hashlib
import math
import typing as t
from datetime import datetime, timezone
from urllib.parse import urlencode

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from flask import Flask, Response, abort, g, jsonify, request
from flask_caching import Cache
from flask_limiter import Limiter

from e2e import data

__all__ = ["create_app"]

CEILING = {
    "items": data.ITEMS[: data.PAGE_SIZE_DEFAULT], "page": 1,
    "page_size": data.PAGE_SIZE_DEFAULT, "total_items": len(data.ITEMS), "total_pages": 1,
    "next": None, "prev": None,
}
F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def _unauthorized(error: str) -> Response:
    response = jsonify(detail=error)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{error}"'
    return response


def jwt_required(view: F) -> F:
    """Verify the bearer token with PyJWT and put its claims on ``g.claims`` (401 otherwise)."""

    @functools.wraps(view)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            response = jsonify(detail="missing bearer token")
            response.status_code = 401
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        try:
            g.claims = jwt.decode(
                token, data.JWT_SECRET, algorithms=["HS256"], audience=data.JWT_AUDIENCE,
                issuer=data.JWT_ISSUER, options={"require": ["exp", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            return _unauthorized(str(exc))
        return view(*args, **kwargs)

    return t.cast(F, wrapper)


def create_app(rate_limit: str = data.RATE_LIMIT) -> Flask:
    """A new app with its own limiter, cache and store (``rate_limit`` is per user)."""
    app = Flask(__name__)
    app.config.update(
        CACHE_TYPE="SimpleCache", CACHE_DEFAULT_TIMEOUT=60, MAX_CONTENT_LENGTH=data.UPLOAD_MAX_BYTES + 64 * 1024,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    cache = Cache(app)
    limiter = Limiter(key_func=lambda: g.claims["sub"], app=app, storage_uri="memory://")
    hasher = PasswordHasher()
    store: list[dict[str, t.Any]] = []
    # The list's first page exactly as the app's JSON provider writes it, made once.
    ceiling_body = app.json.response(CEILING).get_data()

    @app.post("/login")
    def login() -> t.Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
                or not isinstance(body.get("password"), str):
            return jsonify(detail="username and password are required"), 422
        stored = data.USERS.get(body["username"])
        try:
            if stored is None:
                raise VerificationError()
            hasher.verify(stored, body["password"])
        except VerificationError:
            return jsonify(detail="invalid credentials"), 401
        now = datetime.now(timezone.utc)
        token = jwt.encode(
            {"sub": body["username"], "iss": data.JWT_ISSUER, "aud": data.JWT_AUDIENCE,
             "iat": now, "exp": now + data.JWT_LIFETIME},
            data.JWT_SECRET, algorithm="HS256",
        )
        return jsonify(access_token=token, token_type="bearer")

    @app.get("/items")
    @jwt_required
    @limiter.limit(rate_limit.replace("/", " per "))
    def list_items() -> t.Any:
        try:
            page = int(request.args.get("page", "1"))
            page_size = int(request.args.get("page_size", str(data.PAGE_SIZE_DEFAULT)))
        except ValueError:
            return jsonify(detail="page and page_size must be integers"), 422
        if page < 1 or not 1 <= page_size <= data.PAGE_SIZE_MAX:
            return jsonify(detail="page or page_size out of range"), 422
        total = len(data.ITEMS)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:
            return jsonify(detail="page out of range"), 404
        start = (page - 1) * page_size

        def url(p: int) -> str:
            args = request.args.to_dict()
            args.update(page=str(p), page_size=str(page_size))
            return f"{request.base_url}?{urlencode(args)}"

        links = [f'<{url(1)}>; rel="first"', f'<{url(pages)}>; rel="last"']
        if page < pages:
            links.append(f'<{url(page + 1)}>; rel="next"')
        if page > 1:
            links.append(f'<{url(page - 1)}>; rel="prev"')
        response = jsonify(
            items=data.ITEMS[start : start + page_size], page=page, page_size=page_size,
            total_items=total, total_pages=pages,
            next=url(page + 1) if page < pages else None,
            prev=url(page - 1) if page > 1 else None,
        )
        response.headers["Link"] = ", ".join(links)
        return response

    @app.post("/items")
    @jwt_required
    def create_item() -> t.Any:
        body = request.get_json(silent=True)
        try:
            item = data.validate_new_item(body)
        except data.ItemError as exc:
            return jsonify(detail=str(exc)), 422
        stored = {"id": 1000 + len(store), "owner": g.claims["sub"], **item}
        if len(store) >= 10_000:
            store.clear()
        store.append(stored)
        return jsonify(stored), 201

    @app.get("/items/<int:item_id>")
    @cache.cached(timeout=60)
    def get_item(item_id: int) -> t.Any:
        item = data.ITEMS_BY_ID.get(item_id)
        if item is None:
            return jsonify(detail=f"no item {item_id}"), 404
        response = jsonify(item)
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    @app.post("/upload")
    def upload() -> t.Any:
        file = request.files.get("file")
        if file is None:
            return jsonify(detail="a file field is required"), 422
        digest = hashlib.sha256()
        size = 0
        while chunk := file.stream.read(64 * 1024):
            size += len(chunk)
            if size > data.UPLOAD_MAX_BYTES:
                abort(413)
            digest.update(chunk)
        return jsonify(filename=file.filename, size=size, sha256=digest.hexdigest())

    @app.get("/ping")
    def ping() -> t.Any:
        return jsonify(ok=True)

    @app.get("/ceiling/items")
    def ceiling() -> t.Any:
        return Response(ceiling_body, mimetype="application/json")

    return app


"""The end-to-end Flask app on webaccel: the same endpoints and answers as ``flask_stock``, with
webaccel's adapters in place of the stock libraries.

    .venv/bin/gunicorn -k gthread --chdir examples 'e2e.flask_webaccel:create_app()'

| stock                              | here                                                      |
|------------------------------------|-----------------------------------------------------------|
| Flask's JSON provider              | ``WebAccel`` installs ``WebAccelJSONProvider``            |
| PyJWT in a decorator               | ``webaccel.flask.auth.jwt_required`` (``WEBACCEL_JWT_*``) |
| Flask-Limiter                      | ``webaccel.flask.ratelimit.limit``, per user              |
| Flask-Caching                      | ``webaccel.flask.cache.cached`` (``WEBACCEL_CACHE_*``)    |
| Werkzeug's form parser             | ``WEBACCEL_REQUEST``: the engine parses uploads           |
| argon2-cffi, PyJWT ``encode``      | ``webaccel.passwords.PasswordHasher``, ``webaccel.auth.jwt_encode`` |
| hand-made envelope and ``Link``    | ``webaccel.flask.pagination.paginate``                    |

Bad ``page``/``page_size`` values answer 400 (the pagination adapter's answer; the stock app
says 422); a 401 body is RFC 6750's ``{"error": ..., "error_description": ...}``.
"""

from __future__ import annotations

import hashlib
import typing as t
from datetime import datetime, timezone

from flask import Flask, Response, g, jsonify, request

from e2e import data
from webaccel.auth import jwt_encode
from webaccel.errors import VerificationError
from webaccel.flask import WebAccel
from webaccel.flask.auth import jwt_required, jwt_subject
from webaccel.flask.cache import cached
from webaccel.flask.pagination import paginate
from webaccel.flask.ratelimit import limit
from webaccel.passwords import PasswordHasher

__all__ = ["create_app"]

CEILING = {
    "items": data.ITEMS[: data.PAGE_SIZE_DEFAULT], "page": 1,
    "page_size": data.PAGE_SIZE_DEFAULT, "total_items": len(data.ITEMS), "total_pages": 1,
    "next": None, "prev": None,
}


def create_app(rate_limit: str = data.RATE_LIMIT) -> Flask:
    """A new app with its own limiter, cache and store (``rate_limit`` is per user)."""
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=data.UPLOAD_MAX_BYTES + 64 * 1024,
        WEBACCEL_JSON_SORT_KEYS=False,
        WEBACCEL_JSON_ENSURE_ASCII=False,  # UTF-8 as the FastAPI app writes it (Flask escapes by default)
        WEBACCEL_REQUEST=True,
        WEBACCEL_REQUEST_MAX_FILES=1,
        WEBACCEL_REQUEST_MAX_FILE_SIZE=data.UPLOAD_MAX_BYTES,
        WEBACCEL_REQUEST_SPOOL_MAX_SIZE=1024 * 1024,
        WEBACCEL_CACHE_DEFAULT_TIMEOUT=60,
        WEBACCEL_JWT_SECRET=data.JWT_SECRET,
        WEBACCEL_JWT_ALGORITHMS=["HS256"],
        WEBACCEL_JWT_AUDIENCE=data.JWT_AUDIENCE,
        WEBACCEL_JWT_ISSUER=data.JWT_ISSUER,
        WEBACCEL_JWT_REQUIRE=["exp", "sub"],
    )
    WebAccel(app)
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
            hasher.verify(stored, body["password"])  # the GIL is released while it hashes
        except VerificationError:
            return jsonify(detail="invalid credentials"), 401
        now = datetime.now(timezone.utc)
        token = jwt_encode(
            {"sub": body["username"], "iss": data.JWT_ISSUER, "aud": data.JWT_AUDIENCE,
             "iat": now, "exp": now + data.JWT_LIFETIME},
            data.JWT_SECRET, "HS256",
        )
        return jsonify(access_token=token, token_type="bearer")

    @app.get("/items")
    @jwt_required
    @limit(rate_limit, key=jwt_subject, algorithm="fixed_window")  # per verified token subject
    def list_items() -> t.Any:
        return paginate(data.ITEMS, page_size=data.PAGE_SIZE_DEFAULT, max_page_size=data.PAGE_SIZE_MAX,
                        clamp_page_size=False)

    @app.post("/items")
    @jwt_required
    def create_item() -> t.Any:
        body = request.get_json(silent=True)
        try:
            item = data.validate_new_item(body)
        except data.ItemError as exc:
            return jsonify(detail=str(exc)), 422
        stored = {"id": 1000 + len(store), "owner": g.jwt_claims["sub"], **item}
        if len(store) >= 10_000:
            store.clear()
        store.append(stored)
        return jsonify(stored), 201

    @app.get("/items/<int:item_id>")
    @cached(60, cache_control="public, max-age=60")
    def get_item(item_id: int) -> t.Any:
        item = data.ITEMS_BY_ID.get(item_id)
        if item is None:
            return jsonify(detail=f"no item {item_id}"), 404
        return jsonify(item)

    @app.post("/upload")
    def upload() -> t.Any:
        file = request.files.get("file")
        if file is None:
            return jsonify(detail="a file field is required"), 422
        digest = hashlib.sha256()
        size = 0
        while chunk := file.stream.read(64 * 1024):
            size += len(chunk)
            digest.update(chunk)
        return jsonify(filename=file.filename, size=size, sha256=digest.hexdigest())

    @app.get("/ping")
    def ping() -> t.Any:
        return jsonify(ok=True)

    @app.get("/ceiling/items")
    def ceiling() -> t.Any:
        return Response(ceiling_body, mimetype="application/json")

    return app

"""The end-to-end FastAPI app on webaccel: the same endpoints and answers as ``fastapi_stock``,
with webaccel's adapters in place of the stock libraries.

    .venv/bin/uvicorn --app-dir examples e2e.fastapi_webaccel:app      # or: make demo

| stock                                   | here                                                  |
|-----------------------------------------|-------------------------------------------------------|
| FastAPI's default responses             | ``webaccel.fastapi.JSONResponse`` (default class)     |
| ``HTTPBearer`` + PyJWT                  | ``webaccel.fastapi.auth.JWTBearer``                   |
| limits (slowapi's engine)               | ``webaccel.fastapi.ratelimit.RateLimit``, per user    |
| cachetools ``TTLCache``                 | ``webaccel.fastapi.cache`` over ``webaccel.cache.Cache`` |
| python-multipart ``UploadFile``         | ``webaccel.fastapi.FormBody``                         |
| argon2-cffi, PyJWT ``encode``           | ``webaccel.passwords.PasswordHasher.averify``, ``webaccel.auth.jwt_encode`` |
| hand-made envelope and ``Link``         | ``webaccel.fastapi.pagination``                       |
| pydantic body models                    | ``webaccel.fastapi.JSONBody`` + ``data.validate_new_item`` |

JSON bodies are parsed with ``JSONBody`` and checked by the same plain-Python rules the Flask
and Django apps use (``data.validate_new_item``): the same 201 and 422 answers as the pydantic
models of the stock app, without building a model per request. Malformed JSON is 400
(``JSONBody``'s answer; the stock app says 422).
"""

# No `from __future__ import annotations`: FastAPI must see the dependencies defined inside
# create_app, which string annotations would hide.

import hashlib
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from starlette.datastructures import FormData, UploadFile

from e2e import data
from webaccel import json as wjson
from webaccel.auth import jwt_encode
from webaccel.cache import Cache
from webaccel.errors import VerificationError
from webaccel.fastapi import FormBody, JSONBody, JSONResponse
from webaccel.fastapi.auth import JWTBearer, jwt_subject
from webaccel.fastapi.cache import CacheRoute, cache_response
from webaccel.fastapi.pagination import page_params, paginate
from webaccel.fastapi.ratelimit import RateLimit
from webaccel.passwords import PasswordHasher

__all__ = ["create_app", "app", "CEILING_BODY"]

CEILING_BODY = wjson.dumps(
    {"items": data.ITEMS[: data.PAGE_SIZE_DEFAULT], "page": 1, "page_size": data.PAGE_SIZE_DEFAULT,
     "total_items": len(data.ITEMS), "total_pages": 1, "next": None, "prev": None}
)

_hasher = PasswordHasher()
_auth = JWTBearer(
    key=data.JWT_SECRET, algorithms=["HS256"], audience=data.JWT_AUDIENCE, issuer=data.JWT_ISSUER,
    options={"require": ["exp", "sub"]},
)
_json_body = JSONBody(max_size=data.BODY_MAX_BYTES)
_upload_form = FormBody(max_files=1, max_file_size=data.UPLOAD_MAX_BYTES, spool_max_size=1024 * 1024)
_page = page_params(default_page_size=data.PAGE_SIZE_DEFAULT, max_page_size=data.PAGE_SIZE_MAX,
                    clamp_page_size=False)


def create_app(rate_limit: str = data.RATE_LIMIT) -> FastAPI:
    """A new app with its own limiter, cache and store (``rate_limit`` is per user)."""
    app = FastAPI(title="e2e webaccel FastAPI", default_response_class=JSONResponse)
    app.router.route_class = CacheRoute
    # Keyed on the verified token's subject (JWTBearer, checked first, leaves the claims).
    per_user = RateLimit(rate_limit, key=jwt_subject, algorithm="fixed_window", headers=False)
    detail_cache = Cache(max_items=1024)
    store: list[dict[str, Any]] = []

    @app.post("/login")
    async def login(body: Annotated[Any, Depends(_json_body)]) -> Response:
        """A bearer token for a user whose password checks out (argon2 runs in the default
        executor with the GIL released, so the event loop keeps serving)."""
        if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
                or not isinstance(body.get("password"), str):
            raise HTTPException(status_code=422, detail="username and password are required")
        stored = data.USERS.get(body["username"])
        try:
            if stored is None:
                raise VerificationError()
            await _hasher.averify(stored, body["password"])
        except VerificationError:
            raise HTTPException(status_code=401, detail="invalid credentials") from None
        now = datetime.now(timezone.utc)
        token = jwt_encode(
            {"sub": body["username"], "iss": data.JWT_ISSUER, "aud": data.JWT_AUDIENCE,
             "iat": now, "exp": now + data.JWT_LIFETIME},
            data.JWT_SECRET, "HS256",
        )
        return JSONResponse({"access_token": token, "token_type": "bearer"})

    # The hot route: the bearer check, the per-user limit and the page parameters run as
    # decorators and `from_request` rather than three `Depends` (the same answers, without
    # FastAPI's dependency solver); openapi_extra lists them in the schema all the same.
    @app.get("/items", openapi_extra={**_auth.openapi_extra, **_page.openapi_extra})
    @_auth.require
    @per_user.limit
    async def list_items(request: Request) -> Response:
        """A page of items in the standard envelope, with an RFC 8288 Link header."""
        return paginate(request, data.ITEMS, _page.from_request(request))

    @app.post("/items", status_code=201)
    async def create_item(
        body: Annotated[Any, Depends(_json_body)], claims: Annotated[dict[str, Any], Depends(_auth)]
    ) -> Response:
        """Validate and store a new item (kept in memory, bounded)."""
        try:
            item = data.validate_new_item(body)
        except data.ItemError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        item["price"] = float(item["price"])  # as the stock app's pydantic model answers it
        stored = {"id": 1000 + len(store), "owner": claims["sub"], **item}
        if len(store) >= 10_000:
            store.clear()
        store.append(stored)
        return JSONResponse(stored, status_code=201)

    @app.get("/items/{item_id}")
    @cache_response(ttl=60, cache=detail_cache, cache_control="public, max-age=60")
    async def get_item(item_id: int) -> Response:
        """One item; the response (with its ETag) cached for 60 s."""
        item = data.ITEMS_BY_ID.get(item_id)
        if item is None:
            raise HTTPException(status_code=404, detail=f"no item {item_id}")
        return JSONResponse(item)

    @app.post("/upload")
    async def upload(form: Annotated[FormData, Depends(_upload_form)]) -> Response:
        """The uploaded file's name, size and SHA-256 (webaccel's multipart parser, no
        python-multipart)."""
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise HTTPException(status_code=422, detail="a file field is required")
        digest = hashlib.sha256()
        size = 0
        while chunk := await file.read(64 * 1024):
            size += len(chunk)
            digest.update(chunk)
        return JSONResponse({"filename": file.filename, "size": size, "sha256": digest.hexdigest()})

    @app.get("/ping")
    async def ping() -> Response:
        return JSONResponse({"ok": True})

    @app.get("/ceiling/items")
    async def ceiling() -> Response:
        """The list's first page pre-serialized: no auth, no limit, no work (the load test's roof)."""
        return Response(CEILING_BODY, media_type="application/json")

    return app


app = create_app()

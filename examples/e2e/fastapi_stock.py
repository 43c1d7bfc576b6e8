"""The end-to-end FastAPI app on the stock libraries: FastAPI's default responses, pydantic,
PyJWT, argon2-cffi, limits (the engine under slowapi), cachetools and python-multipart.

    .venv/bin/uvicorn --app-dir examples e2e.fastapi_stock:app
"""

# No `from __future__ import annotations`: FastAPI must see the dependencies defined inside
# create_app, which string annotations would hide.

import hashlib
import json
import math
from datetime import datetime, timezone
from typing import Annotated, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from cachetools import TTLCache
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import parse as parse_rate
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from pydantic import BaseModel, Field

from e2e import data

_hasher = PasswordHasher()
_bearer = HTTPBearer(auto_error=False)
CEILING_BODY = json.dumps(
    {"items": data.ITEMS[: data.PAGE_SIZE_DEFAULT], "page": 1, "page_size": data.PAGE_SIZE_DEFAULT,
     "total_items": len(data.ITEMS), "total_pages": 1, "next": None, "prev": None},
    ensure_ascii=False,
    separators=(",", ":"),
).encode()


class Login(BaseModel):
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)


class NewItem(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    price: float = Field(ge=0, le=1_000_000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field(default="", max_length=4000)
    attributes: dict[str, str] = Field(default_factory=dict)


def _unauthorized(error: str) -> HTTPException:
    return HTTPException(
        status_code=401,
        detail=error,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{error}"'},
    )


async def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict[str, Any]:
    """The verified claims of the bearer token (401 without a valid one)."""
    if credentials is None:
        raise HTTPException(status_code=401, detail="missing bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        return jwt.decode(
            credentials.credentials,
            data.JWT_SECRET,
            algorithms=["HS256"],
            audience=data.JWT_AUDIENCE,
            issuer=data.JWT_ISSUER,
            options={"require": ["exp", "sub"]},
        )
    except jwt.InvalidTokenError as exc:
        raise _unauthorized(str(exc)) from None


def create_app(rate_limit: str = data.RATE_LIMIT) -> FastAPI:
    """A new app with its own limiter, cache and store (``rate_limit`` is per user)."""
    app = FastAPI(title="e2e stock FastAPI")
    _rate = parse_rate(rate_limit)
    _limiter = FixedWindowRateLimiter(MemoryStorage())
    _detail_cache: TTLCache[int, bytes] = TTLCache(maxsize=1024, ttl=60)
    _store: list[dict[str, Any]] = []

    async def rate_limited(claims: Annotated[dict[str, Any], Depends(current_user)]) -> dict[str, Any]:
        """The per-user limit (429 with Retry-After when it is spent)."""
        if not _limiter.hit(_rate, "user", claims["sub"]):
            reset, _ = _limiter.get_window_stats(_rate, "user", claims["sub"])
            retry = max(1, math.ceil(reset - datetime.now(timezone.utc).timestamp()))
            raise HTTPException(status_code=429, detail="rate limit exceeded",
                                headers={"Retry-After": str(retry)})
        return claims

    @app.post("/login")
    def login(body: Login) -> dict[str, str]:
        """A bearer token for a user whose password checks out (argon2 in FastAPI's thread pool:
        a sync route, so the event loop keeps serving while it hashes)."""
        stored = data.USERS.get(body.username)
        try:
            if stored is None:
                raise VerificationError()
            _hasher.verify(stored, body.password)
        except VerificationError:
            raise HTTPException(status_code=401, detail="invalid credentials") from None
        now = datetime.now(timezone.utc)
        token = jwt.encode(
            {"sub": body.username, "iss": data.JWT_ISSUER, "aud": data.JWT_AUDIENCE,
             "iat": now, "exp": now + data.JWT_LIFETIME},
            data.JWT_SECRET,
            algorithm="HS256",
        )
        return {"access_token": token, "token_type": "bearer"}

    @app.get("/items")
    async def list_items(
        request: Request,
        response: Response,
        claims: Annotated[dict[str, Any], Depends(rate_limited)],
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=data.PAGE_SIZE_MAX)] = data.PAGE_SIZE_DEFAULT,
    ) -> dict[str, Any]:
        """A page of items in the standard envelope, with an RFC 8288 Link header."""
        total = len(data.ITEMS)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:
            raise HTTPException(status_code=404, detail="page out of range")
        start = (page - 1) * page_size

        def url(p: int) -> str:
            return str(request.url.include_query_params(page=p, page_size=page_size))

        links = [f'<{url(1)}>; rel="first"', f'<{url(pages)}>; rel="last"']
        if page < pages:
            links.append(f'<{url(page + 1)}>; rel="next"')
        if page > 1:
            links.append(f'<{url(page - 1)}>; rel="prev"')
        response.headers["Link"] = ", ".join(links)
        return {
            "items": data.ITEMS[start : start + page_size],
            "page": page,
            "page_size": page_size,
            "total_items": total,
            "total_pages": pages,
            "next": url(page + 1) if page < pages else None,
            "prev": url(page - 1) if page > 1 else None,
        }

    @app.post("/items", status_code=201)
    async def create_item(
        item: NewItem, claims: Annotated[dict[str, Any], Depends(current_user)]
    ) -> dict[str, Any]:
        """Validate and store a new item (kept in memory, bounded)."""
        stored = {"id": 1000 + len(_store), "owner": claims["sub"], **item.model_dump()}
        if len(_store) >= 10_000:
            _store.clear()
        _store.append(stored)
        return stored

    @app.get("/items/{item_id}")
    async def get_item(item_id: int) -> Response:
        """One item, its serialized body cached for 60 s."""
        body = _detail_cache.get(item_id)
        if body is None:
            item = data.ITEMS_BY_ID.get(item_id)
            if item is None:
                raise HTTPException(status_code=404, detail=f"no item {item_id}")
            body = _detail_cache[item_id] = json.dumps(item, separators=(",", ":")).encode()
        return Response(body, media_type="application/json",
                        headers={"Cache-Control": "public, max-age=60"})

    @app.post("/upload")
    async def upload(file: UploadFile) -> dict[str, Any]:
        """The uploaded file's name, size and SHA-256 (python-multipart parses the form)."""
        digest = hashlib.sha256()
        size = 0
        while chunk := await file.read(64 * 1024):
            size += len(chunk)
            if size > data.UPLOAD_MAX_BYTES:
                raise HTTPException(status_code=413, detail="file too large")
            digest.update(chunk)
        return {"filename": file.filename, "size": size, "sha256": digest.hexdigest()}

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/ceiling/items")
    async def ceiling() -> Response:
        """The list's first page pre-serialized: no auth, no limit, no work (the load test's roof)."""
        return Response(CEILING_BODY, media_type="application/json")

    return app


app = create_app()

"""What the end-to-end example apps (issue #7) needed from the FastAPI adapters, through
FastAPI's TestClient: ``page_params(clamp_page_size=False)`` refusing a page size above the
maximum with FastAPI's 422, pagination dependencies that skip the thread pool, and the claims
``JWTBearer`` leaves on ``request.state`` for a per-user ``RateLimit`` key."""

from __future__ import annotations

import inspect
import time
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from starlette.datastructures import FormData

from webaccel import auth
from webaccel.fastapi import FormBody
from webaccel.fastapi.auth import JWTBearer
from webaccel.fastapi.pagination import PageParams, cursor_params, filter_params, page_params, paginate
from webaccel.fastapi.ratelimit import RateLimit
from webaccel.pagination import CursorCodec, FilterSet

SECRET = "fastapi-e2e-additions-secret-0123456789"
ROWS = [{"id": i} for i in range(1, 31)]


def token(sub: str) -> str:
    return auth.jwt_encode({"sub": sub, "exp": int(time.time()) + 600}, SECRET)


# At module level: with string annotations FastAPI resolves Depends(...) in the module's globals.
strict = page_params(default_page_size=5, max_page_size=10, clamp_page_size=False)
clamped = page_params(default_page_size=5, max_page_size=10)
bearer = JWTBearer(key=SECRET, algorithms=["HS256"])
form_dep = FormBody(spool_max_size=1024)


def make_app() -> FastAPI:
    app = FastAPI()
    per_user = RateLimit("2/minute", key=lambda request: request.state.jwt_claims["sub"])

    @app.get("/strict")
    def strict_rows(request: Request, page: Annotated[PageParams, Depends(strict)]) -> Response:
        return paginate(request, ROWS, page)

    @app.get("/clamped")
    def clamped_rows(request: Request, page: Annotated[PageParams, Depends(clamped)]) -> Response:
        return paginate(request, ROWS, page)

    @app.get("/mine", dependencies=[Depends(bearer), Depends(per_user)])
    async def mine(request: Request) -> dict[str, Any]:
        return {"sub": request.state.jwt_claims["sub"]}

    return app


def test_page_size_above_the_maximum_is_refused_or_clamped() -> None:
    client = TestClient(make_app())
    refused = client.get("/strict?page_size=11")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "page_size"]
    assert client.get("/strict?page_size=10").json()["page_size"] == 10
    assert client.get("/strict").json()["page_size"] == 5
    assert client.get("/clamped?page_size=11").json()["page_size"] == 10


def test_openapi_shows_the_maximum_only_when_refused() -> None:
    schema = TestClient(make_app()).get("/openapi.json").json()

    def size_schema(path: str) -> dict[str, Any]:
        params = schema["paths"][path]["get"]["parameters"]
        return next(p["schema"] for p in params if p["name"] == "page_size")

    assert size_schema("/strict")["maximum"] == 10
    assert "maximum" not in size_schema("/clamped")


def test_pagination_dependencies_run_on_the_event_loop() -> None:
    # A plain def dependency would run in FastAPI's thread pool on every request.
    codec = CursorCodec("fastapi-e2e-additions-cursor-secret")
    for dependency in (page_params(), cursor_params(codec), filter_params(FilterSet({"id": "int"}))):
        assert inspect.iscoroutinefunction(dependency)


def test_jwt_claims_on_request_state_key_a_per_user_limit() -> None:
    client = TestClient(make_app())
    alice = {"Authorization": f"Bearer {token('alice')}"}
    bob = {"Authorization": f"Bearer {token('bob')}"}
    assert [client.get("/mine", headers=alice).status_code for _ in range(3)] == [200, 200, 429]
    reply = client.get("/mine", headers=bob)
    assert reply.status_code == 200 and reply.json() == {"sub": "bob"}
    assert client.get("/mine").status_code == 401


def test_small_uploads_are_read_on_the_event_loop() -> None:
    # Starlette's UploadFile reads files it does not know to be in memory in its thread pool.
    app = FastAPI()

    @app.post("/up")
    async def up(form: Annotated[FormData, Depends(form_dep)]) -> dict[str, Any]:
        small, large = form["small"], form["large"]
        return {"small": [small._in_memory, len(await small.read())],  # type: ignore[union-attr]
                "large": [large._in_memory, len(await large.read())]}  # type: ignore[union-attr]

    reply = TestClient(app).post("/up", files={"small": ("s.bin", b"x" * 100), "large": ("l.bin", b"y" * 5000)})
    assert reply.json() == {"small": [True, 100], "large": [False, 5000]}

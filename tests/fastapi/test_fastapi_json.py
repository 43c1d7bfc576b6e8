"""webaccel.fastapi.JSONResponse against FastAPI's (Starlette's) JSONResponse, through
FastAPI's TestClient, on every path FastAPI takes to a response body."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse as StockJSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from webaccel import json as wjson
from webaccel.fastapi import JSONResponse

UTC = datetime.timezone.utc


class Color(enum.Enum):
    RED = "red"


class Address(BaseModel):
    street: str
    city: str


class User(BaseModel):
    id: uuid.UUID
    name: str
    balance: decimal.Decimal
    joined: datetime.datetime
    birthday: datetime.date | None
    score: float
    tags: list[str]
    address: Address
    color: Color
    extra: dict[str, Any]


USER = {
    "id": uuid.UUID("9f5a3a55-5f6a-4b8e-9c2e-1f7f1c7c0d11"),
    "name": "Zoë \"quotes\" \\ back\nslash \u2028 😀",
    "balance": decimal.Decimal("1234.50"),
    "joined": datetime.datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC),
    "birthday": datetime.date(1990, 12, 31),
    "score": 0.1,
    "tags": ["a", "b", ""],
    "address": {"street": "Rue de l'Église 3", "city": "Zürich"},
    "color": "red",
    "extra": {"nested": [1, 2.5, None, True, False, {"deep": []}], "big": 2**70, "neg": -0.0},
}

# Realistic JSON-native documents (what routes without a response model return most).
DOCUMENTS: list[Any] = [
    {},
    [],
    {"ok": True, "count": 0, "items": []},
    {
        "data": [
            {"id": i, "title": f"post {i} ✓", "score": i / 7, "draft": i % 2 == 0, "meta": None}
            for i in range(50)
        ],
        "page": {"next": "/posts?cursor=abc", "size": 50},
    },
    {"unicode": "日本語 Ελληνικά עברית \U0001f680", "control": "\x00\x1f\x7f", "esc": "</script>"},
    {"ints": [0, -1, 2**31, 2**63, -(2**64), 10**30], "floats": [1e16, 1.5e-7, 3.141592653589793]},
    [1, "two", [3, [4, [5]]], {"6": 7}],
    "just a string",
    42,
    None,
]


def make_app(response_class: type[StockJSONResponse] | None) -> FastAPI:
    """The same routes, with FastAPI's default handling (None) or a default_response_class."""
    kwargs: dict[str, Any] = {} if response_class is None else {"default_response_class": response_class}
    app = FastAPI(**kwargs)

    # response_model=None: no pydantic model, FastAPI runs jsonable_encoder then the class.
    @app.get("/doc/{index}", response_model=None)
    def document(index: int) -> Any:
        return DOCUMENTS[index]

    @app.get("/user", response_model=User)
    def user() -> Any:
        return USER

    @app.get("/users", response_model=list[User], response_model_exclude={"extra"})
    def users() -> Any:
        return [USER, {**USER, "birthday": None}]

    @app.get("/model")  # the return annotation is the response model
    def model() -> User:
        return User.model_validate(USER)

    @app.get("/plain-types", response_model=None)
    def plain_types() -> dict[str, Any]:
        # No response model: FastAPI's jsonable_encoder converts these first.
        return {k: v for k, v in USER.items() if k != "address"}

    @app.get("/any")  # an Any annotation is a response model too: pydantic serializes
    def any_() -> Any:
        return {"when": USER["joined"], "nan": float("nan"), "n": [1, 2]}

    return app


@pytest.fixture(scope="module")
def clients() -> dict[str, TestClient]:
    return {
        "stock": TestClient(make_app(StockJSONResponse)),
        "default": TestClient(make_app(None)),
        "webaccel": TestClient(make_app(JSONResponse)),
    }


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
def test_default_response_class_matches_stock_on_documents(
    clients: dict[str, TestClient], index: int
) -> None:
    stock = clients["stock"].get(f"/doc/{index}")
    ours = clients["webaccel"].get(f"/doc/{index}")
    assert ours.status_code == stock.status_code == 200
    assert ours.content == stock.content
    assert ours.headers["content-type"] == stock.headers["content-type"] == "application/json"
    assert ours.headers["content-length"] == stock.headers["content-length"]


@pytest.mark.parametrize("path", ["/user", "/users", "/model", "/plain-types", "/any"])
def test_pydantic_and_jsonable_encoder_paths_match_stock(clients: dict[str, TestClient], path: str) -> None:
    """With a response model FastAPI serializes through pydantic (mode="json") and hands the
    result to the response class; without one, through jsonable_encoder. Same bytes as stock."""
    stock = clients["stock"].get(path)
    ours = clients["webaccel"].get(path)
    assert ours.status_code == stock.status_code == 200
    assert ours.content == stock.content


@pytest.mark.parametrize("path", ["/user", "/users", "/model"])
def test_response_model_same_value_as_fastapi_pydantic_fast_path(
    clients: dict[str, TestClient], path: str
) -> None:
    """Without a response class of its own, FastAPI writes response models straight to JSON
    with pydantic-core; setting webaccel's as default gives the same JSON value."""
    default = clients["default"].get(path)
    ours = clients["webaccel"].get(path)
    assert ours.status_code == default.status_code == 200
    assert ours.headers["content-type"] == default.headers["content-type"]
    assert ours.json() == default.json()


def test_per_route_response_class_and_direct_return() -> None:
    app = FastAPI()

    @app.get("/route", response_class=JSONResponse, response_model=None)
    def route() -> Any:
        return {"route": "é", "n": [1, 2]}

    @app.get("/direct")
    def direct() -> JSONResponse:
        return JSONResponse({"direct": True}, status_code=201, headers={"x-extra": "1"})

    @app.get("/stock-direct")
    def stock_direct() -> StockJSONResponse:
        return StockJSONResponse({"direct": True}, status_code=201, headers={"x-extra": "1"})

    client = TestClient(app)
    route_response = client.get("/route")
    assert route_response.content == '{"route":"é","n":[1,2]}'.encode()
    assert route_response.headers["content-type"] == "application/json"

    ours, stock = client.get("/direct"), client.get("/stock-direct")
    assert (ours.status_code, ours.content, ours.headers["x-extra"]) == (
        stock.status_code,
        stock.content,
        stock.headers["x-extra"],
    )


def test_openapi_documents_json_media_type() -> None:
    app = FastAPI(default_response_class=JSONResponse)

    @app.get("/user", response_model=User)
    def user() -> Any:
        return USER

    responses = TestClient(app).get("/openapi.json").json()["paths"]["/user"]["get"]["responses"]
    assert "application/json" in responses["200"]["content"]


def test_render_is_the_engine() -> None:
    content = {"b": 1, "a": [True, None, 1.5, "ü"]}
    assert JSONResponse(content).body == wjson.dumps(content) == StockJSONResponse(content).body


def test_is_a_starlette_json_response() -> None:
    assert issubclass(JSONResponse, StockJSONResponse)
    assert JSONResponse.media_type == "application/json"


@pytest.mark.parametrize(
    ("content", "error"),
    [({"x": object()}, TypeError), ({"x": float("nan")}, ValueError), ({"x": float("inf")}, ValueError)],
)
def test_unserializable_raises_like_stock(content: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        StockJSONResponse(content)
    with pytest.raises(error):
        JSONResponse(content)


def test_unserializable_route_is_500_like_stock() -> None:
    statuses = []
    for response_class in (StockJSONResponse, JSONResponse):
        app = FastAPI(default_response_class=response_class)

        @app.get("/nan", response_model=None)
        def nan() -> Any:
            return {"x": float("nan")}

        statuses.append(TestClient(app, raise_server_exceptions=False).get("/nan").status_code)
    assert statuses == [500, 500]

"""webaccel.fastapi.JSONBody: parsing, size limit and content-type checks through TestClient."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import Body, Depends, FastAPI
from fastapi.testclient import TestClient

from webaccel.fastapi import DEFAULT_MAX_BODY_SIZE, JSONBody, json_body

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()

    @app.post("/default")
    async def default(payload: Annotated[Any, Depends(json_body)]) -> Any:
        return {"payload": payload}

    @app.post("/small")
    async def small(payload: Annotated[Any, Depends(JSONBody(max_size=16))]) -> Any:
        return {"payload": payload}

    @app.post("/unlimited")
    async def unlimited(payload: Annotated[Any, Depends(JSONBody(max_size=None))]) -> Any:
        return {"size": len(payload)}

    @app.post("/lenient")
    async def lenient(payload: Annotated[Any, Depends(JSONBody(strict_content_type=False))]) -> Any:
        return {"payload": payload}

    @app.post("/with-body-param")
    async def with_body_param(
        name: Annotated[str, Body(embed=True)], payload: Annotated[Any, Depends(json_body)]
    ) -> Any:
        return {"name": name, "payload": payload}

    return TestClient(app)


@pytest.mark.parametrize(
    "body",
    [b'{"a": [1, 2.5, "\\u00e9", null, true]}', b"[]", b'"text"', b"0", "{\"é\": \"😀\"}".encode()],
)
def test_parses_valid_json(client: TestClient, body: bytes) -> None:
    import json

    response = client.post("/default", content=body, headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"payload": json.loads(body)}


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.api+json", "Application/JSON"]
)
def test_accepts_json_content_types(client: TestClient, content_type: str) -> None:
    response = client.post("/default", content=b"[1]", headers={"content-type": content_type})
    assert response.status_code == 200
    assert response.json() == {"payload": [1]}


@pytest.mark.parametrize(
    "body", [b'{"a": }', b"", b"[1, 2", b"{'single': 1}", b'{"a": 1} x', b"[1,]", b"tru"]
)
def test_invalid_json_is_400_with_json_error(client: TestClient, body: bytes) -> None:
    response = client.post("/default", content=body, headers=JSON)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["detail"]
    assert error["type"] == "json_invalid"
    assert error["loc"][0] == "body"
    assert 0 <= error["loc"][1] <= len(body)
    assert error["msg"] == "JSON decode error"
    assert isinstance(error["ctx"]["error"], str) and error["ctx"]["error"]


def test_invalid_json_error_position(client: TestClient) -> None:
    response = client.post("/default", content=b'{"a": }', headers=JSON)
    assert response.json()["detail"][0]["loc"] == ["body", 6]


def test_invalid_utf8_is_400(client: TestClient) -> None:
    response = client.post("/default", content=b'{"a": "\xff"}', headers=JSON)
    assert response.status_code == 400
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_body_over_limit_is_413(client: TestClient) -> None:
    ok = client.post("/small", content=b'{"a": "0123456"}', headers=JSON)  # 16 bytes
    assert ok.status_code == 200
    too_big = client.post("/small", content=b'{"a": "01234567"}', headers=JSON)  # 17 bytes
    assert too_big.status_code == 413
    assert too_big.json() == {"detail": "Content Too Large"}


def test_streamed_body_over_limit_is_413_without_content_length(client: TestClient) -> None:
    def chunks() -> Any:
        yield b'{"a": "'
        yield b"x" * 100
        yield b'"}'

    response = client.post("/small", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_streamed_body_under_limit_parses(client: TestClient) -> None:
    def chunks() -> Any:
        yield b"[1,"
        yield b"2]"

    response = client.post("/small", content=chunks(), headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"payload": [1, 2]}


def test_default_limit_and_no_limit(client: TestClient) -> None:
    big = b'"' + b"x" * DEFAULT_MAX_BODY_SIZE + b'"'
    assert client.post("/default", content=big, headers=JSON).status_code == 413
    response = client.post("/unlimited", content=big, headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"size": DEFAULT_MAX_BODY_SIZE}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_non_json_content_type_is_415(client: TestClient, content_type: str) -> None:
    response = client.post("/default", content=b"{}", headers={"content-type": content_type})
    assert response.status_code == 415
    assert response.json() == {"detail": "Content-Type must be application/json"}


def test_missing_content_type_is_415_unless_lenient(client: TestClient) -> None:
    assert client.post("/default", content=b"{}").status_code == 415
    response = client.post("/lenient", content=b'{"a": 1}')
    assert response.status_code == 200
    assert response.json() == {"payload": {"a": 1}}
    # A declared non-JSON type is refused even when lenient.
    assert client.post("/lenient", content=b"{}", headers={"content-type": "text/plain"}).status_code == 415


def test_body_already_read_by_fastapi(client: TestClient) -> None:
    response = client.post("/with-body-param", json={"name": "x", "more": [1]})
    assert response.status_code == 200
    assert response.json() == {"name": "x", "payload": {"name": "x", "more": [1]}}


@pytest.mark.parametrize("max_size", [-1, 1.5, True, "10"])
def test_rejects_bad_max_size(max_size: Any) -> None:
    with pytest.raises(ValueError, match="max_size"):
        JSONBody(max_size=max_size)


def test_repr() -> None:
    assert repr(JSONBody(max_size=10)) == "JSONBody(max_size=10, strict_content_type=True)"

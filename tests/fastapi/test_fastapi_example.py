"""Every endpoint of examples/fastapi_app.py through FastAPI's TestClient (the README demo is
examples/e2e/fastapi_webaccel.py since issue #7: tests/e2e_apps/test_demo.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import webaccel
from webaccel.fastapi import JSONResponse


@pytest.fixture(scope="module")
def client() -> TestClient:
    from fastapi_app import app

    assert app.router.default_response_class is JSONResponse
    return TestClient(app)


def test_index(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["webaccel"] == webaccel.__version__
    assert "POST /echo" in body["endpoints"]


def test_items_limit(client: TestClient) -> None:
    response = client.get("/items", params={"limit": 3})
    assert response.status_code == 200
    items = response.json()
    assert [item["id"] for item in items] == [1, 2, 3]
    assert items[0] == {
        "id": 1,
        "name": "kettle",
        "price": "24.90",
        "tags": ["kitchen"],
        "created": "2026-01-01T09:30:00Z",
    }


def test_items_default_and_bounds(client: TestClient) -> None:
    assert len(client.get("/items").json()) == 5
    assert client.get("/items", params={"limit": 0}).json() == []
    assert client.get("/items", params={"limit": 101}).status_code == 422


def test_item_with_response_model(client: TestClient) -> None:
    response = client.get("/items/4")
    assert response.status_code == 200
    assert response.json() == {
        "id": 4,
        "name": "café crème",
        "price": "3.20",
        "tags": ["coffee"],
        "created": "2026-01-04T09:30:00Z",
    }
    missing = client.get("/items/99")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no item 99"}


def test_echo(client: TestClient) -> None:
    response = client.post("/echo", json={"hello": "world", "n": [1, 2.5, None]})
    assert response.status_code == 200
    assert response.json() == {"echo": {"hello": "world", "n": [1, 2.5, None]}}


def test_echo_errors(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    assert client.post("/echo", content=b'{"hello": ', headers=headers).status_code == 400
    big = b'"' + b"x" * (64 * 1024) + b'"'
    assert client.post("/echo", content=big, headers=headers).status_code == 413
    assert client.post("/echo", content=b"{}", headers={"content-type": "text/plain"}).status_code == 415


def test_openapi_shows_echo_body(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "application/json" in schema["paths"]["/echo"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200

"""Every endpoint of examples/flask_app.py through Flask's test client."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

import webaccel
from webaccel.flask import WebAccelJSONProvider


@pytest.fixture()
def client() -> FlaskClient:
    from flask_app import create_app

    app = create_app({"TESTING": True})
    assert isinstance(app.json, WebAccelJSONProvider)
    return app.test_client()


def test_index(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["webaccel"] == webaccel.__version__
    assert "POST /echo" in body["endpoints"]


def test_items_limit(client: FlaskClient) -> None:
    response = client.get("/items?limit=3")
    assert response.status_code == 200
    items = response.get_json()
    assert [item["id"] for item in items] == [1, 2, 3]
    # Flask's conventions kept: Decimal as a string, datetimes as HTTP dates.
    assert items[0] == {
        "id": 1,
        "name": "kettle",
        "price": "24.90",
        "tags": ["kitchen"],
        "created": "Thu, 01 Jan 2026 09:30:00 GMT",
    }
    # WEBACCEL_JSON_SORT_KEYS = False and WEBACCEL_JSON_ENSURE_ASCII = False in the example.
    assert response.data.startswith(b'[{"id":1,"name":"kettle",')


def test_items_bounds(client: FlaskClient) -> None:
    assert len(client.get("/items").get_json()) == 5
    assert client.get("/items?limit=0").get_json() == []
    assert client.get("/items?limit=101").status_code == 400


def test_item(client: FlaskClient) -> None:
    response = client.get("/items/4")
    assert response.status_code == 200
    assert response.get_json()["name"] == "café crème"
    assert "café crème".encode() in response.data
    missing = client.get("/items/99")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "no item 99"}


def test_echo(client: FlaskClient) -> None:
    response = client.post("/echo", json={"hello": "world", "n": [1, 2.5, None]})
    assert response.status_code == 200
    assert response.get_json() == {"echo": {"hello": "world", "n": [1, 2.5, None]}}


def test_echo_invalid_json_is_400(client: FlaskClient) -> None:
    response = client.post("/echo", data=b'{"hello": ', content_type="application/json")
    assert response.status_code == 400

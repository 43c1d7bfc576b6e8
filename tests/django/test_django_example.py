"""Every endpoint of examples/django_app through Django's test client, and the example's
settings through ``manage.py check``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

import webaccel

pytestmark = pytest.mark.urls("django_app.urls")

MANAGE = Path(__file__).resolve().parents[2] / "examples" / "django_app" / "manage.py"


def test_index(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["webaccel"] == webaccel.__version__
    assert "POST /echo" in body["endpoints"]


def test_items_limit(client: Client) -> None:
    response = client.get("/items", {"limit": 3})
    assert response.status_code == 200
    items = response.json()
    assert [item["id"] for item in items] == [1, 2, 3]
    # DjangoJSONEncoder's conventions kept: Decimal as a string, ECMA-262 datetimes.
    assert items[0] == {
        "id": 1,
        "name": "kettle",
        "price": "24.90",
        "tags": ["kitchen"],
        "created": "2026-01-01T09:30:00Z",
    }


def test_items_bounds(client: Client) -> None:
    assert len(client.get("/items").json()) == 5
    assert client.get("/items", {"limit": 0}).json() == []
    assert client.get("/items", {"limit": 101}).status_code == 400
    assert client.get("/items", {"limit": "x"}).status_code == 400


def test_item(client: Client) -> None:
    response = client.get("/items/4")
    assert response.status_code == 200
    assert response.json()["name"] == "café crème"
    missing = client.get("/items/99")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no item 99"}


def test_echo(client: Client) -> None:
    body = {"hello": "world", "n": [1, 2.5, None]}
    response = client.post("/echo", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"echo": body}


def test_echo_errors(client: Client) -> None:
    invalid = client.post("/echo", b'{"hello": ', content_type="application/json")
    assert invalid.status_code == 400
    assert invalid.json()["error"].startswith("invalid JSON")
    assert client.post("/echo", b"{}", content_type="text/plain").status_code == 415
    assert client.get("/echo").status_code == 405


def test_example_settings_pass_manage_py_check() -> None:
    result = subprocess.run(
        [sys.executable, str(MANAGE), "check", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout

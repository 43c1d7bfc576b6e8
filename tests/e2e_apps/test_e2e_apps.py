"""Every endpoint of every end-to-end example app (examples/e2e), through the framework's own
test client: the same contract for each app, so the stock and the webaccel variant of a
framework answer the same requests the same way."""

from __future__ import annotations

import copy
import hashlib
import importlib
import typing as t

import jwt
import pytest

from e2e import data
from tests.e2e_apps.clients import AppClient, DjangoClient, FastAPIClient, FlaskClient

APPS = [
    ("fastapi", "stock"),
    ("flask", "stock"),
    ("django", "stock"),
    ("fastapi", "webaccel"),
    ("flask", "webaccel"),
    ("django", "webaccel"),
]


DJANGO_SETTINGS = ("ROOT_URLCONF", "MIDDLEWARE", "PASSWORD_HASHERS", "WEBACCEL",
                   "DATA_UPLOAD_MAX_MEMORY_SIZE", "FILE_UPLOAD_MAX_MEMORY_SIZE")

# Small, so that the rate-limit test spends the budget quickly; each test gets a fresh app.
RATE_LIMIT = "5/minute"


@pytest.fixture(params=APPS, ids=[f"{fw}-{variant}" for fw, variant in APPS])
def client(request: pytest.FixtureRequest) -> AppClient:
    framework, variant = request.param
    module = f"e2e.{framework}_{variant}"
    if framework == "fastapi":
        return FastAPIClient(module, RATE_LIMIT)
    if framework == "flask":
        return FlaskClient(module, RATE_LIMIT)
    # The project's own settings, over the test suite's (its apps are not reloaded: the
    # projects need none besides webaccel.django, which the suite installs).
    project = importlib.import_module(f"{module}.settings")
    settings = request.getfixturevalue("settings")
    for name in DJANGO_SETTINGS:
        if hasattr(project, name):
            setattr(settings, name, copy.deepcopy(getattr(project, name)))
    # A cache of its own per test (the rate limit and the detail view start empty).
    settings.CACHES = {"default": {**project.CACHES["default"], "LOCATION": f"e2e-{request.node.name}"}}
    settings.E2E_RATE_LIMIT = RATE_LIMIT
    return DjangoClient()


def login(client: AppClient, user: str = "alice") -> dict[str, str]:
    reply = client.post_json("/login", {"username": user, "password": data.PASSWORD})
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["token_type"] == "bearer"
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_login_issues_a_token_pyjwt_verifies(client: AppClient) -> None:
    headers = login(client)
    claims = jwt.decode(headers["Authorization"].split()[1], data.JWT_SECRET, algorithms=["HS256"],
                        audience=data.JWT_AUDIENCE, issuer=data.JWT_ISSUER)
    assert claims["sub"] == "alice"
    assert claims["exp"] > claims["iat"]


@pytest.mark.parametrize("body", [
    {"username": "alice", "password": "wrong"},
    {"username": "mallory", "password": data.PASSWORD},
])
def test_login_refuses_bad_credentials(client: AppClient, body: dict[str, str]) -> None:
    assert client.post_json("/login", body).status == 401


def test_list_requires_a_valid_bearer_token(client: AppClient) -> None:
    missing = client.get("/items")
    assert missing.status == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    forged = jwt.encode({"sub": "alice", "iss": data.JWT_ISSUER, "aud": data.JWT_AUDIENCE,
                         "exp": 4_000_000_000}, "another-secret-of-enough-length-0123456789",
                        algorithm="HS256")
    reply = client.get("/items", headers={"Authorization": f"Bearer {forged}"})
    assert reply.status == 401
    assert 'error="invalid_token"' in reply.headers["www-authenticate"]


def test_list_pages_with_links(client: AppClient) -> None:
    headers = login(client)
    first = client.get("/items?page=1&page_size=20", headers=headers)
    assert first.status == 200, first.body
    body = first.json()
    assert [item["id"] for item in body["items"]] == list(range(1, 21))
    assert body["items"][0] == data.ITEMS[0]
    assert (body["page"], body["page_size"], body["total_items"], body["total_pages"]) == (1, 20, 50, 3)
    assert body["prev"] is None and body["next"].endswith("page=2&page_size=20")
    links = first.headers["link"]
    assert 'rel="next"' in links and 'rel="last"' in links and 'rel="prev"' not in links
    last = client.get("/items?page=3&page_size=20", headers=headers).json()
    assert [item["id"] for item in last["items"]] == list(range(41, 51))
    assert last["next"] is None
    default = client.get("/items", headers=headers).json()
    assert len(default["items"]) == data.PAGE_SIZE_DEFAULT


@pytest.mark.parametrize("query", ["page=0", "page_size=1000", "page=x", "page=99"])
def test_list_refuses_bad_pages(client: AppClient, query: str) -> None:
    status = client.get(f"/items?{query}", headers=login(client)).status
    assert status in (400, 404, 422)


def test_list_is_rate_limited_per_user(client: AppClient) -> None:
    alice, bob = login(client, "alice"), login(client, "bob")
    limit = int(RATE_LIMIT.split("/")[0])
    statuses = [client.get("/items?page_size=1", headers=alice).status for _ in range(limit)]
    assert statuses[:limit] == [200] * limit
    refused = client.get("/items?page_size=1", headers=alice)
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) >= 1
    # Another user has a budget of their own.
    assert client.get("/items?page_size=1", headers=bob).status == 200


def _new_item() -> dict[str, t.Any]:
    return {
        "name": "Stoneware Carafe",
        "price": 42.5,
        "tags": ["kitchen", "handmade"],
        "description": "Wheel-thrown stoneware, 1 litre, glazed inside. " * 30,
        "attributes": {"colour": "sand", "volume": "1l"},
    }


def test_create_item_validates_and_stores_a_2kb_body(client: AppClient) -> None:
    headers = login(client)
    item = _new_item()
    assert 1500 < len(str(item)) < 3000
    reply = client.post_json("/items", item, headers=headers)
    assert reply.status == 201, reply.body
    stored = reply.json()
    assert stored["owner"] == "alice" and stored["id"] >= 1000
    assert {k: stored[k] for k in item} == item


@pytest.mark.parametrize("bad", [
    {"price": 1},
    {"name": "", "price": 1},
    {"name": "x", "price": -1},
    {"name": "x", "price": 1, "tags": ["t"] * 21},
    {"name": "x", "price": 1, "description": "d" * 4001},
    [1, 2, 3],
])
def test_create_item_refuses_invalid_bodies(client: AppClient, bad: t.Any) -> None:
    reply = client.post_json("/items", bad, headers=login(client))
    assert reply.status in (400, 422), reply.body


def test_create_item_refuses_malformed_json(client: AppClient) -> None:
    reply = client.post_raw("/items", b'{"name": "x", "price": ', "application/json",
                            headers=login(client))
    assert reply.status in (400, 422)


def test_detail_is_served_and_cacheable(client: AppClient) -> None:
    first = client.get("/items/7")
    assert first.status == 200
    assert first.json() == data.ITEMS_BY_ID[7]
    assert "max-age=60" in first.headers["cache-control"]
    again = client.get("/items/7")
    assert again.status == 200 and again.json() == first.json()
    assert client.get("/items/999").status == 404


def test_upload_hashes_the_file(client: AppClient) -> None:
    content = bytes(range(256)) * 4096  # 1 MiB
    reply = client.post_file("/upload", "file", "blob.bin", content)
    assert reply.status == 200, reply.body
    assert reply.json() == {"filename": "blob.bin", "size": len(content),
                            "sha256": hashlib.sha256(content).hexdigest()}


def test_upload_without_a_file_is_refused(client: AppClient) -> None:
    reply = client.post_raw("/upload", b"", "multipart/form-data; boundary=xyz")
    assert 400 <= reply.status < 500


def test_ping_and_ceiling(client: AppClient) -> None:
    assert client.get("/ping").json() == {"ok": True}
    ceiling = client.get("/ceiling/items").json()
    assert ceiling["items"] == data.ITEMS[: data.PAGE_SIZE_DEFAULT]
    assert ceiling["total_pages"] == 1

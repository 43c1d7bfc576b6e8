"""The data and settings every end-to-end example app shares, so that the stock and the
webaccel variant of each framework serve the same requests with the same answers.

- ``ITEMS``: 50 realistic catalogue items (the paginated list and the detail view);
- ``USERS``: the accounts the login endpoint checks (argon2id hashes made at import, with the
  PHC string format argon2-cffi and webaccel share);
- the JWT settings (HS256 secret, issuer, audience, lifetime) and the per-user rate limit;
- ``validate_new_item``: the rules for the JSON POST, written once in plain Python so that both
  variants refuse the same bodies.
"""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "ITEMS",
    "USERS",
    "PASSWORD",
    "JWT_SECRET",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "JWT_LIFETIME",
    "RATE_LIMIT",
    "PAGE_SIZE_DEFAULT",
    "PAGE_SIZE_MAX",
    "UPLOAD_MAX_BYTES",
    "BODY_MAX_BYTES",
    "ItemError",
    "validate_new_item",
]

# A development secret (48 bytes, longer than SHA-256's output, as secure HMAC keys are).
JWT_SECRET = os.environ.get("E2E_JWT_SECRET", "e2e-development-secret-not-for-production-0123456789")
JWT_ISSUER = "https://auth.example.test"
JWT_AUDIENCE = "catalogue-api"
JWT_LIFETIME = timedelta(hours=1)

# Per user (the token's `sub`). The load benchmark raises it so that it measures the limiter's
# cost, not 429s: E2E_RATE_LIMIT="1000000/minute".
RATE_LIMIT = os.environ.get("E2E_RATE_LIMIT", "600/minute")

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 100
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
BODY_MAX_BYTES = 64 * 1024

PASSWORD = "correct horse battery staple"

_ADJECTIVES = ["Ceramic", "Walnut", "Linen", "Copper", "Recycled", "Merino", "Enamel", "Oak",
               "Stoneware", "Brass"]
_NOUNS = ["Kettle", "Teapot", "Mug", "Grinder", "Carafe", "Tray", "Bowl", "Lamp", "Throw",
          "Planter"]
_TAGS = ["kitchen", "tea", "coffee", "living", "garden", "gift", "handmade", "sale", "new",
         "eco"]


def _items() -> list[dict[str, Any]]:
    rng = random.Random(2026)
    items = []
    start = datetime(2026, 1, 1, 9, 30, tzinfo=timezone.utc)
    for i in range(1, 51):
        adjective, noun = _ADJECTIVES[i % 10], _NOUNS[(i * 3) % 10]
        items.append(
            {
                "id": i,
                "sku": f"SKU-{i:05d}",
                "name": f"{adjective} {noun}",
                "description": (
                    f"A {adjective.lower()} {noun.lower()} made in small batches; "
                    "dishwasher safe, ships in recycled packaging. Café-grade finish."
                ),
                "price": round(rng.uniform(4, 250), 2),
                "currency": "EUR",
                "in_stock": rng.random() > 0.2,
                "stock": rng.randint(0, 500),
                "rating": round(rng.uniform(2.5, 5), 1),
                "tags": sorted(rng.sample(_TAGS, rng.randint(1, 4))),
                "dimensions": {"w": rng.randint(5, 60), "h": rng.randint(5, 60), "d": rng.randint(5, 60)},
                "created": (start + timedelta(days=i, minutes=i * 17)).isoformat(),
            }
        )
    return items


ITEMS: list[dict[str, Any]] = _items()
ITEMS_BY_ID: dict[int, dict[str, Any]] = {item["id"]: item for item in ITEMS}


def _users() -> dict[str, str]:
    # argon2-cffi makes the stored hashes: webaccel's verifier must accept a peer's hashes.
    # Small parameters keep the tests quick; E2E_ARGON2_DEFAULTS=1 uses argon2-cffi's defaults
    # (the load benchmark does, to show that hashing does not stall other requests).
    from argon2 import PasswordHasher

    if os.environ.get("E2E_ARGON2_DEFAULTS") == "1":
        hasher = PasswordHasher()
    else:
        hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return {name: hasher.hash(PASSWORD) for name in ("alice", "bob")}


USERS: dict[str, str] = _users()


class ItemError(ValueError):
    """A JSON POST body that breaks the rules of ``validate_new_item``."""


def validate_new_item(body: Any) -> dict[str, Any]:
    """The new item, checked: a dict with a name (1 to 200 characters), a price (a number from 0
    to 1,000,000), up to 20 string tags, a description of at most 4,000 characters and an
    ``attributes`` dict of strings. Raises ``ItemError`` with the first problem found."""
    if not isinstance(body, dict):
        raise ItemError("the body must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise ItemError("name: a string of 1 to 200 characters is required")
    price = body.get("price")
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not 0 <= price <= 1_000_000:
        raise ItemError("price: a number from 0 to 1000000 is required")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 20 or not all(isinstance(t, str) for t in tags):
        raise ItemError("tags: at most 20 strings")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 4000:
        raise ItemError("description: a string of at most 4000 characters")
    attributes = body.get("attributes", {})
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        raise ItemError("attributes: an object of strings")
    return {
        "name": name,
        "price": price,
        "tags": tags,
        "description": description,
        "attributes": attributes,
    }

"""The in-memory catalogue the three example apps serve: the same items, so the FastAPI, Flask
and Django examples answer the same requests with the same data."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

__all__ = ["ITEMS"]

ITEMS: list[dict[str, Any]] = [
    {
        "id": i,
        "name": name,
        "price": Decimal(price),
        "tags": tags,
        "created": datetime(2026, 1, i, 9, 30, tzinfo=timezone.utc),
    }
    for i, (name, price, tags) in enumerate(
        [
            ("kettle", "24.90", ["kitchen"]),
            ("teapot", "31.50", ["kitchen", "tea"]),
            ("mug", "7.00", ["kitchen", "tea", "coffee"]),
            ("café crème", "3.20", ["coffee"]),
            ("grinder", "89.00", ["coffee"]),
        ],
        start=1,
    )
]

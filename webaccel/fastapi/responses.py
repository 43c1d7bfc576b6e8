"""Response classes for FastAPI (and Starlette) rendered by webaccel's JSON engine."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse as _StarletteJSONResponse

from webaccel import json as _json

__all__ = ["JSONResponse"]


class JSONResponse(_StarletteJSONResponse):
    """``application/json`` response whose body is written by ``webaccel.json.dumps``.

    A subclass of Starlette's (and so FastAPI's) ``JSONResponse`` with the same constructor, so
    ``isinstance`` checks and OpenAPI generation treat it as JSON. For everything stock
    ``JSONResponse`` accepts, the body is byte-for-byte the same: compact, UTF-8, non-ASCII
    characters written as is, NaN and Infinity refused (``webaccel.json.JSONEncodeError``, a
    ``ValueError`` like the stock class raises).

    When returned directly it also writes ``datetime``, ``UUID``, ``Decimal``, ``Enum`` and
    dataclasses, which the stock class rejects with ``TypeError``. Content FastAPI produced from
    a route's return value has already been through ``jsonable_encoder`` or pydantic.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialize ``content`` to compact UTF-8 JSON."""
        return _json.dumps(content)

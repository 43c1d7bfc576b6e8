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

    @classmethod
    def _rendered(cls, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> JSONResponse:
        # What JSONResponse(content, headers=...) builds, for a body already rendered and headers
        # already encoded (lower-case names, no Content-Length or Content-Type among them):
        # the same attributes (a test compares them), without Starlette's header encoding.
        # Only for this class itself: a subclass may render or build headers its own way.
        self = cls.__new__(cls)
        self.status_code = 200
        self.background = None
        self.body = body
        raw_headers.append((b"content-length", str(len(body)).encode()))
        raw_headers.append((b"content-type", b"application/json"))
        self.raw_headers = raw_headers
        return self

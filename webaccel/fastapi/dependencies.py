"""FastAPI dependencies that read the request with webaccel's engine."""

from __future__ import annotations

import email.message
from typing import Any

from fastapi import HTTPException, Request

from webaccel import json as _json

__all__ = ["DEFAULT_MAX_BODY_SIZE", "JSONBody", "json_body"]

DEFAULT_MAX_BODY_SIZE = 1024 * 1024
"""Default ``JSONBody`` limit: 1 MiB."""


def _is_json_content_type(value: str) -> bool:
    # Parsed the way FastAPI itself decides whether a body is JSON: application/json or
    # application/<anything>+json, parameters such as charset ignored.
    message = email.message.Message()
    message["content-type"] = value
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class JSONBody:
    """A dependency returning the request body parsed by ``webaccel.json.loads``.

    Use it where a route wants the JSON as plain Python data (no pydantic model)::

        from typing import Annotated, Any
        from fastapi import Depends
        from webaccel.fastapi import JSONBody

        @app.post("/echo")
        async def echo(payload: Annotated[Any, Depends(JSONBody(max_size=64 * 1024))]) -> Any:
            return payload

    Failures answer through FastAPI's ``HTTPException`` handler, so the client gets a JSON body
    ``{"detail": ...}``:

    - 415 when the ``Content-Type`` is not ``application/json`` (or ``application/*+json``), or
      is missing while ``strict_content_type`` is true (FastAPI's own default). Refusing other
      types keeps browsers from posting JSON cross-site as ``text/plain`` without a preflight;
    - 413 when the body is larger than ``max_size`` bytes (``None``: no limit). A declared
      ``Content-Length`` above the limit is refused before anything is read, and a streamed body
      stops being read as soon as it passes the limit;
    - 400 when the body is not valid JSON; ``detail`` is a list with one error shaped like
      FastAPI's own ``json_invalid`` error (``type``, ``loc`` with the character offset, ``msg``,
      ``ctx.error``).

    The body is read from ``request.stream()``: afterwards ``await request.body()`` is only
    available if something read it before this dependency (FastAPI does when the route also
    declares ``Body`` parameters).
    """

    def __init__(
        self, *, max_size: int | None = DEFAULT_MAX_BODY_SIZE, strict_content_type: bool = True
    ) -> None:
        if max_size is not None and (
            isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 0
        ):
            raise ValueError("max_size must be a non-negative int or None")
        self.max_size = max_size
        self.strict_content_type = strict_content_type

    def __repr__(self) -> str:
        return (
            f"JSONBody(max_size={self.max_size!r}, "
            f"strict_content_type={self.strict_content_type!r})"
        )

    async def __call__(self, request: Request) -> Any:
        """Read, bound and parse the body of ``request``."""
        content_type = request.headers.get("content-type")
        if content_type is None:
            if self.strict_content_type:
                raise HTTPException(status_code=415, detail="Content-Type must be application/json")
        elif not _is_json_content_type(content_type):
            raise HTTPException(status_code=415, detail="Content-Type must be application/json")

        body = await self._read(request)
        try:
            return _json.loads(body)
        except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError on invalid UTF-8
            raise HTTPException(status_code=400, detail=[_json_invalid(exc)]) from exc

    async def _read(self, request: Request) -> bytes:
        limit = self.max_size
        if limit is None:
            return await request.body()
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large()
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large()
            chunks.append(chunk)
        return b"".join(chunks)


def _too_large() -> HTTPException:
    # Same status and detail as Starlette's RequestBodyLimitMiddleware (FastAPI's max_body_size).
    return HTTPException(status_code=413, detail="Content Too Large")


def _json_invalid(exc: ValueError) -> dict[str, Any]:
    pos = getattr(exc, "pos", None)
    if pos is None:
        pos = getattr(exc, "start", 0)  # UnicodeDecodeError
    reason = getattr(exc, "msg", None) or getattr(exc, "reason", None) or str(exc)
    return {
        "type": "json_invalid",
        "loc": ["body", pos],
        "msg": "JSON decode error",
        "ctx": {"error": reason},
    }


json_body = JSONBody()
"""``JSONBody()`` with the default limit (1 MiB), for
``payload: Annotated[Any, Depends(json_body)]``."""

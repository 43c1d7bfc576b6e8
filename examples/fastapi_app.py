"""webaccel with FastAPI: every route's JSON written by webaccel.

Run it (from the repository root, after ``make build`` or ``scripts/dev.sh build``)::

    .venv/bin/uvicorn --app-dir examples fastapi_app:app

then::

    curl http://127.0.0.1:8000/
    curl 'http://127.0.0.1:8000/items?limit=3'
    curl http://127.0.0.1:8000/items/2
    curl -X POST http://127.0.0.1:8000/echo -H 'content-type: application/json' -d '{"hello": "world"}'
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel

from catalogue import ITEMS

import webaccel
from webaccel.fastapi import JSONBody, JSONResponse


class Item(BaseModel):
    """One item of the in-memory catalogue."""

    id: int
    name: str
    price: Decimal
    tags: list[str]
    created: datetime



app = FastAPI(title="webaccel FastAPI example", default_response_class=JSONResponse)

# The request body of /echo as FastAPI's OpenAPI schema should show it (JSONBody reads the
# raw request, so FastAPI cannot infer it).
_ANY_JSON_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}
}


@app.get("/")
async def index() -> JSONResponse:
    """What this service is; the content is returned as a response object directly."""
    return JSONResponse(
        {
            "service": "webaccel FastAPI example",
            "webaccel": webaccel.__version__,
            "endpoints": ["/", "/items?limit=3", "/items/{item_id}", "POST /echo"],
        }
    )


@app.get("/items", response_model=list[Item])
async def list_items(limit: Annotated[int, Query(ge=0, le=100)] = 10) -> list[dict[str, Any]]:
    """The first ``limit`` items, validated and serialized through the ``Item`` model."""
    return ITEMS[:limit]


@app.get("/items/{item_id}", response_model=Item)
async def get_item(item_id: int) -> dict[str, Any]:
    """One item, or FastAPI's JSON 404."""
    for item in ITEMS:
        if item["id"] == item_id:
            return item
    raise HTTPException(status_code=404, detail=f"no item {item_id}")


@app.post("/echo", response_model=None, openapi_extra=_ANY_JSON_BODY)
async def echo(payload: Annotated[Any, Depends(JSONBody(max_size=64 * 1024))]) -> dict[str, Any]:
    """The JSON body, parsed by webaccel and sent back (400 if invalid, 413 above 64 KiB);
    no response model, so FastAPI's jsonable_encoder and then webaccel write the answer."""
    return {"echo": payload}

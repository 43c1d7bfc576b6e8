"""webaccel with Flask: ``jsonify``, returned dicts and ``request.get_json()`` on webaccel.

Run it (from the repository root, after ``make build`` or ``scripts/dev.sh build``)::

    .venv/bin/flask --app examples/flask_app.py run

then::

    curl http://127.0.0.1:5000/
    curl 'http://127.0.0.1:5000/items?limit=3'
    curl http://127.0.0.1:5000/items/2
    curl -X POST http://127.0.0.1:5000/echo -H 'content-type: application/json' -d '{"hello": "world"}'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, abort, jsonify, request
from flask.typing import ResponseReturnValue

from catalogue import ITEMS

import webaccel
from webaccel.flask import WebAccel


webaccel_ext = WebAccel()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the example app; ``config`` overrides ``app.config`` (``WEBACCEL_*`` keys...)."""
    app = Flask(__name__)
    # Unsorted keys and raw UTF-8 are faster and smaller than Flask's defaults (sorted, ASCII).
    app.config["WEBACCEL_JSON_SORT_KEYS"] = False
    app.config["WEBACCEL_JSON_ENSURE_ASCII"] = False
    app.config.update(config or {})
    webaccel_ext.init_app(app)

    @app.get("/")
    def index() -> ResponseReturnValue:
        """What this service is (a dict returned from a view goes through app.json)."""
        return {
            "service": "webaccel Flask example",
            "webaccel": webaccel.__version__,
            "endpoints": ["/", "/items?limit=3", "/items/<id>", "POST /echo"],
        }

    @app.get("/items")
    def list_items() -> ResponseReturnValue:
        """The first ``limit`` items (0 to 100)."""
        limit = request.args.get("limit", default=10, type=int)
        if limit is None or not 0 <= limit <= 100:
            abort(400, description="limit must be between 0 and 100")
        return jsonify(ITEMS[:limit])

    @app.get("/items/<int:item_id>")
    def get_item(item_id: int) -> ResponseReturnValue:
        """One item, or a JSON 404."""
        for item in ITEMS:
            if item["id"] == item_id:
                return item
        return {"error": f"no item {item_id}"}, 404

    @app.post("/echo")
    def echo() -> ResponseReturnValue:
        """The JSON body sent back; invalid JSON is Flask's usual 400."""
        return {"echo": request.get_json()}

    return app

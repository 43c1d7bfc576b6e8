"""What the end-to-end example apps (issue #7) needed from the Flask pagination adapter, through
Flask's test client: ``paginate(clamp_page_size=False)`` refuses a page size above the maximum
with 400 instead of clamping it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from webaccel.flask import WebAccel
from webaccel.flask.pagination import paginate

ROWS = [{"id": i} for i in range(1, 31)]


def make_app() -> Flask:
    app = Flask(__name__)
    app.config["WEBACCEL_PAGINATION_MAX_PAGE_SIZE"] = 10
    WebAccel(app)

    @app.get("/strict")
    def strict() -> Any:
        return paginate(ROWS, page_size=5, clamp_page_size=False)

    @app.get("/counted")
    def counted() -> Any:
        return paginate(ROWS[:5], total_items=len(ROWS), page_size=5, clamp_page_size=False)

    @app.get("/clamped")
    def clamped() -> Any:
        return paginate(ROWS, page_size=5)

    return app


@pytest.mark.parametrize("path", ["/strict", "/counted"])
def test_page_size_above_the_maximum_is_refused(path: str) -> None:
    client = make_app().test_client()
    refused = client.get(f"{path}?page_size=11")
    assert refused.status_code == 400
    assert refused.get_json() == {"detail": "page_size is more than 10"}
    assert client.get(f"{path}?page_size=10").get_json()["page_size"] == 10
    assert client.get(f"{path}?page_size=x").status_code == 400


def test_clamping_stays_the_default() -> None:
    client = make_app().test_client()
    assert client.get("/clamped?page_size=11").get_json()["page_size"] == 10

"""webaccel.flask's JSON provider against Flask's DefaultJSONProvider, through Flask's test
client: same bytes from jsonify and returned dicts, same errors, same request parsing."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from collections.abc import Callable
from typing import Any

import flask
import pytest
from flask import Flask, jsonify, render_template_string, request
from flask.json.provider import DefaultJSONProvider
from flask.testing import FlaskClient
from markupsafe import Markup
from werkzeug.test import TestResponse

import webaccel.json as wjson
from webaccel.flask import WebAccel, WebAccelJSONProvider

UTC = datetime.timezone.utc


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str
    seen: datetime.date


class Html:
    """Anything with __html__ (what Flask's default handles besides Markup)."""

    def __html__(self) -> str:
        return "<b>bold</b>"


# What Flask apps return: JSON-native data, and the types Flask's default() converts.
PAYLOADS: list[Any] = [
    {},
    [],
    {"zeta": 1, "alpha": [3, 2, 1], "Mid": {"b": None, "a": True}},
    {"text": "Zoë \"q\" \\ \n\t \u2028 😀 日本語", "esc": "</script>&'", "empty": ""},
    {"ints": [0, -1, 2**53 + 1, 2**64, -(10**30)], "floats": [0.1, 1e16, -2.5e-8, 1.0]},
    {"when": datetime.datetime(2026, 5, 17, 8, 9, 10, 123456, tzinfo=UTC)},
    {"naive": datetime.datetime(2026, 5, 17, 8, 9, 10), "day": datetime.date(1999, 12, 31)},
    {"price": decimal.Decimal("10.50"), "tiny": decimal.Decimal("1E-30")},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {
        "point": Point(1, 2.5, "p", datetime.date(2020, 2, 29)),
        "points": [Point(0, 0.0, "", datetime.date(2000, 1, 1))],
    },
    {"markup": Markup("<i>safe</i>"), "html": Html()},
    [{"id": i, "name": f"user {i}", "active": i % 3 == 0, "score": i * 1.25} for i in range(40)],
    "a string",
    12345,
    None,
]


def make_app(*, webaccel: bool, debug: bool = False, **config: Any) -> Flask:
    """Routes returning each payload; with Flask's stock provider or webaccel's."""
    app = Flask(__name__)
    app.debug = debug
    app.testing = True
    app.config.update(config)
    if webaccel:
        WebAccel(app)

    @app.get("/jsonify/<int:index>")
    def jsonify_payload(index: int) -> Any:
        return jsonify(PAYLOADS[index])

    @app.get("/return/<int:index>")
    def return_payload(index: int) -> Any:
        payload = PAYLOADS[index]
        return payload if isinstance(payload, (dict, list)) else {"value": payload}

    @app.get("/args")
    def args() -> Any:
        return jsonify(1, "two", [3])

    @app.get("/kwargs")
    def kwargs() -> Any:
        return jsonify(b=1, a=2)

    @app.get("/none")
    def none() -> Any:
        return jsonify()

    @app.post("/echo")
    def echo() -> Any:
        return {"echo": request.get_json()}

    @app.post("/echo-silent")
    def echo_silent() -> Any:
        return {"echo": request.get_json(silent=True)}

    @app.get("/unserializable")
    def unserializable() -> Any:
        return {"x": object()}

    @app.get("/nan")
    def nan() -> Any:
        return {"x": float("nan")}

    return app


def pair(**kwargs: Any) -> tuple[FlaskClient, FlaskClient]:
    return make_app(webaccel=False, **kwargs).test_client(), make_app(webaccel=True, **kwargs).test_client()


def assert_same_response(stock: TestResponse, ours: TestResponse) -> None:
    assert ours.status_code == stock.status_code
    assert ours.mimetype == stock.mimetype == "application/json"
    assert ours.data == stock.data


@pytest.mark.parametrize("debug", [False, True], ids=["compact", "debug-indented"])
@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_jsonify_and_returned_values_match_stock(index: int, debug: bool) -> None:
    stock, ours = pair(debug=debug)
    for path in (f"/jsonify/{index}", f"/return/{index}"):
        assert_same_response(stock.get(path), ours.get(path))


@pytest.mark.parametrize("path", ["/args", "/kwargs", "/none"])
def test_jsonify_argument_forms_match_stock(path: str) -> None:
    stock, ours = pair()
    assert_same_response(stock.get(path), ours.get(path))


@pytest.mark.parametrize(
    "attributes",
    [
        {"sort_keys": False},
        {"ensure_ascii": False},
        {"compact": False},
        {"compact": True},
        {"sort_keys": False, "ensure_ascii": False, "compact": False},
        {"mimetype": "application/vnd.api+json"},
    ],
)
def test_provider_attributes_set_by_users_are_honoured(attributes: dict[str, Any]) -> None:
    """Attributes set on app.json (the Flask way) change our output as they change stock's."""
    apps = [make_app(webaccel=False, debug=True), make_app(webaccel=True, debug=True)]
    for app in apps:
        for name, value in attributes.items():
            setattr(app.json, name, value)
    stock, ours = (app.test_client() for app in apps)
    for index in (2, 3, 5, 9, 11):
        stock_response, our_response = stock.get(f"/jsonify/{index}"), ours.get(f"/jsonify/{index}")
        assert our_response.data == stock_response.data
        assert our_response.mimetype == stock_response.mimetype


def test_custom_default_is_used() -> None:
    apps = [make_app(webaccel=False), make_app(webaccel=True)]
    for app in apps:
        app.json.default = lambda o: f"custom:{type(o).__name__}"  # type: ignore[attr-defined]
    stock, ours = (app.test_client() for app in apps)
    assert_same_response(stock.get("/unserializable"), ours.get("/unserializable"))
    assert ours.get("/unserializable").get_json() == {"x": "custom:object"}


def test_request_get_json_matches_stock() -> None:
    stock, ours = pair()
    body = {"a": [1, 2.5, None, True], "é": {"nested": "😀"}, "big": 2**70}
    as_text = {"data": json.dumps(body), "content_type": "application/json; charset=utf-8"}
    for kwargs in ({"json": body}, as_text):
        assert_same_response(stock.post("/echo", **kwargs), ours.post("/echo", **kwargs))
    assert ours.post("/echo", json=body).get_json() == {"echo": body}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("body", [b'{"a": ', b"", b"{'a': 1}", b"[1,]", b'{"a": "\xff"}'])
def test_invalid_json_body_is_400_like_stock(body: bytes, debug: bool) -> None:
    stock, ours = pair(debug=debug)
    stock_response = stock.post("/echo", data=body, content_type="application/json")
    our_response = ours.post("/echo", data=body, content_type="application/json")
    assert our_response.status_code == stock_response.status_code == 400
    silent = ours.post("/echo-silent", data=body, content_type="application/json")
    assert silent.status_code == 200
    assert silent.get_json() == {"echo": None}


def test_non_json_content_type_is_415_like_stock() -> None:
    stock, ours = pair()
    statuses = [
        client.post("/echo", data=b"{}", content_type="text/plain").status_code
        for client in (stock, ours)
    ]
    assert statuses == [415, 415]


def test_unserializable_raises_the_stock_exception() -> None:
    for client in pair():
        with pytest.raises(TypeError, match="not JSON serializable"):
            client.get("/unserializable")


def test_nan_is_refused_not_written_as_invalid_json() -> None:
    """Documented difference: stock writes the non-standard token NaN, webaccel raises."""
    stock, ours = pair()
    assert stock.get("/nan").data == b'{"x":NaN}\n'
    with pytest.raises(ValueError):  # webaccel.json.JSONEncodeError
        ours.get("/nan")


def test_nan_as_null_config_reaches_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    real_dumps = wjson.dumps

    def spy(obj: Any, **kwargs: Any) -> bytes:
        calls.append(kwargs)
        return real_dumps(obj, **{**kwargs, "nan_as_null": False})

    monkeypatch.setattr(wjson, "dumps", spy)
    app = make_app(webaccel=True, WEBACCEL_JSON_NAN_AS_NULL=True)
    assert app.test_client().get("/kwargs").status_code == 200
    assert calls and calls[-1]["nan_as_null"] is True


def _engine_writes_nan_as_null() -> bool:
    try:
        return wjson.dumps(float("nan"), nan_as_null=True) == b"null"
    except ValueError:
        return False


@pytest.mark.skipif(not _engine_writes_nan_as_null(), reason="this build of the engine ignores nan_as_null")
def test_nan_as_null_writes_null() -> None:
    client = make_app(webaccel=True, WEBACCEL_JSON_NAN_AS_NULL=True).test_client()
    assert client.get("/nan").data == b'{"x":null}\n'


class _UpperEncoder(json.JSONEncoder):
    def encode(self, o: Any) -> str:
        return super().encode(o).upper()


class TestFlaskJsonFunctions:
    """flask.json.dumps/loads (and the tojson filter) go through the installed provider."""

    @pytest.fixture()
    def apps(self) -> tuple[Flask, Flask]:
        return make_app(webaccel=False), make_app(webaccel=True)

    def both(self, apps: tuple[Flask, Flask], call: Callable[[], Any]) -> tuple[Any, Any]:
        results = []
        for app in apps:
            with app.app_context():
                results.append(call())
        return results[0], results[1]

    def test_dumps_compact_and_indented_match_stock(self, apps: tuple[Flask, Flask]) -> None:
        data = PAYLOADS[9] | PAYLOADS[3]
        for kwargs in (
            {"separators": (",", ":")},
            {"indent": 2},
            {"indent": 4, "sort_keys": False},
            {"indent": "\t"},
        ):
            stock, ours = self.both(apps, lambda: flask.json.dumps(data, **kwargs))
            assert ours == stock

    def test_dumps_without_separators_is_compact(self, apps: tuple[Flask, Flask]) -> None:
        """Documented difference: stock puts a space after ',' and ':'; same JSON value."""
        data = {"b": [1, 2], "a": "é"}
        stock, ours = self.both(apps, lambda: flask.json.dumps(data))
        assert stock == '{"a": "\\u00e9", "b": [1, 2]}'
        assert ours == '{"a":"\\u00e9","b":[1,2]}'
        assert json.loads(ours) == json.loads(stock)

    @pytest.mark.parametrize(
        ("data", "kwargs"),
        [
            ({"a": "b", "n": [1]}, {"cls": _UpperEncoder}),
            ({"x": float("nan"), "y": float("-inf")}, {"allow_nan": True}),
            ({"a": [1, 2]}, {"separators": (", ", " = ")}),
            ({(1, 2): "tuple key", "k": 2}, {"skipkeys": True, "sort_keys": False}),
        ],
        ids=["cls", "allow_nan", "separators", "skipkeys"],
    )
    def test_dumps_arguments_the_engine_lacks_run_on_stdlib(
        self, apps: tuple[Flask, Flask], data: Any, kwargs: dict[str, Any]
    ) -> None:
        stock, ours = self.both(apps, lambda: flask.json.dumps(data, **kwargs))
        assert ours == stock

    def test_loads_matches_stock(self, apps: tuple[Flask, Flask]) -> None:
        text = '{"a": [1, 2.5, "\\u00e9", null], "b": {"c": true}}'
        for doc in (text, text.encode()):
            stock, ours = self.both(apps, lambda: flask.json.loads(doc))
            assert ours == stock
        stock, ours = self.both(apps, lambda: flask.json.loads(text, object_hook=lambda d: sorted(d)))
        assert ours == stock == ["a", "b"]

    def test_loads_invalid_raises_json_decode_error(self, apps: tuple[Flask, Flask]) -> None:
        with apps[1].app_context():
            with pytest.raises(json.JSONDecodeError):
                flask.json.loads("{")

    def test_tojson_filter_escapes_html(self, apps: tuple[Flask, Flask]) -> None:
        data = {"html": "</script><b>&'", "n": [1, 2]}
        stock, ours = self.both(apps, lambda: render_template_string("{{ data|tojson }}", data=data))
        assert "<" not in ours and "&" not in ours
        assert json.loads(ours) == json.loads(stock) == data


class TestExtension:
    def test_registers_and_keeps_no_app(self) -> None:
        ext = WebAccel()
        app_one, app_two = Flask("one"), Flask("two")
        ext.init_app(app_one)
        ext.init_app(app_two)
        assert app_one.extensions["webaccel"] is ext is app_two.extensions["webaccel"]
        assert not any(isinstance(value, Flask) for value in vars(ext).values())
        assert isinstance(app_one.json, WebAccelJSONProvider)
        assert isinstance(app_two.json, WebAccelJSONProvider)
        assert app_one.json is not app_two.json

    def test_constructor_with_app_calls_init_app(self) -> None:
        app = Flask(__name__)
        ext = WebAccel(app)
        assert app.extensions["webaccel"] is ext
        assert isinstance(app.json, DefaultJSONProvider)  # still a DefaultJSONProvider

    def test_config_defaults_are_set(self) -> None:
        app = Flask(__name__)
        WebAccel(app)
        assert app.config["WEBACCEL_JSON"] is True
        assert app.config["WEBACCEL_JSON_SORT_KEYS"] is None
        assert app.config["WEBACCEL_JSON_ENSURE_ASCII"] is None
        assert app.config["WEBACCEL_JSON_COMPACT"] is None
        assert app.config["WEBACCEL_JSON_NAN_AS_NULL"] is False
        provider = app.json
        assert isinstance(provider, WebAccelJSONProvider)
        assert (provider.sort_keys, provider.ensure_ascii, provider.compact) == (True, True, None)

    def test_json_off_keeps_the_stock_provider(self) -> None:
        app = Flask(__name__)
        app.config["WEBACCEL_JSON"] = False
        WebAccel(app)
        assert type(app.json) is DefaultJSONProvider
        assert "webaccel" in app.extensions

    def test_config_keys_set_provider_attributes(self) -> None:
        app = make_app(
            webaccel=True,
            WEBACCEL_JSON_SORT_KEYS=False,
            WEBACCEL_JSON_ENSURE_ASCII=False,
            WEBACCEL_JSON_COMPACT=False,
        )
        provider = app.json
        assert isinstance(provider, WebAccelJSONProvider)
        assert (provider.sort_keys, provider.ensure_ascii, provider.compact) == (False, False, False)
        assert app.test_client().get("/kwargs").data == b'{\n  "b": 1,\n  "a": 2\n}\n'

    def test_settings_made_before_init_app_are_carried_over(self) -> None:
        app = Flask(__name__)
        app.json.sort_keys = False  # type: ignore[attr-defined]
        app.json.mimetype = "application/problem+json"  # type: ignore[attr-defined]
        app.json.default = lambda o: "custom"  # type: ignore[attr-defined]
        app.config["WEBACCEL_JSON_ENSURE_ASCII"] = False
        WebAccel(app)
        provider = app.json
        assert isinstance(provider, WebAccelJSONProvider)
        assert provider.sort_keys is False
        assert provider.ensure_ascii is False
        assert provider.mimetype == "application/problem+json"
        assert provider.default(object()) == "custom"

    def test_config_wins_over_carried_over_setting(self) -> None:
        app = Flask(__name__)
        app.json.sort_keys = False  # type: ignore[attr-defined]
        app.config["WEBACCEL_JSON_SORT_KEYS"] = True
        WebAccel(app)
        assert app.json.sort_keys is True  # type: ignore[attr-defined]

    def test_provider_subclass_keeps_its_own_default(self) -> None:
        class Provider(WebAccelJSONProvider):
            @staticmethod
            def default(o: Any) -> Any:
                return "mine"

        class Ext(WebAccel):
            json_provider_class = Provider

        app = Flask(__name__)
        Ext(app)
        assert isinstance(app.json, Provider)
        with app.app_context():
            assert flask.json.dumps({"o": object()}) == '{"o":"mine"}'

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("WEBACCEL_JSON", "yes"),
            ("WEBACCEL_JSON_NAN_AS_NULL", None),
            ("WEBACCEL_JSON_SORT_KEYS", 1),
            ("WEBACCEL_JSON_COMPACT", "false"),
        ],
    )
    def test_wrong_config_types_raise(self, key: str, value: Any) -> None:
        app = Flask(__name__)
        app.config[key] = value
        with pytest.raises(TypeError, match=key):
            WebAccel(app)

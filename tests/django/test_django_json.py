"""webaccel.django.http.JsonResponse against django.http.JsonResponse: same JSON for the same
data and arguments, same errors; through Django's test client for the wiring."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse as DjangoJsonResponse
from django.test import Client, override_settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy

import webaccel.json as wjson
from webaccel.django.http import JsonResponse

UTC = datetime.timezone.utc
PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))

# What Django views return: JSON-native data and the types DjangoJSONEncoder converts.
PAYLOADS: list[Any] = [
    {},
    {"zeta": 1, "alpha": [3, 2, 1], "Mid": {"b": None, "a": True}},
    {"text": "Zoë \"q\" \\ \n\t \u2028 😀 日本語", "esc": "</script>&'", "empty": ""},
    {"ints": [0, -1, 2**53 + 1, 2**64, -(10**30)], "floats": [0.1, 1e16, -2.5e-8, 1.0]},
    {
        "utc": datetime.datetime(2026, 5, 17, 8, 9, 10, 123456, tzinfo=UTC),
        "offset": datetime.datetime(2026, 5, 17, 8, 9, 10, tzinfo=PLUS_2),
        "naive": datetime.datetime(2026, 5, 17, 8, 9, 10, 5),
        "day": datetime.date(1999, 12, 31),
        "time": datetime.time(23, 59, 58, 999999),
        "duration": datetime.timedelta(days=1, hours=2, seconds=3, microseconds=4),
    },
    {"price": decimal.Decimal("10.50"), "tiny": decimal.Decimal("1E-30"), "neg": decimal.Decimal("-0")},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"lazy": gettext_lazy("Hello"), "lazy_list": [gettext_lazy("Yes"), gettext_lazy("No")]},
    {"rows": [{"id": i, "name": f"row {i}", "active": i % 3 == 0, "ratio": i / 7} for i in range(40)]},
]

# json_dumps_params users pass; each is compared with stock given the same params.
PARAMS: list[dict[str, Any]] = [
    {},
    {"sort_keys": True},
    {"ensure_ascii": False},
    {"indent": 2},
    {"indent": 4, "sort_keys": True, "ensure_ascii": False},
    {"indent": "\t"},
    {"separators": (",", ":")},
    {"indent": 2, "separators": (",", ": ")},
]


def stock_compact(data: Any, params: dict[str, Any], **kwargs: Any) -> DjangoJsonResponse:
    """Django's JsonResponse asked for the layout webaccel writes: compact unless indented."""
    if params.get("indent") is None:
        params = {**params, "separators": (",", ":")}
    return DjangoJsonResponse(data, json_dumps_params=params, **kwargs)


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(p) or "default")
@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_same_bytes_as_stock(index: int, params: dict[str, Any]) -> None:
    data = PAYLOADS[index]
    ours = JsonResponse(data, json_dumps_params=dict(params))
    assert ours.content == stock_compact(data, params).content
    stock_default = DjangoJsonResponse(data, json_dumps_params=dict(params))
    assert json.loads(ours.content) == json.loads(stock_default.content)
    assert ours["Content-Type"] == stock_default["Content-Type"] == "application/json"


def test_default_layout_is_compact() -> None:
    """Documented difference: without indent, stock writes ', ' and ': '; same JSON value."""
    assert JsonResponse({"a": [1, 2]}).content == b'{"a":[1,2]}'
    assert DjangoJsonResponse({"a": [1, 2]}).content == b'{"a": [1, 2]}'


def test_is_a_django_json_response_with_the_same_arguments() -> None:
    response = JsonResponse([1, 2], safe=False, status=201, headers={"X-Test": "1"}, reason="Made")
    stock = DjangoJsonResponse([1, 2], safe=False, status=201, headers={"X-Test": "1"}, reason="Made")
    assert isinstance(response, DjangoJsonResponse)
    assert (response.status_code, response.reason_phrase, response["X-Test"]) == (201, "Made", "1")
    assert (stock.status_code, stock.reason_phrase, stock["X-Test"]) == (201, "Made", "1")
    custom_type = JsonResponse({}, content_type="application/problem+json")
    assert custom_type["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("data", [[1, 2], "text", 1, None])
def test_safe_refuses_non_dicts_like_stock(data: Any) -> None:
    with pytest.raises(TypeError) as stock_error:
        DjangoJsonResponse(data)
    with pytest.raises(TypeError) as our_error:
        JsonResponse(data)
    assert str(our_error.value) == str(stock_error.value)


@pytest.mark.parametrize("data", [[1, 2], "text", 1, None, [{"a": decimal.Decimal("1.5")}]])
def test_safe_false_allows_any_value(data: Any) -> None:
    assert JsonResponse(data, safe=False).content == stock_compact(data, {}, safe=False).content


class Money:
    def __init__(self, amount: str, currency: str) -> None:
        self.amount, self.currency = decimal.Decimal(amount), currency


class MoneyEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Money):
            return {"amount": str(o.amount), "currency": o.currency}
        return super().default(o)


class SortingEncoder(DjangoJSONEncoder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["sort_keys"] = True
        super().__init__(*args, **kwargs)


class UpperEncoder(DjangoJSONEncoder):
    def encode(self, o: Any) -> str:
        return super().encode(o).upper()


class ExtraArgEncoder(DjangoJSONEncoder):
    def __init__(self, *args: Any, prefix: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prefix = prefix

    def default(self, o: Any) -> Any:
        if isinstance(o, Money):
            return f"{self.prefix}{o.amount}"
        return super().default(o)


def test_custom_encoder_default_is_used() -> None:
    data = {"total": Money("9.99", "EUR"), "at": datetime.datetime(2026, 1, 1, tzinfo=UTC)}
    ours = JsonResponse(data, encoder=MoneyEncoder)
    assert ours.content == stock_compact(data, {}, encoder=MoneyEncoder).content
    assert json.loads(ours.content) == {
        "total": {"amount": "9.99", "currency": "EUR"},
        "at": "2026-01-01T00:00:00Z",
    }


def test_encoder_settings_made_in_init_are_honoured() -> None:
    data = {"b": 1, "a": 2}
    assert JsonResponse(data, encoder=SortingEncoder).content == b'{"a":2,"b":1}'


def test_default_in_params_wins_over_encoder_like_stock() -> None:
    data = {"x": {1, 2}}
    params = {"default": sorted}
    ours = JsonResponse(data, json_dumps_params=params).content
    assert ours == stock_compact(data, params).content == b'{"x":[1,2]}'


@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        ({"a": "b"}, {"encoder": UpperEncoder}),
        ({"m": Money("1", "X")}, {"encoder": ExtraArgEncoder, "json_dumps_params": {"prefix": "$"}}),
        ({"x": float("nan"), "y": float("inf")}, {"json_dumps_params": {"allow_nan": True}}),
        ({(1, 2): "skipped", "k": 1}, {"json_dumps_params": {"skipkeys": True}}),
        ({"a": [1, 2]}, {"json_dumps_params": {"separators": (";", "=")}}),
    ],
    ids=["encode-override", "encoder-argument", "allow_nan", "skipkeys", "separators"],
)
def test_what_the_engine_does_not_cover_is_exactly_stock(data: Any, kwargs: dict[str, Any]) -> None:
    assert JsonResponse(data, **kwargs).content == DjangoJsonResponse(data, **kwargs).content


def test_unserializable_raises_type_error_like_stock() -> None:
    for cls in (DjangoJsonResponse, JsonResponse):
        with pytest.raises(TypeError, match="not JSON serializable"):
            cls({"x": object()})


def test_aware_time_raises_value_error_like_stock() -> None:
    data = {"t": datetime.time(1, 2, tzinfo=UTC)}
    for cls in (DjangoJsonResponse, JsonResponse):
        with pytest.raises(ValueError, match="timezone-aware"):
            cls(data)


def test_nan_is_refused() -> None:
    """Documented difference: stock writes the non-standard token NaN, webaccel raises."""
    assert DjangoJsonResponse({"x": float("nan")}).content == b'{"x": NaN}'
    with pytest.raises(ValueError):  # webaccel.json.JSONEncodeError
        JsonResponse({"x": float("nan")})


def test_nan_as_null_setting_reaches_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real_dumps = wjson.dumps

    def spy(obj: Any, **kwargs: Any) -> bytes:
        seen.append(kwargs["nan_as_null"])
        return real_dumps(obj, **kwargs)

    monkeypatch.setattr(wjson, "dumps", spy)
    JsonResponse({"a": 1})
    with override_settings(WEBACCEL={"JSON_NAN_AS_NULL": True}):
        JsonResponse({"a": 1})
    JsonResponse({"a": 1})
    assert seen == [False, True, False]


def _engine_writes_nan_as_null() -> bool:
    try:
        return wjson.dumps(float("nan"), nan_as_null=True) == b"null"
    except ValueError:
        return False


@pytest.mark.skipif(not _engine_writes_nan_as_null(), reason="this build of the engine ignores nan_as_null")
@override_settings(WEBACCEL={"JSON_NAN_AS_NULL": True})
def test_nan_as_null_writes_null() -> None:
    assert JsonResponse({"x": float("nan")}).content == b'{"x":null}'


def test_lazy_objects_other_than_strings_go_through_the_encoder() -> None:
    lazy_number = lazy(lambda: 42, int)()
    data = {"n": lazy_number}
    assert JsonResponse(data).content == stock_compact(data, {}).content == b'{"n":"42"}'


def test_through_the_test_client(client: Client) -> None:
    stock, ours = client.get("/stock"), client.get("/ours")
    assert ours.status_code == stock.status_code == 200
    assert ours.content == stock.content
    assert ours["Content-Type"] == "application/json"
    assert ours.json()["label"] == "Hello"
    listed = client.get("/ours-list")
    assert (listed.status_code, listed["X-Test"], listed.json()) == (201, "1", [1, 2, 3])


def _same_response(fast: Any, slow: Any) -> None:
    """The two responses hold the same state: same attributes with equal values, fresh
    mutable parts (nothing shared with another response)."""
    assert type(fast) is type(slow)
    assert set(vars(fast)) == set(vars(slow))
    for name, value in vars(slow).items():
        if name == "headers":
            assert type(fast.headers) is type(value) and vars(fast.headers) == vars(value)
        elif name == "cookies":
            assert type(fast.cookies) is type(value) and dict(fast.cookies) == dict(value)
        else:
            assert getattr(fast, name) == value, name
    assert fast.status_code == slow.status_code == 200
    assert fast.content == slow.content
    assert list(fast.items()) == list(slow.items())


@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_rendered_builds_what_the_constructor_builds(index: int) -> None:
    from webaccel.django.http import header_store

    link = '<http://testserver/items?page=2>; rel="next"'
    store = header_store(Link=link, X_Total="7")
    fast = JsonResponse._rendered(PAYLOADS[index], store)
    slow = JsonResponse(PAYLOADS[index])
    slow["Link"] = link
    slow["X-Total"] = "7"
    _same_response(fast, slow)
    # The store is copied and the mutable parts are the response's own.
    other = JsonResponse._rendered(PAYLOADS[index], store)
    fast["Link"] = "changed"
    fast.set_cookie("a", "b")
    fast._resource_closers.append(print)
    assert store["link"] == ("Link", link)
    assert other["Link"] == link and not other.cookies and not other._resource_closers
    assert other.headers is not fast.headers and other._container is not fast._container


def test_header_store_converts_and_checks_like_django() -> None:
    from django.http.response import BadHeaderError

    from webaccel.django.http import header_store

    value = "<http://testserver/caf\u00e9>; rel=\"next\""  # Latin-1: kept as it is
    fancy = "<http://testserver/\u65e5>"  # not Latin-1: MIME-encoded, as Django does
    store = header_store(Link=value, X_Other=fancy)
    slow = JsonResponse({})
    slow["Link"] = value
    slow["X-Other"] = fancy
    assert store == slow.headers._store
    with pytest.raises(BadHeaderError):
        header_store(Link="a\nb")


def test_rendered_falls_back_to_the_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    import webaccel.django.http as http_module

    assert http_module._plain_layout() is True  # this Django's HttpResponse is the known one
    monkeypatch.setattr(http_module, "_layout_ok", False)  # as if a Django changed it
    store = http_module.header_store(Link="<x>")
    fast = JsonResponse._rendered({"a": 1}, store)
    slow = JsonResponse({"a": 1})
    slow["Link"] = "<x>"
    _same_response(fast, slow)

    class Sub(JsonResponse):
        pass

    monkeypatch.setattr(http_module, "_layout_ok", None)
    sub = Sub._rendered({"a": 1}, store)  # a subclass always goes through its constructor
    assert type(sub) is Sub and sub.content == b'{"a":1}' and sub["Link"] == "<x>"

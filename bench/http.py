"""HTTP request parsing: webaccel.http against what the frameworks run today.

Query strings and ``urlencode`` against ``urllib.parse`` (FastAPI/Starlette, Flask/Werkzeug and
Django all end up there or in an equivalent), form bodies against the ``parse_qsl`` call Django's
``QueryDict`` makes, cookies against Django's ``parse_cookie``. Outputs are checked equal first.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Callable

from django.http.cookie import parse_cookie as django_parse_cookie  # type: ignore[import-untyped]

import webaccel.http
from bench._harness import Case, Table, WrongOutput

PACKAGES = ("django",)

QS10 = (
    "utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale&page=2&per_page=50"
    "&sort=-created_at&q=red+running+shoes&category=women%2Fshoes&price_min=10&price_max=200"
)


def _qs200() -> str:
    kinds = (
        lambda i: f"filter%5B{i}%5D=value+{i}",
        lambda i: f"ids={i * 7919}",
        lambda i: f"q{i}=caf%C3%A9+cr%C3%A8me",
        lambda i: f"field_{i}=plain-{i}",
    )
    return "&".join(kinds[i % 4](i) for i in range(200))


QS200 = _qs200()
FORM10 = (
    b"csrfmiddlewaretoken=Yb3kPq9ZlT0aW1xX4cV7nM2sD8fG6hJ5&username=jane.doe&email=jane%40example.com"
    b"&password1=s3cr3t%21pass&password2=s3cr3t%21pass&first_name=Jane&last_name=Do%C3%A9"
    b"&newsletter=on&country=FR&bio=Hello%2C+I+write+about+caf%C3%A9s."
)
COOKIE10 = (
    "csrftoken=Yb3kPq9ZlT0aW1xX4cV7nM2sD8fG6hJ5; sessionid=8w3k2l1m0n9b8v7c6x5z4a3s2d1f0g9h; "
    "_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000; theme=dark; lang=en-US; "
    'messages="W1siX19qc29uX21lc3NhZ2UiLDAsMjUsIkhlbGxvIl1d:1rXyZ"; tz=Europe/Paris; '
    "consent=analytics,ads; cart_id=4f1c2b3a-9d8e-4f7a-b6c5-1e2d3c4b5a69"
)
# A quoted cookie value full of backslashes (the CVE-2024-7592 shape): Django unquotes with
# http.cookies._unquote, quadratic on CPython releases without the fix (3.11.7 among them).
COOKIE_BACKSLASHES = 'a="' + "\\" * 10_000 + '"'


def _equal_to(expected: Any) -> Callable[[str, Any], None]:
    def check(_name: str, out: Any) -> None:
        if out != expected or type(out) is not type(expected):
            raise WrongOutput(f"{out!r:.120} instead of {expected!r:.120}")

    return check


def _django_form(body: bytes) -> list[tuple[str, str]]:
    # What QueryDict(body) runs (with Django's default settings), without building the QueryDict.
    text = body.decode("utf-8")
    return urllib.parse.parse_qsl(text, keep_blank_values=True, encoding="utf-8", max_num_fields=1000)


def _case(label: str, arg: Any, ours: Callable[[Any], Any], peer: tuple[str, Callable[[Any], Any]]) -> Case:
    name, fn = peer
    return Case(label, arg, {"webaccel": ours, name: fn}, _equal_to(fn(arg)))


def tables(quick: bool) -> list[Table]:
    h = webaccel.http
    up = urllib.parse
    query = [
        _case("parse_qsl, 10 fields", QS10, h.parse_qsl, ("urllib", up.parse_qsl)),
        _case("parse_qsl, 200 fields", QS200, h.parse_qsl, ("urllib", up.parse_qsl)),
        _case("parse_qs, 10 fields", QS10, h.parse_qs, ("urllib", up.parse_qs)),
        _case("urlencode, 10 pairs", dict(up.parse_qsl(QS10)), h.urlencode, ("urllib", up.urlencode)),
    ]
    form200 = QS200.encode()
    forms = [
        _case(f"10-field signup form ({len(FORM10)} B)", FORM10, h.parse_form, ("django", _django_form)),
        _case(f"200 fields ({len(form200)} B)", form200, h.parse_form, ("django", _django_form)),
    ]
    django_cookie = ("django", django_parse_cookie)
    cookies = [_case("10 cookies", COOKIE10, h.parse_cookie, django_cookie)]
    if not quick:
        label = "10,000 backslashes in a quoted value"
        cookies.append(_case(label, COOKIE_BACKSLASHES, h.parse_cookie, django_cookie))
    return [
        Table("http.query", "query strings against urllib.parse", query, peer="urllib"),
        Table(
            "http.parse_form",
            "urlencoded bodies against Django's QueryDict parsing",
            forms,
            peer="django",
            notes=[
                "django: `parse_qsl(body.decode(), keep_blank_values=True, encoding='utf-8', "
                "max_num_fields=1000)`, the call `QueryDict(body)` makes, without the QueryDict"
            ],
        ),
        Table("http.parse_cookie", "a Cookie header against Django's parse_cookie", cookies, peer="django"),
    ]

"""parse_form: Django's QueryDict parsing of urlencoded bodies, with limits checked before any
work and only `&` as the separator."""

from __future__ import annotations

import tracemalloc
import urllib.parse as up

import django
import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from webaccel import WebAccelError
from webaccel.http import FormError, parse_form

if not settings.configured:
    settings.configure(DATA_UPLOAD_MAX_NUMBER_FIELDS=None, DEFAULT_CHARSET="utf-8")
    django.setup()

from django.http import QueryDict  # noqa: E402


def reference(body: bytes, encoding: str = "utf-8", keep_blank_values: bool = True):
    """What Django's QueryDict does with a body, as an ordered list of pairs."""
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        text = body.decode("iso-8859-1")
    return up.parse_qsl(text, keep_blank_values=keep_blank_values, encoding=encoding)


def grouped(pairs):
    out = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


form_alphabet = st.sampled_from(
    [b"a", b"b", b"=", b"&", b";", b"+", b"%", b"%4", b"%41", b"%E9", b"%C3%A9", b"%FF", b"\xc3\xa9", b"\xff", b" "]
)
bodies = st.lists(form_alphabet, max_size=40).map(b"".join)


@given(bodies, st.booleans())
def test_generated_bodies_match_django(body, keep):
    ours = parse_form(body, keep_blank_values=keep)
    assert ours == reference(body, keep_blank_values=keep)
    if keep:
        assert grouped(ours) == dict(QueryDict(body).lists())


@given(bodies, st.sampled_from(["latin-1", "utf-16", "ascii", "cp1252"]))
def test_generated_other_encodings(body, encoding):
    try:
        expected = ("ok", reference(body, encoding))
    except Exception as e:  # noqa: BLE001
        expected = ("err", type(e))
    try:
        ours = ("ok", parse_form(body, encoding=encoding))
    except Exception as e:  # noqa: BLE001
        ours = ("err", type(e))
    assert ours == expected


def test_semicolon_is_not_a_separator():
    # CVE-2021-23336 / CVE-2026-53538 class: a proxy that splits on ';' must not see different
    # fields than the application.
    assert parse_form(b"a=1;b=2&c=3") == [("a", "1;b=2"), ("c", "3")]
    assert parse_form(b"a=1%3Bb=2") == [("a", "1;b=2")]


def test_bytearray_and_types():
    assert parse_form(bytearray(b"x=1")) == [("x", "1")]
    with pytest.raises(TypeError):
        parse_form("x=1")  # type: ignore[arg-type]


def test_size_limit_checked_first():
    body = b"a=" + b"x" * 3_000_000
    tracemalloc.start()
    with pytest.raises(FormError, match="max_size") as info:
        parse_form(body)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 1024
    assert isinstance(info.value, ValueError) and isinstance(info.value, WebAccelError)
    assert parse_form(body, max_size=None) == [("a", "x" * 3_000_000)]


def test_field_limit_checked_first():
    body = b"&" * 1_000_000
    tracemalloc.start()
    with pytest.raises(FormError, match="max_fields"):
        parse_form(body, max_size=None)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 1024
    assert parse_form(b"&".join([b"a=1"] * 1000)) == [("a", "1")] * 1000
    with pytest.raises(FormError):
        parse_form(b"&".join([b"a=1"] * 1001))
    assert len(parse_form(b"&".join([b"a=1"] * 1_000_000), max_fields=None, max_size=None)) == 1_000_000


def test_defaults_keep_blank_values():
    assert parse_form(b"a=&b&=c") == [("a", ""), ("b", ""), ("", "c")]
    assert parse_form(b"a=&b&=c", keep_blank_values=False) == [("", "c")]
    assert parse_form(b"") == []

"""parse_cookie against Django's django.http.cookie.parse_cookie: edge tables, generated headers
(quotes, backslashes, octal escapes, Unicode whitespace), every whitespace code point, hostile
backslash-heavy values (CVE-2024-7592) and the opt-in limits."""

from __future__ import annotations

import sys

import pytest
from django.http.cookie import parse_cookie as django_parse_cookie
from hypothesis import given
from hypothesis import strategies as st

from webaccel import WebAccelError
from webaccel.http import CookieError, parse_cookie


def same(header: str) -> None:
    ours = parse_cookie(header)
    ref = django_parse_cookie(header)
    assert ours == ref, header
    assert list(ours) == list(ref), header  # same key order (first occurrence keeps its place)


EDGE = [
    "", ";", " ; ; ", "=", "a", "a=", "=b", "a=b=c", "a=1; a=2; b=3; a=4", "  a  =  b  ",
    'a="b"', 'a=""', 'a="', 'a="\\"', 'a="\\\\"', 'a="\\012"', 'a="\\351"', 'a="\\400"', 'a="\\0"',
    'a="\\01"', 'a="\\3777"', 'a="x\\y"', 'a="\\\n"', 'a="\\\\012"', 'a="\\é"', 'a="\\日x"',
    'a=x"y"', 'a="b" ', 'a= "b"', "a=\x1c1\x1c", "a=\xa01\u3000", "\x85a=b\u2028",
    "a=\u200b", "csrftoken=abc; sessionid=xyz; messages=\"a\\054b\"", "a=b\x00c", "é=ü",
    "a=\udc80", '\ud800="\\\ud800"',
]


@pytest.mark.parametrize("header", EDGE)
def test_edge_table(header):
    same(header)


def test_every_whitespace_code_point():
    # str.strip() has Python's own idea of whitespace (it includes U+001C..U+001F): check all
    # code points, a few thousand per header.
    cps = [c for c in range(sys.maxunicode + 1) if not (0xD800 <= c <= 0xDFFF) and chr(c) not in ";="]
    for start in range(0, len(cps), 4096):
        chunk = cps[start : start + 4096]
        header = ";".join(f"k{c}={chr(c)}v{chr(c)}" for c in chunk)
        same(header)
        same(";".join(f"{chr(c)}k{c}{chr(c)}=v" for c in chunk))


cookie_alphabet = st.sampled_from(
    ['"', "\\", "\\0", "\\1", "\\3", "\\4", "7", "12", "=", ";", " ", "\t", "\n", "a", "b", "é",
     "\x1c", "\xa0", "\u3000", "\\\n", ",", "$"]
)
headers = st.lists(cookie_alphabet, max_size=40).map("".join)


@given(headers)
def test_generated_headers(header):
    same(header)


@given(st.lists(st.tuples(st.text("abc", min_size=1, max_size=3), st.lists(cookie_alphabet, max_size=12).map("".join)), max_size=6))
def test_generated_quoted_values(pairs):
    same("; ".join(f'{k}="{v}"' for k, v in pairs))


@given(st.text(max_size=50))
def test_generated_any_text(header):
    same(header)


def test_backslash_heavy_megabyte_value():
    # CVE-2024-7592: stdlib's _unquote restarts its regex searches at every escape and is
    # quadratic here. The engine makes one pass (rust/http/cookie.rs `unquote`); its speed is
    # measured in bench, and here the result is checked against the same value built cheaply.
    n = 1 << 20
    value = '"' + "\\" * n + '"'
    assert parse_cookie("a=" + value) == {"a": "\\" * (n // 2)}
    mixed = '"' + "\\012\\\\\\\"x" * (n // 9) + '"'
    assert parse_cookie("b=" + mixed) == {"b": '\n\\"x' * (n // 9)}


def test_opt_in_limits():
    header = "; ".join(f"c{i}=v" for i in range(100))
    assert len(parse_cookie(header)) == 100  # no limit by default, like Django
    with pytest.raises(CookieError) as info:
        parse_cookie(header, max_cookies=50)
    assert isinstance(info.value, ValueError) and isinstance(info.value, WebAccelError)
    with pytest.raises(CookieError):
        parse_cookie(header, max_size=100)
    assert len(parse_cookie(header, max_size=len(header), max_cookies=100)) == 100


def test_non_str_refused():
    with pytest.raises(TypeError):
        parse_cookie(b"a=b")  # type: ignore[arg-type]

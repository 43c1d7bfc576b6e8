"""Header parsing: parse_options_header and parse_accept / best_match against werkzeug 3.1.9
(tables of real headers and generated ones), the linear-time refusal of hostile quoted values
(CVE-2024-24762), raw header blocks and ASGI header lists."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.datastructures import Accept as WAccept
from werkzeug.http import parse_accept_header as w_parse_accept
from werkzeug.http import parse_options_header as w_parse_options

from webaccel.http import (
    HeaderError,
    HTTPParseError,
    best_match,
    headers_from_asgi,
    parse_accept,
    parse_header_block,
    parse_options_header,
)

REAL_OPTIONS = [
    "text/html; charset=UTF-8",
    "text/html;charset=utf-8",
    "application/json",
    "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
    'multipart/form-data; boundary="simple boundary"',
    'form-data; name="file"; filename="report.pdf"',
    'form-data; name="file"; filename="C:\\\\Users\\\\me\\\\a.txt"',
    'form-data; name="f"; filename="quote\\"d.txt"',
    'form-data; name="f"; filename="%22pct%22.txt"',
    "attachment; filename*=UTF-8''%E2%82%AC%20rates.txt",
    "attachment; filename=\"EURO rates.txt\"; filename*=utf-8''%e2%82%ac%20rates.txt",
    "attachment; filename*=iso-8859-1'en'%A3%20rates",
    "attachment; filename*=koi8-r''%F0%D2%C9",
    "attachment; filename*0*=UTF-8''%E2%82%AC; filename*1=%20x; filename*2=.txt",
    "message/external-body; access-type=URL; URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub\"",
    "text/plain; format=flowed; delsp=yes",
    "application/x-www-form-urlencoded ; charset = utf-8",
    "text/plain; charset",
    "text/plain; =x; a=1",
    '; a=1',
    'text/plain; a="unclosed',
    "text/plain; A=1; a=2",
    "",
    "  ",
    "text/plain;",
]


@pytest.mark.parametrize("header", REAL_OPTIONS)
def test_options_real_headers(header):
    assert parse_options_header(header) == w_parse_options(header)


def test_options_none():
    assert parse_options_header(None) == ("", {})


options_alphabet = st.sampled_from(
    ["a", "B", "1", ";", "=", '"', "\\", "*", "*0", "*1", "'", "%", "%22", "%E2%82%AC", "%ff", "%4", " ",
     "\t", "utf-8''", "UTF-8'en'", "iso-8859-1''", "ascii''", "x''", ",", "/", "é", "€", "\x00", "\n",
     "name", "filename", "q", "\ud800"]
)


@settings(max_examples=1500)
@given(st.lists(options_alphabet, max_size=30).map("".join))
def test_options_generated(header):
    assert parse_options_header(header) == w_parse_options(header)


def test_options_hostile_unclosed_quote():
    # CVE-2024-24762: an unclosed quoted value full of backslashes. 1 MB, parsed in one pass
    # (timed in bench/, only correctness here).
    value = 'form-data; name="' + "\\" * (1 << 20)
    assert parse_options_header(value) == ("form-data", {})
    value = "form-data; " + 'a="\\";' * 150_000
    assert parse_options_header(value) == w_parse_options(value)


def test_options_many_parameters():
    value = "x; " + "; ".join(f"k{i}=v{i}" for i in range(20_000))
    assert parse_options_header(value) == w_parse_options(value)


REAL_ACCEPT = [
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "application/json, text/plain, */*",
    "*/*",
    "text/*;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5",
    "text/html;q=1.5, text/plain;q=-1, application/json;q=abc, image/png;q=0.0001",
    "application/json;q=0",
    'text/html; charset="utf-8"; q=0.5, text/plain; format="a b"',
    "gzip, deflate, br, zstd",
    "gzip;q=1.0, identity; q=0.5, *;q=0",
    "en-US,en;q=0.9,fr;q=0.8",
    "de-CH, de;q=0.9, en;q=0.8, *;q=0.5",
    "",
    ",,,",
    '"text/html", text/plain',
    'text/html; a="unclosed, text/plain',
]

KINDS = {"mime": MIMEAccept, "language": LanguageAccept, "encoding": WAccept}


@pytest.mark.parametrize("header", REAL_ACCEPT)
@pytest.mark.parametrize("kind", list(KINDS))
def test_accept_real_headers(header, kind):
    assert parse_accept(header, kind) == list(w_parse_accept(header, KINDS[kind]))


accept_alphabet = st.sampled_from(
    ["text", "html", "json", "application", "*", "/", ",", ";", "q=", "0", "1", ".", "5", "-", "=",
     " ", "\t", '"', "\\", "level", "en", "US", "_", "gzip", "é", "Q", "e"]
)
accept_headers = st.lists(accept_alphabet, max_size=25).map("".join)


@settings(max_examples=1500)
@given(accept_headers, st.sampled_from(list(KINDS)))
def test_accept_generated(header, kind):
    assert parse_accept(header, kind) == list(w_parse_accept(header, KINDS[kind]))


MIME_SERVER = ["text/html", "application/json", "text/plain", "image/png", "text/html;level=1",
               "*/*", "application/xml", "TEXT/HTML"]
LANG_SERVER = ["en", "en-US", "en_GB", "fr", "fr-CA", "de", "de-CH", "pt-BR"]
ENC_SERVER = ["gzip", "br", "zstd", "identity", "deflate", "GZIP"]


def w_best(header, available, kind, default=None):
    return w_parse_accept(header, KINDS[kind]).best_match(available, default)


def same_best(header, available, kind):
    try:
        expected = w_best(header, available, kind, "D")
    except ValueError as e:
        with pytest.raises(HeaderError) as info:
            best_match(header, available, "D", kind=kind)
        assert str(info.value) == str(e)
        return
    assert best_match(header, available, "D", kind=kind) == expected


@pytest.mark.parametrize("header", REAL_ACCEPT)
def test_best_match_real_headers(header):
    for kind, server in (("mime", MIME_SERVER), ("language", LANG_SERVER), ("encoding", ENC_SERVER)):
        for i in range(len(server)):
            same_best(header, server[i:] + server[:i], kind)
            same_best(header, server[:i], kind)


@settings(max_examples=1500)
@given(accept_headers, st.sampled_from(list(KINDS)), st.data())
def test_best_match_generated(header, kind, data):
    pool = {"mime": MIME_SERVER + ["text/*", "html"], "language": LANG_SERVER, "encoding": ENC_SERVER}[kind]
    available = data.draw(st.lists(st.sampled_from(pool), max_size=5))
    same_best(header, available, kind)


def test_best_match_semantics():
    assert best_match("text/html;q=0, */*", ["text/html", "application/json"]) == "application/json"
    assert best_match("text/*", ["application/json", "text/csv"]) == "text/csv"
    assert best_match("application/json;q=0", ["application/json"], "nope") == "nope"
    assert best_match(None, ["text/html"]) is None
    assert best_match("en-US", ["en", "fr"], kind="language") == "en"
    assert best_match("en", ["fr", "en-GB"], kind="language") == "en-GB"
    with pytest.raises(HeaderError, match="invalid mimetype"):
        best_match("text/html", ["html"])
    with pytest.raises(ValueError, match="kind"):
        best_match("gzip", ["gzip"], kind="charset")


# ---------------------------------------------------------------------------------------------
# Header blocks


def test_header_block_basic():
    block = b"Host: example.com\r\nContent-Type:  text/html ; charset=utf-8 \r\nX-Empty:\r\nX-A: caf\xe9\r\n\r\n"
    assert parse_header_block(block) == [
        ("Host", "example.com"),
        ("Content-Type", "text/html ; charset=utf-8"),
        ("X-Empty", ""),
        ("X-A", "café"),
    ]
    assert parse_header_block(b"") == []
    assert parse_header_block(b"A: 1\nB: 2") == [("A", "1"), ("B", "2")]
    assert parse_header_block(bytearray(b"A: 1\r\n")) == [("A", "1")]


@pytest.mark.parametrize(
    "block, message",
    [
        (b"A: 1\r\n folded\r\n", "obs-fold"),
        (b"A: 1\r\n\tfolded\r\n", "obs-fold"),
        (b" A: 1\r\n", "obs-fold"),
        (b"A : 1\r\n", "token"),
        (b"A\x00: 1\r\n", "token"),
        (b"(A): 1\r\n", "token"),
        (b": 1\r\n", "token"),
        (b"no colon\r\n", "token"),
        (b"A: 1\rSet-Cookie: x=1\r\n", "CR not followed by LF"),
        (b"A: 1\x00\r\n", "control character"),
        (b"A: 1\x7f\r\n", "control character"),
        (b"A: 1\r\n\r\nB: 2\r\n", "after the empty line"),
    ],
)
def test_header_block_refused(block, message):
    with pytest.raises(HeaderError, match=message) as info:
        parse_header_block(block)
    assert isinstance(info.value, HTTPParseError) and isinstance(info.value, ValueError)


def test_header_block_limits():
    many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
    with pytest.raises(HeaderError, match="max_headers=100"):
        parse_header_block(many)
    assert len(parse_header_block(many, max_headers=101)) == 101
    with pytest.raises(HeaderError, match="max_line=8190"):
        parse_header_block(b"A: " + b"x" * 8190)
    assert parse_header_block(b"A: " + b"x" * 8187) == [("A", "x" * 8187)]
    with pytest.raises(HeaderError, match="max_size=65536"):
        parse_header_block(b"A: b\r\n" * 20_000)
    with pytest.raises(HeaderError, match="max_size=10"):
        parse_header_block(b"Host: example.com", max_size=10)
    with pytest.raises(TypeError):
        parse_header_block("Host: x")  # type: ignore[arg-type]


def test_headers_from_asgi():
    scope_headers = [
        (b"Host", b"example.com"),
        (b"accept", b"text/html"),
        (b"Accept", b"application/json"),
        (b"cookie", b"a=1"),
        (b"cookie", b"b=2"),
        (b"set-cookie", b"x=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT"),
        (b"set-cookie", b"y=2"),
        (b"x-latin", b"caf\xe9"),
    ]
    assert headers_from_asgi(scope_headers) == {
        "host": "example.com",
        "accept": "text/html, application/json",
        "cookie": "a=1; b=2",
        "set-cookie": "x=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT\ny=2",
        "x-latin": "café",
    }
    assert headers_from_asgi([("X-Str", "v")]) == {"x-str": "v"}
    with pytest.raises(TypeError):
        headers_from_asgi([(1, b"x")])


# ---------------------------------------------------------------------------------------------
# Authorization, Basic credentials, Cache-Control

import base64  # noqa: E402

from webaccel.http import parse_authorization, parse_basic_auth, parse_cache_control  # noqa: E402


def test_parse_authorization():
    assert parse_authorization("Bearer abc.def-ghi") == ("bearer", "abc.def-ghi")
    assert parse_authorization("BASIC dXNlcjpwYXNz") == ("basic", "dXNlcjpwYXNz")
    assert parse_authorization("  Digest  username=\"a\", realm=\"b\"  ") == ("digest", 'username="a", realm="b"')
    assert parse_authorization("Negotiate") == ("negotiate", "")
    for bad in ["", "   ", "Bea(rer x", "Bearer a\r\nX-Injected: 1", "Bearer \x00"]:
        with pytest.raises(HeaderError):
            parse_authorization(bad)


def test_parse_basic_auth():
    enc = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    assert parse_basic_auth(enc("user:pass")) == ("user", "pass")
    assert parse_basic_auth(enc("user:pa:ss")) == ("user", "pa:ss")
    assert parse_basic_auth(enc(":")) == ("", "")
    assert parse_basic_auth(enc("jürgen:€uro")) == ("jürgen", "€uro")
    werkzeug_header = "Basic " + enc("a:b")
    scheme, creds = parse_authorization(werkzeug_header)
    assert scheme == "basic" and parse_basic_auth(creds) == ("a", "b")
    for bad, why in [
        (enc("nocolon"), "no ':'"),
        ("dXNlcjpwYXNz!", "base64"),
        ("dXNlcjpwYXN", "base64"),  # missing padding
        ("dXNl cjpwYXNz", "base64"),
        (base64.b64encode(b"\xff:x").decode(), "UTF-8"),
        (enc("a\n:b"), "control"),
        ("YR==", "base64"),  # non-canonical trailing bits
    ]:
        with pytest.raises(HeaderError, match=why):
            parse_basic_auth(bad)
    with pytest.raises(HeaderError, match="max_size=8"):
        parse_basic_auth(enc("user:password"), max_size=8)


@given(st.text(), st.text())
def test_basic_auth_roundtrip(user, password):
    user = user.replace(":", "")
    creds = base64.b64encode(f"{user}:{password}".encode("utf-8", "surrogatepass")).decode()
    text = f"{user}:{password}"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text) or any(
        c.isprintable() is False and (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) for c in text
    ):
        with pytest.raises(HeaderError):
            parse_basic_auth(creds)
    else:
        assert parse_basic_auth(creds) == (user, password)


def test_parse_cache_control():
    assert parse_cache_control("no-cache, no-store, max-age=0, must-revalidate") == {
        "no-cache": None, "no-store": None, "max-age": "0", "must-revalidate": None,
    }
    assert parse_cache_control('Max-Age=60, private="set-cookie, x", s-maxage = 10') == {
        "max-age": "60", "private": "set-cookie, x", "s-maxage": "10",
    }
    # Repeated directive: the first wins.
    assert parse_cache_control("max-age=60, max-age=0") == {"max-age": "60"}
    # Invalid directives are skipped.
    assert parse_cache_control('a b, =x, x="unclosed, y=1') == {}
    assert parse_cache_control('x="a\\"b", y=, z=1') == {"x": 'a"b', "z": "1"}
    assert parse_cache_control(",, ,") == {}
    assert parse_cache_control(None) == {}


@settings(max_examples=500)
@given(st.text(max_size=40), st.sampled_from(list(KINDS)))
def test_arbitrary_text_matches_werkzeug(text, kind):
    assert parse_options_header(text) == w_parse_options(text)
    assert parse_accept(text, kind) == list(w_parse_accept(text, KINDS[kind]))


# --- headers_from_asgi limits -----------------------------------------------------------------

def test_headers_from_asgi_header_count_limit():
    pairs = [(b"x-%d" % i, b"v") for i in range(100)]
    assert len(headers_from_asgi(pairs)) == 100
    with pytest.raises(HeaderError, match="max_headers=100") as e:
        headers_from_asgi(pairs + [(b"one-more", b"v")])
    assert e.value.limit == "max_headers"
    assert len(headers_from_asgi(pairs * 3, max_headers=None)) == 100
    with pytest.raises(HeaderError):
        headers_from_asgi([(b"a", b"1")] * 3, max_headers=2)


def test_headers_from_asgi_total_size_limit():
    pairs = [(b"cookie", b"a" * 30000), (b"x", b"b" * 30000)]
    assert headers_from_asgi(pairs)["x"] == "b" * 30000
    with pytest.raises(HeaderError, match="max_size=65536") as e:
        headers_from_asgi(pairs + [(b"y", b"c" * 6000)])
    assert e.value.limit == "max_size"
    # names count too; the pair that crosses the limit is refused, exactly at the boundary
    assert headers_from_asgi([(b"ab", b"cd")], max_size=4) == {"ab": "cd"}
    with pytest.raises(HeaderError):
        headers_from_asgi([(b"ab", b"cde")], max_size=4)
    assert headers_from_asgi([(b"a", b"b" * 10**6)], max_size=None)["a"] == "b" * 10**6


def test_headers_from_asgi_stops_reading_a_hostile_iterable_at_the_limit():
    consumed = 0

    def endless():
        nonlocal consumed
        while True:
            consumed += 1
            yield (b"x", b"y")

    with pytest.raises(HeaderError):
        headers_from_asgi(endless(), max_headers=50)
    assert consumed == 51


def test_limit_attribute_is_none_for_malformed_input():
    with pytest.raises(HeaderError) as e:
        parse_header_block(b"Host: a\r\n folded\r\n")
    assert e.value.limit is None
    with pytest.raises(HeaderError) as e:
        parse_header_block(b"A: 1\r\n" * 5, max_headers=2)
    assert e.value.limit == "max_headers"

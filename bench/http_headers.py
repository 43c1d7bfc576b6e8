"""Header parsing: webaccel.http against werkzeug 3.1.9 (what Flask runs, and what the results are
checked equal to) and the stdlib header parser.

``parse_options_header`` on real ``Content-Type`` / ``Content-Disposition`` values and on a 1 MB
unclosed quoted value of backslashes (CVE-2024-24762); negotiation as a request does it (parse the
``Accept*`` header, then ``best_match``); a raw header block against ``http.client.parse_headers``.
Outputs are checked equal first.
"""

from __future__ import annotations

import http.client
import io
from typing import Any, Callable

from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

import webaccel.http
from bench._harness import Case, Table, WrongOutput

PACKAGES = ("werkzeug",)

CONTENT_TYPE = "text/html; charset=UTF-8"
MULTIPART = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"
DISPOSITION = "attachment; filename=\"EURO rates.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt"
HOSTILE = 'form-data; name="' + "\\" * (1 << 20)  # 1 MB, unclosed

CHROME_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"
API_ACCEPT = "application/json, text/plain, */*"
LANGUAGE = "de-CH,de;q=0.9,fr-CH;q=0.8,fr;q=0.7,en-US;q=0.6,en;q=0.5"
OFFERS = ["application/json", "text/html"]
LANG_OFFERS = ["en", "fr", "de"]

BLOCK = (
    b"Host: example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
    b"Connection: keep-alive\r\n"
    b"Cookie: csrftoken=Yb3kPq9ZlT0aW1xX4cV7nM2sD8fG6hJ5; sessionid=8w3k2l1m0n9b8v7c6x5z4a3s2d1f0g9h\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Dest: document\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"\r\n"
)


def _equal_to(expected: Any) -> Callable[[str, Any], None]:
    def check(_name: str, out: Any) -> None:
        if out != expected:
            raise WrongOutput(f"{out!r:.120} instead of {expected!r:.120}")

    return check


def _case(label: str, arg: Any, ours: Callable[[Any], Any], peer: tuple[str, Callable[[Any], Any]]) -> Case:
    name, fn = peer
    return Case(label, arg, {"webaccel": ours, name: fn}, _equal_to(fn(arg)))


def _stdlib_block(data: bytes) -> list[tuple[str, str]]:
    return list(http.client.parse_headers(io.BytesIO(data)).items())


def tables(quick: bool) -> list[Table]:
    h = webaccel.http
    options = [
        _case("Content-Type with charset", CONTENT_TYPE, h.parse_options_header, ("werkzeug", parse_options_header)),
        _case("multipart boundary", MULTIPART, h.parse_options_header, ("werkzeug", parse_options_header)),
        _case("Content-Disposition, filename*", DISPOSITION, h.parse_options_header, ("werkzeug", parse_options_header)),
        _case(
            "1 MB unclosed quote of backslashes",
            HOSTILE if not quick else HOSTILE[: 1 << 14],
            h.parse_options_header,
            ("werkzeug", parse_options_header),
        ),
    ]
    negotiation = [
        _case(
            "Chrome Accept, 2 offers",
            CHROME_ACCEPT,
            lambda v: h.best_match(v, OFFERS),
            ("werkzeug", lambda v: parse_accept_header(v, MIMEAccept).best_match(OFFERS)),
        ),
        _case(
            "API client Accept, 2 offers",
            API_ACCEPT,
            lambda v: h.best_match(v, OFFERS),
            ("werkzeug", lambda v: parse_accept_header(v, MIMEAccept).best_match(OFFERS)),
        ),
        _case(
            "Accept-Language (6 tags), 3 offers",
            LANGUAGE,
            lambda v: h.best_match(v, LANG_OFFERS, kind="language"),
            ("werkzeug", lambda v: parse_accept_header(v, LanguageAccept).best_match(LANG_OFFERS)),
        ),
        _case(
            "parse_accept, Chrome Accept",
            CHROME_ACCEPT,
            h.parse_accept,
            ("werkzeug", lambda v: list(parse_accept_header(v, MIMEAccept))),
        ),
    ]
    block = [
        _case("browser request, 10 fields", BLOCK, h.parse_header_block, ("http.client", _stdlib_block)),
    ]
    return [
        Table("http.parse_options_header", "header str in, (value, params) out", options, peer="werkzeug"),
        Table(
            "http.best_match",
            "Accept header and offers in, chosen offer out (parse + match, as per request)",
            negotiation,
            peer="werkzeug",
        ),
        Table(
            "http.parse_header_block",
            "raw header bytes in, (name, value) pairs out",
            block,
            peer="http.client",
            notes=["http.client.parse_headers validates less (it accepts obs-fold and bare CR)."],
        ),
    ]

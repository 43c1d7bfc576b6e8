"""The page links of ``link_header``/``envelope`` are built from one parse of the request URL
(``_PageURLs``); each must be exactly what ``replace_query`` gives for that page, on generated
URLs (duplicate, missing and unusual parameters, non-ASCII paths, fragments)."""

from __future__ import annotations

import string
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from webaccel.pagination import Paginator, _PageURLs, envelope, link_header, replace_query

TEXT = st.text(alphabet=string.printable + "éü€ ", max_size=8)
KEYS = st.sampled_from(["page", "page_size", "p", "n", "q", "a b"]) | TEXT
BASES = st.sampled_from(["http://h:8/x y/é", "https://ex.com/items", "/rel/path", "http://[::1]:80/a%20b", ""])


@settings(max_examples=500)
@given(st.lists(st.tuples(KEYS, TEXT), max_size=6), BASES, st.booleans(), st.integers(1, 10**9), st.integers(1, 500),
       st.sampled_from([("page", "page_size"), ("p", "n"), ("a b", "é")]))
def test_each_page_url_is_replace_query(pairs: list[tuple[str, str]], base: str, fragment: bool, page: int,
                                        size: int, params: tuple[str, str]) -> None:
    url = base + ("?" + urlencode(pairs) if pairs else "") + ("#top" if fragment else "")
    page_param, size_param = params
    assert _PageURLs(url, page_param, size_param)(page, size) == replace_query(url, {page_param: page, size_param: size})
    assert _PageURLs(url, page_param, size_param)(None, size) is None


@settings(max_examples=200)
@given(st.lists(st.tuples(KEYS, TEXT), max_size=4), st.integers(0, 120), st.integers(1, 12), st.integers(1, 30))
def test_link_header_and_envelope_name_every_page(pairs: list[tuple[str, str]], total: int, number: int, size: int) -> None:
    url = "http://api.example/items?" + urlencode(pairs)
    try:
        p = Paginator(number, size, total)
    except ValueError:  # past the last page
        return
    links = {rel: u for u, rel in (part.split(">; rel=") for part in link_header(url, p).split(", "))}
    expected = {'"first"': 1, '"prev"': p.prev_page, '"next"': p.next_page, '"last"': max(p.total_pages, 1)}
    assert links == {rel: "<" + replace_query(url, {"page": n, "page_size": p.page_size})
                     for rel, n in expected.items() if n is not None}
    body = envelope([], p, url=url)
    for key, n in (("next", p.next_page), ("prev", p.prev_page)):
        assert body[key] == (None if n is None else replace_query(url, {"page": n, "page_size": p.page_size}))


def test_link_header_repeated_for_the_same_url_names_each_pages_own_links() -> None:
    # the header is remembered per (url, params, size, prev, next, last): asked again, and for
    # other pages of the same URL, it must still be each page's own
    url = "http://api.example/items?q=1&page=9"
    cases = [(1, 10, 5), (1, 10, 25), (2, 10, 25), (3, 10, 25), (2, 5, 25), (2, 10, 26), (1, 10, 0), (2, 10, 25)]
    for number, size, total in cases * 2:
        p = Paginator(number, size, total)
        expected = {"first": 1, "prev": p.prev_page, "next": p.next_page, "last": max(p.total_pages, 1)}
        assert link_header(url, p) == ", ".join(
            f'<{replace_query(url, {"page": n, "page_size": size})}>; rel="{rel}"'
            for rel, n in expected.items() if n is not None
        )

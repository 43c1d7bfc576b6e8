"""json.dumps(ensure_ascii=True) on text that is mostly ASCII with exceptions: the SIMD escape of
PEP 393 kind 1, 2 and 4 strings must write exactly stdlib's text (lowercase ``\\uXXXX``, surrogate
pairs beyond the BMP, lone surrogates as their own escape), wherever the exceptions fall."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from e2e import data  # examples/e2e: the page the end-to-end apps serve (on pytest's pythonpath)

from webaccel.json import dumps, dumps_str


def stdlib(obj, ensure_ascii: bool = True) -> str:
    return json.dumps(obj, ensure_ascii=ensure_ascii, separators=(",", ":"), allow_nan=False)


def check_ascii(obj) -> None:
    want = stdlib(obj)
    assert dumps(obj, ensure_ascii=True) == want.encode()
    assert dumps_str(obj, ensure_ascii=True) == want
    assert dumps(obj, ensure_ascii=True, sort_keys=True) == json.dumps(
        obj, ensure_ascii=True, separators=(",", ":"), sort_keys=True
    ).encode()


# The classes of code points the escape treats differently: printable ASCII, the ASCII that must
# be escaped (controls, quote, backslash, DEL), latin-1, the rest of the BMP (including U+FFFF and
# the PEP 393 kind-2 upper half), astral code points and lone surrogates.
printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
ascii_special = st.sampled_from(['"', "\\", "\x00", "\x01", "\b", "\t", "\n", "\f", "\r", "\x1f", "\x7f"])
latin1 = st.characters(min_codepoint=0x80, max_codepoint=0xFF)
bmp = st.characters(min_codepoint=0x100, max_codepoint=0xFFFF, exclude_categories=("Cs",)) | st.sampled_from(
    ["\u0100", "\u07ff", "\u0800", "\u7fff", "\u8000", "\ufffd", "\ufeff", "\uffff", "\u2028"]
)
astral = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF) | st.sampled_from(["\U00010000", "😀", "\U0010ffff"])
surrogate = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"])
exception = ascii_special | latin1 | bmp | astral | surrogate

# Runs of printable ASCII (the SIMD blocks' common case) between exceptions, so that the
# exceptions land at every offset of a 16-unit block, alone or in clusters.
mostly_ascii = st.lists(
    st.tuples(st.text(printable, max_size=40), st.text(exception, min_size=0, max_size=3)), max_size=8
).map(lambda runs: "".join(a + b for a, b in runs))
any_mix = st.text(printable | exception, max_size=120)
texts = mostly_ascii | any_mix


@settings(max_examples=600)
@given(texts)
def test_ensure_ascii_text_matches_stdlib(s):
    check_ascii(s)
    check_ascii([s, s + "é", "€" + s, s + "😀"])
    check_ascii({s: s, "k" + s: [s]})


@given(st.lists(texts, max_size=6), st.dictionaries(texts, texts, max_size=6))
def test_ensure_ascii_containers_match_stdlib(items, mapping):
    check_ascii({"items": items, "map": mapping, "n": 1})


@given(mostly_ascii.filter(lambda s: not any("\ud800" <= c <= "\udfff" for c in s)))
def test_plain_output_unchanged(s):
    # ensure_ascii=False on the same text keeps writing UTF-8 exactly as stdlib.
    want = stdlib(s, ensure_ascii=False)
    assert dumps(s) == want.encode()
    assert dumps_str(s) == want


def test_every_kind_every_position():
    # One exception of each class at every position of strings up to 80 code points, for each
    # PEP 393 kind (the kind is set by the widest code point, so a wide one is added at the end).
    for widen in ["", "é", "€", "😀"]:
        for n in range(0, 81):
            base = "".join(chr(0x20 + (i * 7) % 0x5F) for i in range(n)).replace('"', "A").replace("\\", "B")
            for c in ['"', "\\", "\x00", "\x7f", "\x80", "ÿ", "Ā", "\ud800", "\uffff", "😀"]:
                for pos in {0, n // 3, n // 2, max(n - 1, 0), n}:
                    check_ascii(base[:pos] + c + base[pos:] + widen)


def test_e2e_envelope():
    env = {"items": data.ITEMS[:50], "page": 1, "page_size": 50, "total_items": 50, "total_pages": 1,
           "next": None, "prev": None}
    check_ascii(env)
    assert dumps(env) == stdlib(env, ensure_ascii=False).encode()

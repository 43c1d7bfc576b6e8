"""multipart/form-data: parity with python-multipart on well-formed bodies in any chunking, and
each known attack class refused with MultipartError in bounded memory (the parser's own buffer
stays bounded; Python allocations measured with tracemalloc). Time is never asserted."""

from __future__ import annotations

import os
import random
import tracemalloc

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from python_multipart.multipart import MultipartParser as PMParser
from python_multipart.multipart import parse_options_header

from webaccel import WebAccelError
from webaccel.errors import HTTPParseError
from webaccel.http import MultipartError, MultipartParser, Part, parse_multipart

# Spooled files left open would be collected with a ResourceWarning: every test closes them, and
# the parser closes the file of a part it abandons on an error.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning", "error::ResourceWarning")

B = "b0undaryXYZ"
CT = f"multipart/form-data; boundary={B}"


def build(parts, boundary: str = B, preamble: bytes = b"", epilogue: bytes = b"\r\n") -> bytes:
    """parts: (name, filename | None, content_type | None, data) with quotes escaped as `\\"`."""
    out = [preamble]
    for name, filename, ctype, data in parts:
        esc = lambda s: s.replace("\\", "\\\\").replace('"', '\\"')  # noqa: E731
        cd = f'form-data; name="{esc(name)}"'
        if filename is not None:
            cd += f'; filename="{esc(filename)}"'
        head = f"--{boundary}\r\nContent-Disposition: {cd}\r\n"
        if ctype is not None:
            head += f"Content-Type: {ctype}\r\n"
        out.append(head.encode() + b"\r\n" + data + b"\r\n")
    out.append(f"--{boundary}--".encode() + epilogue)
    return b"".join(out)


def text(b: bytes) -> str:
    try:
        return b.decode()
    except UnicodeDecodeError:
        return b.decode("latin-1")


def reference(body: bytes, boundary: str = B):
    """python-multipart's raw parser, reduced to (name, filename, content_type, headers, data)."""
    parts = []
    cur: dict = {}

    def on_part_begin():
        cur.update(headers=[], data=bytearray(), hf=bytearray(), hv=bytearray())

    def on_header_field(d, s, e):
        cur["hf"] += d[s:e]

    def on_header_value(d, s, e):
        cur["hv"] += d[s:e]

    def on_header_end():
        cur["headers"].append((bytes(cur["hf"]), bytes(cur["hv"])))
        cur["hf"], cur["hv"] = bytearray(), bytearray()

    def on_part_data(d, s, e):
        cur["data"] += d[s:e]

    def on_part_end():
        hs = cur["headers"]
        cd = next(v for k, v in hs if k.lower() == b"content-disposition")
        _, opts = parse_options_header(cd)
        ct = next((v for k, v in hs if k.lower() == b"content-type"), None)
        fn = opts.get(b"filename")
        parts.append(
            (
                text(opts[b"name"]),
                None if fn is None else text(fn),
                None if ct is None else text(ct),
                [(text(k), text(v)) for k, v in hs],
                bytes(cur["data"]),
            )
        )

    cbs = dict(
        on_part_begin=on_part_begin,
        on_header_field=on_header_field,
        on_header_value=on_header_value,
        on_header_end=on_header_end,
        on_part_data=on_part_data,
        on_part_end=on_part_end,
    )
    p = PMParser(boundary, cbs)
    p.write(body)
    p.finalize()
    return parts


def content(p: Part) -> bytes:
    if p.file is not None:
        assert p.file.tell() == 0
        data = p.file.read()
        p.file.close()
        return data
    assert p.data is not None
    return p.data


def view(parts):
    return [(p.name, p.filename, p.content_type, p.headers, content(p)) for p in parts]


def stream(body: bytes, cuts, boundary: str = B, **kw):
    parser = MultipartParser(boundary, **kw)
    out = []
    prev = 0
    for c in sorted(cuts) + [len(body)]:
        out += parser.feed(body[prev:c])
        prev = c
    parser.close()
    return out


# ---------------------------------------------------------------------------------------------
# Well-formed bodies

SIMPLE = [
    ("title", None, None, b"Hello"),
    ("bio", None, "text/plain; charset=utf-8", "caf\u00e9 \u2603\r\nline".encode()),
    ("upload", 'r\u00e9sum\u00e9 "v2".pdf', "application/pdf", os.urandom(3000)),
]


def test_simple_body_matches_python_multipart():
    body = build(SIMPLE)
    parts = parse_multipart(body, CT)
    assert view(parts) == reference(body)
    assert [p.name for p in parts] == ["title", "bio", "upload"]
    assert parts[2].filename == 'r\u00e9sum\u00e9 "v2".pdf'
    assert parts[0].filename is None and parts[0].size == 5
    assert isinstance(parts[0], Part)
    assert "MultipartPart" in repr(parts[0])


def test_error_class_hierarchy():
    assert issubclass(MultipartError, HTTPParseError)
    assert issubclass(MultipartError, ValueError)
    assert issubclass(MultipartError, WebAccelError)


names = st.text(st.characters(blacklist_characters="\\\r\n\x00", blacklist_categories=("Cs",)), max_size=12)
part_st = st.tuples(
    names,
    st.none() | names,
    st.none() | st.sampled_from(["text/plain", "application/octet-stream", "image/png"]),
    st.binary(max_size=300) | st.sampled_from([b"", b"\r\n", b"--", b"\r\n--b0undary", b"\r\n--b0undaryXY\r"]),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(part_st, max_size=6), data=st.data())
def test_generated_bodies_match_python_multipart_in_any_chunking(parts, data):
    body = build(parts)
    assume(all(f"\r\n--{B}".encode() not in p[3] for p in parts))
    one = view(parse_multipart(body, CT))
    assert one == reference(body)
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=8))
    assert view(stream(body, cuts)) == one
    # spilling to a file changes where the bytes live, not what they are
    assert view(stream(body, cuts, spool_max_size=0)) == one


def test_one_byte_chunks():
    body = build(SIMPLE)
    assert view(stream(body, range(len(body)))) == view(parse_multipart(body, CT))


def test_boundary_from_content_type_quoted_and_validated():
    body = build(SIMPLE, boundary="a'()+_,-./:=? z")
    assert len(parse_multipart(body, "Multipart/Form-Data; charset=x; boundary=\"a'()+_,-./:=? z\"")) == 3
    for ct in [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "x" * 71,
        "multipart/form-data; boundary=a\x7fb",
        'multipart/form-data; boundary="ab "',
        "text/plain; boundary=abc",
        "multipart/form-data; boundary=\"abc",
    ]:
        with pytest.raises(MultipartError):
            parse_multipart(b"", ct)
    assert parse_multipart(build(SIMPLE, boundary="x" * 70), "multipart/form-data; boundary=" + "x" * 70)
    with pytest.raises(MultipartError):
        MultipartParser(b"")


def test_preamble_epilogue_and_padding_within_limits():
    body = build(SIMPLE, preamble=b"This is a preamble\r\n", epilogue=b"\r\nbye\r\n")
    assert view(parse_multipart(body, CT)) == view(parse_multipart(build(SIMPLE), CT))
    # transport padding after a boundary (RFC 2046) is allowed
    padded = body.replace(f"--{B}\r\n".encode(), f"--{B}  \t\r\n".encode())
    assert view(parse_multipart(padded, CT)) == view(parse_multipart(build(SIMPLE), CT))
    assert parse_multipart(f"--{B}--".encode(), CT) == []


def test_boundary_lookalike_inside_data_is_data():
    data = f"x\r\n--{B}X\r\n--{B}-y".encode()
    body = build([("a", None, None, data)])
    assert parse_multipart(body, CT)[0].data == data


def test_filename_star_quotes_and_paths():
    def one(cd: str) -> Part:
        body = f"--{B}\r\nContent-Disposition: {cd}\r\n\r\nx\r\n--{B}--".encode()
        return parse_multipart(body, CT)[0]

    assert one("form-data; name=f; filename=\"a.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt").filename == "\u20ac rates.txt"
    assert one("form-data; name=f; filename*=iso-8859-1'en'caf%E9").filename == "caf\u00e9"
    # undecodable filename* falls back to filename
    assert one("form-data; name=f; filename=\"a.txt\"; filename*=UTF-8''%FF").filename == "a.txt"
    assert one('form-data; name="a \\"q\\" b"; filename="say \\"hi\\".txt"').filename == 'say "hi".txt'
    assert one('form-data; name="a \\"q\\" b"').name == 'a "q" b'
    # kept as sent: sanitizing is the application's job
    assert one('form-data; name=f; filename="../../etc/passwd"').filename == "../../etc/passwd"
    assert one('form-data; name=f; filename="C:\\Users\\me\\a.txt"').filename == "C:\\Users\\me\\a.txt"
    assert one("form-data; name=f; filename=\"\"").filename == ""
    assert one("FORM-DATA; NAME=f").name == "f"


def test_non_utf8_header_is_latin1():
    body = f"--{B}\r\nContent-Disposition: form-data; name=\"caf".encode() + b"\xe9\"\r\n\r\nx\r\n" + f"--{B}--".encode()
    assert parse_multipart(body, CT)[0].name == "caf\u00e9"


# ---------------------------------------------------------------------------------------------
# Spooling

def test_large_file_is_spooled_to_a_temporary_file():
    blob = os.urandom(3 << 20)
    body = build([("f", "big.bin", "application/octet-stream", blob), ("g", None, None, b"small")])
    p = MultipartParser(B)
    parts = []
    for i in range(0, len(body), 65536):
        parts += p.feed(body[i : i + 65536])
    p.close()
    big, small = parts
    assert big.data is None and big.file is not None and big.size == len(blob)
    assert big.file.tell() == 0 and big.file.read() == blob
    big.file.close()
    assert small.data == b"small" and small.file is None
    # parse_multipart keeps everything in memory unless asked
    assert parse_multipart(body, CT)[0].data == blob
    spooled = parse_multipart(body, CT, spool_max_size=1 << 20)[0]
    assert spooled.file.read() == blob
    spooled.file.close()


def test_fields_are_never_spooled():
    body = build([("a", None, None, b"x" * 5000)])
    assert parse_multipart(body, CT, spool_max_size=10)[0].data == b"x" * 5000


# ---------------------------------------------------------------------------------------------
# Attacks: each refused with MultipartError, with bounded memory


def feed_until_error(parser: MultipartParser, chunks, max_buffered: int):
    """Feeds until MultipartError; returns how many bytes were fed. Checks the buffer bound."""
    fed = 0
    with pytest.raises(MultipartError) as info:
        for c in chunks:
            fed += len(c)
            parser.feed(c)
            assert parser.buffered <= max_buffered
        parser.close()
    return fed, str(info.value)


def repeated(piece: bytes, total: int, chunk: int = 4096):
    """`piece` repeated to `total` bytes, generated lazily in chunks."""
    block = piece * (chunk // len(piece) + 1)
    sent = 0
    while sent < total:
        yield block[:chunk]
        sent += chunk


def head(name="a", filename=None) -> bytes:
    cd = f'form-data; name="{name}"' + ("" if filename is None else f'; filename="{filename}"')
    return f"--{B}\r\nContent-Disposition: {cd}\r\n\r\n".encode()


def many_parts(n: int, filename=None):
    part = head("a", filename) + b"v\r\n"
    for _ in range(n):
        yield part
    yield f"--{B}--".encode()


def test_many_parts_cve_2023_25577_cve_2023_30798():
    fed, msg = feed_until_error(MultipartParser(B), many_parts(10**6), 200)
    assert "max_parts=1000" in msg and fed < 1002 * 70
    fed, msg = feed_until_error(MultipartParser(B), many_parts(10**6, "f.txt"), 200)
    assert "max_files=100" in msg and fed < 102 * 80
    assert len(parse_multipart(b"".join(many_parts(1000)), CT)) == 1000
    assert len(parse_multipart(b"".join(many_parts(5000)), CT, max_parts=None)) == 5000
    with pytest.raises(MultipartError, match="max_parts=10"):
        parse_multipart(b"".join(many_parts(11)), CT, max_parts=10)


@pytest.mark.parametrize("junk", [b"\r\n", b"\n", b"\r", b"junk "])
def test_preamble_junk_cve_2026_40347(junk):
    fed, msg = feed_until_error(MultipartParser(B), repeated(junk, 50 << 20), 80)
    assert "max_preamble=1024" in msg and fed <= 1024 + 4096
    with pytest.raises(MultipartError, match="max_preamble"):
        parse_multipart(junk * 100_000 + build(SIMPLE), CT)


@pytest.mark.parametrize("junk", [b"\r\n", b"\n", b"-", b"junk "])
def test_epilogue_junk_cve_2024_53981(junk):
    def chunks():
        yield build(SIMPLE, epilogue=b"")
        yield from repeated(junk, 50 << 20)

    fed, msg = feed_until_error(MultipartParser(B), chunks(), 80)
    assert "max_epilogue=1024" in msg and fed <= len(build(SIMPLE)) + 1024 + 4096
    with pytest.raises(MultipartError, match="max_epilogue"):
        parse_multipart(build(SIMPLE, epilogue=junk * 100_000), CT)


def test_file_without_newlines_is_linear_cve_2023_46136():
    blob = b"A" * (10 << 20)
    body = head("f", "big.bin") + blob + f"\r\n--{B}--\r\n".encode()
    # one chunk
    (p,) = parse_multipart(body, CT)
    assert p.data == blob
    # 4 KiB chunks: the parser holds at most a delimiter's length between feeds
    parser = MultipartParser(B, spool_max_size=None)
    parts = []
    for i in range(0, len(body), 4096):
        parts += parser.feed(body[i : i + 4096])
        assert parser.buffered <= len(B) + 4
    parser.close()
    assert len(parts) == 1 and parts[0].data == blob
    # also with CRs everywhere (each one a potential delimiter start)
    blob = b"\r" * (1 << 20)
    body = head("f", "cr.bin") + blob + f"\r\n--{B}--\r\n".encode()
    assert view(stream(body, range(0, len(body), 4096))) == view(parse_multipart(body, CT))


def test_unbounded_part_headers_cve_2026_42561():
    def long_header():
        yield f"--{B}\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Junk: ".encode()
        yield from repeated(b"x", 50 << 20)

    fed, msg = feed_until_error(MultipartParser(B), long_header(), 8192)
    assert "max_header_size=8192" in msg and fed <= 8192 + 4096 + 100

    def many_headers():
        yield f"--{B}\r\nContent-Disposition: form-data; name=\"a\"\r\n".encode()
        yield from repeated(b"X: y\r\n", 50 << 20, chunk=6 * 100)

    fed, msg = feed_until_error(MultipartParser(B), many_headers(), 8192)
    assert "max_header" in msg
    body = f"--{B}\r\nContent-Disposition: form-data; name=\"a\"\r\n".encode() + b"X: y\r\n" * 32 + b"\r\nv\r\n--" + B.encode() + b"--"
    with pytest.raises(MultipartError, match="max_headers=32"):
        parse_multipart(body, CT)
    assert parse_multipart(body, CT, max_headers=33)[0].data == b"v"
    # padding after a boundary counts against the header limit
    fed, msg = feed_until_error(MultipartParser(B), [f"--{B}".encode(), *repeated(b" ", 1 << 20)], 8192 + 4096)
    assert "max_header_size" in msg


def test_large_field_cve_2024_47874_cve_2024_49767():
    def big_field():
        yield head("a")
        yield from repeated(b"x", 50 << 20, chunk=65536)

    tracemalloc.start()
    try:
        fed, msg = feed_until_error(MultipartParser(B), big_field(), 100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "max_field_size=1048576" in msg and fed <= (1 << 20) + 2 * 65536
    assert peak < 4 << 20
    with pytest.raises(MultipartError, match="max_field_size=10"):
        parse_multipart(build([("a", None, None, b"x" * 11)]), CT, max_field_size=10)
    assert parse_multipart(build([("a", None, None, b"x" * 10)]), CT, max_field_size=10)[0].data == b"x" * 10

    def big_file():
        yield head("a", "f")
        yield from repeated(b"x", 50 << 20, chunk=65536)

    fed, msg = feed_until_error(MultipartParser(B, max_file_size=2 << 20), big_file(), 100)
    assert "max_file_size" in msg and fed <= (2 << 20) + 2 * 65536


def test_body_size_limit():
    body = build(SIMPLE)
    with pytest.raises(MultipartError, match="max_body_size"):
        parse_multipart(body, CT, max_body_size=len(body) - 1)
    assert len(parse_multipart(body, CT, max_body_size=len(body))) == 3
    fed, msg = feed_until_error(MultipartParser(B, max_body_size=1000), [body[:600], body[600:]], 8192)
    assert "max_body_size" in msg


def test_unclosed_quote_full_of_backslashes_cve_2024_24762():
    cd = b'form-data; name="' + b"\\" * (5 << 20)
    body = f"--{B}\r\nContent-Disposition: ".encode() + cd + b"\r\n\r\nx\r\n--" + B.encode() + b"--"
    with pytest.raises(MultipartError, match="unterminated quoted string"):
        parse_multipart(body, CT, max_header_size=6 << 20)
    with pytest.raises(MultipartError, match="max_header_size"):
        parse_multipart(body, CT)
    with pytest.raises(MultipartError):
        parse_multipart(b"", 'multipart/form-data; boundary="' + "\\" * (5 << 20))


def test_truncated_body_is_an_error_at_close():
    body = build(SIMPLE)
    for cut in [len(body) - 4, len(body) - 10, len(body) // 2, 10, 0]:
        p = MultipartParser(B)
        done = p.feed(body[:cut])
        assert len(done) < 3
        with pytest.raises(MultipartError, match="closing boundary"):
            p.close()
        with pytest.raises(MultipartError):
            parse_multipart(body[:cut], CT)


def test_parser_refuses_use_after_close_or_error():
    p = MultipartParser(B)
    p.feed(build(SIMPLE))
    p.close()
    with pytest.raises(MultipartError, match="closed"):
        p.feed(b"x")
    p = MultipartParser(B, max_preamble=1)
    with pytest.raises(MultipartError):
        p.feed(b"xxxx")
    with pytest.raises(MultipartError, match="closed or failed"):
        p.feed(build(SIMPLE))


@pytest.mark.parametrize(
    "headers, why",
    [
        (b"", "no Content-Disposition"),
        (b"Content-Type: text/plain\r\n", "no Content-Disposition"),
        (b"Content-Disposition: form-data\r\n", "no name"),
        (b"Content-Disposition: form-data; filename=\"a\"\r\n", "no name"),
        (b"Content-Disposition: attachment; name=\"a\"\r\n", "not form-data"),
        (b"Content-Disposition form-data; name=\"a\"\r\n", "malformed"),
        (b"Content-Disposition: form-data; name=\"a\"\r\n folded\r\n", "malformed"),
    ],
)
def test_bad_part_headers(headers, why):
    body = f"--{B}\r\n".encode() + headers + b"\r\nv\r\n--" + B.encode() + b"--"
    with pytest.raises(MultipartError, match=why):
        parse_multipart(body, CT)


def test_type_errors():
    with pytest.raises(TypeError):
        parse_multipart(123, CT)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        MultipartParser(B).feed("text")  # type: ignore[arg-type]


def outcome(fn):
    try:
        return view(fn())
    except MultipartError:
        return "error"


pieces = st.sampled_from(
    [f"--{B}".encode(), b"\r\n", b"--", b"Content-Disposition: form-data; name=\"a\"", b"; filename=\"f\"",
     b"Content-Type: x", b": ", b"\r", b"\n", b" ", b"\"", b"\\", b"x", b"\xff"]
)


@settings(max_examples=500)
@given(body=st.lists(pieces | st.binary(max_size=8), max_size=40).map(b"".join), data=st.data())
def test_arbitrary_input_errors_cleanly_and_chunking_never_changes_the_outcome(body, data):
    one = outcome(lambda: parse_multipart(body, CT, max_header_size=64, max_preamble=64, max_epilogue=64))
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=6))
    kw = dict(max_header_size=64, max_preamble=64, max_epilogue=64, spool_max_size=None)
    assert outcome(lambda: stream(body, cuts, **kw)) == one


# --- details: Werkzeug's empty parts, the `limit` attribute, _charset_ and transfer encodings ---

def test_empty_part_without_crlf_before_the_delimiter_as_werkzeug_writes_it():
    from io import BytesIO

    from werkzeug.test import EnvironBuilder

    env = EnvironBuilder(method="POST", data={"empty": "", "up": (BytesIO(b"hi"), "a.txt", "text/plain")}).get_environ()
    body = env["wsgi.input"].read()
    assert b'name="empty"\r\n\r\n--' in body  # no CRLF between the header block and the delimiter
    parts = parse_multipart(body, env["CONTENT_TYPE"])
    assert [(p.name, p.data) for p in parts] == [("empty", b""), ("up", b"hi")]
    boundary = env["CONTENT_TYPE"].split("boundary=")[1].strip('"')
    for i in range(len(body)):
        parser = MultipartParser(boundary)
        got = parser.feed(body[:i]) + parser.feed(body[i:])
        parser.close()
        assert [(p.name, p.data) for p in got] == [("empty", b""), ("up", b"hi")]


def test_boundary_lookalike_right_after_headers_is_data():
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n--xyzzy\r\n--xyz\r\n'
        b'Content-Disposition: form-data; name="b"\r\n\r\n--xyz\tno\r\n--xyz--'
    )
    parts = parse_multipart(body, "multipart/form-data; boundary=xyz")
    assert [(p.name, p.data) for p in parts] == [("a", b"--xyzzy"), ("b", b"--xyz\tno")]


@pytest.mark.parametrize(
    ("kwargs", "body", "limit"),
    [
        ({"max_parts": 1}, b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n" * 2 + b"--b--", "max_parts"),
        ({"max_field_size": 1}, b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n12\r\n--b--", "max_field_size"),
        ({"max_preamble": 1}, b"junk\r\n--b--", "max_preamble"),
        ({}, b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1", None),
        ({}, b'--b\r\nContent-Disposition: form-data; name="a\r\n\r\n1\r\n--b--', None),
    ],
)
def test_limit_attribute(kwargs, body, limit):
    with pytest.raises(MultipartError) as e:
        parse_multipart(body, "multipart/form-data; boundary=b", **kwargs)
    assert e.value.limit == limit


def test_content_transfer_encoding_is_ignored():
    # RFC 7578 §4.7 deprecates it for multipart/form-data: the content is kept as sent (Django
    # decodes base64; python-multipart decodes base64 and quoted-printable).
    body = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--"
    )
    (part,) = parse_multipart(body, "multipart/form-data; boundary=b")
    assert part.data == b"aGVsbG8="
    assert ("Content-Transfer-Encoding", "base64") in part.headers


# --- one-shot: a large part is searched and copied in one pass (64 KiB probe, then the fused SIMD
# loop of rust/http/multipart_scan.rs, or 16 KiB memmem blocks without AVX2) ---------------------

_PROBE, _BLOCK = 64 << 10, 16 << 10
_CT = "multipart/form-data; boundary=xyz"


def _file_body(content: bytes, trailer: bytes = b"\r\n--xyz--\r\n") -> bytes:
    return b'--xyz\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n' + content + trailer


def _streamed(body: bytes, **limits) -> list[tuple[str, bytes]]:
    parser = MultipartParser(b"xyz", spool_max_size=None, **limits)
    parts = []
    for i in range(0, len(body), 7919):
        parts += parser.feed(body[i : i + 7919])
    parser.close()
    return [(p.name, p.data) for p in parts]


@pytest.mark.parametrize(
    "size",
    sorted({n + d for n in (_PROBE, _PROBE + _BLOCK, _PROBE + 3 * _BLOCK, 300_000) for d in range(-12, 13, 3)}),
)
def test_large_parts_near_block_edges_match_streaming(size):
    rnd = random.Random(size)
    content = rnd.randbytes(size)
    body = _file_body(content) if size % 2 else _file_body(content, b"\r\n--xyz\r\nContent-Disposition: form-data; name=g\r\n\r\nv\r\n--xyz--")
    parts = parse_multipart(body, _CT)
    assert parts[0].data == content and parts[0].size == size
    assert [(p.name, p.data) for p in parts] == _streamed(body)


@pytest.mark.parametrize("at", [_PROBE - 9, _PROBE - 4, _PROBE, _PROBE + _BLOCK - 5, _PROBE + 2 * _BLOCK - 1])
def test_lookalike_and_real_delimiters_across_block_edges(at):
    # "\r\n--xyzq" is content; a real delimiter straddling a block edge ends the part there.
    filler = b"a" * at
    lookalike = _file_body(filler + b"\r\n--xyzq" + b"b" * 100_000)
    parts = parse_multipart(lookalike, _CT)
    assert parts[0].data == filler + b"\r\n--xyzq" + b"b" * 100_000
    assert [(p.name, p.data) for p in parts] == _streamed(lookalike)
    real = _file_body(filler, b"\r\n--xyz\r\nContent-Disposition: form-data; name=g\r\n\r\n" + b"c" * 100_000 + b"\r\n--xyz--")
    parts = parse_multipart(real, _CT)
    assert [(p.name, len(p.data)) for p in parts] == [("f", at), ("g", 100_000)]
    assert [(p.name, p.data) for p in parts] == _streamed(real)


def test_large_part_over_its_limit_or_truncated():
    content = b"z" * 500_000
    with pytest.raises(MultipartError, match="max_file_size=200000") as e:
        parse_multipart(_file_body(content), _CT, max_file_size=200_000)
    assert e.value.limit == "max_file_size"
    with pytest.raises(MultipartError, match="closing boundary"):
        parse_multipart(_file_body(content, b"\r\n--xy"), _CT)
    # exactly at the limit is accepted
    (part,) = parse_multipart(_file_body(content), _CT, max_file_size=500_000)
    assert part.data == content


# --- one-shot: the fused search-and-copy loop (128-byte rounds, stores aligned to 64 bytes) ------

_BCHARS = "abcXYZ0189'()+_,-./:=? "


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    boundary=st.text(_BCHARS, min_size=1, max_size=70).filter(lambda b: not b.endswith(" ")),
    size=st.integers(_PROBE - 80, _PROBE + 700) | st.integers(_PROBE, 3 * _PROBE),
    pad=st.integers(0, 130),
    seed=st.integers(0, 2**32),
    near=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 80)), max_size=6),
    second=st.booleans(),
)
def test_one_shot_matches_python_multipart_and_streaming_at_every_alignment(boundary, size, pad, seed, near, second):
    # The part's end moves through every offset of the loop's rounds, `pad` moves the content
    # within the body (the loads' alignment), and near misses (the delimiter with one byte
    # changed, or cut short) put candidates of the loop's byte pair all over the content.
    rnd = random.Random(seed)
    delim = f"\r\n--{boundary}".encode()
    content = bytearray(rnd.randbytes(size))
    for where, k in near:
        at = int(where * max(0, size - len(delim)))
        miss = bytearray(delim)
        if k < len(delim):
            miss[k] ^= 0x01 if miss[k] != ord("\r") else 0x20
        else:
            miss = miss[: 1 + k % (len(delim) - 1)]
        content[at : at + len(miss)] = miss[: size - at]
    content = bytes(content)
    assume((content + delim).find(delim) == len(content))
    parts = [("f", "x" * pad + ".bin", "application/octet-stream", content)]
    if second:
        parts.append(("g", "y.bin", None, rnd.randbytes(_PROBE + rnd.randrange(300))))
    body = build(parts, boundary=boundary)
    ct = f'multipart/form-data; boundary="{boundary}"'
    one = view(parse_multipart(body, ct))
    assert one == reference(body, boundary)
    assert one[0][4] == content
    parser = MultipartParser(boundary, spool_max_size=None)
    streamed = []
    for i in range(0, len(body), 65536):
        streamed += parser.feed(body[i : i + 65536])
    parser.close()
    assert view(streamed) == one


@pytest.mark.parametrize("tail", range(0, 300, 7))
def test_one_shot_dense_pair_candidates_stay_exact(tail):
    # A crafted part: every other byte pair looks like the delimiter's rarest bytes (the loop
    # gives up its budget of false candidates and finishes with memmem); the result is the same.
    boundary = "ZYZYZYZYZYZYZYZYZY"
    content = (b"ZY" * 60_000)[: 100_000 + tail] + b"\r\n--ZYZYZYZYZYZYZYZYZ" + b"ZY" * 100
    body = build([("f", "a", None, content), ("g", None, None, b"v")], boundary=boundary)
    ct = f"multipart/form-data; boundary={boundary}"
    parts = parse_multipart(body, ct)
    assert view(parts) == reference(body, boundary)
    assert parts[0].data == content

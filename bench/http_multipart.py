"""multipart/form-data: webaccel.http against python-multipart (what Starlette and FastAPI run).

A 1 MB body with three fields and one file. The raw table compares the one-shot
``parse_multipart`` with python-multipart's callback parser collecting each part's bytes (the
least work that yields the parts); the form table feeds 64 KiB chunks (an ASGI server's message
size) to ``MultipartParser`` and to python-multipart's ``FormParser`` (Field and File objects,
files in memory below 1 MiB, as Starlette configures it). Outputs are checked equal first.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from python_multipart import FormParser
from python_multipart.multipart import MultipartParser as PMParser
from python_multipart.multipart import parse_options_header

import webaccel.http
from bench._harness import Case, Table, WrongOutput

PACKAGES = ("python-multipart",)

BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
CHUNK = 65536


def _body(file_size: int) -> bytes:
    rnd = random.Random(7)
    fields = [("title", b"Quarterly report"), ("author", "Jos\u00e9 P\u00e9rez".encode()), ("tags", b"finance,q3,draft")]
    out = []
    for name, value in fields:
        out.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n")
    blob = rnd.randbytes(file_size)
    out.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; filename="report.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode() + blob + b"\r\n"
    )
    out.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(out)


Parts = list[tuple[str, "str | None", bytes]]


def webaccel_one_shot(body: bytes) -> Parts:
    return [(p.name, p.filename, p.data) for p in webaccel.http.parse_multipart(body, CONTENT_TYPE)]


def webaccel_stream(body: bytes) -> Parts:
    parser = webaccel.http.MultipartParser(BOUNDARY)
    parts = []
    for i in range(0, len(body), CHUNK):
        parts += parser.feed(body[i : i + CHUNK])
    parser.close()
    out: Parts = []
    for p in parts:
        out.append((p.name, p.filename, p.data if p.file is None else p.file.read()))
    return out


def pm_raw(body: bytes) -> Parts:
    parts: Parts = []
    headers: list[bytes] = []
    data: list[bytes] = []

    def on_header_value(d: bytes, s: int, e: int) -> None:
        headers.append(d[s:e])

    def on_part_data(d: bytes, s: int, e: int) -> None:
        data.append(d[s:e])

    def on_part_end() -> None:
        _, opts = parse_options_header(headers[0])
        fn = opts.get(b"filename")
        parts.append((opts[b"name"].decode(), None if fn is None else fn.decode(), b"".join(data)))
        headers.clear()
        data.clear()

    parser = PMParser(BOUNDARY, {"on_header_value": on_header_value, "on_part_data": on_part_data, "on_part_end": on_part_end})
    parser.write(body)
    parser.finalize()
    return parts


def pm_form(body: bytes) -> Parts:
    out: Parts = []

    def on_field(f: Any) -> None:
        out.append((f.field_name.decode(), None, f.value or b""))

    def on_file(f: Any) -> None:
        f.file_object.seek(0)
        out.append((f.field_name.decode(), f.file_name.decode(), f.file_object.read()))

    parser = FormParser("multipart/form-data", on_field, on_file, boundary=BOUNDARY)
    for i in range(0, len(body), CHUNK):
        parser.write(body[i : i + CHUNK])
    parser.finalize()
    return out


def _check(expected: Parts) -> Callable[[str, Any], None]:
    def check(_name: str, out: Any) -> None:
        if out != expected:
            raise WrongOutput(f"{[(n, f, len(d)) for n, f, d in out]} instead of {[(n, f, len(d)) for n, f, d in expected]}")

    return check


def tables(quick: bool) -> list[Table]:
    body = _body(64 << 10 if quick else 1_000_000)
    label = f"3 fields + 1 file ({len(body) / 1e6:.2f} MB)" if not quick else f"3 fields + 1 file ({len(body)} B)"
    expected = pm_raw(body)
    raw = [Case(label, body, {"webaccel": webaccel_one_shot, "python-multipart": pm_raw}, _check(expected))]
    form = [Case(label, body, {"webaccel": webaccel_stream, "python-multipart": pm_form}, _check(expected))]
    tiny = _body(200)
    small_label = f"3 fields + 1 file ({len(tiny)} B)"
    raw.append(Case(small_label, tiny, {"webaccel": webaccel_one_shot, "python-multipart": pm_raw}, _check(pm_raw(tiny))))
    return [
        Table(
            "http.parse_multipart",
            "a whole body in, parts out, against python-multipart's raw callback parser",
            raw,
            peer="python-multipart",
            notes=["python-multipart: `MultipartParser` with callbacks that collect each part's headers and bytes"],
        ),
        Table(
            "http.MultipartParser",
            f"{CHUNK // 1024} KiB chunks fed to a streaming parser, against python-multipart's FormParser",
            form,
            peer="python-multipart",
            notes=["both keep the 1 MB file in memory (webaccel's spool_max_size and python-multipart's "
                   "MAX_MEMORY_FILE_SIZE are both 1 MiB)"],
        ),
    ]

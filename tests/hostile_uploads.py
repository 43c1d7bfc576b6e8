"""Multipart bodies shared by the adapter tests (FastAPI, Flask, Django): a valid form with a
file, and the hostile uploads each adapter must answer with 400 or 413, never 500.

Limits the adapter tests configure (so the hostile bodies stay small): at most 10 parts, files
of at most 1000 bytes, fields of at most 100 bytes. Each case says which limit it hits.
"""

from __future__ import annotations

BOUNDARY = "----webaccelTestBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"

MAX_PARTS = 10
MAX_FILE_SIZE = 1000
MAX_FIELD_SIZE = 100


def field(name: str, value: bytes, extra: str = "") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'.encode()
        + value
        + b"\r\n"
    )


def file(name: str, filename: str, content: bytes, content_type: str = "application/octet-stream") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )


def close() -> bytes:
    return f"--{BOUNDARY}--\r\n".encode()


FILE_CONTENT = bytes(range(256)) * 3  # 768 bytes, every byte value, CR and LF included

VALID = (
    field("title", "Grüße".encode())
    + field("tag", b"a")
    + field("tag", b"b")
    + file("doc", "report.bin", FILE_CONTENT)
    + close()
)

BACKSLASHES = "\\" * 2000

# (id, body, content type, expected status)
HOSTILE: list[tuple[str, bytes, str, int]] = [
    ("too-many-parts", b"".join(field(f"f{i}", b"x") for i in range(MAX_PARTS + 5)) + close(), CONTENT_TYPE, 400),
    ("oversize-file", file("doc", "big.bin", b"\0" * (MAX_FILE_SIZE * 3)) + close(), CONTENT_TYPE, 413),
    ("oversize-field", field("title", b"x" * (MAX_FIELD_SIZE * 3)) + close(), CONTENT_TYPE, 413),
    ("junk-before-first-boundary", b"\r\n" * 5000 + VALID, CONTENT_TYPE, 400),
    ("truncated-body", VALID[: len(VALID) - 30], CONTENT_TYPE, 400),
    (
        "unclosed-quoted-param",
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a{BACKSLASHES}\r\n\r\nv\r\n'.encode() + close(),
        CONTENT_TYPE,
        400,
    ),
    ("no-boundary-param", VALID, "multipart/form-data", 400),
    ("part-without-name", f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nv\r\n".encode() + close(), CONTENT_TYPE, 400),
]

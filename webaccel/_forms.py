"""Form-body plumbing shared by the framework adapters: streaming a ``multipart/form-data`` body
through :class:`webaccel.http.MultipartParser`, decoding text fields (per-part ``charset`` and
the ``_charset_`` field of RFC 7578 §4.6), and the HTTP status an engine refusal deserves.

Private: the adapters in ``webaccel.fastapi``, ``webaccel.flask`` and ``webaccel.django`` wrap
this in each framework's own types (Starlette ``FormData``/``UploadFile``, Werkzeug
``MultiDict``/``FileStorage``, Django ``QueryDict``/``UploadedFile``).
"""

from __future__ import annotations

import codecs
import dataclasses
from typing import IO

from webaccel.errors import HTTPParseError, MultipartError
from webaccel.http import MultipartParser, Part, parse_options_header

__all__ = [
    "CHUNK_SIZE",
    "MultipartLimits",
    "StreamedForm",
    "boundary_of",
    "close_parts",
    "resolve_charset",
    "status_for",
]

CHUNK_SIZE = 64 * 1024
"""Bytes read from the request stream per ``feed()``."""

# Limits whose refusal means "too big" (413 Content Too Large); the others (counts, malformed
# input) mean "bad request" (400), except where a framework answers counts with 413 too.
_SIZE_LIMITS = frozenset({"max_body_size", "max_file_size", "max_field_size", "max_size"})
_COUNT_LIMITS = frozenset({"max_parts", "max_files", "max_fields"})


def status_for(exc: HTTPParseError, *, count_status: int = 400) -> int:
    """413 for a refusal caused by a size limit, ``count_status`` for a count limit (Werkzeug
    answers too many parts with 413, Starlette and Django with 400), 400 for anything else."""
    if exc.limit in _SIZE_LIMITS:
        return 413
    if exc.limit in _COUNT_LIMITS:
        return count_status
    return 400


def resolve_charset(name: str | None, default: str = "utf-8") -> str:
    """``name`` if it names a text codec Python knows (UTF-7 excepted: it hides markup from
    filters), else ``default``. Never raises."""
    if not name:
        return default
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        return default
    if not getattr(info, "_is_text_encoding", True) or info.name == "utf-7":
        return default
    return info.name


def boundary_of(content_type: str) -> bytes:
    """The ``boundary`` parameter of a ``multipart/form-data`` Content-Type (validated by
    :class:`MultipartParser`); ``MultipartError`` when there is none."""
    _, params = parse_options_header(content_type)
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartError("multipart content type has no boundary parameter")
    try:
        return boundary.encode("ascii")
    except UnicodeEncodeError:
        raise MultipartError("invalid multipart boundary: character outside RFC 2046 bchars") from None


@dataclasses.dataclass(frozen=True)
class MultipartLimits:
    """The :class:`MultipartParser` limits an adapter passes on (``None``: no limit)."""

    max_parts: int | None = 1000
    max_files: int | None = 100
    max_field_size: int | None = 1024 * 1024
    max_file_size: int | None = 100 * 1024 * 1024
    max_body_size: int | None = None
    spool_max_size: int | None = 1024 * 1024

    def parser(self, boundary: bytes) -> MultipartParser:
        return MultipartParser(
            boundary,
            max_parts=self.max_parts,
            max_files=self.max_files,
            max_field_size=self.max_field_size,
            max_file_size=self.max_file_size,
            max_body_size=self.max_body_size,
            spool_max_size=self.spool_max_size,
        )


class StreamedForm:
    """Feed a body chunk by chunk, then :meth:`finish` for ``(fields, files)``.

    Text fields are decoded at the end, once the ``_charset_`` field (if any) is known: each with
    its own ``Content-Type`` charset, else the ``_charset_`` value, else ``default_charset``;
    undecodable bytes become U+FFFD (as Werkzeug and Django decode fields). The deprecated
    ``Content-Transfer-Encoding`` part header (RFC 7578 §4.7) is ignored: the bytes are kept as
    sent. On any error the spooled files received so far are closed (so deleted).
    """

    def __init__(self, boundary: bytes, limits: MultipartLimits, default_charset: str = "utf-8"):
        self._parser = limits.parser(boundary)
        self._default = resolve_charset(default_charset)
        self.charset = self._default
        """The charset fields were decoded with (``_charset_`` or the default), after finish()."""
        self._fields: list[Part] = []
        self.files: list[Part] = []

    def feed(self, chunk: bytes) -> None:
        try:
            parts = self._parser.feed(chunk)
        except BaseException:
            self.discard()
            raise
        for part in parts:
            (self._fields if part.filename is None else self.files).append(part)

    def finish(self) -> tuple[list[tuple[str, str]], list[Part]]:
        """Close the parser (``MultipartError`` if the body was cut short) and decode fields."""
        try:
            self._parser.close()
        except BaseException:
            self.discard()
            raise
        charset = self._default
        for part in self._fields:
            if part.name == "_charset_" and part.data is not None:
                charset = resolve_charset(part.data.decode("ascii", "replace"), self._default)
                break
        self.charset = charset
        fields = []
        for part in self._fields:
            own = None
            if part.content_type:
                own = parse_options_header(part.content_type)[1].get("charset")
            codec = resolve_charset(own, charset) if own else charset
            fields.append((part.name, (part.data or b"").decode(codec, "replace")))
        return fields, self.files

    def discard(self) -> None:
        close_parts(self.files)
        self.files = []


def close_parts(parts: list[Part]) -> None:
    """Close the temporary files of spooled parts (the OS deletes them)."""
    for part in parts:
        file: IO[bytes] | None = part.file
        if file is not None:
            file.close()

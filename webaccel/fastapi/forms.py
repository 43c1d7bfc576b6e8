"""FastAPI dependencies for request parsing with webaccel's engine: form bodies and uploads read
from the request stream (in place of python-multipart), the client address behind trusted
proxies, and content negotiation."""

from __future__ import annotations

import io
import typing as t
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Literal

from fastapi import HTTPException, Request, UploadFile
from starlette.datastructures import FormData, Headers
from starlette.datastructures import UploadFile as StarletteUploadFile

from webaccel._forms import MultipartLimits, StreamedForm, boundary_of, close_parts, status_for
from webaccel.errors import FormError, HTTPParseError, MultipartError
from webaccel.http import ClientIP, Part, best_match, parse_form, parse_options_header

__all__ = ["FormBody", "form_body", "ClientAddress", "Negotiate"]

_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


class FormBody:
    """A dependency returning the request's form, parsed by webaccel: Starlette's
    :class:`~starlette.datastructures.FormData` (what ``await request.form()`` returns), text
    fields as ``str`` and files as FastAPI :class:`~fastapi.UploadFile`, duplicates kept in order::

        from typing import Annotated
        from fastapi import Depends
        from starlette.datastructures import FormData
        from webaccel.fastapi import FormBody

        upload_form = FormBody(max_file_size=10 * 1024 * 1024, max_files=1)

        @app.post("/upload")
        async def upload(form: Annotated[FormData, Depends(upload_form)]) -> dict:
            doc = form["doc"]                 # an UploadFile
            return {"title": form["title"], "size": doc.size}

    ``multipart/form-data`` is read from ``request.stream()`` chunk by chunk into
    :class:`webaccel.http.MultipartParser`; file parts above ``spool_max_size`` go to temporary
    files. Every file is closed (and so deleted) when the dependency exits, after the route has
    answered. ``application/x-www-form-urlencoded`` bodies are read up to ``max_form_size`` bytes
    and parsed with :func:`webaccel.http.parse_form` (at most ``max_fields`` fields).
    python-multipart is not needed.

    Failures answer through ``HTTPException`` (``{"detail": ...}``):

    - 415 for another Content-Type (or none);
    - 413 when a size limit is exceeded: ``max_body_size`` (also a declared ``Content-Length``
      above it, refused before reading), ``max_file_size``, ``max_field_size``, ``max_form_size``;
    - 400 for too many parts, files or fields (as Starlette answers), and for a malformed body:
      junk before the first boundary, a part without a name, an unclosed quoted parameter, a body
      cut before its closing boundary.

    The body is consumed: ``await request.body()`` is not available afterwards.
    """

    def __init__(
        self,
        *,
        max_parts: int | None = 1000,
        max_files: int | None = 100,
        max_field_size: int | None = 1024 * 1024,
        max_file_size: int | None = 100 * 1024 * 1024,
        max_body_size: int | None = None,
        spool_max_size: int | None = 1024 * 1024,
        max_fields: int | None = 1000,
        max_form_size: int | None = 2_621_440,
        charset: str = "utf-8",
        multipart: bool = True,
        urlencoded: bool = True,
    ) -> None:
        for name, value in (
            ("max_parts", max_parts),
            ("max_files", max_files),
            ("max_field_size", max_field_size),
            ("max_file_size", max_file_size),
            ("max_body_size", max_body_size),
            ("spool_max_size", spool_max_size),
            ("max_fields", max_fields),
            ("max_form_size", max_form_size),
        ):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative int or None")
        if not (multipart or urlencoded):
            raise ValueError("at least one of multipart and urlencoded must be accepted")
        self.limits = MultipartLimits(
            max_parts=max_parts,
            max_files=max_files,
            max_field_size=max_field_size,
            max_file_size=max_file_size,
            max_body_size=max_body_size,
            spool_max_size=spool_max_size,
        )
        self.max_fields = max_fields
        self.max_form_size = max_form_size
        self.charset = charset
        self.multipart = multipart
        self.urlencoded = urlencoded

    def __repr__(self) -> str:
        return f"FormBody({self.limits!r}, max_fields={self.max_fields!r}, max_form_size={self.max_form_size!r})"

    async def __call__(self, request: Request) -> AsyncIterator[FormData]:
        """Parse the form; close its files once the route has answered."""
        media_type, params = parse_options_header(request.headers.get("content-type"))
        charset = params.get("charset", self.charset)
        if media_type == _MULTIPART and self.multipart:
            fields, parts = await self._multipart(request, charset)
            items: list[tuple[str, str | StarletteUploadFile]] = [*fields]
            items.extend((part.name, _upload(part)) for part in parts)
            try:
                yield FormData(items)
            finally:
                close_parts(parts)
        elif media_type == _URLENCODED and self.urlencoded:
            pairs: list[tuple[str, str | StarletteUploadFile]] = list(await self._urlencoded(request))
            yield FormData(pairs)
        else:
            accepted = [t for t, on in ((_MULTIPART, self.multipart), (_URLENCODED, self.urlencoded)) if on]
            raise HTTPException(status_code=415, detail=f"Content-Type must be {' or '.join(accepted)}")

    async def _multipart(self, request: Request, charset: str) -> tuple[list[tuple[str, str]], list[Part]]:
        _check_declared_length(request, self.limits.max_body_size)
        form: StreamedForm | None = None
        try:
            form = StreamedForm(boundary_of(request.headers["content-type"]), self.limits, charset)
            async for chunk in request.stream():
                if chunk:
                    form.feed(chunk)
            return form.finish()
        except MultipartError as exc:
            raise _http_error(exc) from exc
        except BaseException:
            if form is not None:
                form.discard()  # a client disconnect, a cancellation
            raise

    async def _urlencoded(self, request: Request) -> list[tuple[str, str]]:
        limit = self.max_form_size
        _check_declared_length(request, limit, what="max_form_size")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if limit is not None and size > limit:
                raise HTTPException(status_code=413, detail=f"form body exceeds max_form_size={limit}")
            chunks.append(chunk)
        try:
            return parse_form(b"".join(chunks), max_fields=self.max_fields, max_size=limit)
        except FormError as exc:
            raise _http_error(exc) from exc


def _check_declared_length(request: Request, limit: int | None, what: str = "max_body_size") -> None:
    declared = request.headers.get("content-length")
    if limit is not None and declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail=f"body exceeds {what}={limit}")


def _http_error(exc: HTTPParseError) -> HTTPException:
    return HTTPException(status_code=status_for(exc), detail=str(exc))


class _MemoryFile(io.BytesIO):
    """A part held in memory. Starlette's ``UploadFile`` sends reads of any file it cannot tell
    is in memory through the thread pool (only ``SpooledTemporaryFile._rolled`` tells it), a hop
    that costs more than parsing a 64 KB upload; this attribute says so."""

    _rolled = False


def _upload(part: Part) -> UploadFile:
    file = t.cast("t.BinaryIO", part.file if part.file is not None else _MemoryFile(part.data or b""))
    raw = [(k.lower().encode("latin-1", "replace"), v.encode("latin-1", "replace")) for k, v in part.headers]
    return UploadFile(file, size=part.size, filename=part.filename, headers=Headers(raw=raw))


form_body = FormBody()
"""``FormBody()`` with the default limits, for ``form: Annotated[FormData, Depends(form_body)]``."""


class ClientAddress:
    """A dependency returning the client's IP address (``str``, or ``None`` without a peer),
    read from ``X-Forwarded-For`` (or ``header``) only when the connection comes from one of
    ``trusted_proxies`` (CIDR networks), walking the hops from the right; see
    :class:`webaccel.http.ClientIP`::

        client_ip = ClientAddress(trusted_proxies=["10.0.0.0/8"])

        @app.get("/whoami")
        async def whoami(ip: Annotated[str | None, Depends(client_ip)]) -> dict:
            return {"ip": ip}

    The networks are parsed once, here (``ValueError`` for an invalid one).
    """

    def __init__(
        self,
        trusted_proxies: Iterable[str] = ("127.0.0.1/32", "::1/128"),
        header: str = "x-forwarded-for",
    ) -> None:
        self.resolver = ClientIP(trusted_proxies=list(trusted_proxies), header=header)

    def __call__(self, request: Request) -> str | None:
        """The client address of ``request``."""
        return self.resolver.get(request.scope.get("client"), request.headers.raw)


_NEGOTIATED_HEADER = {"mime": "accept", "language": "accept-language", "encoding": "accept-encoding"}


class Negotiate:
    """A dependency returning the entry of ``offers`` the client prefers, by its ``Accept``
    (``kind="mime"``), ``Accept-Language`` (``"language"``) or ``Accept-Encoding``
    (``"encoding"``) header, with :func:`webaccel.http.best_match` (Werkzeug's rules)::

        negotiate = Negotiate(["application/json", "text/csv"])

        @app.get("/report")
        async def report(media_type: Annotated[str, Depends(negotiate)]) -> Response:
            ...

    No header (or an empty one) accepts anything: the first offer. 406 Not Acceptable when the
    header rules out every offer.
    """

    def __init__(
        self,
        offers: Sequence[str],
        kind: Literal["mime", "language", "encoding"] = "mime",
        header: str | None = None,
    ) -> None:
        if isinstance(offers, str) or not offers:
            raise ValueError("offers must be a non-empty sequence of str")
        if kind not in _NEGOTIATED_HEADER:
            raise ValueError(f"kind must be 'mime', 'language' or 'encoding', not {kind!r}")
        self.offers = list(offers)
        self.kind = kind
        self.header = header or _NEGOTIATED_HEADER[kind]
        best_match("*/*" if kind == "mime" else "*", self.offers, kind=kind)  # invalid offers fail here
        for offer in self.offers:
            best_match(offer if kind == "mime" else "*", [offer], kind=kind)

    def __call__(self, request: Request) -> str:
        """The negotiated offer for ``request``."""
        value = request.headers.get(self.header)
        if value is None or not value.strip():
            return self.offers[0]
        chosen = best_match(value, self.offers, kind=self.kind)
        if chosen is None:
            raise HTTPException(status_code=406, detail=f"Not Acceptable: available {', '.join(self.offers)}")
        return str(chosen)

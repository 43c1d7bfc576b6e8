"""Request parsing for Django with webaccel's engine: query strings, form bodies and uploads
(Django's own ``QueryDict`` / ``MultiValueDict`` of ``UploadedFile``), the client address behind
trusted proxies, and two middlewares. Limits and proxies come from the ``WEBACCEL`` setting
(``REQUEST_*`` keys, see ``webaccel.django.conf``).

Engine refusals become the exceptions Django already answers with 400 Bad Request:
``RequestDataTooBig`` (a size limit), ``TooManyFieldsSent`` / ``TooManyFilesSent`` (a count),
``MultiPartParserError`` (a malformed multipart body), ``BadRequest`` (a malformed urlencoded
body). See ``docs/django.md``.
"""

from __future__ import annotations

import abc
import functools
import io
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings as django_settings
from django.core.exceptions import (
    BadRequest,
    ImproperlyConfigured,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.http import HttpRequest, HttpResponseBase, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict

from webaccel._forms import CHUNK_SIZE, MultipartLimits, StreamedForm, boundary_of, close_parts
from webaccel.django.conf import get_settings
from webaccel.errors import FormError, HTTPParseError, MultipartError
from webaccel.http import ClientIP, Part, parse_form, parse_options_header

__all__ = [
    "parse_query",
    "parse_body",
    "client_ip",
    "translate_error",
    "ClientIPMiddleware",
    "RequestParsingMiddleware",
]


def _fallback(value: int | None, setting: str) -> int | None:
    if value is not None:
        return value
    fallback: int | None = getattr(django_settings, setting)
    return fallback


def _limits() -> tuple[MultipartLimits, int | None, int | None]:
    """(multipart limits, urlencoded max_fields, urlencoded max_size) from ``WEBACCEL``."""
    s = get_settings()
    max_fields = _fallback(s.REQUEST_MAX_FIELDS, "DATA_UPLOAD_MAX_NUMBER_FIELDS")
    max_memory = _fallback(s.REQUEST_MAX_FORM_MEMORY, "DATA_UPLOAD_MAX_MEMORY_SIZE")
    limits = MultipartLimits(
        max_parts=max_fields,
        max_files=_fallback(s.REQUEST_MAX_FILES, "DATA_UPLOAD_MAX_NUMBER_FILES"),
        max_field_size=max_memory,
        max_file_size=s.REQUEST_MAX_FILE_SIZE,
        max_body_size=None,
        spool_max_size=_fallback(s.REQUEST_SPOOL_MAX_SIZE, "FILE_UPLOAD_MAX_MEMORY_SIZE"),
    )
    return limits, max_fields, max_memory


def translate_error(exc: HTTPParseError) -> Exception:
    """The Django exception (answered 400 by Django's handler) for an engine refusal."""
    message = str(exc)
    if exc.limit in ("max_parts", "max_fields"):
        return TooManyFieldsSent(message)
    if exc.limit == "max_files":
        return TooManyFilesSent(message)
    if exc.limit is not None and exc.limit.startswith("max_") and exc.limit.endswith("size"):
        return RequestDataTooBig(message)
    if isinstance(exc, MultipartError):
        return MultiPartParserError(message)
    return BadRequest(message)


def _query_dict(pairs: list[tuple[str, str]], encoding: str) -> QueryDict:
    q = QueryDict(mutable=True, encoding=encoding)
    for key, value in pairs:
        q.appendlist(key, value)
    q._mutable = False
    return q


def parse_query(request: HttpRequest) -> QueryDict:
    """``request.GET`` parsed by the engine: the same ``QueryDict`` Django builds (raw bytes
    decoded with the request's encoding, else Latin-1; blank values kept), at most
    ``REQUEST_MAX_FIELDS`` fields (``TooManyFieldsSent``)."""
    raw = request.META.get("QUERY_STRING", "")
    data = raw.encode("latin-1", "replace") if isinstance(raw, str) else bytes(raw)
    encoding = request.encoding or django_settings.DEFAULT_CHARSET
    _, max_fields, _ = _limits()
    try:
        pairs = parse_form(data, max_fields=max_fields, max_size=None, encoding=encoding)
    except FormError as exc:
        raise translate_error(exc) from exc
    return _query_dict(pairs, encoding)


def _sanitize_file_name(name: str) -> str | None:
    # Django's MultiPartParser.sanitize_file_name: the last path segment, printable characters.
    import html

    name = html.unescape(name).rsplit("/")[-1].rsplit("\\")[-1]
    name = "".join(c for c in name if c.isprintable())
    return None if name in {"", ".", ".."} else name


def _uploaded_file(part: Part, file_name: str) -> UploadedFile:
    content_type, extra = parse_options_header(part.content_type or "")
    content_type = content_type.strip()
    charset = extra.pop("charset", None)
    if part.file is not None:
        return UploadedFile(part.file, file_name, content_type, part.size, charset, extra)
    return InMemoryUploadedFile(
        io.BytesIO(part.data or b""), part.name, file_name, content_type, part.size, charset, extra
    )


def parse_body(request: HttpRequest) -> tuple[QueryDict, MultiValueDict[str, UploadedFile]]:
    """``(request.POST, request.FILES)`` parsed by the engine, like Django's own:

    - ``multipart/form-data`` streamed from the request (or from ``request.body`` when it was
      read), files spooled to temporary files above ``REQUEST_SPOOL_MAX_SIZE``, file parts with
      an empty name skipped and names reduced as Django reduces them;
    - ``application/x-www-form-urlencoded`` from ``request.body`` (UTF-8, as Django requires);
    - anything else, or a method other than POST: empty.

    Raises the Django exceptions of :func:`translate_error` (400 through Django's handler).
    """
    encoding = request.encoding or django_settings.DEFAULT_CHARSET
    empty: tuple[QueryDict, MultiValueDict[str, UploadedFile]] = (QueryDict(encoding=encoding), MultiValueDict())
    if request.method != "POST":
        return empty
    limits, max_fields, max_memory = _limits()
    if request.content_type == "multipart/form-data":
        form: StreamedForm | None = None
        try:
            form = StreamedForm(boundary_of(request.META.get("CONTENT_TYPE", "")), limits, encoding)
            if hasattr(request, "_body"):
                form.feed(request.body)
            else:
                while chunk := request.read(CHUNK_SIZE):
                    form.feed(chunk)
            fields, parts = form.finish()
        except HTTPParseError as exc:
            raise translate_error(exc) from exc
        except BaseException:
            if form is not None:
                form.discard()
            raise
        assert form is not None
        files: MultiValueDict[str, UploadedFile] = MultiValueDict()
        for part in parts:
            if part.filename == "":
                # Django reads a part with an empty filename (no file chosen) as a field.
                content = part.data if part.file is None else part.file.read()
                close_parts([part])
                fields.append((part.name, (content or b"").decode(form.charset, "replace")))
                continue
            name = _sanitize_file_name(part.filename or "")
            if name is None:
                close_parts([part])
                continue
            files.appendlist(part.name, _uploaded_file(part, name))
        return _query_dict(fields, encoding), files
    if request.content_type == "application/x-www-form-urlencoded":
        if request.encoding is not None and request.encoding.lower() != "utf-8":
            raise BadRequest(
                "HTTP requests with the 'application/x-www-form-urlencoded' content type must be UTF-8 encoded."
            )
        try:
            pairs = parse_form(request.body, max_fields=max_fields, max_size=max_memory)
        except FormError as exc:
            raise translate_error(exc) from exc
        return _query_dict(pairs, "utf-8"), MultiValueDict()
    return empty


@functools.lru_cache(maxsize=8)
def _resolver(trusted: tuple[str, ...], header: str) -> ClientIP:
    try:
        return ClientIP(trusted_proxies=list(trusted), header=header)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"WEBACCEL['REQUEST_TRUSTED_PROXIES'] / ['REQUEST_CLIENT_IP_HEADER']: {exc}"
        ) from exc


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, when that is one of
    ``WEBACCEL["REQUEST_TRUSTED_PROXIES"]``, the first untrusted hop of
    ``WEBACCEL["REQUEST_CLIENT_IP_HEADER"]`` walked from the right (:class:`webaccel.http.ClientIP`)."""
    s = get_settings()
    resolver = _resolver(tuple(s.REQUEST_TRUSTED_PROXIES), s.REQUEST_CLIENT_IP_HEADER)
    return resolver.get(request.META.get("REMOTE_ADDR") or None, request.headers)


class _Middleware(abc.ABC):
    """The sync-and-async plumbing both middlewares share; each says what it does to the
    request in :meth:`process`."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        self.process(request)
        if self.is_async:
            return self._acall(request)
        response: HttpResponseBase = self.get_response(request)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = await self.get_response(request)
        return response

    @abc.abstractmethod
    def process(self, request: HttpRequest) -> None:
        """Prepare ``request`` before the view runs."""


class ClientIPMiddleware(_Middleware):
    """Sets ``request.client_ip`` (:func:`client_ip`); ``REMOTE_ADDR`` is left as it is."""

    def process(self, request: HttpRequest) -> None:
        request.client_ip = client_ip(request)


class RequestParsingMiddleware(_Middleware):
    """``request.POST`` and ``request.FILES`` parsed by the engine (:func:`parse_body`), still
    lazily: nothing is read until a view touches them. ``request.GET`` stays Django's (use
    :func:`parse_query` for the engine's)."""

    def process(self, request: HttpRequest) -> None:
        request._load_post_and_files = functools.partial(_load_post_and_files, request)


def _load_post_and_files(request: HttpRequest) -> None:
    # Django's HttpRequest._load_post_and_files, with the parsing done by parse_body.
    if request.method == "POST" and request._read_started and not hasattr(request, "_body"):
        request._mark_post_parse_error()
        return
    try:
        request._post, request._files = parse_body(request)
    except Exception:
        request._mark_post_parse_error()
        raise

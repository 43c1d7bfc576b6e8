"""A Flask request class whose form, file, cookie and query-string parsing run on webaccel's
engine, with limits from ``WEBACCEL_REQUEST_*`` config. Installed by the extension when
``WEBACCEL_REQUEST`` is true (opt-in): see :func:`install` and ``docs/flask.md``."""

from __future__ import annotations

import io
import typing as t

from flask import Flask, Request, current_app
from werkzeug.datastructures import FileStorage, Headers, ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.utils import cached_property

from webaccel._forms import CHUNK_SIZE, MultipartLimits, StreamedForm, status_for
from webaccel.errors import HTTPParseError, MultipartError, QueryStringError
from webaccel.http import parse_cookie, parse_qsl

__all__ = ["WebAccelRequestMixin", "WebAccelRequest", "EngineFormDataParser", "request_class_for", "install"]

# Keys of this module in app.config (defaults in webaccel.flask.extension.CONFIG_DEFAULTS).
# None in a "fallback" key means: Flask's own setting named here.
_FALLBACK = {
    "WEBACCEL_REQUEST_MAX_PARTS": "MAX_FORM_PARTS",
    "WEBACCEL_REQUEST_MAX_FIELD_SIZE": "MAX_FORM_MEMORY_SIZE",
    "WEBACCEL_REQUEST_MAX_FORM_MEMORY": "MAX_FORM_MEMORY_SIZE",
}
_LIMITS = (
    "WEBACCEL_REQUEST_MAX_PARTS",
    "WEBACCEL_REQUEST_MAX_FILES",
    "WEBACCEL_REQUEST_MAX_FIELD_SIZE",
    "WEBACCEL_REQUEST_MAX_FILE_SIZE",
    "WEBACCEL_REQUEST_MAX_FORM_MEMORY",
    "WEBACCEL_REQUEST_SPOOL_MAX_SIZE",
)


def _limit(config: t.Mapping[str, t.Any], key: str) -> int | None:
    value = config.get(key)
    if value is None and key in _FALLBACK:
        fallback: int | None = config.get(_FALLBACK[key])
        return fallback
    return t.cast("int | None", value)


def _http_error(exc: HTTPParseError) -> HTTPException:
    # Werkzeug answers every limit it has (parts included) with 413.
    if status_for(exc, count_status=413) == 413:
        return RequestEntityTooLarge(str(exc))
    return BadRequest(str(exc))


class EngineFormDataParser(FormDataParser):
    """Werkzeug's ``FormDataParser`` with both body types parsed by the engine.

    Unlike Werkzeug's parser, which answers malformed bodies with an empty form (``silent``),
    every refusal is an HTTP error: 413 ``RequestEntityTooLarge`` for a limit, 400
    ``BadRequest`` for a malformed body (the views never see a silently partial form).
    """

    def __init__(
        self,
        *,
        limits: MultipartLimits,
        max_form_memory: int | None,
        max_fields: int | None,
        cls: type[MultiDict[str, t.Any]] | None = None,
        max_content_length: int | None = None,
    ) -> None:
        super().__init__(cls=cls, max_content_length=max_content_length, silent=False)
        self.limits = limits
        self.max_form_memory = max_form_memory
        self.max_fields = max_fields

    def _parse_multipart(
        self, stream: t.IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[t.IO[bytes], MultiDict[str, t.Any], MultiDict[str, t.Any]]:
        boundary = options.get("boundary", "")
        form: StreamedForm | None = None
        try:
            if not boundary:
                raise MultipartError("multipart content type has no boundary parameter")
            try:
                raw = boundary.encode("ascii")
            except UnicodeEncodeError:
                raise MultipartError("invalid multipart boundary: character outside RFC 2046 bchars") from None
            form = StreamedForm(raw, self.limits)
            while chunk := stream.read(CHUNK_SIZE):
                form.feed(chunk)
            fields, parts = form.finish()
        except HTTPParseError as exc:
            raise _http_error(exc) from exc
        except BaseException:
            if form is not None:
                form.discard()  # RequestEntityTooLarge from the limited stream, a disconnect
            raise
        files = []
        for part in parts:
            stream_ = part.file if part.file is not None else io.BytesIO(part.data or b"")
            files.append(
                (part.name, FileStorage(stream_, filename=part.filename, name=part.name, headers=Headers(part.headers)))
            )
        return stream, self.cls(fields), self.cls(files)

    def _parse_urlencoded(
        self, stream: t.IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[t.IO[bytes], MultiDict[str, t.Any], MultiDict[str, t.Any]]:
        limit = self.max_form_memory
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge(f"form body exceeds max_form_memory={limit}")
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestEntityTooLarge(f"form body exceeds max_form_memory={limit}")
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise BadRequest("form body is not valid UTF-8") from None
        try:
            items = parse_qsl(
                text, keep_blank_values=True, errors="werkzeug.url_quote", max_num_fields=self.max_fields
            )
        except QueryStringError as exc:
            raise RequestEntityTooLarge(f"form body has more than {self.max_fields} fields") from exc
        return stream, self.cls(items), self.cls()


class WebAccelRequestMixin:
    """Mixed into ``app.request_class`` by :func:`install`: ``request.form``/``request.files``
    (urlencoded and multipart, streamed from the WSGI input; files spooled to temporary files
    above ``WEBACCEL_REQUEST_SPOOL_MAX_SIZE``), ``request.cookies`` and ``request.args`` are
    parsed by the engine. The types are Werkzeug's (``ImmutableMultiDict``, ``FileStorage``)."""

    if t.TYPE_CHECKING:  # attributes of the Request it is mixed into
        query_string: bytes
        headers: Headers
        max_content_length: int | None
        parameter_storage_class: type[MultiDict[str, t.Any]]
        dict_storage_class: type[MultiDict[str, t.Any]]

    def make_form_data_parser(self) -> FormDataParser:
        """The engine-backed parser, with this app's limits."""
        config: t.Mapping[str, t.Any] = current_app.config if current_app else {}
        limits = MultipartLimits(
            max_parts=_limit(config, "WEBACCEL_REQUEST_MAX_PARTS"),
            max_files=_limit(config, "WEBACCEL_REQUEST_MAX_FILES"),
            max_field_size=_limit(config, "WEBACCEL_REQUEST_MAX_FIELD_SIZE"),
            max_file_size=_limit(config, "WEBACCEL_REQUEST_MAX_FILE_SIZE"),
            max_body_size=self.max_content_length,
            spool_max_size=_limit(config, "WEBACCEL_REQUEST_SPOOL_MAX_SIZE"),
        )
        return EngineFormDataParser(
            limits=limits,
            max_form_memory=_limit(config, "WEBACCEL_REQUEST_MAX_FORM_MEMORY"),
            max_fields=limits.max_parts,
            cls=self.parameter_storage_class,
            max_content_length=self.max_content_length,
        )

    @cached_property
    def args(self) -> MultiDict[str, str]:
        """The query string, parsed exactly as Werkzeug parses it (invalid bytes stay
        percent-encoded), by the engine."""
        return self.parameter_storage_class(
            parse_qsl(self.query_string.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        )

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The ``Cookie`` headers, parsed as Django parses them (one value per name, the last
        duplicate wins), in linear time."""
        combined = ";".join(self.headers.getlist("Cookie"))
        return t.cast("ImmutableMultiDict[str, str]", self.dict_storage_class(parse_cookie(combined).items()))


class WebAccelRequest(WebAccelRequestMixin, Request):
    """``flask.Request`` with the engine's parsing (:class:`WebAccelRequestMixin`)."""


def request_class_for(base: type[Request]) -> type[Request]:
    """``base`` with :class:`WebAccelRequestMixin` in front (``base`` itself if it has it), so an
    app's own request subclass keeps its behaviour."""
    if issubclass(base, WebAccelRequestMixin):
        return base
    if base is Request:
        return WebAccelRequest
    return t.cast("type[Request]", type(f"WebAccel{base.__name__}", (WebAccelRequestMixin, base), {}))


def check_config(config: t.Mapping[str, t.Any]) -> None:
    """``TypeError`` for a ``WEBACCEL_REQUEST*`` key of the wrong type."""
    if not isinstance(config["WEBACCEL_REQUEST"], bool):
        raise TypeError(f"WEBACCEL_REQUEST must be a bool, not {type(config['WEBACCEL_REQUEST']).__name__}")
    for key in _LIMITS:
        value = config[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise TypeError(f"{key} must be a non-negative int or None, not {value!r}")


def install(app: Flask) -> None:
    """Check the ``WEBACCEL_REQUEST*`` config and, when ``WEBACCEL_REQUEST`` is true, put the
    engine in ``app.request_class``."""
    check_config(app.config)
    if app.config["WEBACCEL_REQUEST"]:
        app.request_class = request_class_for(app.request_class)

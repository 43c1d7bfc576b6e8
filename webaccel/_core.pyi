"""Type stubs for the compiled engine ``webaccel._core``. Kept honest by tests/test_stubs.py
(mypy's stubtest). Import from the public modules (``webaccel.json``, ...), not from here."""

from typing import IO, Any, Callable, Iterable, Literal, Mapping, TypeVar, final

_T = TypeVar("_T")

__all__ = [
    "__version__",
    "_panic_for_tests",
    "json_loads",
    "json_dumps",
    "json_dumps_str",
    "http_parse_qsl",
    "http_parse_qs",
    "http_urlencode",
    "http_parse_form",
    "http_parse_cookie",
    "http_parse_header_block",
    "http_headers_from_asgi",
    "http_parse_options_header",
    "http_parse_accept",
    "http_best_match",
    "http_client_ip",
    "ClientIP",
    "http_parse_authorization",
    "http_parse_basic_auth",
    "http_parse_cache_control",
    "http_parse_multipart",
    "MultipartParser",
    "MultipartPart",
    "compress_compress",
    "compress_decompress",
    "compress_negotiate",
    "Compressor",
    "Decompressor",
]

__version__: str

def _panic_for_tests(message: str) -> None: ...

# json (rust/json/)
def json_loads(data: bytes | bytearray | memoryview | str, /, *, max_depth: int = 1024) -> Any: ...
def json_dumps(
    obj: Any,
    /,
    *,
    default: Callable[[Any], Any] | None = None,
    sort_keys: bool = False,
    indent: int | str | None = None,
    nan_as_null: bool = False,
    ensure_ascii: bool = False,
    passthrough: tuple[type, ...] | None = None,
) -> bytes: ...
def json_dumps_str(
    obj: Any,
    /,
    *,
    default: Callable[[Any], Any] | None = None,
    sort_keys: bool = False,
    indent: int | str | None = None,
    nan_as_null: bool = False,
    ensure_ascii: bool = False,
    passthrough: tuple[type, ...] | None = None,
) -> str: ...

# http (rust/http/)
def http_parse_qsl(
    qs: str | bytes | None,
    keep_blank_values: object = ...,
    strict_parsing: object = ...,
    encoding: str | None = ...,
    errors: str | None = ...,
    max_num_fields: int | None = ...,
    separator: str | bytes = ...,
) -> list[tuple[Any, Any]]: ...
def http_parse_qs(
    qs: str | bytes | None,
    keep_blank_values: object = ...,
    strict_parsing: object = ...,
    encoding: str | None = ...,
    errors: str | None = ...,
    max_num_fields: int | None = ...,
    separator: str | bytes = ...,
) -> dict[Any, list[Any]]: ...
def http_urlencode(
    query: Any,
    doseq: object = ...,
    safe: str | bytes = ...,
    encoding: str | None = ...,
    errors: str | None = ...,
    quote_via: Callable[..., str] = ...,
) -> str: ...
def http_parse_form(
    body: bytes | bytearray,
    /,
    *,
    max_fields: int | None = 1000,
    max_size: int | None = 2621440,
    encoding: str = "utf-8",
    keep_blank_values: bool = True,
) -> list[tuple[str, str]]: ...
def http_parse_cookie(cookie: str, *, max_size: int | None = None, max_cookies: int | None = None) -> dict[str, str]: ...

# http headers (rust/http/headers.rs, options.rs, accept.rs)
def http_parse_header_block(
    data: bytes | bytearray, /, *, max_headers: int = 100, max_line: int = 8190, max_size: int = 65536
) -> list[tuple[str, str]]: ...
def http_headers_from_asgi(headers: Iterable[tuple[bytes | str, bytes | str]], /) -> dict[str, str]: ...
def http_parse_options_header(value: str | None, /) -> tuple[str, dict[str, str]]: ...
def http_parse_accept(
    value: str | None, /, kind: Literal["mime", "language", "encoding"] = "mime"
) -> list[tuple[str, float]]: ...
def http_best_match(
    accept_header: str | None,
    available: Iterable[str],
    default: _T | None = None,
    *,
    kind: Literal["mime", "language", "encoding"] = "mime",
) -> str | _T | None: ...

# client address (rust/http/client_ip.rs)
_Headers = Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]
_Peer = str | tuple[str, int] | None

def http_client_ip(
    peer: _Peer,
    headers: _Headers,
    *,
    trusted_proxies: Iterable[str] | None = ...,
    header: str = "x-forwarded-for",
) -> str | None: ...
@final
class ClientIP:
    def __new__(cls, trusted_proxies: Iterable[str] | None = ..., header: str = "x-forwarded-for") -> ClientIP: ...
    def get(self, peer: _Peer, headers: _Headers) -> str | None: ...
    @property
    def header(self) -> str: ...
    @property
    def trusted_proxies(self) -> list[str]: ...

# Authorization / Cache-Control (rust/http/fields.rs)
def http_parse_authorization(value: str, /) -> tuple[str, str]: ...
def http_parse_basic_auth(credentials: str, /, *, max_size: int = 8190) -> tuple[str, str]: ...
def http_parse_cache_control(value: str | None, /) -> dict[str, str | None]: ...
# http multipart (rust/http/multipart.rs, multipart_bind.rs)
@final
class MultipartPart:
    @property
    def name(self) -> str: ...
    @property
    def filename(self) -> str | None: ...
    @property
    def content_type(self) -> str | None: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    @property
    def data(self) -> bytes | None: ...
    @property
    def file(self) -> IO[bytes] | None: ...
    @property
    def size(self) -> int: ...

@final
class MultipartParser:
    def __new__(
        cls,
        boundary: bytes | str,
        *,
        max_parts: int | None = 1000,
        max_files: int | None = 100,
        max_field_size: int | None = 1048576,
        max_file_size: int | None = 104857600,
        max_header_size: int = 8192,
        max_headers: int = 32,
        max_preamble: int = 1024,
        max_epilogue: int = 1024,
        max_body_size: int | None = None,
        spool_max_size: int | None = 1048576,
    ) -> MultipartParser: ...
    def feed(self, chunk: bytes | bytearray) -> list[MultipartPart]: ...
    def close(self) -> None: ...
    @property
    def buffered(self) -> int: ...

def http_parse_multipart(
    body: bytes | bytearray,
    content_type: str | bytes,
    *,
    max_parts: int | None = 1000,
    max_files: int | None = 100,
    max_field_size: int | None = 1048576,
    max_file_size: int | None = 104857600,
    max_header_size: int = 8192,
    max_headers: int = 32,
    max_preamble: int = 1024,
    max_epilogue: int = 1024,
    max_body_size: int | None = None,
    spool_max_size: int | None = None,
) -> list[MultipartPart]: ...

# compress (rust/compress/)
def compress_compress(data: bytes | bytearray, encoding: str, level: int | None = None) -> bytes: ...
def compress_decompress(data: bytes | bytearray, encoding: str, *, max_size: int = 16777216) -> bytes: ...
def compress_negotiate(
    accept_encoding: str | bytes | None, available: Iterable[str] | None = None
) -> str | None: ...
@final
class Compressor:
    def __new__(cls, encoding: str, level: int | None = None) -> Compressor: ...
    def compress(self, data: bytes | bytearray) -> bytes: ...
    def flush(self) -> bytes: ...
    def finish(self) -> bytes: ...
    @property
    def encoding(self) -> str: ...
    @property
    def level(self) -> int: ...
    @property
    def finished(self) -> bool: ...

@final
class Decompressor:
    def __new__(cls, encoding: str, *, max_size: int = 16777216) -> Decompressor: ...
    def decompress(self, data: bytes | bytearray) -> bytes: ...
    def finish(self) -> bytes: ...
    @property
    def encoding(self) -> str: ...
    @property
    def max_size(self) -> int: ...
    @property
    def total_out(self) -> int: ...
    @property
    def finished(self) -> bool: ...

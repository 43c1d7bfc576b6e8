"""Type stubs for the compiled engine ``webaccel._core``. Kept honest by tests/test_stubs.py
(mypy's stubtest). Import from the public modules (``webaccel.json``, ...), not from here."""

from typing import IO, Any, Callable, Iterable, Literal, Mapping, TypeVar, final

from typing_extensions import disjoint_base

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
    "Cache",
    "Metrics",
    "accesslog_format_lines",
    "RedisClient",
    "RateLimiter",
    "RateLimitResult",
    "Paginator",
    "CursorCodec",
    "FilterPlan",
    "passwords_hash_raw",
    "passwords_hash_encoded",
    "passwords_verify",
    "passwords_decode",
    "passwords_MAX_ENCODED_LEN",
    "webhook_sign",
    "webhook_verify",
    "JWTKey",
    "JWKSet",
    "JWTVerifier",
    "auth_jwt_decode",
    "auth_jwt_encode",
    "auth_jws_encode",
    "auth_jwt_unverified_header",
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
    newline: bool = False,
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
def http_headers_from_asgi(
    headers: Iterable[tuple[bytes | str, bytes | str]],
    /,
    *,
    max_headers: int | None = 100,
    max_size: int | None = 65536,
) -> dict[str, str]: ...
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
# cache (rust/cache/): subclassable (webaccel.cache.Cache adds get_or_set in Python)
@disjoint_base
class Cache:
    def __new__(
        cls,
        max_items: int | None = None,
        max_bytes: int | None = None,
        ttl: float | None = None,
        *,
        sizeof: Callable[[Any], int] | None = None,
        timer: Callable[[], float] | None = None,
    ) -> Cache: ...
    @property
    def max_items(self) -> int | None: ...
    @property
    def max_bytes(self) -> int | None: ...
    @property
    def ttl(self) -> float | None: ...
    def get(self, key: str | bytes, default: Any = None) -> Any: ...
    def __getitem__(self, key: str | bytes, /) -> Any: ...
    def set(self, key: str | bytes, value: Any, ttl: float | None = None) -> bool: ...
    def __setitem__(self, key: str | bytes, value: Any, /) -> None: ...
    def add(self, key: str | bytes, value: Any, ttl: float | None = None) -> bool: ...
    def delete(self, key: str | bytes) -> bool: ...
    def __delitem__(self, key: str | bytes, /) -> None: ...
    def __contains__(self, key: object, /) -> bool: ...
    def touch(self, key: str | bytes, ttl: float | None = None) -> bool: ...
    def incr(self, key: str | bytes, delta: int | None = None, *, initial: int | None = None) -> int: ...
    def get_many(self, keys: Iterable[str | bytes]) -> dict[str | bytes, Any]: ...
    def set_many(self, mapping: Mapping[str | bytes, Any] | Iterable[tuple[str | bytes, Any]], ttl: float | None = None) -> None: ...
    def clear(self) -> None: ...
    def purge(self) -> int: ...
    def keys(self) -> list[str | bytes]: ...
    def __len__(self) -> int: ...
    def stats(self) -> dict[str, Any]: ...
# metrics (rust/metrics/)
@final
class Metrics:
    def __new__(
        cls,
        *,
        buckets: list[float] | tuple[float, ...] | None = ...,
        namespace: str = "http",
        max_series: int = 10000,
        count_4xx_errors: bool = False,
    ) -> Metrics: ...
    def observe(self, method: str, route: str, status: int, seconds: float) -> None: ...
    def render(self) -> str: ...
    def snapshot(self) -> dict[str, Any]: ...
    def merge(self, snapshot: Mapping[str, Any]) -> None: ...
    def render_with(self, snapshots: Iterable[Mapping[str, Any]]) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def buckets(self) -> tuple[float, ...]: ...
    @property
    def max_series(self) -> int: ...
    @property
    def count_4xx_errors(self) -> bool: ...
    @property
    def series_count(self) -> int: ...

# access log lines (rust/accesslog/)
def accesslog_format_lines(
    records: list[tuple[float, str, str, str, int, float, str | None, str, str | None, int]], /
) -> bytes: ...

# shared Redis client (rust/store/)
@final
class RedisClient:
    def __new__(
        cls,
        url: str,
        *,
        timeout: float = 0.1,
        connect_timeout: float = 0.2,
        pool_size: int = 16,
        retry_interval: float = 0.5,
        max_retry_interval: float = 5.0,
    ) -> RedisClient: ...
    def ping(self) -> bool: ...
    def execute(self, *args: bytes | str | int | float) -> Any: ...
    @property
    def url(self) -> str: ...
    @property
    def is_down(self) -> bool: ...
    @property
    def idle_connections(self) -> int: ...

# rate limiting (rust/ratelimit/)
@final
class RateLimitResult:
    @property
    def allowed(self) -> bool: ...
    @property
    def limit(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def reset_after(self) -> float: ...
    @property
    def retry_after(self) -> float | None: ...
    @property
    def window(self) -> float: ...
    @property
    def index(self) -> int: ...
    @property
    def degraded(self) -> bool: ...
    def __bool__(self) -> bool: ...

from typing_extensions import disjoint_base

@disjoint_base
class RateLimiter:
    def __new__(
        cls: type[_T],
        rate: str,
        *,
        algorithm: str = "gcra",
        storage: str = "memory://",
        max_keys: int = 100000,
        fail_open: bool = True,
        burst: int | None = None,
        key_prefix: str = "webaccel:rl",
        timeout: float = 0.1,
        connect_timeout: float | None = None,
        pool_size: int = 16,
        retry_interval: float = 0.5,
        clock: Callable[[], float] | None = None,
    ) -> _T: ...
    def hit(self, key: str, cost: int = 1) -> RateLimitResult: ...
    def peek(self, key: str, cost: int = 1) -> RateLimitResult: ...
    def reset(self, key: str) -> bool: ...
    def clear(self) -> None: ...
    def __len__(self) -> int: ...
    @property
    def limits(self) -> list[tuple[int, float]]: ...
    @property
    def rate(self) -> str: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def burst(self) -> int: ...
    @property
    def fail_open(self) -> bool: ...
    @property
    def storage(self) -> str: ...
    @property
    def max_keys(self) -> int | None: ...
# pagination (rust/pagination/)
@final
class Paginator:
    def __new__(
        cls,
        page: object,
        page_size: object,
        total_items: int,
        *,
        max_page_size: int | None = 100,
        allow_empty_first_page: bool = True,
        orphans: int = 0,
        clamp: bool = False,
    ) -> Paginator: ...
    @property
    def page(self) -> int: ...
    @property
    def page_size(self) -> int: ...
    @property
    def total_items(self) -> int: ...
    @property
    def total_pages(self) -> int: ...
    @property
    def has_next(self) -> bool: ...
    @property
    def has_prev(self) -> bool: ...
    @property
    def next_page(self) -> int | None: ...
    @property
    def prev_page(self) -> int | None: ...
    @property
    def offset(self) -> int: ...
    @property
    def limit(self) -> int: ...
    @property
    def start_index(self) -> int: ...
    @property
    def end_index(self) -> int: ...
    @property
    def orphans(self) -> int: ...
    @property
    def max_page_size(self) -> int | None: ...
    @property
    def allow_empty_first_page(self) -> bool: ...
    def slice(self, items: Any) -> Any: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class CursorCodec:
    def __new__(
        cls,
        secret: str | bytes | list[str | bytes] | tuple[str | bytes, ...] | Any,
        *,
        salt: str = "",
        max_age: float | None = None,
        max_length: int = 1024,
    ) -> CursorCodec: ...
    def encode(self, values: Any, direction: str = "next", *, now: float | None = None) -> str: ...
    def decode(self, cursor: str, *, now: float | None = None) -> tuple[Any, Literal["next", "prev"], int]: ...
    @property
    def max_age(self) -> float | None: ...
    @property
    def max_length(self) -> int: ...

@final
class FilterPlan:
    def __new__(cls, conditions: Iterable[tuple[str, str, Any]], sort: Iterable[tuple[str, bool]]) -> FilterPlan: ...
    def apply(self, items: Iterable[Mapping[str, Any]]) -> list[Any]: ...
# passwords (rust/passwords/)
def passwords_hash_raw(
    secret: bytes,
    salt: bytes,
    time_cost: int,
    memory_cost: int,
    parallelism: int,
    hash_len: int,
    type: int,
    version: int = 19,
    *,
    key: bytes | None = None,
    associated_data: bytes | None = None,
) -> bytes: ...
def passwords_hash_encoded(
    secret: bytes,
    salt: bytes,
    time_cost: int,
    memory_cost: int,
    parallelism: int,
    hash_len: int,
    type: int,
    version: int = 19,
) -> str: ...
def passwords_verify(
    hash: str,
    secret: bytes,
    type: int | None = None,
    *,
    max_memory_cost: int = 2097152,
    max_time_cost: int = 16,
    max_parallelism: int = 255,
) -> bool: ...
def passwords_decode(hash: str) -> tuple[int, int, int, int, int, int, int]: ...

passwords_MAX_ENCODED_LEN: int

# webhooks (rust/webhook.rs)
def webhook_sign(
    secret: bytes,
    payload: bytes,
    algorithm: str = "sha256",
    encoding: str = "hex",
    *,
    prefix: bool = False,
) -> str: ...
def webhook_verify(
    secret: bytes,
    payload: bytes,
    signature: bytes,
    algorithm: str = "sha256",
    encoding: str = "hex",
) -> bool: ...
# auth (rust/auth/jwt/)
@final
class JWTKey:
    @staticmethod
    def from_secret(secret: str | bytes, /, *, allow_short: bool = False) -> JWTKey: ...
    @staticmethod
    def from_pem(data: str | bytes, /) -> JWTKey: ...
    @staticmethod
    def from_jwk(jwk: Mapping[str, Any] | str | bytes, /) -> JWTKey: ...
    @property
    def kty(self) -> str: ...
    @property
    def kid(self) -> str | None: ...
    @property
    def algorithm(self) -> str | None: ...
    @property
    def algorithms(self) -> list[str]: ...
    @property
    def is_private(self) -> bool: ...
    def sign(self, data: bytes, algorithm: str) -> bytes: ...
    def verify(self, data: bytes, signature: bytes, algorithm: str) -> bool: ...
    def public_jwk(self) -> dict[str, str]: ...

@final
class JWKSet:
    def __new__(cls, keys: list[JWTKey], /) -> JWKSet: ...
    @staticmethod
    def from_dict(jwks: Mapping[str, Any] | str | bytes, /) -> JWKSet: ...
    @property
    def keys(self) -> list[JWTKey]: ...
    @property
    def kids(self) -> list[str]: ...
    @property
    def skipped(self) -> list[str]: ...
    def get(self, kid: str, /) -> JWTKey | None: ...
    def __getitem__(self, kid: str, /) -> JWTKey: ...
    def __contains__(self, kid: str, /) -> bool: ...
    def __len__(self) -> int: ...

@final
class JWTVerifier:
    def __new__(
        cls,
        key: Any,
        algorithms: Iterable[str],
        *,
        audience: str | Iterable[str] | None = None,
        issuer: str | Iterable[str] | None = None,
        subject: str | None = None,
        leeway: Any = None,
        options: Mapping[str, Any] | None = None,
        typ: str | None = None,
        max_size: int = 16384,
        max_depth: int = 32,
    ) -> JWTVerifier: ...
    def decode(self, token: str | bytes, /, *, now: float | None = None) -> dict[str, Any]: ...
    def decode_complete(self, token: str | bytes, /, *, now: float | None = None) -> dict[str, Any]: ...
    def decode_bearer(
        self, headers: Iterable[tuple[bytes, bytes]], /, *, now: float | None = None
    ) -> dict[str, Any] | None: ...
    def set_keys(self, key: Any, /) -> None: ...
    @property
    def algorithms(self) -> list[str]: ...

def auth_jwt_decode(
    token: str | bytes,
    key: Any,
    algorithms: Iterable[str] | None,
    *,
    options: Mapping[str, Any] | None = None,
    audience: str | Iterable[str] | None = None,
    issuer: str | Iterable[str] | None = None,
    subject: str | None = None,
    leeway: Any = None,
    typ: str | None = None,
    max_size: int = 16384,
    max_depth: int = 32,
    now: float | None = None,
    mode: int = 0,
) -> Any: ...
def auth_jwt_encode(
    payload: Any,
    key: Any,
    algorithm: str | None = None,
    headers: Mapping[str, Any] | None = None,
    *,
    sort_headers: bool = True,
    default: Callable[[Any], Any] | None = None,
) -> str: ...
def auth_jws_encode(
    payload: bytes,
    key: Any,
    algorithm: str | None = None,
    headers: Mapping[str, Any] | None = None,
    *,
    sort_headers: bool = True,
) -> str: ...
def auth_jwt_unverified_header(token: str | bytes, /, *, max_size: int = 16384, max_depth: int = 32) -> dict[str, Any]: ...

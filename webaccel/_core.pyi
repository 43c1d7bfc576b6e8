"""Type stubs for the compiled engine ``webaccel._core``. Kept honest by tests/test_stubs.py
(mypy's stubtest). Import from the public modules (``webaccel.json``, ...), not from here."""

from typing import Any, Callable

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

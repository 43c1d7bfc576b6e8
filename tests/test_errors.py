"""webaccel's exception hierarchy: one root (WebAccelError), the standard classes users already
catch as second bases, Rust panics surfacing as InternalError, and one version everywhere."""

from __future__ import annotations

import json
import pickle
import sys
import threading
from pathlib import Path

import pytest

import webaccel
import webaccel.errors
import webaccel.json
from webaccel import _core

ROOT = Path(__file__).resolve().parent.parent


def error_classes() -> list[type[BaseException]]:
    return [
        obj
        for obj in vars(webaccel.errors).values()
        if isinstance(obj, type) and issubclass(obj, BaseException) and obj.__module__ == "webaccel.errors"
    ]


# --- the hierarchy ------------------------------------------------------------------------

def test_every_error_class_is_exported_and_derives_from_the_root() -> None:
    classes = error_classes()
    assert {c.__name__ for c in classes} == set(webaccel.errors.__all__)
    for cls in classes:
        assert issubclass(cls, webaccel.WebAccelError), cls
        assert issubclass(cls, Exception), f"{cls} escapes `except Exception`"


def test_the_root_and_internal_error_are_the_same_objects_everywhere() -> None:
    assert webaccel.WebAccelError is webaccel.errors.WebAccelError
    assert webaccel.InternalError is webaccel.errors.InternalError
    assert webaccel.json.JSONDecodeError is webaccel.errors.JSONDecodeError
    assert webaccel.json.JSONEncodeError is webaccel.errors.JSONEncodeError


def test_internal_error_is_a_runtime_error() -> None:
    assert issubclass(webaccel.InternalError, RuntimeError)


def test_json_decode_error_is_stdlibs() -> None:
    cls = webaccel.json.JSONDecodeError
    assert issubclass(cls, json.JSONDecodeError)
    assert issubclass(cls, ValueError)
    err = cls("Expecting value", '{"a":\n  x}', 9)
    assert (err.msg, err.doc, err.pos, err.lineno, err.colno) == ("Expecting value", '{"a":\n  x}', 9, 2, 4)
    assert str(err) == "Expecting value: line 2 column 4 (char 9)"


def test_json_encode_error_is_a_type_error_and_a_value_error() -> None:
    cls = webaccel.json.JSONEncodeError
    assert issubclass(cls, TypeError)
    assert issubclass(cls, ValueError)


@pytest.mark.parametrize(
    "err",
    [
        webaccel.WebAccelError("x"),
        webaccel.InternalError("internal error in webaccel: boom"),
        webaccel.json.JSONDecodeError("Expecting value", "[1,", 3),
        webaccel.json.JSONEncodeError("Type is not JSON serializable: object"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_pickle(err: BaseException) -> None:
    # Errors cross process boundaries (multiprocessing, task queues) with their class and message.
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert str(back) == str(err)


# --- the engine raises these very classes -------------------------------------------------

def test_loads_raises_webaccels_decode_error_that_stdlib_handlers_catch() -> None:
    with pytest.raises(json.JSONDecodeError) as info:
        webaccel.json.loads(b'{"a": 1')
    assert type(info.value) is webaccel.json.JSONDecodeError
    assert isinstance(info.value, webaccel.WebAccelError)
    assert info.value.pos == 7


def test_dumps_of_an_unsupported_type_raises_encode_error_as_a_type_error() -> None:
    with pytest.raises(TypeError) as info:
        webaccel.json.dumps(object())
    assert type(info.value) is webaccel.json.JSONEncodeError


def test_dumps_of_nan_raises_encode_error_as_a_value_error() -> None:
    with pytest.raises(ValueError) as info:
        webaccel.json.dumps(float("nan"))
    assert type(info.value) is webaccel.json.JSONEncodeError


# --- panics -------------------------------------------------------------------------------

def test_a_panic_is_an_internal_error_not_pyo3s_panic_exception() -> None:
    with pytest.raises(webaccel.InternalError) as info:
        _core._panic_for_tests("boom")
    err = info.value
    assert type(err) is webaccel.errors.InternalError
    assert isinstance(err, Exception)  # PanicException derives from BaseException only
    assert "PanicException" not in {cls.__name__ for cls in type(err).__mro__}
    assert "boom" in str(err)


def test_the_panic_message_is_kept_verbatim() -> None:
    message = "ünïcode {} {0} %s \n second line"
    with pytest.raises(webaccel.InternalError, match="ünïcode") as info:
        _core._panic_for_tests(message)
    assert message in str(info.value)


def test_the_module_keeps_working_after_panics() -> None:
    for _ in range(3):
        with pytest.raises(webaccel.InternalError):
            _core._panic_for_tests("boom")
        assert webaccel.json.loads(b'{"a":[1,2.5,null]}') == {"a": [1, 2.5, None]}
        assert webaccel.json.dumps({"a": [1, 2.5, None]}) == b'{"a":[1,2.5,null]}'


def test_panics_in_threads_are_internal_errors_too() -> None:
    # The module declares it does not need the GIL: panics may unwind in several threads at once.
    caught: list[BaseException | None] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            _core._panic_for_tests(f"thread {i}")
        except BaseException as e:  # noqa: BLE001 - collected and checked below
            with lock:
                caught.append(e)
        else:
            with lock:
                caught.append(None)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(caught) == 8
    assert all(type(e) is webaccel.InternalError for e in caught), caught
    assert sorted(str(e).rsplit(" ", 1)[-1] for e in caught) == [str(i) for i in range(8)]


# --- one version everywhere ---------------------------------------------------------------

def test_version_matches_pyproject_and_cargo() -> None:
    tomllib = pytest.importorskip("tomllib") if sys.version_info < (3, 11) else __import__("tomllib")
    from packaging.version import Version

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
    assert webaccel.__version__ == cargo  # the extension reports CARGO_PKG_VERSION
    # maturin turns Cargo's semver into PEP 440 (0.2.0-alpha.1 is 0.2.0a1): compare normalized.
    assert Version(cargo) == Version(pyproject)

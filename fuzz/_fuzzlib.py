"""Shared plumbing of the request-parsing fuzz targets (``fuzz/fuzz_<parser>.py``).

Each target defines ``check(data: bytes)``, which raises :class:`Mismatch` when webaccel and the
reference disagree, or when webaccel raises anything but its documented typed errors; a target
calls :func:`run` from its ``__main__`` block.

Corpus arrangement (the same for every target but ``fuzz_json_loads.py``, whose seeds sit at the
top of ``fuzz/seeds``): libFuzzer writes new inputs into the FIRST directory given and only reads
the others. ``fuzz/seeds/<name>/`` holds the committed seeds of target ``fuzz_<name>.py``;
``fuzz/corpus_<name>/`` (git-ignored) is its growing corpus. If the first directory given is the
seeds directory, the corpus is put in front of it, so the committed seeds are never written to.
Unless given, ``-artifact_prefix=fuzz/artifacts/<name>-``, ``-timeout=10`` and, when
``fuzz/<name>.dict`` exists, ``-dict=`` are added.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"


class Mismatch(AssertionError):
    """webaccel disagrees with the reference, or raised something it must not."""


def seeds_dir(name: str) -> Path:
    return HERE / "seeds" / name


def corpus_dir(name: str) -> Path:
    return HERE / f"corpus_{name}"


def libfuzzer_args(name: str, argv: list[str]) -> list[str]:
    """``argv`` plus this target's defaults (see the module docstring)."""
    args = list(argv)
    seeds, corpus = seeds_dir(name), corpus_dir(name)
    positional = [i for i, a in enumerate(args[1:], 1) if not a.startswith("-")]
    first = Path(args[positional[0]]).resolve() if positional else None
    if first == seeds:
        args.insert(positional[0], str(corpus))
        print(f"fuzz: new inputs go to {corpus}, {seeds} is read only", file=sys.stderr)
    if first in (seeds, corpus):
        corpus.mkdir(exist_ok=True)  # libFuzzer refuses a corpus directory that does not exist
    if not any(a.startswith("-artifact_prefix=") for a in args):
        ARTIFACTS.mkdir(exist_ok=True)
        args.insert(1, f"-artifact_prefix={ARTIFACTS}/{name}-")
    if not any(a.startswith("-timeout=") for a in args):
        args.insert(1, "-timeout=10")
    dictionary = HERE / f"{name}.dict"
    if dictionary.exists() and not any(a.startswith("-dict=") for a in args):
        args.insert(1, f"-dict={dictionary}")
    return args


def instrument(modules: list[str]) -> None:
    """Instrument, in place, the functions and methods defined in ``modules`` (already imported)."""
    import atheris  # type: ignore[import-untyped]

    seen: set[int] = set()
    for module_name in modules:
        module = sys.modules[module_name]
        for obj in list(vars(module).values()):
            members = list(vars(obj).values()) if isinstance(obj, type) else [obj]
            for fn in members:
                fn = getattr(fn, "__func__", fn)  # classmethod / staticmethod
                code = getattr(fn, "__code__", None)
                if code is None or id(code) in seen or getattr(fn, "__module__", None) != module_name:
                    continue
                seen.add(id(code))
                atheris.instrument_func(fn)


def run(name: str, check: Callable[[bytes], None], modules: list[str]) -> None:
    """Fuzz ``check`` with libFuzzer (``atheris``), arguments as on the command line.

    Coverage: webaccel's native code is not instrumented, so the signal comes from the Python
    that runs on each input: the reference parsers named in ``modules`` (urllib.parse, Django's
    cookie parser, werkzeug.http, python-multipart's state machine, ipaddress) and the target's
    own checks (``__main__``), instrumented here.
    """
    import atheris  # type: ignore[import-untyped]

    instrument([*modules, "__main__"])
    atheris.Setup(libfuzzer_args(name, sys.argv), check)
    atheris.Fuzz()


def only(errors: tuple[type[BaseException], ...], what: str, fn: Callable[..., object], /, *args: object, **kwargs: object) -> tuple[bool, object]:
    """``(True, result)`` or ``(False, error)`` for one of ``errors``; anything else (an
    ``InternalError`` from a caught Rust panic, a ``TypeError``...) is a :class:`Mismatch`."""
    try:
        return True, fn(*args, **kwargs)
    except errors as e:
        return False, e
    except BaseException as e:  # noqa: B036
        raise Mismatch(f"{what}: raised {type(e).__module__}.{type(e).__qualname__}: {e}") from e

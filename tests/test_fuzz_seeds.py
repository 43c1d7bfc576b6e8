"""The fuzz target's checks, run under pytest on its seed corpus and on a few generated hostile
inputs (deep nesting around max_depth, long strings): the same differential oracle as
``fuzz/fuzz_json_loads.py`` (webaccel.json.loads against stdlib json.loads, then the round trip
through dumps), without libFuzzer. The fuzzing itself runs in ``make test`` after pytest."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

pytest.importorskip("atheris")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fuzz" / "seeds").iterdir())


@pytest.fixture(scope="module")
def fuzz() -> Iterator[ModuleType]:
    limit = sys.getrecursionlimit()  # the target raises it for deep inputs; restored afterwards
    spec = importlib.util.spec_from_file_location("fuzz_json_loads", ROOT / "fuzz" / "fuzz_json_loads.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.setrecursionlimit(limit)


def generated() -> list[tuple[str, bytes]]:
    cases = []
    for depth in (8, 9, 1023, 1024, 1025, 2000):
        cases.append((f"array depth {depth}", b"[" * depth + b"]" * depth))
        cases.append((f"object depth {depth}", b'{"a":' * depth + b"1" + b"}" * depth))
    cases.append(("unclosed depth 4096", b"[" * 4096))
    cases.append(("long string", b'"' + b"a\\n\\u00e9\xc3\xa9\\ud83d\\ude00" * 200 + b'"'))
    numbers = b",".join(b"%d.5e-3" % (i * 7919 - 10**6) for i in range(300))
    cases.append(("many numbers", b"[" + numbers + b"]"))
    cases.append(("empty", b""))
    return cases


def test_there_are_seeds() -> None:
    assert len(SEEDS) >= 12
    assert all(p.stat().st_size <= 4096 for p in SEEDS), "seeds stay small (max_len is 4096)"


@pytest.mark.parametrize("path", SEEDS, ids=[p.name for p in SEEDS])
def test_seed(fuzz: ModuleType, path: Path) -> None:
    fuzz.check(path.read_bytes())


@pytest.mark.parametrize("data", [d for _, d in generated()], ids=[n for n, _ in generated()])
def test_generated(fuzz: ModuleType, data: bytes) -> None:
    fuzz.check(data)


def test_the_seeds_directory_is_never_written_to(fuzz: ModuleType) -> None:
    args = fuzz.libfuzzer_args(["fuzz_json_loads.py", "-runs=10", str(fuzz.SEEDS)])
    positional = [a for a in args[1:] if not a.startswith("-")]
    assert positional == [str(fuzz.CORPUS), str(fuzz.SEEDS)]
    assert any(a.startswith("-artifact_prefix=") for a in args)
    # An explicit corpus directory first is left alone.
    args = fuzz.libfuzzer_args(["fuzz_json_loads.py", "/tmp/corpus", str(fuzz.SEEDS)])
    assert [a for a in args[1:] if not a.startswith("-")] == ["/tmp/corpus", str(fuzz.SEEDS)]

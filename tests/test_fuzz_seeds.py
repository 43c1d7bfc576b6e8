"""The fuzz targets' checks, run under pytest on their seed corpora, without libFuzzer:

- ``fuzz/fuzz_json_loads.py`` on the files at the top of ``fuzz/seeds`` and a few generated
  hostile inputs (deep nesting around max_depth, long strings): webaccel.json.loads against
  stdlib json.loads, then the round trip through dumps;
- every other ``fuzz/fuzz_<name>.py`` on the files of ``fuzz/seeds/<name>/`` (its ``check``, or
  its ``TestOneInput``).

The fuzzing itself runs in ``make test`` (``scripts/dev.sh``: every target, a shared budget)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

pytest.importorskip("atheris")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(p for p in (ROOT / "fuzz" / "seeds").iterdir() if p.is_file())
TARGETS = sorted(p for p in (ROOT / "fuzz").glob("fuzz_*.py") if p.stem != "fuzz_json_loads")
TARGET_SEEDS = [
    (target, seed)
    for target in TARGETS
    if (ROOT / "fuzz" / "seeds" / target.stem[len("fuzz_"):]).is_dir()
    for seed in sorted((ROOT / "fuzz" / "seeds" / target.stem[len("fuzz_"):]).iterdir())
]
_LOADED: dict[Path, ModuleType] = {}


def load_target(path: Path) -> ModuleType:
    if path not in _LOADED:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _LOADED[path] = module
    return _LOADED[path]


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


def test_every_request_parsing_target_has_seeds() -> None:
    names = {t.stem for t, _ in TARGET_SEEDS}
    for name in ("fuzz_query", "fuzz_cookie", "fuzz_headers", "fuzz_multipart", "fuzz_client_ip"):
        assert name in names, f"fuzz/seeds/{name[5:]}/ is missing"
    assert all(seed.stat().st_size <= 4096 for _, seed in TARGET_SEEDS)


@pytest.mark.parametrize(
    ("target", "seed"), TARGET_SEEDS, ids=[f"{t.stem}/{s.name}" for t, s in TARGET_SEEDS]
)
def test_target_seed(target: Path, seed: Path) -> None:
    module = load_target(target)
    check = getattr(module, "check", None) or module.TestOneInput
    check(seed.read_bytes())


def test_request_parsing_targets_never_write_their_seeds() -> None:
    module = load_target(ROOT / "fuzz" / "fuzz_query.py")
    lib = sys.modules["_fuzzlib"]
    seeds = str(lib.seeds_dir("query"))
    args = lib.libfuzzer_args("query", ["fuzz_query.py", "-runs=10", seeds])
    assert [a for a in args[1:] if not a.startswith("-")] == [str(lib.corpus_dir("query")), seeds]
    assert any(a.startswith("-artifact_prefix=") for a in args)
    assert module.NAME == "query"

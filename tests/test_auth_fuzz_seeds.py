"""The JWT fuzz target's checks (``fuzz/fuzz_jwt.py``) on its committed seeds and a few generated
hostile inputs, without libFuzzer: only typed token errors, and nothing accepted that PyJWT
refuses. The fuzzing itself runs in ``make test``."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

pytest.importorskip("atheris")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fuzz" / "seeds_jwt").iterdir())


@pytest.fixture(scope="module")
def fuzz() -> Iterator[ModuleType]:
    import jwt.api_jwt

    saved = jwt.api_jwt.datetime  # the target freezes PyJWT's clock on import; give it back after
    spec = importlib.util.spec_from_file_location("fuzz_jwt", ROOT / "fuzz" / "fuzz_jwt.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    jwt.api_jwt.datetime = saved


def generated() -> list[tuple[str, bytes]]:
    return [
        ("huge header", b'{"alg":"HS256","x":"' + b"a" * 20000 + b'"}\0{}'),
        ("deep header", b'{"alg":"HS256","x":' + b"[" * 5000 + b"]" * 5000 + b"}\0{}"),
        ("many dots", b"." * 1000),
        ("non-ascii", "é.ü.ß".encode()),
        ("empty", b""),
        ("valid claims", b'{"alg":"HS256","typ":"JWT"}\0{"aud":"api","iss":"iss","exp":1700000001}'),
    ]


def test_there_are_seeds() -> None:
    assert len(SEEDS) >= 10
    assert all(p.stat().st_size <= 4096 for p in SEEDS)


@pytest.mark.parametrize("path", SEEDS, ids=[p.name for p in SEEDS])
def test_seed(fuzz: ModuleType, path: Path) -> None:
    fuzz.check(path.read_bytes())


@pytest.mark.parametrize("data", [d for _, d in generated()], ids=[n for n, _ in generated()])
def test_generated(fuzz: ModuleType, data: bytes) -> None:
    fuzz.check(data)


def test_a_valid_structured_token_is_accepted_by_both(fuzz: ModuleType) -> None:
    token = fuzz.structured(b'{"alg":"HS256","typ":"JWT"}\0{"aud":"api","iss":"iss","exp":1700000001}')
    assert fuzz.VERIFIER.decode(token, now=fuzz.NOW)["aud"] == "api"


def test_the_seeds_directory_is_never_written_to(fuzz: ModuleType) -> None:
    args = fuzz.libfuzzer_args(["fuzz_jwt.py", "-runs=10", str(ROOT / "fuzz" / "corpus"), str(ROOT / "fuzz" / "seeds")])
    positional = [a for a in args[1:] if not a.startswith("-")]
    assert positional[0] == str(fuzz.CORPUS) and str(fuzz.SEEDS) in positional
    args = fuzz.libfuzzer_args(["fuzz_jwt.py", str(fuzz.SEEDS)])
    assert [a for a in args[1:] if not a.startswith("-")] == [str(fuzz.CORPUS), str(fuzz.SEEDS)]

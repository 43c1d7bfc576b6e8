"""The type stubs stay honest: mypy's stubtest compares ``webaccel/_core.pyi`` with the compiled
``webaccel._core`` (names, signatures, ``__all__``), as pydantic-core does; the public Python
modules type-check with ``mypy --strict``; and every module of the package imports.

The framework adapters (``webaccel/{fastapi,flask,django}/``) are imported but not checked with
``--strict``: Django ships no type information, so strict mode would demand stubs for it.
Everything runs in subprocesses (about 1 s each), with mypy's cache in a temporary directory.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "webaccel"


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,  # not the repository root, so the package is the installed (editable) one
        capture_output=True,
        text=True,
        timeout=300,
    )


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n{result.stdout}\n{result.stderr}"


def test_stubtest_core(tmp_path: Path) -> None:
    result = run(
        ["-m", "mypy.stubtest", "webaccel._core", "--mypy-config-file", str(ROOT / "pyproject.toml")],
        tmp_path,
    )
    assert result.returncode == 0, (
        "stubtest: webaccel/_core.pyi does not match webaccel._core\n" + report(result)
    )


def test_public_modules_type_check_strict(tmp_path: Path) -> None:
    modules = sorted(str(p) for p in PACKAGE.glob("*.py"))
    assert modules, "no modules found in webaccel/"
    result = run(["-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy-cache"), *modules], tmp_path)
    assert result.returncode == 0, "mypy --strict webaccel/*.py\n" + report(result)


def test_every_module_imports(tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil, webaccel\n"
        "for m in pkgutil.walk_packages(webaccel.__path__, 'webaccel.'):\n"
        "    importlib.import_module(m.name)\n"
        "    print(m.name)\n"
    )
    result = run(["-c", code], tmp_path)
    assert result.returncode == 0, "a module of the package does not import\n" + report(result)
    assert "webaccel.json" in result.stdout.split()

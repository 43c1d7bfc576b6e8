"""The benchmark harness runs and prints its tables (a smoke run: structure, never speed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_quick_json_bench_prints_markdown_tables(tmp_path: Path) -> None:
    report = tmp_path / "bench.md"
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "json"]
    result = subprocess.run(
        [*command, "--markdown", str(report)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    for title in ("### json.loads", "### json.dumps", "### json.dumps_str"):
        assert title in out, out + result.stderr
    assert "| input | webaccel | orjson | msgspec | json | webaccel / orjson | 95% CI |" in out
    assert "| api payload (141 B) |" in out
    for line in ("- date: ", "- machine: ", "- Python ", "- webaccel: ", "- method: "):
        assert f"\n{line}" in "\n" + out, line
    assert "orjson 3." in out and "msgspec " in out  # the peers' versions
    assert report.read_text(encoding="utf-8").strip() == out.strip()
    # A candidate whose output is wrong is reported (not timed) and fails the run.
    assert result.returncode == (1 if "Failures (not timed)" in out else 0), out + result.stderr


def test_unknown_module_is_an_error() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--only", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unknown module(s) nope" in result.stderr


def _modules() -> list[str]:
    return sorted(
        p.stem for p in (ROOT / "bench").glob("*.py") if not p.stem.startswith("_") and p.stem != "run"
    )


@pytest.mark.parametrize("module", _modules())
def test_every_bench_module_runs_in_quick_mode(module: str, tmp_path: Path) -> None:
    """Each area's benchmark runs, checks its candidates' outputs and prints a table."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", module],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "### " in result.stdout and "| " in result.stdout, result.stdout
    assert "Failures (not timed)" not in result.stdout, result.stdout

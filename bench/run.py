"""Run webaccel's benchmarks and print Markdown tables (paste them into docs/benchmarks.md).

    make bench                                   # build (release), then every module in bench/
    .venv/bin/python bench/run.py --only json    # some modules (comma-separated)
    .venv/bin/python bench/run.py --quick        # smoke run: the structure, not the numbers

Every ``bench/<name>.py`` (not starting with ``_``) is a module: it exposes ``tables(quick)`` and
``PACKAGES`` (see ``bench/_harness.py`` for the method). Tables go to stdout, progress to stderr.
The exit status is 1 when a candidate failed (raised, or gave a wrong output).
"""

from __future__ import annotations

import os
import sys

# Run as a script, Python puts bench/ first on sys.path, where bench/json.py and bench/http.py
# would shadow the standard library's modules for everyone (webaccel and the peers included).
# Before anything else is imported, put the repository root there instead: the modules are then
# the package `bench`.
_BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or os.curdir) == _BENCH_DIR:
    sys.path[0] = os.path.dirname(_BENCH_DIR)
elif os.path.dirname(_BENCH_DIR) not in sys.path:
    sys.path.insert(0, os.path.dirname(_BENCH_DIR))

import argparse  # noqa: E402
import datetime  # noqa: E402
import importlib  # noqa: E402
import importlib.metadata  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

from bench._harness import MIN_ROUNDS, markdown, measure  # noqa: E402

ROOT = Path(_BENCH_DIR).parent
DEFAULT_ROUNDS = 25
SAMPLE_SECONDS = 0.01
QUICK_ROUNDS = 3
QUICK_SAMPLE_SECONDS = 0.0005


def available_modules() -> list[str]:
    modules = (p.stem for p in (ROOT / "bench").glob("*.py"))
    return sorted(name for name in modules if not name.startswith("_") and name != "run")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() or "unknown"


def webaccel_build() -> str:
    """'release' or 'dev': a dev build's extension keeps its debug info (ELF .debug_info)."""
    try:
        import webaccel._core
    except ImportError as e:
        return f"not importable ({e})"
    sections = _elf_section_names(Path(webaccel._core.__file__ or ""))
    if sections is None:
        return "build profile unknown"
    if ".debug_info" in sections:
        return "DEV BUILD: not representative, build with `maturin develop --release`"
    return "release build"


def _elf_section_names(path: Path) -> set[str] | None:
    try:
        with path.open("rb") as f:
            header = f.read(64)
            if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:  # ELF64, little-endian
                return None
            shoff = int.from_bytes(header[0x28:0x30], "little")
            shentsize, shnum, shstrndx = (
                int.from_bytes(header[i : i + 2], "little") for i in (0x3A, 0x3C, 0x3E)
            )
            f.seek(shoff)
            table = f.read(shentsize * shnum)
            entry = table[shstrndx * shentsize :]
            f.seek(int.from_bytes(entry[0x18:0x20], "little"))
            names = f.read(int.from_bytes(entry[0x20:0x28], "little"))
    except (OSError, IndexError, ValueError):
        return None
    result = set()
    for i in range(shnum):
        start = int.from_bytes(table[i * shentsize : i * shentsize + 4], "little")
        result.add(names[start : names.find(b"\0", start)].decode("ascii", "replace"))
    return result


def header(modules: Mapping[str, ModuleType], rounds: int, quick: bool, argv: list[str]) -> str:
    packages = ["webaccel"] + sorted({p for m in modules.values() for p in getattr(m, "PACKAGES", ())})
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", load average %.2f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    now = datetime.datetime.now(datetime.timezone.utc)
    slow = f" (fewer, {MIN_ROUNDS} at least, in rows of slow calls)" if rounds > MIN_ROUNDS else ""
    command = " ".join(["bench/run.py", *argv]) if argv else "make bench"
    lines = [
        f"- date: {now:%Y-%m-%d %H:%M} UTC",
        f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs ({usable} usable{load}), "
        f"{platform.system()} {platform.release()} {platform.machine()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), {versions}",
        f"- webaccel: {webaccel_build()}, git {git_revision()}",
        f"- method: {rounds} interleaved rounds per row{slow}, median time per call; ratio = median "
        "of the per-round ratios webaccel / peer (below 1 is faster), with its 95% confidence interval",
        f"- command: `{command}`",
    ]
    if hasattr(os, "getloadavg") and usable and os.getloadavg()[0] >= usable / 2:
        lines.append(
            f"- WARNING: the machine was busy when the run started (load average "
            f"{os.getloadavg()[0]:.2f} on {usable} CPUs): expect noise (wide intervals), rerun when idle"
        )
    if quick:
        lines.insert(0, "- QUICK RUN (smoke test): too few rounds for the numbers to mean anything")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = available_modules()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated modules (of: {', '.join(names)})")
    parser.add_argument("--rounds", type=int, help=f"rounds per row (default {DEFAULT_ROUNDS})")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few, short rounds")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report to FILE")
    args = parser.parse_args(argv)

    selected = names
    if args.only:
        selected = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(selected) - set(names))
        if unknown:
            parser.error(f"unknown module(s) {', '.join(unknown)}; available: {', '.join(names)}")
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    sample_seconds = QUICK_SAMPLE_SECONDS if args.quick else SAMPLE_SECONDS

    modules = {name: importlib.import_module(f"bench.{name}") for name in selected}
    out = [header(modules, rounds, args.quick, argv)]
    print(out[0], flush=True)
    problems: list[str] = []
    started = time.perf_counter()
    for name, module in modules.items():
        for table in module.tables(args.quick):
            rows = []
            for case in table.cases:
                elapsed = time.perf_counter() - started
                print(f"[{elapsed:6.1f}s] {table.title}: {case.label}", file=sys.stderr, flush=True)
                rows.append(measure(case, rounds, sample_seconds))
            text, failed = markdown(table, rows)
            problems += failed
            out.append(text)
            print("\n" + text, flush=True)
    if problems:
        text = "Failures (not timed):\n\n" + "\n".join(f"- {p}" for p in problems)
        out.append(text)
        print("\n" + text, flush=True)
    if args.markdown:
        Path(args.markdown).write_text("\n\n".join(out) + "\n", encoding="utf-8")
    print(f"[{time.perf_counter() - started:6.1f}s] done", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

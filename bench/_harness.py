"""The shared benchmark machinery: cases, interleaved timing, medians, Markdown tables.

A benchmark module (``bench/<capability>.py``) describes what to measure and nothing else:

    PACKAGES = ("orjson", "msgspec")          # peers whose versions the report prints

    def tables(quick: bool) -> list[Table]:   # quick: a smoke run, smaller inputs allowed
        return [Table("json.loads", "bytes in, objects out", subject="webaccel", peer="orjson",
                      cases=[Case("api payload (141 B)", data,
                                  {"webaccel": webaccel.json.loads, "orjson": orjson.loads},
                                  check=...)])]

Method (``measure``): every candidate of a case gets the same input in the same process. Each is
first called once and its output checked (a benchmark of wrong results is worthless), then a loop
count is calibrated so that one sample takes about ``sample_seconds``. Then, round after round,
each candidate takes one sample (the order rotates every round, so none always runs first or
after the same neighbour); the garbage collector is collected before and disabled during a sample,
as ``timeit`` does. The report gives each candidate's median time per call and, against the named
peer, the median of the per-round ratios (subject's sample / peer's sample of the same round:
load from other processes comes in bursts that hit both sides of a round alike, so this ratio is
much steadier on a shared machine than the ratio of the two medians), with a 95% confidence
interval for that median (distribution-free: two order statistics of the ratios).
"""

from __future__ import annotations

import gc
import itertools
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable


ROW_BUDGET_SECONDS = 5.0  # sampling time a row may take before its rounds are reduced
MIN_ROUNDS = 5


class WrongOutput(Exception):
    """A candidate's output failed the case's check: the candidate is not timed."""


@dataclass
class Case:
    """One row: the same ``arg`` passed to every candidate (``fn(arg)``, nothing else per call)."""

    label: str
    arg: Any
    candidates: dict[str, Callable[[Any], Any]]
    # check(candidate_name, output) raises WrongOutput (or any exception) when the output is wrong.
    check: Callable[[str, Any], None] | None = None


@dataclass
class Table:
    """One table: cases (rows) by candidates (columns, in the order of the first case)."""

    title: str
    description: str
    cases: list[Case]
    subject: str = "webaccel"
    peer: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Stats:
    samples: list[float]  # seconds per call, one per round

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)


def median_interval(values: list[float]) -> tuple[float, float]:
    """A 95% confidence interval for the median, from order statistics (no assumption on the
    distribution): the k-th smallest and k-th largest values, k = (n - 1.96 sqrt(n)) / 2."""
    ordered = sorted(values)
    k = max(0, math.floor((len(ordered) - 1.96 * math.sqrt(len(ordered))) / 2))
    return ordered[k], ordered[-1 - k]


@dataclass
class Row:
    case: Case
    stats: dict[str, Stats]  # candidates that were timed (samples[i] is round i's)
    failures: dict[str, str]  # candidates that raised or gave a wrong output: why

    def ratios(self, subject: str, peer: str) -> list[float] | None:
        """subject / peer, round by round (None unless both were timed)."""
        if subject not in self.stats or peer not in self.stats:
            return None
        return [a / b for a, b in zip(self.stats[subject].samples, self.stats[peer].samples)]


def _loop(fn: Callable[[Any], Any], arg: Any, number: int) -> float:
    """Seconds for ``number`` calls of ``fn(arg)``."""
    it = itertools.repeat(None, number)
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in it:
            fn(arg)
        return time.perf_counter() - start
    finally:
        gc.enable()


def _calibrate(fn: Callable[[Any], Any], arg: Any, sample_seconds: float) -> tuple[int, float]:
    """(calls per sample, expected seconds per sample)."""
    number = 1
    while True:
        elapsed = _loop(fn, arg, number)
        if elapsed >= sample_seconds / 5 or number >= 1 << 24:
            per_call = max(elapsed, 1e-9) / number
            number = max(1, round(sample_seconds / per_call))
            return number, number * per_call
        number *= 10


def measure(case: Case, rounds: int, sample_seconds: float, row_budget: float = ROW_BUDGET_SECONDS) -> Row:
    failures: dict[str, str] = {}
    loops: dict[str, int] = {}
    round_seconds = 0.0
    for name, fn in case.candidates.items():
        try:
            out = fn(case.arg)
            if case.check is not None:
                case.check(name, out)
            loops[name], seconds = _calibrate(fn, case.arg, sample_seconds)
            round_seconds += seconds
        except Exception as e:  # noqa: BLE001 - reported in the table, the run goes on
            failures[name] = f"{type(e).__name__}: {e}"[:300]
    # Rows of slow calls (a round over row_budget / rounds) get fewer rounds, MIN_ROUNDS at least.
    if round_seconds * rounds > row_budget:
        rounds = min(rounds, max(MIN_ROUNDS, int(row_budget / round_seconds)))
    names = list(loops)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names) if names else 0
        for name in names[k:] + names[:k]:
            samples[name].append(_loop(case.candidates[name], case.arg, loops[name]) / loops[name])
    return Row(case, {name: Stats(s) for name, s in samples.items()}, failures)


def format_time(seconds: float) -> str:
    """Three significant digits in the unit that fits: 312 ns, 1.23 µs, 957 µs, 5.67 ms."""
    for unit, scale in (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        value = seconds / scale
        if value < 999.5 or unit == "s":
            digits = max(0, 2 - int(math.floor(math.log10(value)))) if value > 0 else 0
            return f"{value:.{digits}f} {unit}"
    raise AssertionError("unreachable")


def format_ratio(ratio: float, fraction: bool | None = None) -> str:
    """0.96x; below 0.01 (or when ``fraction``), as a fraction: 1/27,000x."""
    if not (ratio < 0.01 if fraction is None else fraction):
        return f"{ratio:.2f}x"
    return f"1/{float(f'{1 / ratio:.2g}'):,.0f}x"


def markdown(table: Table, rows: list[Row]) -> tuple[str, list[str]]:
    """The table in Markdown, and the failures to report (one line each)."""
    columns = list(table.cases[0].candidates) if table.cases else []
    head = ["input", *columns]
    if table.peer:
        head += [f"{table.subject} / {table.peer}", "95% CI"]
    lines = [
        f"### {table.title}: {table.description}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    problems = []
    for row in rows:
        cells = [row.case.label]
        for name in columns:
            if name in row.stats:
                cells.append(format_time(row.stats[name].median))
            else:
                cells.append("failed" if name in row.failures else "–")
        if table.peer:
            ratios = row.ratios(table.subject, table.peer)
            if ratios:
                low, high = median_interval(ratios)
                median = statistics.median(ratios)
                fraction = median < 0.01  # the interval's ends in the median's notation
                interval = f"{format_ratio(low, fraction)}–{format_ratio(high, fraction)}"
                cells += [format_ratio(median), interval]
            else:
                cells += ["–", "–"]
        lines.append("| " + " | ".join(cells) + " |")
        problems += [f"{table.title}, {row.case.label}, {name}: {why}" for name, why in row.failures.items()]
    if table.notes:
        lines.append("")
        lines += [f"- {note}" for note in table.notes]
    return "\n".join(lines), problems

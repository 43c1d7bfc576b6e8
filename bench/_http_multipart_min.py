"""The one-shot multipart ratio measured to resist a busy machine: per round, the minimum of 15
alternating calls of each candidate (preemption only ever adds time), ratio of the minimums; the
median over 40 rounds is printed. Same body and candidates as ``bench/http_multipart.py``.

    .venv/bin/python bench/_http_multipart_min.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time

# As a script, bench/ would be first on sys.path, where bench/json.py shadows the stdlib module.
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from bench.http_multipart import _body, pm_raw, webaccel_one_shot  # noqa: E402


def main() -> None:
    body = _body(1_000_000)
    if webaccel_one_shot(body) != pm_raw(body):
        raise SystemExit("outputs differ")
    ratios, ours, theirs = [], [], []
    for _ in range(40):
        a, b = [], []
        for _ in range(15):
            t = time.perf_counter()
            webaccel_one_shot(body)
            a.append(time.perf_counter() - t)
            t = time.perf_counter()
            pm_raw(body)
            b.append(time.perf_counter() - t)
        ratios.append(min(a) / min(b))
        ours.append(min(a))
        theirs.append(min(b))
    q = statistics.quantiles(ratios, n=10)
    print(
        f"parse_multipart 1 MB: webaccel {statistics.median(ours) * 1e6:.1f} µs, python-multipart "
        f"{statistics.median(theirs) * 1e6:.1f} µs, ratio median {statistics.median(ratios):.3f} "
        f"(10th-90th percentile of rounds {q[0]:.3f}-{q[-1]:.3f}), load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

"""Load each end-to-end example app (examples/e2e) with wrk, stock and webaccel side by side.

    make loadbench                          # or: .venv/bin/python -m bench.load [options]
    .venv/bin/python -m bench.load --frameworks fastapi --rounds 3 --duration 5 --warmup 1
    .venv/bin/python -m bench.load --rounds 5 --chart docs/load.png --runs-json docs/load-runs.json
    .venv/bin/python -m bench.load --from-runs docs/load-runs.json   # the table again, no load

For every framework it starts the app's variants one at a time on 127.0.0.1 under the same
server with the same settings (FastAPI: uvicorn; Flask and Django: gunicorn's gthread worker,
which keeps connections alive like uvicorn does), one worker process, and alternates them
round after round so that drift on the machine hits both. Each fresh server first gets a
warm-up pass (every endpoint for ``--warmup`` seconds, not measured), then each endpoint is
loaded with wrk for ``--duration`` seconds per round; the table shows the median requests/s and
p99 latency over the rounds, the ratio webaccel/stock, and the ceiling: a request of the list's
size (its query string, and the token under an ``X-Ceiling-Pad`` header no app reads) answered
with the same body pre-serialized, with no auth and no limit (the ``/ceiling/items`` route of the same app).
The ceiling is loaded right before or after the list in every round (the order swaps from round
to round), and the ratios are paired: webaccel/stock is taken round by round (round i's
webaccel app against round i's stock app), an endpoint/ceiling ratio within one server run,
and the table shows the median of those per-round ratios with their range, the estimator
``bench/run.py`` uses for its ratios. A ratio of two medians taken minutes apart would also
carry the machine's drift between them (20-30% in requests/s on a shared VM).
While the login
endpoint (argon2 at argon2-cffi's defaults) is loaded, a second wrk measures the p99 of
``/ping`` on the same server, to show that hashing does not stall other requests.

wrk comes from Debian's packages; the command installs it with apt-get when it is missing.
Not part of ``make test`` (it takes minutes and measures, never asserts).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
VENV_BIN = Path(sys.executable).parent

sys.path[:0] = [str(ROOT), str(EXAMPLES)]

FRAMEWORKS = ("fastapi", "flask", "django")
VARIANTS = ("stock", "webaccel")


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    auth: bool = False
    body: bytes | None = None
    content_type: str | None = None
    # The header the token travels in: the ceiling sends it under a name no app reads (of the
    # same length), so its request has the list's size without asking any middleware for auth.
    auth_header: str = "Authorization"


def _endpoints() -> list[Endpoint]:
    item = {
        "name": "Stoneware Carafe", "price": 42.5, "tags": ["kitchen", "handmade"],
        "description": "Wheel-thrown stoneware, 1 litre, glazed inside. " * 30,
        "attributes": {"colour": "sand", "volume": "1l"},
    }
    boundary = "wrkboundary7MA4YWxkTrZu0gW"
    upload = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + bytes(range(256)) * 256 + f"\r\n--{boundary}--\r\n".encode()
    return [
        Endpoint("list (auth + limit)", "GET", "/items?page=1&page_size=50", auth=True),
        Endpoint("create 2 KB JSON", "POST", "/items", auth=True,
                 body=json.dumps(item).encode(), content_type="application/json"),
        Endpoint("cached detail", "GET", "/items/7"),
        Endpoint("upload 64 KB", "POST", "/upload", body=upload,
                 content_type=f"multipart/form-data; boundary={boundary}"),
        # The list's own request shape (its query string, and the token under a header of the
        # same length that no app reads: X-Ceiling-Pad), answered with the list's first page
        # pre-serialized: what the app would cost if auth, limit and serialization were free.
        # Same request size on both sides, so the ratio measures the app's work, not the
        # server's parsing of a longer request.
        Endpoint("ceiling (pre-serialized)", "GET", "/ceiling/items?page=1&page_size=50", auth=True,
                 auth_header="X-Ceiling-Pad"),
    ]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get)", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is still missing after apt-get install")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_exists(framework: str, variant: str) -> bool:
    base = EXAMPLES / "e2e"
    return (base / f"{framework}_{variant}.py").exists() or (base / f"{framework}_{variant}").is_dir()


def server_command(framework: str, variant: str, port: int, threads: int) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(EXAMPLES)]),
        # The limit is checked on every request but never reached: the load measures its cost.
        "E2E_RATE_LIMIT": "100000000/minute",
        "E2E_ARGON2_DEFAULTS": "1",
    }
    module = f"e2e.{framework}_{variant}"
    if framework == "fastapi":
        return [str(VENV_BIN / "uvicorn"), f"{module}:app", "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"], env
    gunicorn = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "30",
                "--log-level", "warning"]
    if framework == "flask":
        return [*gunicorn, f"{module}:create_app()"], env
    env["DJANGO_SETTINGS_MODULE"] = f"{module}.settings"
    return [*gunicorn, f"{module}.wsgi"], env


class Server:
    def __init__(self, framework: str, variant: str, threads: int) -> None:
        self.port = free_port()
        cmd, env = server_command(framework, variant, self.port, threads)
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{framework}/{variant}: the server exited ({self.proc.returncode})")
            try:
                if self.request("GET", "/ping")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{framework}/{variant}: the server did not answer within 60 s")

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def token(self) -> str:
        from e2e import data

        status, body = self.request("POST", "/login", json.dumps(
            {"username": "alice", "password": data.PASSWORD}).encode(),
            {"Content-Type": "application/json"})
        if status != 200:
            raise SystemExit(f"login failed: {status} {body[:200]!r}")
        return str(json.loads(body)["access_token"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def lua_script(endpoint: Endpoint, token: str | None, directory: Path) -> Path:
    headers = {}
    if endpoint.auth and token:
        headers[endpoint.auth_header] = f"Bearer {token}"
    if endpoint.content_type:
        headers["Content-Type"] = endpoint.content_type
    lines = [f'wrk.method = "{endpoint.method}"']
    for name, value in headers.items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    if endpoint.body is not None:
        body_file = directory / f"body-{abs(hash(endpoint.name))}.bin"
        body_file.write_bytes(endpoint.body)
        lines.append(f'local f = io.open("{body_file}", "rb"); wrk.body = f:read("*a"); f:close()')
    path = directory / f"script-{abs(hash(endpoint.name))}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass
class Run:
    rps: float
    p99_ms: float
    errors: int


def run_wrk(wrk: str, url: str, script: Path | None, seconds: float, connections: int) -> Run:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    return Run(rps, float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else float("nan"), errors)


@dataclass
class Cell:
    runs: list[Run] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def p99(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


@dataclass
class Ratio:
    """The median of per-round ratios a_i / b_i, with their smallest and largest."""

    median: float
    low: float
    high: float

    def format(self, suffix: str = "") -> str:
        if self.low == self.high:
            return f"{self.median:.2f}{suffix}"
        return f"{self.median:.2f}{suffix} ({self.low:.2f}-{self.high:.2f})"


def paired_ratio(a: Cell | None, b: Cell | None) -> Ratio | None:
    """Requests/s of ``a`` over ``b`` round by round (the runs of a cell are in round order),
    then their median: each ratio compares two loads taken minutes apart at most, on the same
    machine state. None when a side is missing, has a round without requests, or the two were
    not run the same number of rounds."""
    if a is None or b is None or not a.runs or len(a.runs) != len(b.runs):
        return None
    if any(r.rps <= 0 for r in b.runs):
        return None
    ratios = [x.rps / y.rps for x, y in zip(a.runs, b.runs)]
    return Ratio(statistics.median(ratios), min(ratios), max(ratios))


def round_loads(
    endpoints: list[Endpoint], round_no: int, warmup: float, duration: float
) -> list[tuple[Endpoint, float, bool]]:
    """What one server run loads, in order, as ``(endpoint, seconds, measured)``: first a
    warm-up pass over every endpoint (``warmup`` seconds each, not measured), then, in
    ``_round_order``, each endpoint once more for a second to open wrk's connections and once
    for ``duration`` seconds, measured.

    The pass is there because a fresh server is slower for its first seconds: without it, the
    list and the ceiling, loaded first in a round, ran on a process that was still warming up
    (measured on the Flask app: its first two 5-second loads 4-7% under the later ones, the
    ceiling's less), which added to the spread of the per-round ratios."""
    loads: list[tuple[Endpoint, float, bool]] = []
    if warmup > 0:
        loads += [(e, warmup, False) for e in endpoints]
    for e in _round_order(endpoints, round_no):
        loads += [(e, 1.0, False), (e, duration, True)]
    return loads


def _round_order(endpoints: list[Endpoint], round_no: int) -> list[Endpoint]:
    """The endpoints in the order a round loads them: the list and the ceiling first, next to
    each other (the ratio between them is the goal), swapped every other round so that a drift
    within the round does not always favour the same one; then the others."""
    pair = [e for e in endpoints if e.name in (LIST, CEILING)]
    rest = [e for e in endpoints if e.name not in (LIST, CEILING)]
    return (pair if round_no % 2 == 0 else pair[::-1]) + rest


@dataclass
class FrameworkResult:
    framework: str
    variants: list[str]
    endpoints: list[Endpoint]
    cells: dict[tuple[str, str], Cell]
    login: dict[str, Cell]
    ping: dict[str, Cell]

    def cell(self, variant: str, endpoint: str) -> Cell | None:
        return self.cells.get((variant, endpoint))


CEILING = "ceiling (pre-serialized)"
LIST = "list (auth + limit)"


def _cell_json(cell: Cell) -> list[list[float]]:
    return [[r.rps, r.p99_ms, r.errors] for r in cell.runs]


def _cell_from(rows: list[list[float]]) -> Cell:
    return Cell([Run(float(rps), float(p99), int(errors)) for rps, p99, errors in rows])


def runs_to_json(results: list[FrameworkResult], title: str) -> dict[str, t.Any]:
    """Every round's figures, so that the table and the chart can be drawn again
    (``--from-runs``) without loading the apps again."""
    return {
        "title": title,
        "frameworks": [
            {
                "framework": r.framework,
                "variants": r.variants,
                "endpoints": [e.name for e in r.endpoints],
                "cells": [{"variant": v, "endpoint": e, "runs": _cell_json(c)} for (v, e), c in r.cells.items()],
                "login": {v: _cell_json(c) for v, c in r.login.items()},
                "ping": {v: _cell_json(c) for v, c in r.ping.items()},
            }
            for r in results
        ],
    }


def runs_from_json(doc: dict[str, t.Any]) -> tuple[list[FrameworkResult], str]:
    known = {e.name: e for e in _endpoints()}
    results = []
    for f in doc["frameworks"]:
        results.append(FrameworkResult(
            f["framework"],
            list(f["variants"]),
            [known.get(name) or Endpoint(name, "GET", "") for name in f["endpoints"]],
            {(c["variant"], c["endpoint"]): _cell_from(c["runs"]) for c in f["cells"]},
            {v: _cell_from(rows) for v, rows in f["login"].items()},
            {v: _cell_from(rows) for v, rows in f["ping"].items()},
        ))
    return results, str(doc["title"])


def bench_framework(framework: str, args: argparse.Namespace, wrk: str) -> FrameworkResult:
    variants = [v for v in VARIANTS if app_exists(framework, v)]
    endpoints = _endpoints()
    cells: dict[tuple[str, str], Cell] = {}
    login: dict[str, Cell] = {}
    ping_during_login: dict[str, Cell] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(args.rounds):
            order = variants if round_no % 2 == 0 else list(reversed(variants))
            for variant in order:
                print(f"[{framework}] round {round_no + 1}/{args.rounds}: {variant}", file=sys.stderr)
                server = Server(framework, variant, args.threads)
                try:
                    token = server.token()
                    base = f"http://127.0.0.1:{server.port}"
                    for endpoint, seconds, measured in round_loads(endpoints, round_no, args.warmup, args.duration):
                        script = lua_script(endpoint, token, Path(tmp))
                        run = run_wrk(wrk, base + endpoint.path, script, seconds, args.connections)
                        if measured:
                            cells.setdefault((variant, endpoint.name), Cell()).runs.append(run)
                    if not args.skip_login:
                        from e2e import data

                        login_ep = Endpoint("login", "POST", "/login", body=json.dumps(
                            {"username": "alice", "password": data.PASSWORD}).encode(),
                            content_type="application/json")
                        script = lua_script(login_ep, None, Path(tmp))
                        login_proc = subprocess.Popen(
                            [wrk, "-t1", "-c4", f"-d{max(1, round(args.duration))}s", "--latency", "-s", str(script),
                             base + "/login"], stdout=subprocess.PIPE, text=True)
                        time.sleep(0.5)
                        ping = run_wrk(wrk, base + "/ping", None, max(1.0, args.duration - 1), 4)
                        out, _ = login_proc.communicate()
                        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
                        login.setdefault(variant, Cell()).runs.append(Run(rps, float("nan"), 0))
                        ping_during_login.setdefault(variant, Cell()).runs.append(ping)
                finally:
                    server.stop()
    return FrameworkResult(framework, variants, endpoints, cells, login, ping_during_login)


def _num(value: float | None, fmt: str = ",.0f") -> str:
    return "n/a" if value is None else format(value, fmt)


def render(results: list[FrameworkResult]) -> list[str]:
    """One Markdown table for every framework: median req/s and p99 per endpoint and variant,
    webaccel/stock, and each variant's share of its own app's ceiling endpoint (both ratios
    paired round by round: see ``paired_ratio``)."""
    lines = [
        "| framework | endpoint | stock req/s | webaccel req/s | webaccel/stock | stock p99 ms "
        "| webaccel p99 ms | stock/ceiling | webaccel/ceiling |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes: list[str] = []
    for r in results:
        for endpoint in r.endpoints:
            s, w = r.cell("stock", endpoint.name), r.cell("webaccel", endpoint.name)
            paired = paired_ratio(w, s)
            ratio = paired.format("x") if paired else "n/a"
            roof = {}
            for v, c in (("stock", s), ("webaccel", w)):
                share = paired_ratio(c, r.cell(v, CEILING))
                roof[v] = share.format() if share else "n/a"
            errors = sum(c.errors for c in (s, w) if c)
            name = endpoint.name + (f" ({errors} non-2xx!)" if errors else "")
            lines.append(
                f"| {r.framework} | {name} | {_num(s.rps if s else None)} | {_num(w.rps if w else None)} | {ratio} "
                f"| {_num(s.p99 if s else None, '.2f')} | {_num(w.p99 if w else None, '.2f')} "
                f"| {roof['stock']} | {roof['webaccel']} |"
            )
        if r.login:
            s, w = r.login.get("stock"), r.login.get("webaccel")
            ps, pw = r.ping.get("stock"), r.ping.get("webaccel")
            paired = paired_ratio(w, s)
            ratio = paired.format("x") if paired else "n/a"
            lines.append(f"| {r.framework} | login (argon2 defaults) | {_num(s.rps if s else None, '.1f')} | "
                         f"{_num(w.rps if w else None, '.1f')} | {ratio} | | | | |")
            lines.append(f"| {r.framework} | /ping p99 while logins run | | | | {_num(ps.p99 if ps else None, '.2f')} | "
                         f"{_num(pw.p99 if pw else None, '.2f')} | | |")
        if not ("stock" in r.variants and "webaccel" in r.variants):
            notes.append(f"(only {', '.join(r.variants)} exists for {r.framework} so far)")
    return lines + ([""] + notes if notes else [])


def chart(results: list[FrameworkResult], path: Path) -> None:
    """A PNG of the table: per framework, stock and webaccel requests/s for each endpoint (the
    medians, labelled with the table's paired webaccel/stock ratio), with the webaccel app's
    ceiling as a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5.2 * len(results), 4.6), squeeze=False)
    colours = {"stock": "#9aa5b1", "webaccel": "#d9480f"}
    for ax, r in zip(axes[0], results):
        names = [e.name for e in r.endpoints if e.name != CEILING]
        width = 0.38
        for i, variant in enumerate(v for v in VARIANTS if v in r.variants):
            values = [(c.rps if (c := r.cell(variant, n)) else 0.0) for n in names]
            xs = [x + (i - 0.5) * width for x in range(len(names))]
            bars = ax.bar(xs, values, width, label=variant, color=colours[variant])
            if variant == "webaccel":
                for bar, name in zip(bars, names):
                    paired = paired_ratio(r.cell("webaccel", name), r.cell("stock", name))
                    if paired:  # the table's webaccel/stock: the median of the per-round ratios
                        ax.annotate(f"{paired.median:.1f}x", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                                    ha="center", va="bottom", fontsize=8)
        roof = r.cell("webaccel", CEILING) or r.cell("stock", CEILING)
        if roof:
            ax.axhline(roof.rps, color="#495057", linestyle="--", linewidth=1, label="ceiling (pre-serialized)")
        ax.set_title(r.framework)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([n.replace(" (", "\n(") for n in names], fontsize=8)
        ax.set_ylabel("requests/s (median)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)
    fig.suptitle("webaccel vs the stock stack: one worker, wrk on 127.0.0.1", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per endpoint per round")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of load per endpoint in the warm-up pass of each fresh server (0: none)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn gthread threads")
    parser.add_argument("--skip-login", action="store_true")
    parser.add_argument("--chart", type=Path, metavar="PNG", help="also draw the table as a chart (e.g. docs/load.png)")
    parser.add_argument("--runs-json", type=Path, metavar="JSON",
                        help="also write every round's figures (e.g. docs/load-runs.json)")
    parser.add_argument("--from-runs", type=Path, metavar="JSON",
                        help="load nothing: print the table (and --chart) of a --runs-json file")
    args = parser.parse_args(argv)
    if args.from_runs is not None:
        results, title = runs_from_json(json.loads(args.from_runs.read_text(encoding="utf-8")))
    else:
        wrk = ensure_wrk()
        results = [bench_framework(framework.strip(), args, wrk) for framework in args.frameworks.split(",")]
        title = (
            f"Load benchmark, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, git {_git()}, {platform.node()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {versions()}; {args.rounds} rounds x "
            f"{args.duration:g} s per endpoint after a {args.warmup:g} s warm-up pass, wrk -t1 -c{args.connections}, one worker process (uvicorn; "
            f"gunicorn gthread --threads {args.threads}), keep-alive on. Command: python -m bench.load "
            + " ".join(argv if argv is not None else sys.argv[1:])
        )
        if args.runs_json is not None:
            args.runs_json.parent.mkdir(parents=True, exist_ok=True)
            args.runs_json.write_text(json.dumps(runs_to_json(results, title), indent=1) + "\n", encoding="utf-8")
    out = [title, "", *render(results)]
    print("\n".join(out))
    if args.chart is not None:
        chart(results, args.chart)
        print(f"\nchart written to {args.chart}", file=sys.stderr)
    return 0


def _git() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("webaccel", "fastapi", "uvicorn", "flask", "django", "gunicorn"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


if __name__ == "__main__":
    sys.exit(main())

"""Access log lines: the writer thread's formatting, webaccel's Rust batch formatter against the
same JSON lines built in Python with the standard library (a dict per record, ``time.strftime``
for the RFC 3339 time, ``json.dumps``), as a ``logging`` JSON formatter does.

The request path itself only queues a tuple; this is the work the background thread does per
record while holding the GIL, so it is what other request threads wait for. Outputs are checked
to hold the same records first.
"""

from __future__ import annotations

import json
import random
from typing import Any

from bench._harness import Case, Table, WrongOutput
from webaccel.accesslog import format_lines, format_record

PACKAGES: tuple[str, ...] = ()


def _records(n: int) -> list[Any]:
    rnd = random.Random(5)
    agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36", "curl/8.5.0", None]
    out = []
    for i in range(n):
        item = rnd.randrange(10_000)
        out.append((
            1_767_225_600.0 + i * 0.013,
            rnd.choice(["GET", "GET", "POST"]),
            "/api/v1/items/{item_id}",
            f"/api/v1/items/{item}",
            rnd.choice([200, 200, 201, 404, 500]),
            rnd.expovariate(50),
            f"203.0.113.{rnd.randrange(256)}",
            f"{rnd.getrandbits(128):032x}",
            rnd.choice(agents),
            rnd.randrange(100_000),
        ))
    return out


def python_lines(records: list[Any]) -> bytes:
    return "".join(json.dumps(format_record(r), ensure_ascii=False, separators=(",", ":")) + "\n" for r in records).encode()


def tables(quick: bool) -> list[Table]:
    records = _records(100)
    expected = [json.loads(line) for line in python_lines(records).splitlines()]

    def check(_name: str, out: Any) -> None:
        if [json.loads(line) for line in out.splitlines()] != expected:
            raise WrongOutput("the lines hold other records")

    return [
        Table(
            "accesslog.format",
            "a batch of request records to JSON lines (the writer thread's work)",
            [Case("100 records", records, {"webaccel": format_lines, "stdlib json": python_lines}, check)],
            peer="stdlib json",
        )
    ]

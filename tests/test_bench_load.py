"""The load benchmark's arithmetic (bench/load): the order a round loads endpoints in, and the
paired per-round ratios its table prints. The load itself (wrk against servers) is not run in
tests: it takes minutes and measures, never asserts."""

from __future__ import annotations

import statistics

from bench.load.__main__ import (
    CEILING,
    LIST,
    Cell,
    FrameworkResult,
    Run,
    _endpoints,
    _round_order,
    paired_ratio,
    render,
    round_loads,
)


def _cell(*rps: float) -> Cell:
    return Cell([Run(x, 10.0, 0) for x in rps])


def test_round_order_loads_list_and_ceiling_side_by_side_and_swaps_them() -> None:
    endpoints = _endpoints()
    first, second = _round_order(endpoints, 0), _round_order(endpoints, 1)
    assert [e.name for e in first[:2]] == [LIST, CEILING]
    assert [e.name for e in second[:2]] == [CEILING, LIST]
    # Every endpoint is loaded once per round, the others in their usual order.
    for order in (first, second):
        assert sorted(e.name for e in order) == sorted(e.name for e in endpoints)
        assert [e.name for e in order[2:]] == [e.name for e in endpoints if e.name not in (LIST, CEILING)]


def test_paired_ratio_is_the_median_of_round_by_round_ratios() -> None:
    # A machine whose speed halves and doubles between rounds: 0.9 within every round.
    r = paired_ratio(_cell(900, 450, 1_800), _cell(1_000, 500, 2_000))
    assert r is not None
    assert abs(r.median - 0.9) < 1e-9 and abs(r.low - 0.9) < 1e-9 and abs(r.high - 0.9) < 1e-9
    # Rounds are paired in order, not sorted: (1/2, 4/1, 2/4) -> median 0.5.
    assert paired_ratio(_cell(1, 4, 2), _cell(2, 1, 4)).median == 0.5  # type: ignore[union-attr]
    spread = paired_ratio(_cell(80, 90, 100, 70), _cell(100, 100, 100, 100))
    assert spread is not None
    assert spread.median == statistics.median([0.8, 0.9, 1.0, 0.7])
    assert (spread.low, spread.high) == (0.7, 1.0)
    assert spread.format() == "0.85 (0.70-1.00)"
    assert paired_ratio(_cell(5), _cell(5)).format("x") == "1.00x"  # type: ignore[union-attr]


def test_paired_ratio_refuses_what_it_cannot_pair() -> None:
    assert paired_ratio(None, _cell(1)) is None
    assert paired_ratio(_cell(1), None) is None
    assert paired_ratio(_cell(1, 2), _cell(1)) is None  # different numbers of rounds
    assert paired_ratio(_cell(1), _cell(0)) is None  # a round without requests
    assert paired_ratio(Cell(), Cell()) is None


def test_table_prints_paired_ratios_with_their_range() -> None:
    endpoints = _endpoints()
    cells = {}
    for name in (e.name for e in endpoints):
        cells[("stock", name)] = _cell(500, 400, 600)
        cells[("webaccel", name)] = _cell(1_000, 1_000, 1_200)
    cells[("stock", CEILING)] = _cell(1_000, 800, 1_200)
    cells[("webaccel", CEILING)] = _cell(1_100, 1_100, 1_300)
    result = FrameworkResult("django", ["stock", "webaccel"], endpoints, cells, {}, {})
    lines = render([result])
    row = next(line for line in lines if f"| {LIST} |" in line)
    cols = [c.strip() for c in row.strip("|").split("|")]
    # req/s medians; webaccel/stock per round 2.0, 2.5, 2.0; stock/ceiling 0.5 each round;
    # webaccel/ceiling 0.909, 0.909, 0.923.
    assert cols[2:5] == ["500", "1,000", "2.00x (2.00-2.50)"]
    assert cols[7] == "0.50"
    assert cols[8] == "0.91 (0.91-0.92)"
    ceiling_row = next(line for line in lines if f"| {CEILING} |" in line)
    assert ceiling_row.rstrip().endswith("| 1.00 | 1.00 |")


def test_runs_json_draws_the_same_table_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from bench.load.__main__ import main, runs_from_json, runs_to_json

    endpoints = _endpoints()
    cells = {(v, e.name): _cell(100 + i, 120 + i, 90) for i, v in enumerate(("stock", "webaccel"))
             for e in endpoints}
    login = {"stock": Cell([Run(8.5, float("nan"), 0)]), "webaccel": Cell([Run(8.2, float("nan"), 0)])}
    ping = {"stock": _cell(10), "webaccel": _cell(11)}
    result = FrameworkResult("flask", ["stock", "webaccel"], endpoints, cells, login, ping)
    doc = json.loads(json.dumps(runs_to_json([result], "title line")))
    again, title = runs_from_json(doc)
    assert title == "title line"
    assert render(again) == render([result])
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--from-runs", str(path)]) == 0
    assert out.getvalue().splitlines() == ["title line", "", *render([result])]


def test_a_round_warms_every_endpoint_up_before_it_measures_any() -> None:
    endpoints = _endpoints()
    loads = round_loads(endpoints, 1, 2.0, 10.0)
    n = len(endpoints)
    # The warm-up pass: every endpoint once, 2 s, not measured.
    assert [(e.name, s, m) for e, s, m in loads[:n]] == [(e.name, 2.0, False) for e in endpoints]
    # Then the round's order: a 1 s connection warm-up and the measured load, per endpoint.
    rest = loads[n:]
    assert [(e.name, s, m) for e, s, m in rest] == [
        (e.name, s, m) for e in _round_order(endpoints, 1) for s, m in ((1.0, False), (10.0, True))
    ]
    measured = [e.name for e, _, m in loads if m]
    assert sorted(measured) == sorted(e.name for e in endpoints)  # each measured once per round
    # --warmup 0: no pass.
    assert round_loads(endpoints, 0, 0.0, 5.0)[0] == (_round_order(endpoints, 0)[0], 1.0, False)

"""webaccel.ratelimit in memory: rate strings against the `limits` package, each algorithm against
an exact reference model (Fractions) on generated hit schedules, exactness under threads, the
max_keys bound under a flood of keys, several limits, peek/reset, headers, async, bad input.
Time is injected (a fake clock); nothing sleeps."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from fractions import Fraction

import limits
import pytest
from hypothesis import given
from hypothesis import strategies as st

import webaccel
from webaccel.errors import RateLimitError, WebAccelError
from tests.ratelimit_models import reference
from webaccel.ratelimit import RateLimiter, RateLimitResult, ip_key, parse_rate


class FakeClock:
    """Seconds as a Fraction-exact float: set ``now`` (integer milliseconds) by hand."""

    def __init__(self, ms: int = 1_000_000) -> None:
        self.ms = ms

    def advance(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)

    def __call__(self) -> float:
        return self.ms / 1000


# --- rate strings -----------------------------------------------------------------------

UNITS = ["second", "minute", "hour", "day", "month", "year"]


@st.composite
def rate_items(draw: st.DrawFn) -> str:
    amount = draw(st.integers(1, 10**6))
    sep = draw(st.sampled_from(["/", " / ", " per ", "per", " PER "]))
    multiple = draw(st.one_of(st.none(), st.integers(1, 99)))  # webaccel caps periods at 100 years
    unit = draw(st.sampled_from(UNITS))
    unit = unit + "s" if draw(st.booleans()) else unit
    unit = unit.upper() if draw(st.booleans()) else unit
    space = " " if multiple is not None and draw(st.booleans()) else ""
    return f"{amount}{sep}{'' if multiple is None else multiple}{space}{unit}"


@given(st.lists(rate_items(), min_size=1, max_size=4), st.sampled_from([";", ",", "|", "; "]))
def test_rate_strings_parse_as_limits_parses_them(items: list[str], sep: str) -> None:
    text = sep.join(items)
    theirs = [(item.amount, item.get_expiry()) for item in limits.parse_many(text)]
    assert parse_rate(text) == [(amount, float(seconds)) for amount, seconds in theirs]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100/minute", [(100, 60.0)]),
        ("10 per second", [(10, 1.0)]),
        ("5/2 seconds", [(5, 2.0)]),
        ("10/second;1000/hour", [(10, 1.0), (1000, 3600.0)]),
        ("3/s, 4/min | 5/hr", [(3, 1.0), (4, 60.0), (5, 3600.0)]),  # webaccel's abbreviations
    ],
)
def test_rate_strings_users_write(text: str, expected: list[tuple[int, float]]) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "ten/second", "10", "10/", "10/fortnight", "10 second", "-1/second", "1.5/second", "10/1.5 seconds",
     "10/second;;oops", "x" * 5000],
)
def test_invalid_rate_strings_raise_rate_limit_error(text: str) -> None:
    with pytest.raises(RateLimitError):
        RateLimiter(text)
    # limits refuses them too (both directions: neither accepts what the other refuses here)
    with pytest.raises(ValueError):
        limits.parse_many(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [("0/second", "at least 1"), ("10/0 seconds", "at least 1"), ("99999999999999999999/second", "too large"),
     ("10000000000000/second", "at most 10\\^12"), ("1/" + "9" * 30 + " years", "too large"), ("1/102 years", "100 years")],
)
def test_degenerate_rates_are_refused(text: str, why: str) -> None:
    # limits accepts these (and then limits nothing, divides by zero or overflows later).
    limits.parse_many(text)
    with pytest.raises(RateLimitError, match=why):
        RateLimiter(text)


def test_rate_limit_error_is_a_value_error_and_a_webaccel_error() -> None:
    assert issubclass(RateLimitError, ValueError) and issubclass(RateLimitError, WebAccelError)
    assert webaccel.errors.RateLimitError is RateLimitError


@given(
    algorithm=st.sampled_from(["gcra", "fixed_window", "sliding_window"]),
    amount=st.integers(1, 12),
    period=st.integers(1, 90),
    burst=st.one_of(st.none(), st.integers(1, 12)),
    steps=st.lists(
        st.tuples(st.integers(0, 4000), st.sampled_from(["a", "b"]), st.integers(0, 3)), min_size=1, max_size=120
    ),
)
def test_every_algorithm_matches_its_exact_reference_model(
    algorithm: str, amount: int, period: int, burst: int | None, steps: list[tuple[int, str, int]]
) -> None:
    clock = FakeClock(10_000_000)
    kwargs = {"burst": burst} if algorithm == "gcra" and burst is not None else {}
    limiter = RateLimiter(f"{amount}/{period} seconds", algorithm=algorithm, clock=clock, **kwargs)
    ref = reference(algorithm, amount, period, burst)
    for advance_ms, key, cost in steps:
        clock.ms += advance_ms
        now = Fraction(clock.ms, 1000)
        got = limiter.hit(key, cost)
        assert got.allowed == ref.hit(key, now, cost), (advance_ms, key, cost)
        assert got.remaining <= max(amount, burst or 0)
        if not got.allowed:
            # retry_after is exact: a peek that much later is admitted, a millisecond earlier is not
            assert got.retry_after is not None and got.retry_after > 0
            wait_ms = math.ceil(round(got.retry_after * 1000, 6))
            if cost <= (burst or amount if algorithm == "gcra" else amount):
                clock.ms += wait_ms - 1
                assert not limiter.peek(key, cost).allowed
                clock.ms += 1
                assert limiter.peek(key, cost).allowed
        else:
            assert got.retry_after is None


def test_gcra_500_per_hour_admits_500_at_once_then_one_every_7_2_seconds() -> None:
    clock = FakeClock()
    limiter = RateLimiter("500/hour", clock=clock)
    results = [limiter.hit("k") for _ in range(501)]
    assert sum(r.allowed for r in results) == 500
    refused = results[-1]
    assert not refused and refused.retry_after == pytest.approx(7.2)
    assert results[0].remaining == 499 and results[499].remaining == 0
    for _ in range(5):
        clock.advance(7.199)
        assert not limiter.hit("k")
        clock.advance(0.001)
        assert limiter.hit("k")


def test_a_smaller_burst_smooths() -> None:
    clock = FakeClock()
    limiter = RateLimiter("100/minute", burst=10, clock=clock)
    assert sum(limiter.hit("k").allowed for _ in range(100)) == 10
    clock.advance(6)  # 0.6 s per hit: 10 more
    assert sum(limiter.hit("k").allowed for _ in range(100)) == 10
    assert limiter.burst == 10


def test_fixed_and_sliding_windows() -> None:
    clock = FakeClock(60_000 * 1000)  # on a window boundary
    fixed = RateLimiter("10/minute", algorithm="fixed_window", clock=clock)
    sliding = RateLimiter("10/minute", algorithm="sliding_window", clock=clock)
    assert sum(fixed.hit("k").allowed for _ in range(20)) == 10
    assert sum(sliding.hit("k").allowed for _ in range(20)) == 10
    clock.advance(60 + 15)  # 15 s into the next window
    assert sum(fixed.hit("k").allowed for _ in range(20)) == 10
    # the previous window still weighs 10 * 45/60 = 7.5: two more fit
    assert sum(sliding.hit("k").allowed for _ in range(20)) == 2


# --- several limits -------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["gcra", "fixed_window", "sliding_window"])
def test_several_limits_admit_only_when_all_do_and_a_refusal_consumes_nothing(algorithm: str) -> None:
    clock = FakeClock(3_600_000 * 1000)
    limiter = RateLimiter("2/second;5/minute", algorithm=algorithm, clock=clock)
    admitted = 0
    for _ in range(10):
        admitted += sum(limiter.hit("k").allowed for _ in range(10))  # 8 of each 10 refused
        clock.advance(1)
    assert admitted == 5
    refused = limiter.hit("k")
    assert not refused and refused.index == 1 and refused.limit == 5 and refused.window == 60.0


def test_the_result_describes_the_binding_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter("10/second;12/minute", clock=clock)
    r = limiter.hit("k", 5)
    assert (r.index, r.limit, r.remaining) == (0, 10, 5)
    r = limiter.hit("k", 5)
    assert (r.index, r.limit, r.remaining) == (0, 10, 0)
    clock.advance(1)
    r = limiter.hit("k")
    assert (r.index, r.limit, r.remaining) == (1, 12, 1)


# --- peek, reset, cost, len -------------------------------------------------------------------


def test_peek_consumes_nothing_and_reset_forgets() -> None:
    clock = FakeClock()
    limiter = RateLimiter("3/minute", clock=clock)
    for _ in range(5):
        p = limiter.peek("k")
        assert p.allowed and p.remaining == 3
    assert len(limiter) == 0  # peeking at an absent key stores nothing
    for _ in range(3):
        limiter.hit("k")
    p = limiter.peek("k")
    assert not p.allowed and p.remaining == 0 and p.retry_after == pytest.approx(20)
    assert limiter.reset("k") is True
    assert limiter.reset("k") is False
    assert limiter.hit("k").remaining == 2
    limiter.clear()
    assert len(limiter) == 0


def test_costs() -> None:
    clock = FakeClock()
    limiter = RateLimiter("10/minute", clock=clock)
    assert limiter.hit("k", 0).remaining == 10
    assert limiter.hit("k", 7).remaining == 3
    assert not limiter.hit("k", 4)
    assert limiter.hit("k", 3).remaining == 0
    big = limiter.hit("other", 11)  # more than the whole limit: never admitted
    assert not big and big.retry_after is not None
    for bad in (-1, 10**13):
        with pytest.raises(RateLimitError):
            limiter.hit("k", bad)


def test_result_object() -> None:
    clock = FakeClock()
    limiter = RateLimiter("1/second", clock=clock)
    ok = limiter.hit("k")
    assert isinstance(ok, RateLimitResult) and bool(ok) is True
    assert (ok.allowed, ok.limit, ok.remaining, ok.retry_after, ok.degraded) == (True, 1, 0, None, False)
    assert ok.reset_after == pytest.approx(1.0)
    no = limiter.hit("k")
    assert bool(no) is False and no.retry_after == pytest.approx(1.0)
    assert "allowed=False" in repr(no)


# --- concurrency and memory bound --------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["gcra", "fixed_window", "sliding_window"])
def test_threads_hammering_one_key_admit_exactly_the_limit(algorithm: str) -> None:
    limiter = RateLimiter("1000/hour", algorithm=algorithm, clock=FakeClock())  # one window
    admitted = [0] * 8
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        for _ in range(2000):
            if limiter.hit("hot").allowed:
                admitted[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == 1000


def test_a_flood_of_distinct_keys_stays_within_max_keys() -> None:
    clock = FakeClock()
    limiter = RateLimiter("5/hour", max_keys=1000, clock=clock)
    for i in range(50_000):
        limiter.hit(f"attacker-{i}")
    assert len(limiter) <= 1000
    assert limiter.max_keys is not None and limiter.max_keys <= 1000


def test_expired_state_is_dropped_before_live_state() -> None:
    clock = FakeClock()
    limiter = RateLimiter("5/hour", max_keys=64, clock=clock)  # one shard of 64 keys
    for _ in range(5):
        limiter.hit("victim")  # exhausted for an hour
    for i in range(63):
        limiter.hit(f"once-{i}")  # each drains 12 minutes of bucket
    clock.advance(13 * 60)  # the 63 one-hit keys are now back to a full bucket: expired
    for i in range(500):
        limiter.hit(f"new-{i}")
    # 13 minutes gave the victim back one hit (12 min per hit); evicted, it would have all 5.
    assert limiter.peek("victim").remaining == 1, "the limited key was evicted before expired ones"
    assert len(limiter) <= 64


def test_max_keys_must_be_positive() -> None:
    with pytest.raises(RateLimitError):
        RateLimiter("1/second", max_keys=0)


# --- configuration errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithm": "leaky"},
        {"storage": "memcached://x"},
        {"algorithm": "fixed_window", "burst": 3},
        {"burst": 0},
        {"name": 'a"b'},
        {"name": ""},
    ],
)
def test_bad_options_raise_rate_limit_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(RateLimitError):
        RateLimiter("10/second", **kwargs)  # type: ignore[arg-type]


def test_burst_with_several_limits_is_refused() -> None:
    with pytest.raises(RateLimitError, match="single limit"):
        RateLimiter("1/second;10/minute", burst=1)


def test_clock_errors() -> None:
    with pytest.raises(TypeError):
        RateLimiter("1/second", clock=42)  # type: ignore[arg-type]
    for bad in (-1.0, float("nan"), float("inf")):
        limiter = RateLimiter("1/second", clock=lambda bad=bad: bad)
        with pytest.raises(RateLimitError, match="clock"):
            limiter.hit("k")

    def broken() -> float:
        raise RuntimeError("clock broke")

    with pytest.raises(RuntimeError, match="clock broke"):
        RateLimiter("1/second", clock=broken).hit("k")


def test_keys_must_be_str() -> None:
    limiter = RateLimiter("1/second")
    with pytest.raises(TypeError):
        limiter.hit(b"bytes")  # type: ignore[arg-type]
    # any str is a key, however unusual
    assert limiter.hit("\x00{}\u00e9\U0001f600" * 100)


# --- headers ------------------------------------------------------------------------------


def test_headers_follow_the_ietf_draft() -> None:
    clock = FakeClock()
    limiter = RateLimiter("100/minute", algorithm="fixed_window", clock=clock)
    clock.ms = 60_000 * 1000 + 30_000  # 30 s into a window
    for _ in range(50):
        r = limiter.hit("k")
    h = limiter.headers(r)
    assert h == {"RateLimit-Policy": '"default";q=100;w=60', "RateLimit": '"default";r=50;t=30'}
    for _ in range(50):
        limiter.hit("k")
    refused = limiter.hit("k")
    h = limiter.headers(refused, legacy=True)
    assert h["Retry-After"] == "30"
    assert h["RateLimit"] == '"default";r=0;t=30'
    assert h["X-RateLimit-Limit"] == "100" and h["X-RateLimit-Remaining"] == "0"
    assert int(h["X-RateLimit-Reset"]) > 1_600_000_000
    assert "RateLimit" not in limiter.headers(refused, draft=False)


def test_headers_name_each_of_several_policies() -> None:
    limiter = RateLimiter("10/second;1000/hour", name="api", clock=FakeClock())
    h = limiter.headers(limiter.hit("k"))
    assert h["RateLimit-Policy"] == '"api-1";q=10;w=1, "api-2";q=1000;w=3600'
    assert h["RateLimit"].startswith('"api-1";r=9;')


# --- async --------------------------------------------------------------------------------


def test_ahit_runs_inline_for_memory() -> None:
    limiter = RateLimiter("2/minute", clock=FakeClock())

    async def main() -> list[bool]:
        results = [await limiter.ahit("k") for _ in range(3)]
        assert (await limiter.apeek("k")).allowed is False
        assert await limiter.areset("k") is True
        return [r.allowed for r in results]

    assert asyncio.run(main()) == [True, True, False]


def test_subclass_of_the_core_class() -> None:
    limiter = RateLimiter("1/second")
    assert isinstance(limiter, webaccel._core.RateLimiter)
    assert "RateLimiter('1/second'" in repr(limiter)
    assert limiter.storage == "memory://" and limiter.fail_open is True and limiter.algorithm == "gcra"


def test_no_warning_is_logged_in_normal_operation(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="webaccel.ratelimit"):
        limiter = RateLimiter("1/second")
        limiter.hit("k")
        limiter.hit("k")
    assert caplog.records == []


# --- client address keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "prefix", "expected"),
    [
        ("203.0.113.7", 64, "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", 48, "2001:db8:1::/48"),
        ("2001:db8:1:2::1", None, "2001:db8:1:2::1"),
        ("2001:db8:1:2::1", 128, "2001:db8:1:2::1"),
        (None, 64, None),
        ("/run/app.sock", 64, "/run/app.sock"),
        ("not:an:address", 64, "not:an:address"),
    ],
)
def test_ip_key_groups_ipv6_by_network(address: str | None, prefix: int | None, expected: str | None) -> None:
    assert ip_key(address, prefix) == expected

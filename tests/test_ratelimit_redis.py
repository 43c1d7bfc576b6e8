"""webaccel.ratelimit with Redis storage, against a real redis-server started by the tests:
the algorithms through the Lua script, several processes sharing one exact limit, the key layout,
the outage policy (server stopped, server frozen past the timeout), the rate-limited warning, and
recovery after a restart."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ratelimit_models import reference
from tests.redis_server import RedisServer
from webaccel.errors import RateLimitError, StorageConfigError
from webaccel.ratelimit import RateLimiter
from webaccel.redis import RedisClient

pytestmark = pytest.mark.redis


_fresh = itertools.count()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    algorithm=st.sampled_from(["gcra", "fixed_window", "sliding_window"]),
    amount=st.integers(1, 12),
    period=st.integers(1, 90),
    burst=st.one_of(st.none(), st.integers(1, 12)),
    steps=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 3)), min_size=1, max_size=60),
)
def test_the_lua_script_matches_the_exact_reference_model(
    redis_url: str, algorithm: str, amount: int, period: int, burst: int | None, steps: list[tuple[int, int]]
) -> None:
    kwargs = {"burst": burst} if algorithm == "gcra" and burst is not None else {}
    rate = f"{amount}/{period} seconds"
    limiter = RateLimiter(rate, storage=redis_url, algorithm=algorithm, **kwargs)
    capacity = (burst or amount) if algorithm == "gcra" else amount

    # 1. Times of today's magnitude (seconds since 1970), passed to the script instead of TIME,
    #    against the exact model.
    ref = reference(algorithm, amount, period, burst)
    key = f"k{next(_fresh)}"
    ms = 1_763_000_000_000
    for advance, cost in steps:
        ms += advance
        got = limiter._redis_hit_at(key, cost, ms / 1000)
        assert got.allowed == ref.hit(key, Fraction(ms, 1000), cost), (advance, cost)
        if not got.allowed:
            assert got.retry_after is not None and got.retry_after > 0
            # retry_after (µs precision) is when the same hit is admitted
            wait_ms = math.ceil(round(got.retry_after * 1000, 3))
            if cost <= capacity:
                assert limiter._redis_hit_at(key, cost, (ms + wait_ms) / 1000, commit=False).allowed

    # 2. The script and the in-memory engine give the same answers, field by field.
    clock_ms = [10_000_000]
    memory = RateLimiter(rate, algorithm=algorithm, clock=lambda: clock_ms[0] / 1000, **kwargs)
    key = f"k{next(_fresh)}"
    for advance, cost in steps:
        clock_ms[0] += advance
        a = limiter._redis_hit_at(key, cost, clock_ms[0] / 1000)
        b = memory.hit(key, cost)
        assert (a.allowed, a.remaining, a.index) == (b.allowed, b.remaining, b.index)
        assert a.reset_after == pytest.approx(b.reset_after, abs=1e-6)
        assert (a.retry_after is None) == (b.retry_after is None)
        if a.retry_after is not None and b.retry_after is not None:
            assert a.retry_after == pytest.approx(b.retry_after, abs=1e-6)


@pytest.mark.parametrize("algorithm", ["gcra", "fixed_window", "sliding_window"])
def test_a_burst_admits_exactly_the_limit(redis_url: str, algorithm: str) -> None:
    limiter = RateLimiter("10/hour", storage=redis_url, algorithm=algorithm)
    results = [limiter.hit("user") for _ in range(15)]
    assert [r.allowed for r in results] == [True] * 10 + [False] * 5
    assert [r.remaining for r in results[:10]] == list(range(9, -1, -1))
    refused = results[-1]
    # (the sliding window may need the rest of this window plus part of the next)
    assert refused.retry_after is not None and 0 < refused.retry_after <= (7200 if algorithm == "sliding_window" else 3600)
    if algorithm == "gcra":
        assert refused.retry_after == pytest.approx(360, abs=1)
    assert not refused.degraded
    # Other keys are independent.
    assert limiter.hit("someone-else").remaining == 9


def test_gcra_burst_on_redis(redis_url: str) -> None:
    limiter = RateLimiter("100/minute", burst=5, storage=redis_url)
    assert sum(limiter.hit("k").allowed for _ in range(20)) == 5
    refused = limiter.hit("k")
    assert refused.retry_after == pytest.approx(0.6, abs=0.05)


@pytest.mark.parametrize("algorithm", ["gcra", "fixed_window", "sliding_window"])
def test_several_limits_consume_nothing_when_one_refuses(redis_url: str, algorithm: str) -> None:
    limiter = RateLimiter("3/hour;100/day", storage=redis_url, algorithm=algorithm)
    for _ in range(10):
        limiter.hit("k")
    per_day = RateLimiter("100/day", storage=redis_url, algorithm=algorithm)
    # The same key's per-day state is shared by layout: 3 admitted hits, not 10.
    assert per_day.peek("k").remaining == 97


def test_costs_peek_and_reset(redis_url: str) -> None:
    limiter = RateLimiter("10/minute", storage=redis_url)
    assert limiter.hit("k", 7).remaining == 3
    assert not limiter.hit("k", 4)
    p = limiter.peek("k")
    assert p.allowed and p.remaining == 3
    assert limiter.peek("k", 4).allowed is False
    assert limiter.reset("k") is True
    assert limiter.reset("k") is False
    assert limiter.hit("k").remaining == 9
    with pytest.raises(RateLimitError):
        limiter.hit("k", -1)


def test_key_layout_prefix_hash_tag_and_expiry(redis_url: str) -> None:
    limiter = RateLimiter("5/minute;100/hour", storage=redis_url, key_prefix="myapp", algorithm="fixed_window")
    limiter.hit("203.0.113.7")
    client = RedisClient(redis_url)
    keys = sorted(k.decode() for k in client.execute("KEYS", "*"))
    assert keys == ["{myapp:203.0.113.7}:f:100:3600", "{myapp:203.0.113.7}:f:5:60"]
    for k in keys:
        ttl = client.execute("PTTL", k)
        assert 0 < ttl <= 3_600_000
    # Both keys carry the same hash tag, so in a Cluster they live in one slot and one script
    # may touch both.
    assert {k[: k.index("}") + 1] for k in keys} == {"{myapp:203.0.113.7}"}
    # A key with braces and odd characters stays inside the prefix.
    limiter.hit("}{\n\x00é")
    assert all(k.startswith(b"{myapp:") for k in client.execute("KEYS", "*"))


def test_the_script_is_reloaded_after_script_flush(redis_url: str) -> None:
    limiter = RateLimiter("5/minute", storage=redis_url)
    assert limiter.hit("k").remaining == 4
    RedisClient(redis_url).execute("SCRIPT", "FLUSH")
    assert limiter.hit("k").remaining == 3  # NOSCRIPT -> SCRIPT LOAD -> EVALSHA


def test_redis_options_are_checked() -> None:
    with pytest.raises(StorageConfigError):
        RateLimiter("1/second", storage="redis://127.0.0.1:6379/0", timeout=0)
    with pytest.raises(StorageConfigError):
        RateLimiter("1/second", storage="rediss://127.0.0.1:6379/0")
    with pytest.raises(RateLimitError, match="clock"):
        RateLimiter("1/second", storage="redis://127.0.0.1:6379/0", clock=time.monotonic)
    with pytest.raises(RateLimitError, match="key_prefix"):
        RateLimiter("1/second", storage="redis://127.0.0.1:6379/0", key_prefix="a{b}")


WORKER = textwrap.dedent(
    """
    import sys, threading
    from webaccel.ratelimit import RateLimiter
    limiter = RateLimiter("100/hour", storage=sys.argv[1], algorithm=sys.argv[2])
    sys.stdin.readline()  # start together
    admitted = [0, 0]
    def run(i):
        for _ in range(150):
            admitted[i] += limiter.hit("shared").allowed
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(sum(admitted))
    """
)


@pytest.mark.parametrize("algorithm", ["gcra", "sliding_window"])
def test_processes_share_one_exact_limit(redis_url: str, algorithm: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, redis_url, algorithm],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    counts = [int(p.communicate(timeout=60)[0]) for p in procs]
    # 4 processes x 2 threads x 150 hits = 1200 attempts: exactly 100 admitted in all.
    assert sum(counts) == 100, counts


# --- outage ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fail_open", [True, False])
def test_outage_policy_while_the_server_is_stopped(redis_outage: RedisServer, fail_open: bool) -> None:
    limiter = RateLimiter("5/minute", storage=redis_outage.url, fail_open=fail_open, timeout=0.2)
    assert limiter.hit("k").allowed
    redis_outage.stop()
    start = time.monotonic()
    results = [limiter.hit("k") for _ in range(20)]
    elapsed = time.monotonic() - start
    assert all(r.degraded for r in results)
    assert all(r.allowed is fail_open for r in results)
    if not fail_open:
        assert all(r.retry_after is not None and r.retry_after >= 1 for r in results)
        assert limiter.headers(results[0]) == {"Retry-After": "1"}
    else:
        assert limiter.headers(results[0]) == {}
    # A refused connection answers at once, and the pause after the first failure means the
    # other 19 calls do not even try: far below 20 timeouts.
    assert elapsed < 20 * 0.2


@pytest.mark.parametrize("fail_open", [True, False])
def test_outage_policy_when_the_server_hangs_answers_within_the_timeout(redis_outage: RedisServer, fail_open: bool) -> None:
    limiter = RateLimiter("5/minute", storage=redis_outage.url, fail_open=fail_open, timeout=0.2)
    assert limiter.hit("k").allowed  # a pooled connection exists
    assert redis_outage.proc is not None
    os.kill(redis_outage.proc.pid, signal.SIGSTOP)  # accepts bytes, never answers
    try:
        start = time.monotonic()
        r = limiter.hit("k")
        elapsed = time.monotonic() - start
        assert r.degraded and r.allowed is fail_open
        # The read timeout (0.2 s), no retry after a timeout; a generous bound for a loaded
        # machine, far below "hangs".
        assert elapsed < 1.0
    finally:
        os.kill(redis_outage.proc.pid, signal.SIGCONT)


def test_the_outage_warning_is_rate_limited(redis_outage: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter("5/minute", storage=redis_outage.url, retry_interval=0)
    redis_outage.stop()
    with caplog.at_level(logging.WARNING, logger="webaccel.ratelimit"):
        for _ in range(50):
            assert limiter.hit("k").allowed
    warnings = [r for r in caplog.records if r.name == "webaccel.ratelimit"]
    assert len(warnings) == 1
    assert "fail_open=True" in warnings[0].getMessage()
    assert "127.0.0.1" in warnings[0].getMessage()


def test_recovery_after_a_restart(redis_outage: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter("3/hour", storage=redis_outage.url, fail_open=False, retry_interval=0)
    assert limiter.hit("k").remaining == 2
    redis_outage.stop()
    assert limiter.hit("k").degraded
    redis_outage.start()  # same port, empty data
    with caplog.at_level(logging.WARNING, logger="webaccel.ratelimit"):
        r = limiter.hit("k")
    assert r.allowed and not r.degraded and r.remaining == 2
    assert any("reachable again" in rec.getMessage() for rec in caplog.records)


def test_a_restart_between_calls_costs_no_request(redis_outage: RedisServer) -> None:
    limiter = RateLimiter("3/hour", storage=redis_outage.url, fail_open=False)
    assert limiter.hit("k").allowed
    redis_outage.stop()
    redis_outage.start()
    # The pooled connection is dead; it is replaced on the spot, not reported as an outage.
    r = limiter.hit("k")
    assert r.allowed and not r.degraded


def test_ahit_runs_off_the_event_loop(redis_url: str) -> None:
    limiter = RateLimiter("2/minute", storage=redis_url)

    async def main() -> list[bool]:
        results = await asyncio.gather(*(limiter.ahit("k") for _ in range(5)))
        assert (await limiter.apeek("k")).remaining == 0
        assert await limiter.areset("k") is True
        return sorted(r.allowed for r in results)

    assert asyncio.run(main()) == [False, False, False, True, True]

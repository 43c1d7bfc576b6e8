"""webaccel.health: checks run concurrently with timeouts; failures, exceptions and hangs are
reported, never raised, and a hung check never hangs the run. Timeouts are small and checks
block on events (no sleeps)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from webaccel.health import HealthChecks

SHORT = 0.05  # seconds: the timeout of checks that are meant to time out


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_all_pass() -> None:
    checks = HealthChecks()
    checks.add("none", lambda: None)
    checks.add("true", lambda: True)

    async def ok() -> None:
        return None

    checks.add("async", ok)
    for report in (checks.run(), asyncio.run(checks.run_async())):
        assert report.ok and report.http_status == 200
        d = report.to_dict()
        assert d["status"] == "ok"
        assert list(d["checks"]) == ["none", "true", "async"]
        for r in d["checks"].values():
            assert r["status"] == "ok" and r["error"] is None and r["duration_ms"] >= 0


def test_failures_are_reported() -> None:
    checks = HealthChecks()

    def boom() -> None:
        raise RuntimeError("database is down")

    async def aboom() -> None:
        raise ConnectionError()

    checks.add("ok", lambda: None)
    checks.add("false", lambda: False)
    checks.add("raises", boom)
    checks.add("async_raises", aboom)
    for report in (checks.run(), asyncio.run(checks.run_async())):
        assert not report.ok and report.http_status == 503
        d = report.to_dict()
        assert d["status"] == "fail"
        assert d["checks"]["ok"]["status"] == "ok"
        assert d["checks"]["false"] == {"status": "fail", "duration_ms": d["checks"]["false"]["duration_ms"], "error": "check returned False"}
        assert d["checks"]["raises"]["error"] == "RuntimeError: database is down"
        assert d["checks"]["async_raises"]["error"] == "ConnectionError"


def test_sync_check_timing_out_does_not_hang_the_run() -> None:
    release = threading.Event()
    checks = HealthChecks()
    checks.add("hangs", release.wait, timeout=SHORT)
    checks.add("fine", lambda: None)
    try:
        report = checks.run()
        assert report.checks["hangs"].status == "fail"
        assert report.checks["hangs"].error == f"timed out after {SHORT:g} s"
        assert report.checks["fine"].status == "ok"
        # The hung run is still going: the next run fails it at once instead of adding a thread.
        again = asyncio.run(checks.run_async())
        assert again.checks["hangs"].error == "still running since an earlier run timed out"
    finally:
        release.set()
    for thread in threading.enumerate():
        if thread.name == "webaccel-health-hangs":
            thread.join(10)
    # Once it finished, the check runs again (and passes: Event.wait returns True).
    assert checks.run().ok


def test_async_check_timing_out() -> None:
    checks = HealthChecks()
    cancelled = []

    async def hangs() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    checks.add("hangs", hangs, timeout=SHORT)
    for report in (asyncio.run(checks.run_async()), checks.run()):
        assert report.checks["hangs"].error == f"timed out after {SHORT:g} s"
        assert report.http_status == 503
    assert cancelled == [True, True]


def test_sync_checks_run_concurrently() -> None:
    # Each check waits for the other: they pass only if both run at the same time.
    barrier = threading.Barrier(2, timeout=10)
    checks = HealthChecks(timeout=20)
    checks.add("a", barrier.wait)
    checks.add("b", barrier.wait)
    assert checks.run().ok
    barrier.reset()
    assert asyncio.run(checks.run_async()).ok


def test_async_checks_run_concurrently() -> None:
    checks = HealthChecks(timeout=20)
    events: dict[str, asyncio.Event] = {}

    def pair(me: str, other: str) -> Any:
        async def check() -> None:
            events.setdefault(me, asyncio.Event()).set()
            await events.setdefault(other, asyncio.Event()).wait()

        return check

    checks.add("a", pair("a", "b"))
    checks.add("b", pair("b", "a"))
    assert asyncio.run(checks.run_async()).ok
    events.clear()
    assert checks.run().ok


def test_duration_from_injected_clock() -> None:
    clock = FakeClock()
    checks = HealthChecks(clock=clock)

    def takes_250ms() -> None:
        clock.t += 0.25

    checks.add("slowish", takes_250ms)
    assert checks.run().checks["slowish"].duration_ms == 250.0


def test_liveness_and_readiness() -> None:
    checks = HealthChecks()
    checks.add("db", lambda: False)
    checks.add("process", lambda: True, liveness=True)
    assert set(checks.run("ready").checks) == {"db", "process"}
    live = checks.run("live")
    assert set(live.checks) == {"process"} and live.ok
    with pytest.raises(ValueError):
        checks.run("sideways")  # type: ignore[arg-type]


def test_no_checks_is_ok() -> None:
    report = HealthChecks().run()
    assert report.ok and report.to_dict() == {"status": "ok", "checks": {}}


def test_decorator_and_bad_arguments() -> None:
    checks = HealthChecks()

    @checks.check("deco", timeout=1)
    async def deco() -> bool:
        return True

    assert checks.names == ["deco"]
    assert asyncio.run(checks.run_async()).ok
    with pytest.raises(ValueError):
        checks.add("x", lambda: None, timeout=0)
    with pytest.raises(ValueError):
        HealthChecks(timeout=-1)
    with pytest.raises(TypeError):
        checks.add("x", "not callable")  # type: ignore[arg-type]
    checks.remove("deco")
    assert checks.names == []


def test_a_sync_callable_returning_a_coroutine_fails_clearly() -> None:
    async def ping() -> None:
        return None

    checks = HealthChecks()
    checks.add("wrapped", lambda: ping())
    for report in (checks.run(), asyncio.run(checks.run_async())):
        assert report.checks["wrapped"].error == "check returned an awaitable: register the async function itself"

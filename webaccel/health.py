"""Health checks: registered callables (sync or async), each with a timeout, run concurrently.

::

    checks = HealthChecks(timeout=1.0)

    @checks.check("db", timeout=0.5)
    async def db() -> None:
        await pool.execute("SELECT 1")

    checks.add("disk", lambda: shutil.disk_usage("/").free > 1 << 30, liveness=True)

    report = await checks.run_async()      # or checks.run() from sync code
    report.http_status, report.to_dict()   # 200 or 503, {"status": "ok", "checks": {...}}

A check passes when it returns ``None`` or ``True``; it fails when it returns ``False``, raises,
or does not finish within its timeout. Async checks run on the caller's event loop; sync checks
each run in a daemon thread, so a check that hangs never hangs the endpoint: the report says
"timed out" and, while the hung run is still going, later runs of that check fail at once
instead of piling up threads. The framework helpers answer 200 or 503 with the report as JSON
(``webaccel.fastapi.health``, ``webaccel.flask.health``, ``webaccel.django.health``).

Readiness (``kind="ready"``, the default) runs every check; liveness (``kind="live"``) runs only
the checks added with ``liveness=True`` (often none: "the process answers" is the check).
See ``docs/health.md``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["HealthChecks", "HealthReport", "CheckResult", "Check", "CONTENT_TYPE"]

CONTENT_TYPE = "application/json"

Check = Callable[[], Any]
"""A check: a function or coroutine function taking no argument; ``None``/``True`` pass."""

Kind = Literal["ready", "live"]


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    status: Literal["ok", "fail"]
    duration_ms: float
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "duration_ms": self.duration_ms, "error": self.error}


@dataclasses.dataclass(frozen=True)
class HealthReport:
    """Every check's result; ``status`` is ``"ok"`` when all passed, ``"fail"`` otherwise."""

    checks: dict[str, CheckResult]

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.checks.values())

    @property
    def status(self) -> Literal["ok", "fail"]:
        return "ok" if self.ok else "fail"

    @property
    def http_status(self) -> int:
        """200 when every check passed, 503 otherwise."""
        return 200 if self.ok else 503

    def to_dict(self) -> dict[str, Any]:
        """``{"status": "ok"|"fail", "checks": {name: {"status", "duration_ms", "error"}}}``."""
        return {"status": self.status, "checks": {name: r.to_dict() for name, r in self.checks.items()}}


@dataclasses.dataclass
class _Registered:
    name: str
    fn: Check
    timeout: float
    liveness: bool
    is_async: bool
    # The future of a sync run still going (hung past its timeout), if any.
    running: concurrent.futures.Future[Any] | None = None


def _passed(value: Any) -> str | None:
    """None when the check's return value means success, else the error text."""
    if value is None or value is True:
        return None
    if value is False:
        return "check returned False"
    if inspect.isawaitable(value):
        close = getattr(value, "close", None)
        if close is not None:
            close()  # never awaited: no "coroutine was never awaited" warning
        return "check returned an awaitable: register the async function itself"
    return None


def _describe(e: BaseException) -> str:
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


class HealthChecks:
    """A registry of named checks, run concurrently with a timeout each.

    ``timeout`` is the default per-check timeout in seconds; ``clock`` returns seconds (inject
    a fake one in tests; ``time.perf_counter`` by default) and is used for ``duration_ms``.
    """

    def __init__(self, *, timeout: float = 5.0, clock: Callable[[], float] = time.perf_counter) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be > 0 seconds")
        self.timeout = timeout
        self.clock = clock
        self._checks: dict[str, _Registered] = {}
        self._lock = threading.Lock()

    def add(self, name: str, check: Check, *, timeout: float | None = None, liveness: bool = False) -> None:
        """Registers ``check`` under ``name`` (replacing a check of that name)."""
        timeout = self.timeout if timeout is None else timeout
        if not timeout > 0:
            raise ValueError("timeout must be > 0 seconds")
        if not callable(check):
            raise TypeError(f"check {name!r} is not callable")
        is_async = inspect.iscoroutinefunction(check) or inspect.iscoroutinefunction(
            getattr(check, "__call__", None)
        )
        self._checks[name] = _Registered(name, check, timeout, liveness, is_async)

    def check(
        self, name: str, *, timeout: float | None = None, liveness: bool = False
    ) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
        """Decorator form of :meth:`add`."""

        def register(fn: Callable[[], Any]) -> Callable[[], Any]:
            self.add(name, fn, timeout=timeout, liveness=liveness)
            return fn

        return register

    def remove(self, name: str) -> None:
        del self._checks[name]

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    def _selected(self, kind: Kind) -> list[_Registered]:
        if kind not in ("ready", "live"):
            raise ValueError(f"kind must be 'ready' or 'live', not {kind!r}")
        return [c for c in self._checks.values() if kind == "ready" or c.liveness]

    def _start_thread(self, c: _Registered) -> concurrent.futures.Future[Any] | None:
        """Runs a sync check in a daemon thread; None when its previous run is still going."""
        with self._lock:
            if c.running is not None and not c.running.done():
                return None
            future: concurrent.futures.Future[Any] = concurrent.futures.Future()
            c.running = future

        def target() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(c.fn())
            except BaseException as e:  # noqa: BLE001 - reported as the check's error
                future.set_exception(e)

        threading.Thread(target=target, name=f"webaccel-health-{c.name}", daemon=True).start()
        return future

    def _result(self, start: float, error: str | None) -> CheckResult:
        duration = round((self.clock() - start) * 1000.0, 3)
        return CheckResult("fail" if error else "ok", duration, error)

    async def _run_one_async(self, c: _Registered) -> CheckResult:
        start = self.clock()
        try:
            if c.is_async:
                value = await asyncio.wait_for(c.fn(), c.timeout)
            else:
                future = self._start_thread(c)
                if future is None:
                    return self._result(start, "still running since an earlier run timed out")
                value = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), c.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return self._result(start, f"timed out after {c.timeout:g} s")
        except Exception as e:  # noqa: BLE001 - a failing check is a result, not an error
            return self._result(start, _describe(e))
        return self._result(start, _passed(value))

    async def run_async(self, kind: Kind = "ready") -> HealthReport:
        """Runs the checks concurrently on the running loop (sync ones in threads)."""
        selected = self._selected(kind)
        results = await asyncio.gather(*(self._run_one_async(c) for c in selected))
        return HealthReport(dict(zip((c.name for c in selected), results)))

    def run(self, kind: Kind = "ready") -> HealthReport:
        """Runs the checks from sync code (Flask, Django): sync checks in threads, waited for
        with their timeouts; async checks, if any, on a private event loop in this thread.
        Not for use inside a running event loop: await :meth:`run_async` there."""
        selected = self._selected(kind)
        async_checks = [c for c in selected if c.is_async]
        started: dict[str, tuple[float, concurrent.futures.Future[Any] | None]] = {}
        for c in selected:
            if not c.is_async:
                started[c.name] = (self.clock(), self._start_thread(c))
        results: dict[str, CheckResult] = {}
        if async_checks:
            async def run_async_ones() -> list[CheckResult]:
                return list(await asyncio.gather(*(self._run_one_async(c) for c in async_checks)))

            for c, r in zip(async_checks, asyncio.run(run_async_ones())):
                results[c.name] = r
        for c in selected:
            if c.is_async:
                continue
            start, future = started[c.name]
            if future is None:
                results[c.name] = self._result(start, "still running since an earlier run timed out")
                continue
            remaining = max(0.0, c.timeout - (self.clock() - start))
            try:
                value = future.result(timeout=remaining)
            except concurrent.futures.TimeoutError:
                results[c.name] = self._result(start, f"timed out after {c.timeout:g} s")
            except Exception as e:  # noqa: BLE001
                results[c.name] = self._result(start, _describe(e))
            else:
                results[c.name] = self._result(start, _passed(value))
        return HealthReport({c.name: results[c.name] for c in selected})

    def __repr__(self) -> str:
        return f"HealthChecks({self.names!r}, timeout={self.timeout:g})"

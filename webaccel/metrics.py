"""Request metrics in the Prometheus text format, kept in Rust with atomics.

- :class:`Metrics`: per (method, route template, status), a request counter
  (``<ns>_requests_total``), an error counter (``<ns>_request_errors_total``: 5xx, and 4xx with
  ``count_4xx_errors=True``) and a latency histogram (``<ns>_request_duration_seconds``).
  ``observe(method, route, status, seconds)`` records one request; ``render()`` returns the text
  exposition format 0.0.4 (serve it with :data:`CONTENT_TYPE`).
- :class:`MultiProcessMetrics`: sums the metrics of several worker processes (gunicorn, uvicorn
  ``--workers``) through a shared directory: each process writes its snapshot to
  ``<dir>/<pid>-<token>.json`` every ``interval`` seconds and at exit; ``render()`` in any
  worker sums every file.
- :class:`RedisMetrics`: the same across machines, through one Redis hash: each process adds
  what it counted since its last flush (one atomic ``EVAL`` running ``HINCRBY`` /
  ``HINCRBYFLOAT``) every ``interval`` seconds; ``render()`` reads the hash.

Cardinality: pass route *templates* (``/items/{item_id}``), never raw paths. Methods outside the
nine standard ones become ``OTHER``. After ``max_series`` distinct label tuples, new ones are
recorded under the route ``__overflow__`` (bounded: at most one per method and status), so a
mistake cannot exhaust memory. See ``docs/metrics.md``.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import secrets
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import webaccel.json
from webaccel._core import Metrics
from webaccel.errors import MetricsError

if TYPE_CHECKING:
    from webaccel.redis import RedisClient

__all__ = [
    "Metrics",
    "MetricsError",
    "MultiProcessMetrics",
    "RedisMetrics",
    "Renderable",
    "CONTENT_TYPE",
    "DEFAULT_BUCKETS",
    "OVERFLOW_ROUTE",
    "UNMATCHED_ROUTE",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The ``Content-Type`` of the Prometheus text exposition format, version 0.0.4."""

DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)
"""prometheus_client's default histogram buckets, in seconds (``+Inf`` is implied)."""

OVERFLOW_ROUTE = "__overflow__"
"""The route label of observations made after ``max_series`` label tuples exist."""

UNMATCHED_ROUTE = "unmatched"
"""The route label the framework adapters use for requests that matched no route (404s)."""

_log = logging.getLogger("webaccel.metrics")


class Renderable(Protocol):
    """Anything with ``render() -> str`` in the text format: :class:`Metrics` or
    :class:`MultiProcessMetrics` (what the ``/metrics`` endpoint helpers accept)."""

    def render(self) -> str: ...


_SUFFIX = ".json"
_ARCHIVE = "archive.json"
_LOCK = ".lock"


@contextlib.contextmanager
def _locked(directory: Path, exclusive: bool) -> Iterator[None]:
    """An advisory lock on ``<dir>/.lock`` (POSIX ``flock``; a no-op where it does not exist)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(directory / _LOCK, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:  # pragma: no cover - platforms without signal 0
        return True
    return True


def _pid_of(path: Path) -> int | None:
    head = path.name.split("-", 1)[0]
    return int(head) if head.isdigit() else None


class MultiProcessMetrics:
    """One worker's :class:`Metrics`, shared with the other workers through ``directory``.

    ::

        metrics = Metrics()
        shared = MultiProcessMetrics(metrics, "/run/myapp-metrics")   # in every worker
        ...
        shared.render()      # the sum over every process that wrote to the directory

    Each process writes a snapshot of its own ``metrics`` to ``<dir>/<pid>-<token>.json``
    (written to a temporary file, then renamed: readers never see half a file) every
    ``interval`` seconds from a daemon thread, on :meth:`flush` and at interpreter exit.
    :meth:`render` flushes this process, then sums its live counts with every other file.
    The files of processes that exited stay, so counters never go down when a worker is
    recycled; :meth:`cleanup` folds them into ``archive.json`` (under an exclusive lock, so a
    concurrent :meth:`render` never counts a file twice) and deletes them. Clear the directory
    when the server (re)starts if counters should restart from zero, as with prometheus_client's
    multiprocess mode.

    A fork (gunicorn ``--preload``) gives the child a new file and a new flush thread; the
    parent's counts copied into the child at the fork are not subtracted, so create the
    ``Metrics`` after the fork or observe nothing before it.
    """

    def __init__(self, metrics: Metrics, directory: str | os.PathLike[str], *, interval: float = 1.0) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0 seconds")
        self.metrics = metrics
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.interval = interval
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._new_identity()
        self._start_thread()
        ref = weakref.ref(self)
        atexit.register(_close_ref, ref)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    def _new_identity(self) -> None:
        self.pid = os.getpid()
        self.path = self.directory / f"{self.pid}-{secrets.token_hex(6)}{_SUFFIX}"

    def _start_thread(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webaccel-metrics-flush", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - a full disk must not kill the thread
                _log.exception("webaccel.metrics: writing %s failed", self.path)

    def flush(self) -> None:
        """Writes this process' snapshot now (atomically: temporary file, then rename)."""
        data = webaccel.json.dumps(self.metrics.snapshot())
        with self._write_lock:
            tmp = self.path.with_name(self.path.name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path)

    def _others(self) -> list[dict[str, Any]]:
        snapshots = []
        for path in sorted(self.directory.glob("*" + _SUFFIX)):
            if path == self.path:
                continue
            try:
                snapshot = webaccel.json.loads(path.read_bytes())
            except FileNotFoundError:
                continue  # folded into the archive meanwhile
            except ValueError:
                _log.warning("webaccel.metrics: skipping unreadable snapshot %s", path)
                continue
            if not isinstance(snapshot, dict) or snapshot.get("buckets") != list(self.metrics.buckets):
                # Most likely left by a previous deployment with other buckets.
                _log.warning("webaccel.metrics: skipping %s: its buckets differ from this process' buckets", path)
                continue
            snapshots.append(snapshot)
        return snapshots

    def render(self) -> str:
        """The text format for the sum of every process' metrics in the directory."""
        self.flush()
        with _locked(self.directory, exclusive=False):
            others = self._others()
        return self.metrics.render_with(others)

    def cleanup(self) -> int:
        """Folds the snapshots of processes that are no longer running into ``archive.json``
        and deletes their files; returns how many were folded. Safe to call from any worker at
        any time (an exclusive lock serialises it with other cleanups and renders)."""
        folded = 0
        with _locked(self.directory, exclusive=True):
            dead = [
                p for p in self.directory.glob("*" + _SUFFIX)
                if p.name != _ARCHIVE and p != self.path and (pid := _pid_of(p)) is not None and not _pid_alive(pid)
            ]
            if not dead:
                return 0
            total = Metrics(
                buckets=self.metrics.buckets,
                namespace=self.metrics.namespace,
                max_series=self.metrics.max_series,
                count_4xx_errors=self.metrics.count_4xx_errors,
            )
            archive = self.directory / _ARCHIVE
            if archive.exists():
                total.merge(webaccel.json.loads(archive.read_bytes()))
            for p in dead:
                try:
                    total.merge(webaccel.json.loads(p.read_bytes()))
                    folded += 1
                except (ValueError, OSError):
                    _log.warning("webaccel.metrics: dropping unreadable snapshot %s", p)
            tmp = archive.with_name(_ARCHIVE + ".tmp")
            tmp.write_bytes(webaccel.json.dumps(total.snapshot()))
            os.replace(tmp, archive)
            for p in dead:
                p.unlink(missing_ok=True)
        return folded

    def close(self) -> None:
        """Stops the flush thread and writes a last snapshot."""
        self._closed = True
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if os.getpid() == self.pid:
            self.flush()

    def __repr__(self) -> str:
        return f"MultiProcessMetrics({str(self.directory)!r}, pid={self.pid}, interval={self.interval})"


def _close_ref(ref: weakref.ref[Any]) -> None:
    shared = ref()
    if shared is not None and not getattr(shared, "_closed", False):
        with contextlib.suppress(Exception):
            shared.close()


def _after_fork(ref: weakref.ref[MultiProcessMetrics]) -> None:
    shared = ref()
    if shared is not None and not shared._closed:
        shared._write_lock = threading.Lock()
        shared._new_identity()
        shared._start_thread()


# One atomic step per flush: check that the hash was written with the same buckets, then add
# every delta. Fields: "c<i>:<labels>" (bucket i's count, HINCRBY), "s:<labels>" (the sum,
# HINCRBYFLOAT), "__buckets__" (the bounds as JSON); <labels> is the JSON [method, route, status].
_REDIS_FLUSH = """
local h = KEYS[1]
local b = redis.call('HGET', h, '__buckets__')
if b and b ~= ARGV[1] then
  return redis.error_reply('webaccel.metrics: this hash holds other buckets: ' .. b)
end
if not b then redis.call('HSET', h, '__buckets__', ARGV[1]) end
for i = 2, #ARGV, 2 do
  local f = ARGV[i]
  if string.sub(f, 1, 1) == 's' then
    redis.call('HINCRBYFLOAT', h, f, ARGV[i + 1])
  else
    redis.call('HINCRBY', h, f, ARGV[i + 1])
  end
end
return (#ARGV - 1) / 2
"""


class RedisMetrics:
    """One worker's :class:`Metrics`, summed with every other worker's in a Redis hash.

    ::

        metrics = Metrics()
        shared = RedisMetrics(metrics, "redis://127.0.0.1:6379/0")   # in every process
        shared.render()      # the totals of every process that flushed to the hash

    Every ``interval`` seconds (from a daemon thread), on :meth:`flush` and at exit, the process
    sends what it counted since its last successful flush, in one ``EVAL`` (atomic: a reader
    never sees half a flush). While Redis is unreachable the deltas accumulate in this process
    and go out with the next successful flush; nothing is lost, but a flush whose reply is lost
    after Redis applied it (a timeout at the wrong moment) is sent again, so counts are
    at-least-once. :meth:`render` flushes, then reads the hash (``HGETALL``); it raises
    :class:`~webaccel.errors.StorageError` when Redis is down, which makes the scrape fail
    visibly rather than report partial numbers. Counters live until the key is deleted
    (``DEL <key>`` to reset); sums are floats added in Redis (``HINCRBYFLOAT``).

    ``redis``: a :class:`webaccel.redis.RedisClient` or a URL for one (pass a URL when the
    server forks workers after this object exists: the child then opens its own connections,
    and counts inherited from the parent are left to the parent). ``key``: the hash (default
    ``webaccel:metrics:<namespace>``).
    """

    def __init__(
        self,
        metrics: Metrics,
        redis: RedisClient | str,
        *,
        key: str | None = None,
        interval: float = 1.0,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0 seconds")
        self._url = redis if isinstance(redis, str) else None
        if isinstance(redis, str):
            from webaccel.redis import RedisClient

            redis = RedisClient(redis)
        self.metrics = metrics
        self.redis = redis
        self.key = key if key is not None else f"webaccel:metrics:{metrics.namespace}"
        self.interval = interval
        self._buckets = webaccel.json.dumps_str(list(metrics.buckets))
        self._lock = threading.Lock()
        # Per series: the counts and sum already sent.
        self._sent: dict[tuple[str, str, int], tuple[list[int], float]] = {}
        self._closed = False
        self._stop = threading.Event()
        self._start_thread()
        ref = weakref.ref(self)
        atexit.register(_close_ref, ref)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=lambda: _after_fork_redis(ref))

    def _start_thread(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webaccel-metrics-redis", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - Redis down: the deltas wait for the next flush
                _log.warning("webaccel.metrics: flushing to Redis failed; will retry", exc_info=True)

    def _deltas(self) -> tuple[list[str], dict[tuple[str, str, int], tuple[list[int], float]]]:
        args: list[str] = []
        sent = dict(self._sent)
        for method, route, status, counts, total in self.metrics.snapshot()["series"]:
            key = (method, route, status)
            before_counts, before_sum = sent.get(key, (None, 0.0))
            labels = webaccel.json.dumps_str([method, route, status])
            for i, n in enumerate(counts):
                d = n - (before_counts[i] if before_counts is not None else 0)
                if d:
                    args += [f"c{i}:{labels}", str(d)]
            if total != before_sum:
                args += [f"s:{labels}", repr(total - before_sum)]
            sent[key] = (counts, total)
        return args, sent

    def flush(self) -> int:
        """Sends what was counted since the last successful flush; returns how many fields
        changed. Raises :class:`~webaccel.errors.StorageError` when Redis cannot be reached
        (the deltas are kept for the next flush)."""
        with self._lock:
            args, sent = self._deltas()
            if not args:
                return 0
            self.redis.execute("EVAL", _REDIS_FLUSH, 1, self.key, self._buckets, *args)
            self._sent = sent
            return len(args) // 2

    def snapshot(self) -> dict[str, Any]:
        """The totals in Redis, in the shape of :meth:`Metrics.snapshot`."""
        reply = self.redis.execute("HGETALL", self.key)
        width = len(self.metrics.buckets) + 1
        series: dict[str, list[Any]] = {}
        items = list(reply or [])
        for field, value in zip(items[::2], items[1::2]):
            name = field.decode() if isinstance(field, bytes) else str(field)
            text = value.decode() if isinstance(value, bytes) else str(value)
            head, sep, labels = name.partition(":")
            if not sep or head == "__buckets__" or name == "__buckets__":
                continue
            row = series.get(labels)
            if row is None:
                method, route, status = webaccel.json.loads(labels)
                row = series[labels] = [method, route, status, [0] * width, 0.0]
            if head == "s":
                row[4] = float(text)
            elif head.startswith("c") and head[1:].isdigit() and int(head[1:]) < width:
                row[3][int(head[1:])] = int(text)
        return {"version": 1, "namespace": self.metrics.namespace, "buckets": list(self.metrics.buckets), "series": list(series.values())}

    def render(self) -> str:
        """Flushes this process, then renders the totals held in Redis."""
        self.flush()
        total = Metrics(
            buckets=self.metrics.buckets,
            namespace=self.metrics.namespace,
            max_series=self.metrics.max_series,
            count_4xx_errors=self.metrics.count_4xx_errors,
        )
        total.merge(self.snapshot())
        return total.render()

    def close(self) -> None:
        """Stops the flush thread and tries a last flush (errors are logged, not raised)."""
        self._closed = True
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception:  # noqa: BLE001
            _log.warning("webaccel.metrics: last flush to Redis failed", exc_info=True)

    def __repr__(self) -> str:
        return f"RedisMetrics(key={self.key!r}, interval={self.interval})"


def _after_fork_redis(ref: weakref.ref[RedisMetrics]) -> None:
    """In a forked child: the counts inherited from the parent are the parent's to send, and
    the parent's sockets are not ours to use (a client built from a URL is rebuilt)."""
    shared = ref()
    if shared is None or shared._closed:
        return
    shared._lock = threading.Lock()
    shared._sent = {(m, r, st): (c, total) for m, r, st, c, total in shared.metrics.snapshot()["series"]}
    if shared._url is not None:
        from webaccel.redis import RedisClient

        shared.redis = RedisClient(shared._url)
    shared._start_thread()

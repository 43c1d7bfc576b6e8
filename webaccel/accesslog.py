"""Structured access logs: one JSON object per request and line, written off the request path.

::

    access = AccessLog("/var/log/myapp/access.jsonl", trusted_proxies=["10.0.0.0/8"])
    access.log(method="GET", route="/items/{id}", path="/items/7", status=200,
               duration=0.0123, client_ip="203.0.113.9", request_id=access.request_id(None),
               user_agent="curl/8.5", bytes_sent=512)

Each line carries ``time`` (RFC 3339, UTC, milliseconds: when the request started),
``method``, ``route`` (the template, or ``"unmatched"``), ``path``, ``status``,
``duration_ms``, ``client_ip`` (``webaccel.http.ClientIP`` with trusted proxies), ``request_id``,
``user_agent`` and ``bytes``.

Never blocking: :meth:`AccessLog.log` only appends the record to a bounded queue (``max_queue``
records); a daemon thread formats the records (in Rust, a batch per call) and writes them to the
sink in batches. When the queue is full, because the sink is slower than the traffic, the record is
dropped and counted (:attr:`AccessLog.dropped`) rather than making the request wait. A sink that
raises is counted in :attr:`AccessLog.errors` and reported through the ``webaccel.accesslog``
logger; the writer keeps going.

Request ids: an incoming ``X-Request-ID`` is kept when it is 1 to 128 characters of
``A-Z a-z 0-9 . _ ~ : / + = @ -`` (so it is safe in a header and a log line); otherwise, or when
there is none, a new one (32 hex digits) is generated. The adapters echo it in the response's
``X-Request-ID`` header. See ``docs/accesslog.md``.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import io
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import IO, Any, Union

from webaccel._core import accesslog_format_lines
from webaccel.http import ClientIP

__all__ = [
    "AccessLog",
    "Sink",
    "REQUEST_ID_HEADER",
    "valid_request_id",
    "new_request_id",
    "format_lines",
    "format_record",
    "rfc3339",
]

REQUEST_ID_HEADER = "x-request-id"

_REQUEST_ID = re.compile(r"[A-Za-z0-9._~:/+=@-]{1,128}")

Sink = Union[str, "os.PathLike[str]", IO[str], IO[bytes], logging.Logger, Callable[[str], Any]]
"""Where lines go: a file path (opened for appending), a text or binary stream, a
``logging.Logger`` (one ``INFO`` record per line) or a callable taking each line (no newline)."""

_log = logging.getLogger("webaccel.accesslog")

# (start time, method, route, path, status, duration s, client ip, request id, user agent, bytes)
_Record = tuple[float, str, str, str, int, float, "str | None", str, "str | None", int]


def valid_request_id(value: str | bytes | None) -> str | None:
    """``value`` as a str when it is an acceptable request id, else None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if _REQUEST_ID.fullmatch(value) else None


def new_request_id() -> str:
    """A fresh request id: 128 random bits as 32 hex digits."""
    return os.urandom(16).hex()


def rfc3339(t: float) -> str:
    """``t`` (seconds since the epoch) as RFC 3339 in UTC with milliseconds."""
    seconds = int(t)
    millis = int((t - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def format_record(r: _Record) -> dict[str, Any]:
    """The record as a dict: what each line holds (the lines themselves are written in Rust,
    :func:`format_lines`; this is the reference the tests compare them with)."""
    return {
        "time": rfc3339(r[0]),
        "method": r[1],
        "route": r[2],
        "path": r[3],
        "status": r[4],
        "duration_ms": round(max(0.0, r[5]) * 1e6) / 1000,
        "client_ip": r[6],
        "request_id": r[7],
        "user_agent": r[8],
        "bytes": r[9],
    }


def format_lines(records: list[_Record]) -> bytes:
    """JSON lines for a batch of records, each ending in a line feed (formatted in Rust)."""
    return accesslog_format_lines(records)


class AccessLog:
    """A non-blocking JSON-lines access log.

    - ``sink``: see :data:`Sink`; ``None`` writes to ``sys.stderr``.
    - ``max_queue``: records waiting for the writer at most; beyond it records are dropped.
    - ``trusted_proxies`` / ``client_ip_header``: passed to :class:`webaccel.http.ClientIP`
      (``None`` trusts loopback only).
    - ``request_id_header``: the header read and echoed (``X-Request-ID``).
    - ``clock``: the wall clock for ``time`` (injectable in tests).
    """

    def __init__(
        self,
        sink: Sink | None = None,
        *,
        max_queue: int = 10_000,
        trusted_proxies: Iterable[str] | None = None,
        client_ip_header: str = "x-forwarded-for",
        request_id_header: str = REQUEST_ID_HEADER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.max_queue = max_queue
        self.clock = clock
        self.request_id_header = request_id_header.lower()
        self.client_ip_resolver = (
            ClientIP(header=client_ip_header) if trusted_proxies is None
            else ClientIP(trusted_proxies, header=client_ip_header)
        )
        self._write, self._close_sink = _writer(sink)
        self._cv = threading.Condition()
        self._items: collections.deque[_Record] = collections.deque()
        self._pending = 0
        self._closing = False
        self.dropped = 0
        """Records dropped because the queue was full."""
        self.written = 0
        """Records handed to the sink."""
        self.errors = 0
        """Batches the sink raised on (their records are lost)."""
        self._thread = threading.Thread(target=self._run, name="webaccel-accesslog", daemon=True)
        self._thread.start()
        ref = weakref.ref(self)
        atexit.register(_close_ref, ref)

    # -- request path -------------------------------------------------------------------------

    def request_id(self, incoming: str | bytes | None) -> str:
        """The incoming id when valid, else a new one."""
        return valid_request_id(incoming) or new_request_id()

    def client_ip(self, peer: str | tuple[str, int] | None, headers: Any) -> str | None:
        """The client address, believing forwarding headers only from trusted proxies."""
        return self.client_ip_resolver.get(peer, headers)

    def log(
        self,
        *,
        method: str,
        route: str,
        path: str,
        status: int,
        duration: float,
        client_ip: str | None,
        request_id: str,
        user_agent: str | None,
        bytes_sent: int,
        start_time: float | None = None,
    ) -> bool:
        """Queues one record (``duration`` in seconds; ``start_time`` defaults to now minus
        ``duration``). Returns False when the queue was full and the record was dropped."""
        t = self.clock() - duration if start_time is None else start_time
        record: _Record = (t, method, route, path, status, duration, client_ip, request_id, user_agent, bytes_sent)
        with self._cv:
            if len(self._items) >= self.max_queue or self._closing:
                self.dropped += 1
                return False
            self._items.append(record)
            self._pending += 1
            self._cv.notify()
        return True

    # -- writer thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._items and not self._closing:
                    self._cv.wait()
                if not self._items:
                    return
                batch = list(self._items)
                self._items.clear()
            try:
                self._write(format_lines(batch))
                ok = True
            except Exception:  # noqa: BLE001 - a broken sink must not kill the writer
                ok = False
                _log.exception("webaccel.accesslog: the sink raised; %d records lost", len(batch))
            with self._cv:
                self._pending -= len(batch)
                if ok:
                    self.written += len(batch)
                else:
                    self.errors += 1
                self._cv.notify_all()

    @property
    def queued(self) -> int:
        """Records accepted and not yet written."""
        return self._pending

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until every queued record has been written; False on timeout."""
        with self._cv:
            return self._cv.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = 5.0) -> None:
        """Writes what is queued (waiting at most ``timeout``), stops the writer, closes a file
        sink opened from a path. Records logged afterwards are dropped."""
        with self._cv:
            self._closing = True
            self._cv.notify_all()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._close_sink()

    def __repr__(self) -> str:
        return f"AccessLog(queued={self.queued}, written={self.written}, dropped={self.dropped})"


def _close_ref(ref: weakref.ref[AccessLog]) -> None:
    access = ref()
    if access is not None:
        with contextlib.suppress(Exception):
            access.close(timeout=2.0)


def _nothing() -> None:
    pass


def _lines(data: bytes) -> list[str]:
    # JSON escapes every line feed inside a value: splitting on "\n" is exact (splitlines()
    # would also split on U+2028, which JSON leaves raw).
    return data.decode("utf-8").split("\n")[:-1]


def _writer(sink: Sink | None) -> tuple[Callable[[bytes], None], Callable[[], None]]:
    """(write a batch of JSON lines, close) for a sink."""
    if sink is None:
        import sys

        def to_stderr(data: bytes) -> None:
            sys.stderr.write(data.decode("utf-8"))
            sys.stderr.flush()

        return to_stderr, _nothing
    if isinstance(sink, logging.Logger):
        logger = sink

        def to_logger(data: bytes) -> None:
            for line in _lines(data):
                logger.info(line)

        return to_logger, _nothing
    if isinstance(sink, (str, os.PathLike)):
        f = open(sink, "ab")

        def to_file(data: bytes) -> None:
            f.write(data)
            f.flush()

        return to_file, f.close
    if hasattr(sink, "write"):
        stream: Any = sink
        text = isinstance(stream, io.TextIOBase) or hasattr(stream, "encoding")

        def to_stream(data: bytes) -> None:
            stream.write(data.decode("utf-8") if text else data)
            flush = getattr(stream, "flush", None)
            if flush is not None:
                flush()

        return to_stream, _nothing
    if callable(sink):
        call = sink

        def to_callable(data: bytes) -> None:
            for line in _lines(data):
                call(line)

        return to_callable, _nothing
    raise TypeError(f"an access log sink is a path, a stream, a logging.Logger or a callable, not {type(sink).__name__}")

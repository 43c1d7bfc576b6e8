"""A throwaway ``redis-server`` for tests and benchmarks: 127.0.0.1, a free port, no persistence.

    with RedisServer() as server:      # or server = RedisServer(); server.start(); ...; server.stop()
        url = server.url               # "redis://127.0.0.1:<port>/0"
        server.stop()                  # an outage: the port refuses connections
        server.start()                 # recovery: same port, empty data

``start`` waits until the server answers ``PING`` (a raw RESP exchange on a socket, so this module
needs nothing beyond the standard library). ``redis_server_path()`` is None when the binary is not
installed; ``scripts/dev.sh test`` installs it through apt-get when a test needs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from types import TracebackType


def redis_server_path() -> str | None:
    """The ``redis-server`` binary on PATH (or in /usr/bin, /usr/sbin), None when missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    for candidate in ("/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ping(port: int, timeout: float = 0.2) -> bool:
    """True when a server on 127.0.0.1:port answers ``PING`` with ``+PONG``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process; ``stop()`` and ``start()`` reuse the same port."""

    def __init__(self, port: int | None = None, binary: str | None = None) -> None:
        path = binary or redis_server_path()
        if path is None:
            raise FileNotFoundError("redis-server is not installed (scripts/dev.sh test installs it)")
        self.binary = path
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="webaccel-redis-")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self._dir.name,
                "--protected-mode", "yes",
                "--daemonize", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while not ping(self.port):
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                self.proc = None
                raise RuntimeError(f"redis-server exited at start on port {self.port}: {err.strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"redis-server did not answer PING on port {self.port} within {timeout} s")
            time.sleep(0.01)  # polling a process's readiness, not waiting for a clock

    def version(self) -> str:
        """The server's version (``redis-server --version``)."""
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True, timeout=10).stdout
        for part in out.split():
            if part.startswith("v="):
                return part[2:]
        return out.strip()

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL); afterwards the port refuses connections."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr:
            proc.stderr.close()

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

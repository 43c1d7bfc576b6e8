"""pytest fixtures for tests that need a real Redis (registered in tests/conftest.py).

- ``redis_server``: one ``RedisServer`` per test session (started once; tests that stop it for an
  outage must start it again, ``redis_outage`` does that for them);
- ``redis_url``: that server's URL, with the database flushed before each test;
- ``redis_outage``: a server of the test's own (a fresh port), so stopping it cannot disturb
  other tests; the fixture stops it at the end.

Mark such tests ``@pytest.mark.redis``. When ``redis-server`` is not installed the tests are
skipped locally, but under ``CI`` (any non-empty value but "0"/"false") they fail: a CI run must
never pass by skipping the Redis checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.redis_server import RedisServer, ping, redis_server_path


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_binary() -> None:
    if redis_server_path() is None:
        message = "redis-server is not installed (scripts/dev.sh test installs it through apt-get)"
        if _ci():
            pytest.fail(f"{message}; under CI the Redis tests must run, not skip", pytrace=False)
        pytest.skip(message)


def _flushall(port: int) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
        assert s.recv(64).startswith(b"+OK")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    _require_binary()
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    if not ping(redis_server.port):
        redis_server.start()  # a test stopped the shared server: bring it back
    _flushall(redis_server.port)
    return redis_server.url


@pytest.fixture
def redis_outage() -> Iterator[RedisServer]:
    _require_binary()
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()

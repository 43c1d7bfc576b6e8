"""The shared Redis client (rust/store/) against a real redis-server: commands, pooling, the
outage state (fail fast, no hammering) and recovery after a restart, URL and option errors."""

from __future__ import annotations

import pytest

from tests.redis_server import RedisServer
from webaccel.errors import StorageConfigError, StorageError, WebAccelError
from webaccel.redis import RedisClient


def test_errors_are_webaccel_errors() -> None:
    assert issubclass(StorageError, WebAccelError) and issubclass(StorageError, ConnectionError)
    assert issubclass(StorageConfigError, WebAccelError) and issubclass(StorageConfigError, ValueError)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "rediss://127.0.0.1/", "not a url", "redis://127.0.0.1:99999/0", ""],
)
def test_bad_urls_are_refused_at_construction(url: str) -> None:
    with pytest.raises(StorageConfigError):
        RedisClient(url)


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": 0}, {"timeout": -1}, {"connect_timeout": float("nan")}, {"retry_interval": -0.5}, {"timeout": 1e9}],
)
def test_bad_options_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(StorageConfigError):
        RedisClient("redis://127.0.0.1:6379/0", **kwargs)


def test_the_password_never_shows() -> None:
    client = RedisClient("redis://user:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in client.url and "hunter2" not in repr(client)
    with pytest.raises(StorageError) as info:
        client.ping()
    assert "hunter2" not in str(info.value)


def test_argument_types_are_checked() -> None:
    client = RedisClient("redis://127.0.0.1:1/0")
    with pytest.raises(TypeError):
        client.execute()
    with pytest.raises(TypeError):
        client.execute("SET", "k", object())
    with pytest.raises(TypeError):
        client.execute("SET", "k", True)


@pytest.mark.redis
def test_commands_round_trip(redis_url: str) -> None:
    client = RedisClient(redis_url)
    assert client.ping() is True
    assert client.execute("SET", "k", b"\x00\xffv") == "OK"
    assert client.execute("GET", "k") == b"\x00\xffv"
    assert client.execute("INCRBY", "n", 5) == 5
    assert client.execute("GET", "missing") is None
    assert client.execute("RPUSH", "l", "a", "b") == 2
    assert client.execute("LRANGE", "l", 0, -1) == [b"a", b"b"]
    assert client.execute("SET", "f", 1.5) == "OK" and client.execute("GET", "f") == b"1.5"
    # A server error reply is a StorageError, and it does not mark the server down.
    with pytest.raises(StorageError, match="WRONGTYPE"):
        client.execute("INCR", "l")
    assert not client.is_down
    assert client.idle_connections == 1


@pytest.mark.redis
def test_a_database_number_in_the_url_selects_it(redis_server: RedisServer, redis_url: str) -> None:
    db3 = RedisClient(f"redis://127.0.0.1:{redis_server.port}/3")
    db0 = RedisClient(redis_url)
    db3.execute("SET", "where", "three")
    assert db0.execute("GET", "where") is None
    assert db3.execute("GET", "where") == b"three"


@pytest.mark.redis
def test_outage_fails_fast_then_recovers_after_a_restart(redis_outage: RedisServer) -> None:
    # retry_interval=0: every call tries the server again, so recovery needs no waiting.
    client = RedisClient(redis_outage.url, retry_interval=0)
    assert client.ping()
    redis_outage.stop()
    for _ in range(3):
        with pytest.raises(StorageError, match="unavailable"):
            client.ping()
    assert client.is_down
    assert client.idle_connections == 0  # dead connections are dropped, not reused
    redis_outage.start()
    assert client.ping()
    assert not client.is_down


@pytest.mark.redis
def test_in_the_pause_after_a_failure_the_server_is_not_tried(redis_outage: RedisServer) -> None:
    client = RedisClient(redis_outage.url, retry_interval=3600, max_retry_interval=3600)
    redis_outage.stop()
    with pytest.raises(StorageError):
        client.ping()
    redis_outage.start()
    # The server is back, but the client is in its pause: it fails without a connection attempt.
    with pytest.raises(StorageError, match="pause"):
        client.ping()
    fresh = RedisClient(redis_outage.url)
    assert fresh.ping()


def test_a_missing_redis_server_fails_under_ci_and_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.redis_fixtures as fixtures

    monkeypatch.setattr(fixtures, "redis_server_path", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI"):
        fixtures._require_binary()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        fixtures._require_binary()
    monkeypatch.setattr(fixtures, "redis_server_path", lambda: "/usr/bin/redis-server")
    monkeypatch.setenv("CI", "true")
    fixtures._require_binary()  # installed: neither fails nor skips


@pytest.mark.redis
def test_the_server_helper_stops_and_starts_on_the_same_port(redis_outage: RedisServer) -> None:
    from tests.redis_server import ping

    port = redis_outage.port
    assert ping(port) and redis_outage.running
    redis_outage.stop()
    assert not ping(port) and not redis_outage.running
    redis_outage.start()
    assert ping(port) and redis_outage.port == port


@pytest.mark.redis
def test_a_restart_between_calls_is_not_an_outage(redis_outage: RedisServer) -> None:
    client = RedisClient(redis_outage.url)
    assert client.ping() and client.idle_connections == 1
    redis_outage.stop()
    redis_outage.start()
    # The pooled connection died with the old server; the call retries once on a new one.
    assert client.ping()
    assert not client.is_down

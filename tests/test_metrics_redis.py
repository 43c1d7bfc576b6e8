"""webaccel.metrics.RedisMetrics against a real redis-server: two real processes' observations
sum in render(); an outage loses nothing (deltas wait for the next flush); other buckets are
refused."""

from __future__ import annotations

import multiprocessing

import pytest

from tests.redis_server import RedisServer
from tests.test_metrics import Reference, assert_same, samples
from webaccel.errors import StorageError
from webaccel.metrics import Metrics, RedisMetrics
from webaccel.redis import RedisClient

pytestmark = pytest.mark.redis


def _worker(url: str, offset: int, n: int) -> None:
    m = Metrics()
    shared = RedisMetrics(m, url, interval=3600)
    for i in range(n):
        m.observe("GET", "/items/{item_id}", 200 if i % 4 else 500, 0.001 * (i + offset))
        if i == n // 2:
            shared.flush()  # two flushes: the second sends only the difference
    shared.close()


def test_two_processes_sum_in_redis(redis_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_worker, args=(redis_url, k * 1000, 50 + k)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    mine = Metrics()
    shared = RedisMetrics(mine, RedisClient(redis_url), interval=3600)
    mine.observe("POST", "/items", 201, 0.02)
    mine.observe("GET", 'weird "route"\n', 404, 0.5)
    ref = Reference()
    for k in range(2):
        for i in range(50 + k):
            ref.observe("GET", "/items/{item_id}", 200 if i % 4 else 500, 0.001 * (i + k * 1000))
    ref.observe("POST", "/items", 201, 0.02)
    ref.observe("GET", 'weird "route"\n', 404, 0.5)
    assert_same(shared.render(), ref.render())
    # Rendering again sends nothing new and reads the same totals.
    assert shared.flush() == 0
    assert_same(shared.render(), ref.render())
    shared.close()


def test_outage_keeps_the_deltas(redis_outage: RedisServer) -> None:
    m = Metrics()
    client = RedisClient(redis_outage.url, retry_interval=0.001, max_retry_interval=0.001)
    shared = RedisMetrics(m, client, interval=3600)
    assert client.ping()
    # (The test server keeps nothing across a restart: everything is observed in the outage.)
    redis_outage.stop()
    m.observe("GET", "/", 200, 0.1)
    m.observe("GET", "/", 200, 0.2)
    m.observe("GET", "/", 503, 0.3)
    with pytest.raises(StorageError):
        shared.flush()
    with pytest.raises(StorageError):
        shared.render()
    redis_outage.start()
    for _ in range(100):  # the client's outage pause is 1 ms: the first tries may still fail
        try:
            shared.flush()
            break
        except StorageError:
            continue
    ref = Reference()
    for o in [("GET", "/", 200, 0.1), ("GET", "/", 200, 0.2), ("GET", "/", 503, 0.3)]:
        ref.observe(*o)
    assert_same(shared.render(), ref.render())
    shared.close()


def test_other_buckets_refused(redis_url: str) -> None:
    a = Metrics(buckets=[1.0])
    a.observe("GET", "/", 200, 0.1)
    RedisMetrics(a, redis_url, key="k", interval=3600).close()
    b = Metrics()
    b.observe("GET", "/", 200, 0.1)
    shared = RedisMetrics(b, redis_url, key="k", interval=3600)
    with pytest.raises(StorageError, match="other buckets"):
        shared.flush()
    shared._stop.set()


def test_empty_hash_renders_headers_only(redis_url: str) -> None:
    shared = RedisMetrics(Metrics(), redis_url, interval=3600)
    assert samples(shared.render()) == {}
    shared.close()

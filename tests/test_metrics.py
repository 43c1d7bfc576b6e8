"""webaccel.metrics against prometheus_client: the same observations give the same samples once
both texts are parsed by prometheus_client's own parser; hostile label values survive the round
trip; concurrent observers lose nothing; cardinality is capped; snapshots of several real
processes sum through a shared directory."""

from __future__ import annotations

import math
import multiprocessing
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString

from webaccel.errors import MetricsError, WebAccelError
from webaccel.metrics import DEFAULT_BUCKETS, OVERFLOW_ROUTE, Metrics, MultiProcessMetrics

METHODS = ["GET", "POST", "DELETE"]
ROUTES = ["/", "/items/{item_id}", "/users/{user_id}/orders"]
STATUSES = [200, 201, 404, 500, 503]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a text exposition, parsed by prometheus_client (``_created`` left out:
    prometheus_client adds creation timestamps that webaccel does not keep)."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            key = (s.name, frozenset(s.labels.items()))
            assert key not in out, f"duplicate sample {key}"
            out[key] = s.value
    return out


class Reference:
    """prometheus_client metrics shaped like webaccel's."""

    def __init__(self, buckets: tuple[float, ...] = DEFAULT_BUCKETS, errors_4xx: bool = False) -> None:
        self.registry = CollectorRegistry()
        labels = ["method", "route", "status"]
        self.requests = Counter("http_requests", "r", labels, registry=self.registry)
        self.errors = Counter("http_request_errors", "e", labels, registry=self.registry)
        self.duration = Histogram("http_request_duration_seconds", "d", labels, buckets=buckets, registry=self.registry)
        self.errors_4xx = errors_4xx

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        if status >= 500 or (self.errors_4xx and 400 <= status < 500):
            self.errors.labels(*labels).inc()
        self.duration.labels(*labels).observe(seconds)

    def render(self) -> str:
        return generate_latest(self.registry).decode()


def assert_same(ours: str, theirs: str) -> None:
    a, b = samples(ours), samples(theirs)
    assert a.keys() == b.keys()
    for key, value in b.items():
        if key[0].endswith("_sum"):
            assert a[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
        else:
            assert a[key] == value, key


observation = st.tuples(
    st.sampled_from(METHODS),
    st.sampled_from(ROUTES),
    st.sampled_from(STATUSES),
    st.one_of(st.floats(0, 20, allow_nan=False), st.sampled_from(DEFAULT_BUCKETS)),
)


def test_default_buckets_are_prometheus_clients() -> None:
    assert DEFAULT_BUCKETS == Histogram.DEFAULT_BUCKETS[:-1]
    assert Metrics().buckets == DEFAULT_BUCKETS


@given(st.lists(observation, max_size=60), st.booleans())
def test_same_samples_as_prometheus_client(observations: list[tuple[str, str, int, float]], errors_4xx: bool) -> None:
    ours = Metrics(count_4xx_errors=errors_4xx)
    ref = Reference(errors_4xx=errors_4xx)
    for o in observations:
        ours.observe(*o)
        ref.observe(*o)
    assert_same(ours.render(), ref.render())


def test_text_shape() -> None:
    m = Metrics()
    m.observe("GET", "/items/{item_id}", 200, 0.003)
    m.observe("GET", "/items/{item_id}", 503, 0.2)
    text = m.render()
    lines = text.splitlines()
    assert lines[0].startswith("# HELP http_requests_total ")
    assert lines[1] == "# TYPE http_requests_total counter"
    assert 'http_requests_total{method="GET",route="/items/{item_id}",status="200"} 1.0' in lines
    assert "# TYPE http_request_errors_total counter" in lines
    assert 'http_request_errors_total{method="GET",route="/items/{item_id}",status="503"} 1.0' in lines
    assert not any(line.startswith('http_request_errors_total{method="GET",route="/items/{item_id}",status="200"') for line in lines)
    assert "# TYPE http_request_duration_seconds histogram" in lines
    bucket = 'http_request_duration_seconds_bucket{method="GET",route="/items/{item_id}",status="200",le='
    assert bucket + '"0.005"} 1.0' in lines
    assert bucket + '"+Inf"} 1.0' in lines
    assert 'http_request_duration_seconds_sum{method="GET",route="/items/{item_id}",status="503"} 0.2' in lines
    assert text.endswith("\n")
    # The whole text is what prometheus_client renders, bar HELP texts and _created samples.
    ref = Reference()
    ref.observe("GET", "/items/{item_id}", 200, 0.003)
    ref.observe("GET", "/items/{item_id}", 503, 0.2)
    assert_same(text, ref.render())


def test_namespace() -> None:
    m = Metrics(namespace="shop_api")
    m.observe("GET", "/", 200, 0.1)
    names = {f.name for f in text_string_to_metric_families(m.render())}
    assert names == {"shop_api_requests", "shop_api_request_errors", "shop_api_request_duration_seconds"}


hostile = st.text(
    alphabet=st.one_of(
        st.sampled_from(['\\', '"', "\n", "{", "}", ",", "=", " ", "#", "\t", "\r", "é", "😀", "\x00"]),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=30,
)


@given(hostile, st.sampled_from(METHODS), st.integers(0, 999))
def test_hostile_label_values_round_trip(route: str, method: str, status: int) -> None:
    m = Metrics()
    m.observe(method, route, status, 0.5)
    parsed = samples(m.render())
    key = ("http_requests_total", frozenset({("method", method), ("route", route), ("status", str(status))}))
    assert parsed[key] == 1.0
    ref = Reference()
    ref.observe(method, route, status, 0.5)
    assert_same(m.render(), ref.render())


@given(hostile)
def test_unknown_methods_become_other(method: str) -> None:
    m = Metrics()
    m.observe(method, "/", 200, 0.1)
    [(name, labels)] = [k for k in samples(m.render()) if k[0] == "http_requests_total"]
    expected = method if method in {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"} else "OTHER"
    assert dict(labels)["method"] == expected


def test_lone_surrogates_are_replaced() -> None:
    m = Metrics()
    m.observe("GET", "/a\ud800b", 200, 0.1)
    # As Python's surrogatepass-then-replace: each byte of the surrogate becomes U+FFFD.
    replaced = "/a\ud800b".encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    assert f'route="{replaced}"' in m.render()
    assert "\ud800" not in replaced


bucket_lists = st.lists(
    st.floats(min_value=1e-9, max_value=1e12, allow_nan=False), min_size=1, max_size=20, unique=True
).map(sorted)


@given(bucket_lists, st.lists(st.floats(0, 1e13, allow_nan=False), max_size=20))
def test_le_labels_and_values_like_prometheus_client(buckets: list[float], values: list[float]) -> None:
    m = Metrics(buckets=buckets)
    ref = Reference(buckets=tuple(buckets))
    for v in values:
        m.observe("GET", "/", 200, v)
        ref.observe("GET", "/", 200, v)
    assert_same(m.render(), ref.render())
    if values:
        les = [line.split('le="')[1].split('"')[0] for line in m.render().splitlines() if "_bucket{" in line]
        assert les == [floatToGoString(b) for b in buckets] + ["+Inf"]
        # Sample values too are written as prometheus_client writes them.
        [sum_line] = [line for line in m.render().splitlines() if line.startswith("http_request_duration_seconds_sum")]
        assert sum_line.rsplit(" ", 1)[1] == floatToGoString(ref.duration.labels("GET", "/", "200")._sum.get())


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_values_round_trip_exactly(v: float) -> None:
    m = Metrics(buckets=[1.0])
    m.observe("GET", "/", 200, v)
    parsed = samples(m.render())
    sums = [value for (name, _), value in parsed.items() if name.endswith("_sum")]
    assert sums == [v]
    [line] = [line for line in m.render().splitlines() if line.startswith("http_request_duration_seconds_sum")]
    assert line.rsplit(" ", 1)[1] == floatToGoString(v)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"namespace": "http-requests"},
        {"namespace": ""},
        {"namespace": "1http"},
        {"buckets": []},
        {"buckets": [1.0, 0.5]},
        {"buckets": [1.0, 1.0]},
        {"buckets": [float("nan")]},
        {"buckets": [float("inf")]},
        {"max_series": 0},
    ],
)
def test_bad_config_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(MetricsError):
        Metrics(**kwargs)


def test_trailing_inf_bucket_is_implied() -> None:
    assert Metrics(buckets=[0.1, 1.0, float("inf")]).buckets == (0.1, 1.0)


@pytest.mark.parametrize("status,seconds", [(1000, 0.1), (200, -0.001), (200, float("nan")), (200, float("inf"))])
def test_bad_observations_refused(status: int, seconds: float) -> None:
    m = Metrics()
    with pytest.raises(MetricsError) as info:
        m.observe("GET", "/", status, seconds)
    assert isinstance(info.value, ValueError) and isinstance(info.value, WebAccelError)
    assert m.series_count == 0


def test_status_must_be_an_int() -> None:
    with pytest.raises(OverflowError):
        Metrics().observe("GET", "/", -1, 0.1)
    with pytest.raises(TypeError):
        Metrics().observe("GET", "/", "200", 0.1)  # type: ignore[arg-type]


def test_cardinality_is_capped_with_an_overflow_series() -> None:
    m = Metrics(max_series=5)
    for i in range(200):
        m.observe("GET", f"/raw/path/{i}", 200, 0.01)
    m.observe("POST", "/raw/path/0", 500, 0.01)
    parsed = samples(m.render())
    requests = {dict(k[1])["route"]: v for k, v in parsed.items() if k[0] == "http_requests_total" and dict(k[1])["method"] == "GET"}
    assert len(requests) == 6
    assert requests[OVERFLOW_ROUTE] == 195
    assert sum(requests.values()) == 200
    assert m.series_count == 7  # 5 + GET overflow + POST overflow


def test_concurrent_observers_give_exact_counts() -> None:
    m = Metrics()
    threads_n, per_thread = 8, 5000
    barrier = threading.Barrier(threads_n)

    def work(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            m.observe(METHODS[i % 3], ROUTES[(i + t) % 3], 200, 0.25)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    parsed = samples(m.render())
    total = sum(v for k, v in parsed.items() if k[0] == "http_requests_total")
    assert total == threads_n * per_thread
    counts = sum(v for k, v in parsed.items() if k[0] == "http_request_duration_seconds_count")
    assert counts == threads_n * per_thread
    sums = sum(v for k, v in parsed.items() if k[0] == "http_request_duration_seconds_sum")
    assert sums == threads_n * per_thread * 0.25  # 0.25 adds exactly in binary


def test_snapshot_merge_round_trip() -> None:
    a, b = Metrics(), Metrics()
    ref = Reference()
    for i, o in enumerate([("GET", "/", 200, 0.01), ("POST", "/x", 500, 1.5), ("GET", "/", 200, 7.0)]):
        (a if i % 2 else b).observe(*o)
        ref.observe(*o)
    total = Metrics()
    total.merge(a.snapshot())
    total.merge(b.snapshot())
    assert_same(total.render(), ref.render())
    assert_same(a.render_with([b.snapshot()]), ref.render())
    assert a.render_with([]) == a.render()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.update(version=2),
        lambda s: s.update(buckets=[1.0]),
        lambda s: s.pop("series"),
        lambda s: s["series"].append(["GET", "/", 200, [1], 0.0]),
        lambda s: s["series"].append(["GET", "/", 2000, [0] * 15, 0.0]),
        lambda s: s["series"].append(["GET", "/", 200, [-1] * 15, 0.0]),
        lambda s: s["series"].append(["GET", "/", 200, [0] * 15, float("nan")]),
        lambda s: s["series"].append("nope"),
    ],
)
def test_bad_snapshots_refused(mutate: Any) -> None:
    src = Metrics()
    src.observe("GET", "/", 200, 0.1)
    snap = src.snapshot()
    mutate(snap)
    target = Metrics()
    with pytest.raises((MetricsError, OverflowError)):
        target.merge(snap)
    assert target.series_count == 0


def _worker(directory: str, offset: int, n: int) -> None:
    m = Metrics()
    shared = MultiProcessMetrics(m, directory, interval=3600)
    for i in range(n):
        m.observe("GET", "/items/{item_id}", 200 if i % 4 else 500, 0.001 * (i + offset))
    shared.close()


def test_multiprocess_directory_sums_real_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_worker, args=(str(tmp_path), k * 1000, 100 + k)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert len(list(tmp_path.glob("*.json"))) == 2

    mine = Metrics()
    shared = MultiProcessMetrics(mine, tmp_path, interval=3600)
    mine.observe("POST", "/items", 201, 0.02)
    ref = Reference()
    for k in range(2):
        for i in range(100 + k):
            ref.observe("GET", "/items/{item_id}", 200 if i % 4 else 500, 0.001 * (i + k * 1000))
    ref.observe("POST", "/items", 201, 0.02)
    assert_same(shared.render(), ref.render())

    # The two children exited: cleanup folds their files into the archive, totals unchanged.
    assert shared.cleanup() == 2
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(["archive.json", shared.path.name])
    assert_same(shared.render(), ref.render())
    assert shared.cleanup() == 0
    shared.close()


def test_multiprocess_skips_unreadable_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "123-abc.json").write_bytes(b"{not json")
    m = Metrics()
    shared = MultiProcessMetrics(m, tmp_path, interval=3600)
    m.observe("GET", "/", 200, 0.1)
    assert samples(shared.render()) == samples(m.render())
    assert "unreadable" in caplog.text
    shared.close()


def test_multiprocess_skips_files_with_other_buckets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    other = Metrics(buckets=[1.0])
    other.observe("GET", "/", 200, 0.1)
    MultiProcessMetrics(other, tmp_path, interval=3600).close()
    m = Metrics()
    m.observe("GET", "/", 200, 0.1)
    shared = MultiProcessMetrics(m, tmp_path, interval=3600)
    assert samples(shared.render()) == samples(m.render())
    assert "buckets differ" in caplog.text
    shared.close()
    with pytest.raises(MetricsError):
        m.merge(other.snapshot())


def test_repr_and_properties() -> None:
    m = Metrics(buckets=[0.1, 1.0], namespace="x", max_series=3, count_4xx_errors=True)
    assert (m.namespace, m.buckets, m.max_series, m.count_4xx_errors, m.series_count) == ("x", (0.1, 1.0), 3, True, 0)
    assert "Metrics(" in repr(m)
    assert math.isfinite(m.buckets[-1])

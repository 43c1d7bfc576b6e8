"""Request metrics: webaccel.metrics against prometheus_client (what prometheus-fastapi-
instrumentator, django-prometheus and prometheus-flask-exporter run).

``observe``: one request recorded, i.e. a request counter and a latency histogram on
(method, route, status). prometheus_client is measured as middlewares use it,
``Histogram.labels(...).observe(s)`` + ``Counter.labels(...).inc()`` per request, and with the
label children looked up once beforehand (its fastest path). ``render``: the text exposition of
~100 series (10 routes x 2 methods x 5 statuses, 15 buckets each), against ``generate_latest``.
Before timing, both sides are fed the same observations and their texts, parsed by
prometheus_client's parser, are checked to hold the same samples.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bench._harness import Case, Table, WrongOutput
from webaccel.metrics import Metrics

PACKAGES = ("prometheus-client",)

LABELS = ("GET", "/items/{item_id}", 200)


class Peer:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        names = ["method", "route", "status"]
        self.requests = Counter("http_requests", "requests", names, registry=self.registry)
        self.errors = Counter("http_request_errors", "errors", names, registry=self.registry)
        self.duration = Histogram("http_request_duration_seconds", "duration", names, registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        if status >= 500:
            self.errors.labels(*labels).inc()
        self.duration.labels(*labels).observe(seconds)


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if not s.name.endswith("_created")
    }


def _same(ours: str, theirs: str) -> None:
    a, b = _samples(ours), _samples(theirs)
    if a.keys() != b.keys():
        raise WrongOutput(f"{len(a)} samples instead of {len(b)}")
    for key, value in b.items():
        if abs(a[key] - value) > 1e-9 * max(1.0, abs(value)):
            raise WrongOutput(f"{key}: {a[key]} instead of {value}")


def _observations(n: int) -> list[tuple[str, str, int, float]]:
    rnd = random.Random(11)
    routes = [f"/api/v1/resource{i}/{{id}}" for i in range(10)]
    out = []
    for method in ("GET", "POST"):
        for route in routes:
            for status in (200, 201, 400, 404, 500):
                out.append((method, route, status, rnd.expovariate(20)))
    while len(out) < n:
        out.append((rnd.choice(("GET", "POST")), rnd.choice(routes), rnd.choice((200, 201, 400, 404, 500)), rnd.expovariate(20)))
    return out


def tables(quick: bool) -> list[Table]:
    ours, peer = Metrics(), Peer()
    for o in _observations(300 if quick else 5000):
        ours.observe(*o)
        peer.observe(*o)
    _same(ours.render(), generate_latest(peer.registry).decode())

    m = Metrics()
    p = Peer()
    method, route, status = LABELS
    status_s = str(status)
    hist_child = p.duration.labels(method, route, status_s)
    count_child = p.requests.labels(method, route, status_s)

    def webaccel_observe(seconds: float) -> None:
        m.observe(method, route, status, seconds)

    def peer_observe(seconds: float) -> None:
        p.duration.labels(method, route, status_s).observe(seconds)
        p.requests.labels(method, route, status_s).inc()

    def peer_bound(seconds: float) -> None:
        hist_child.observe(seconds)
        count_child.inc()

    observe_candidates: dict[str, Callable[[Any], Any]] = {
        "webaccel": webaccel_observe,
        "prometheus_client": peer_observe,
        "prometheus_client (children bound)": peer_bound,
    }

    def render_ours(_: None) -> str:
        return ours.render()

    def render_peer(_: None) -> str:
        return generate_latest(peer.registry).decode()

    expected = render_peer(None)

    def check_render(_name: str, out: Any) -> None:
        _same(out, expected)

    series = ours.series_count
    return [
        Table(
            "metrics.observe",
            "one request recorded: request counter + latency histogram on (method, route, status)",
            [Case("one observation, 15 buckets", 0.0123, observe_candidates)],
            peer="prometheus_client",
        ),
        Table(
            "metrics.render",
            "the Prometheus text format of a populated registry",
            [Case(f"{series} series x (counter + 15-bucket histogram)", None, {"webaccel": render_ours, "prometheus_client": render_peer}, check_render)],
            peer="prometheus_client",
            notes=["prometheus_client's text also has a `_created` sample per series (left out of the "
                   "equality check, not of the timing)"],
        ),
    ]

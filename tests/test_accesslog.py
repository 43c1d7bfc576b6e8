"""webaccel.accesslog: JSON lines with the expected fields, request ids validated or generated,
every sink kind, and a slow sink never blocking the caller (records are dropped and counted)."""

from __future__ import annotations

import datetime
import io
import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webaccel.accesslog import AccessLog, new_request_id, valid_request_id

FIELDS = {"time", "method", "route", "path", "status", "duration_ms", "client_ip", "request_id", "user_agent", "bytes"}


def entry(access: AccessLog, **overrides: Any) -> bool:
    values: dict[str, Any] = {
        "method": "GET",
        "route": "/items/{item_id}",
        "path": "/items/7",
        "status": 200,
        "duration": 0.0125,
        "client_ip": "203.0.113.9",
        "request_id": "abc-123",
        "user_agent": 'curl/8.5 "quoted"\n',
        "bytes_sent": 512,
        "start_time": 1_767_225_600.25,  # 2026-01-01T00:00:00.250Z
    }
    values.update(overrides)
    return access.log(**values)


def test_lines_are_json_with_the_fields() -> None:
    lines: list[str] = []
    access = AccessLog(lines.append)
    entry(access)
    entry(access, status=500, route="unmatched", client_ip=None, user_agent=None)
    assert access.flush(10)
    access.close()
    records = [json.loads(line) for line in lines]
    assert all(set(r) == FIELDS for r in records)
    assert records[0] == {
        "time": "2026-01-01T00:00:00.250Z",
        "method": "GET",
        "route": "/items/{item_id}",
        "path": "/items/7",
        "status": 200,
        "duration_ms": 12.5,
        "client_ip": "203.0.113.9",
        "request_id": "abc-123",
        "user_agent": 'curl/8.5 "quoted"\n',
        "bytes": 512,
    }
    assert records[1]["client_ip"] is None and records[1]["status"] == 500
    assert all("\n" not in line for line in lines)


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_time_is_rfc3339_utc(t: float) -> None:
    from webaccel.accesslog import rfc3339

    text = rfc3339(t)
    parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parsed.tzinfo == datetime.timezone.utc
    # Truncated to the millisecond.
    assert -1e-6 <= t - parsed.timestamp() < 0.001 + 1e-6


def test_start_time_defaults_to_clock_minus_duration() -> None:
    lines: list[str] = []
    access = AccessLog(lines.append, clock=lambda: 1_767_225_601.0)
    access.log(method="GET", route="/", path="/", status=200, duration=0.5, client_ip=None,
               request_id="x", user_agent=None, bytes_sent=0)
    access.close()
    assert json.loads(lines[0])["time"] == "2026-01-01T00:00:00.500Z"


def test_text_stream_binary_stream_path_and_logger_sinks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = io.StringIO()
    binary = io.BytesIO()
    path = tmp_path / "access.jsonl"
    logger = logging.getLogger("tests.access")
    caplog.set_level(logging.INFO, logger="tests.access")
    sinks: list[Any] = [text, binary, path, logger]
    outputs = []
    for sink in sinks:
        access = AccessLog(sink)
        entry(access)
        entry(access, status=404)
        access.close()
        outputs.append(access)
    assert [json.loads(line)["status"] for line in text.getvalue().splitlines()] == [200, 404]
    assert [json.loads(line)["status"] for line in binary.getvalue().decode().splitlines()] == [200, 404]
    assert [json.loads(line)["status"] for line in path.read_text().splitlines()] == [200, 404]
    logged = [r.getMessage() for r in caplog.records if r.name == "tests.access"]
    assert [json.loads(m)["status"] for m in logged] == [200, 404]
    with pytest.raises(TypeError):
        AccessLog(42)  # type: ignore[arg-type]


def test_slow_sink_never_blocks_and_drops_are_counted() -> None:
    release = threading.Event()
    entered = threading.Event()
    lines: list[str] = []

    def slow(line: str) -> None:
        entered.set()
        release.wait()
        lines.append(line)

    access = AccessLog(slow, max_queue=3)
    try:
        assert entry(access, request_id="r0")
        assert entered.wait(10)  # the writer holds r0 and blocks in the sink
        accepted = [entry(access, request_id=f"r{i}") for i in range(1, 21)]
        # The queue takes 3 more; the other 17 are dropped at once, nobody waited.
        assert accepted == [True] * 3 + [False] * 17
        assert access.dropped == 17
        assert access.queued == 4
    finally:
        release.set()
    assert access.flush(10)
    access.close()
    assert [json.loads(line)["request_id"] for line in lines] == ["r0", "r1", "r2", "r3"]
    assert access.written == 4


def test_a_raising_sink_is_counted_and_the_writer_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def flaky(line: str) -> None:
        calls.append(line)
        if len(calls) == 1:
            raise OSError("disk full")

    access = AccessLog(flaky)
    entry(access)
    assert access.flush(10)
    entry(access)
    assert access.flush(10)
    access.close()
    assert access.errors == 1 and access.written == 1
    assert "disk full" in caplog.text


def test_records_after_close_are_dropped() -> None:
    lines: list[str] = []
    access = AccessLog(lines.append)
    access.close()
    assert entry(access) is False
    assert access.dropped == 1 and lines == []


@pytest.mark.parametrize("value", ["abc-123", "a" * 128, "0f0e:1/2+3=4@5.6_7~8", b"bytes-id"])
def test_valid_request_ids_are_kept(value: str | bytes) -> None:
    expected = value.decode() if isinstance(value, bytes) else value
    assert valid_request_id(value) == expected
    access = AccessLog(lambda line: None)
    assert access.request_id(value) == expected
    access.close()


@given(st.text(max_size=200))
def test_request_ids_outside_the_charset_or_length_are_replaced(value: str) -> None:
    ok = 1 <= len(value) <= 128 and all(c.isascii() and (c.isalnum() or c in "._~:/+=@-") for c in value)
    assert (valid_request_id(value) == value) is ok
    if not ok:
        assert valid_request_id(value) is None


@pytest.mark.parametrize("value", [None, "", "a" * 129, "has space", "new\nline", "x\r\nSet-Cookie: a=b", "é", b"\xff"])
def test_hostile_request_ids_are_replaced(value: str | bytes | None) -> None:
    assert valid_request_id(value) is None
    fresh = AccessLog(lambda line: None)
    rid = fresh.request_id(value)
    fresh.close()
    assert len(rid) == 32 and int(rid, 16) >= 0


def test_new_request_ids_are_unique() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000


def test_client_ip_through_trusted_proxies() -> None:
    access = AccessLog(lambda line: None, trusted_proxies=["10.0.0.0/8"])
    headers = [(b"x-forwarded-for", b"198.51.100.7, 10.0.0.5")]
    assert access.client_ip(("10.0.0.1", 5000), headers) == "198.51.100.7"
    # A peer that is not a trusted proxy: its header is not believed.
    assert access.client_ip(("203.0.113.1", 5000), headers) == "203.0.113.1"
    access.close()


def test_bad_max_queue() -> None:
    with pytest.raises(ValueError):
        AccessLog(lambda line: None, max_queue=0)


record_strategy = st.tuples(
    st.floats(min_value=0, max_value=4e9, allow_nan=False),
    st.text(max_size=10),
    st.text(max_size=30),
    st.text(max_size=30),
    st.integers(0, 999),
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.one_of(st.none(), st.text(max_size=40)),
    st.text(max_size=40),
    st.one_of(st.none(), st.text(max_size=60)),
    st.integers(0, 2**62),
)


@given(st.lists(record_strategy, max_size=8))
def test_rust_lines_hold_what_format_record_says(records: list[Any]) -> None:
    from webaccel.accesslog import format_lines, format_record

    data = format_lines(records)
    assert data.endswith(b"\n") or not records
    lines = data.decode().split("\n")[:-1]
    assert len(lines) == len(records)
    for line, record in zip(lines, records):
        expected = format_record(record)
        # Lone surrogates cannot be UTF-8: both sides replace them.
        for key in ("method", "route", "path", "client_ip", "request_id", "user_agent"):
            if isinstance(expected[key], str):
                expected[key] = expected[key].encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        assert json.loads(line) == expected


def test_format_lines_refuses_malformed_records() -> None:
    from webaccel.accesslog import format_lines

    with pytest.raises(ValueError):
        format_lines([(1.0, "GET")])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        format_lines([(1.0, 1, "/", "/", 200, 0.1, None, "x", None, 0)])  # type: ignore[list-item]


def test_line_separators_inside_values_do_not_split_lines() -> None:
    lines: list[str] = []
    access = AccessLog(lines.append)
    entry(access, user_agent="a\u2028b\u2029c\x85d")
    access.close()
    assert len(lines) == 1 and json.loads(lines[0])["user_agent"] == "a\u2028b\u2029c\x85d"

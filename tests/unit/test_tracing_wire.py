"""Byte-level vectors for trace and deadline propagation (interop spec §3, §6) and the histogram."""

from __future__ import annotations

import struct

import pytest

from framework.context import Context, Deadline, TraceId
from framework.metrics import Histogram
from framework.rawbinary import read_struct
from framework.thrift.ttwitter import encode_request_header, read_request_header
from framework.tracing import (
    b3_headers,
    deadline_context_bytes,
    deadline_from_header,
    deadline_header,
    trace_context_bytes,
    trace_from_context,
    trace_from_headers,
)


def test_b3_out_follows_finagle() -> None:
    root = TraceId(trace_id=0xA, span_id=0xA)
    assert b3_headers(root) == {"X-B3-TraceId": "000000000000000a", "X-B3-SpanId": "000000000000000a"}
    child = TraceId(trace_id=0xA, span_id=0xB, parent_id=0xA, sampled=False, debug=True, trace_id_high=1)
    assert b3_headers(child) == {
        "X-B3-TraceId": "0000000000000001000000000000000a",
        "X-B3-SpanId": "000000000000000b",
        "X-B3-ParentSpanId": "000000000000000a",
        "X-B3-Sampled": "false",
        "X-B3-Flags": "1",
    }


@pytest.mark.parametrize(
    "headers, want",
    [
        ({"x-b3-traceid": "a", "x-b3-spanid": "b", "x-b3-sampled": "1"}, (0xA, 0xB, None, True, False)),
        ({"x-b3-traceid": "a", "x-b3-spanid": "b", "x-b3-sampled": "true", "x-b3-parentspanid": "c"}, (0xA, 0xB, 0xC, True, False)),
        ({"x-b3-traceid": "a", "x-b3-spanid": "b", "x-b3-flags": "1"}, (0xA, 0xB, None, True, True)),
        ({"x-b3-traceid": "a", "x-b3-spanid": "b"}, (0xA, 0xB, None, None, False)),
        ({"b3": "a-b"}, (0xA, 0xB, None, None, False)),
        ({"b3": "a-b-0-c"}, (0xA, 0xB, 0xC, False, False)),
        ({"b3": "a-b-d"}, (0xA, 0xB, None, True, True)),
    ],
)
def test_b3_in(headers: dict[str, str], want: tuple) -> None:  # type: ignore[type-arg]
    t = trace_from_headers(headers)
    assert t is not None and (t.trace_id, t.span_id, t.parent_id, t.sampled, t.debug) == want


@pytest.mark.parametrize("headers", [{"x-b3-traceid": "a"}, {"x-b3-traceid": "zz", "x-b3-spanid": "b"}, {"b3": "1"}, {"b3": "x-y"}, {}])
def test_b3_without_usable_ids_starts_nothing(headers: dict[str, str]) -> None:
    assert trace_from_headers(headers) is None


def test_deadline_header_round_trip_and_bad_values() -> None:
    d = Deadline(1_700_000_000_000_000_000, 1_700_000_001_000_000_000)
    name, value = deadline_header(d)
    assert (name, value) == ("Finagle-Ctx-com.twitter.finagle.Deadline", "1700000000000000000 1700000001000000000")
    assert deadline_from_header(value) == d
    for bad in ("", "12", "a b", "1 2 3"):
        assert deadline_from_header(bad) is None


def test_trace_context_bytes_match_finagle_layout() -> None:
    t = TraceId(trace_id=3, span_id=1, parent_id=2, sampled=True)
    b = trace_context_bytes(t)
    assert b == struct.pack(">QQQQ", 1, 2, 3, 2 | 4)  # span, parent, trace, flags(SamplingKnown|Sampled)
    back = trace_from_context(b)
    assert back is not None and (back.trace_id, back.span_id, back.parent_id, back.sampled) == (3, 1, 2, True)
    root = trace_from_context(struct.pack(">QQQQQ", 5, 5, 6, 0, 7))  # parent == span: a root; 40 bytes: high id
    assert root is not None and (root.parent_id, root.sampled, root.trace_id_high) == (None, None, 7)
    assert trace_from_context(b"\0" * 31) is None
    assert deadline_context_bytes(Deadline(1, 2)) == struct.pack(">qq", 1, 2)


def test_request_header_fields_and_contexts() -> None:
    t = TraceId(trace_id=(1 << 64) - 1, span_id=2, parent_id=1, sampled=False)
    header = encode_request_header(t, client_id="me", deadline=Deadline(10, 20))
    fields, end = read_struct(header)
    assert end == len(header)
    assert (fields[1], fields[2], fields[3], fields[5], fields[6], fields[7]) == (-1, 2, 1, 0, {1: b"me"}, 2)
    keys = [c[1] for c in fields[8]]
    assert keys == [b"com.twitter.finagle.tracing.TraceContext", b"com.twitter.finagle.Deadline", b"com.twitter.finagle.thrift.ClientIdContext"]
    ctx = Context("thrift")
    assert read_request_header(header + b"rest", 0, ctx) == len(header)
    assert ctx.trace is not None and (ctx.trace.trace_id, ctx.trace.sampled) == ((1 << 64) - 1, False)
    assert (ctx.client_id, ctx.deadline) == ("me", Deadline(10, 20))


def test_trace_context_overrides_header_fields() -> None:
    from framework.rawbinary import T_STRUCT, Writer

    w = Writer().i64(1, 100).i64(2, 200)
    w.list_begin(8, T_STRUCT, 1).binary(1, b"com.twitter.finagle.tracing.TraceContext").binary(2, struct.pack(">QQQQ", 9, 8, 7, 0)).end()
    w.end()
    ctx = Context("thrift")
    read_request_header(bytes(w.out), 0, ctx)
    assert ctx.trace is not None and (ctx.trace.trace_id, ctx.trace.span_id, ctx.trace.parent_id) == (7, 9, 8)


def test_histogram_quantiles_are_within_two_percent() -> None:
    h = Histogram("lat")
    for v in range(1, 10_001):
        h.add(v / 10)  # 0.1 .. 1000 ms, uniform
    out = h.export()
    assert out["lat.count"] == 10_000 and out["lat.min"] == 0.1 and out["lat.max"] == 1000
    assert out["lat.avg"] == pytest.approx(500.05)
    for suffix, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p9990", 0.999)):
        assert out[f"lat.{suffix}"] == pytest.approx(1000 * q, rel=0.021)
    assert out["lat.p9999"] <= 1000


def test_empty_histogram_exports_only_its_count() -> None:
    assert Histogram("x").export() == {"x.count": 0}


def test_ttwitter_probe_bytes_and_answers_follow_finagle() -> None:
    from framework.thrift.ttwitter import UPGRADE_PROBE, upgrade_accepted

    name = b"__can__finagle__trace__v3__"
    assert UPGRADE_PROBE == bytes.fromhex("00000028 80010001 0000001b") + name + bytes.fromhex("00000000 00")
    reply = bytes.fromhex("80010002 0000001b") + name + bytes.fromhex("00000000 00")
    exception = bytes.fromhex("80010003 0000001b") + name + bytes.fromhex("00000000")
    assert upgrade_accepted(reply) and not upgrade_accepted(exception)
    old_style = struct.pack(">i", len(name)) + name + bytes([3]) + bytes(4)  # non-strict EXCEPTION
    assert not upgrade_accepted(old_style)


def test_client_request_metadata_carries_trace_deadline_and_retries() -> None:
    from framework.client.base import request_header, request_metadata
    from framework.service import Call

    trace = TraceId(trace_id=0xA, span_id=0xB, parent_id=0xC, sampled=True)
    ctx = Context("http", trace=trace, deadline=Deadline(1, 2), client_id="web", retries=2)
    call = Call(None, None, [], ctx)  # type: ignore[arg-type]
    assert request_metadata(call) == {
        "X-B3-TraceId": "000000000000000a",
        "X-B3-SpanId": "000000000000000b",
        "X-B3-ParentSpanId": "000000000000000c",
        "X-B3-Sampled": "true",
        "Finagle-Ctx-com.twitter.finagle.Deadline": "1 2",
        "Finagle-Ctx-com.twitter.finagle.Retries": "2",
        "finagle-ctx-com.twitter.finagle.thrift.clientidcontext": "web",
    }
    seen = Context("thrift")
    header = request_header(call)
    assert read_request_header(header, 0, seen) == len(header)
    assert (seen.trace, seen.deadline, seen.client_id, seen.retries) == (trace, Deadline(1, 2), "web", 2)

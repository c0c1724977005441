"""Mux wire format, byte by byte, from the spec (Finagle's mux package scaladoc and Message.scala)."""

from __future__ import annotations

import struct

import pytest

from framework.context import Context, Deadline, TraceId
from framework.errors import WireError
from framework.thrift import mux_wire as w
from framework.thrift.codec import NeedMore
from framework.thrift.mux import MuxSession, sniff


def frame(raw_type: int, tag: int, body: bytes = b"") -> bytearray:
    return bytearray(struct.pack(">iB", 4 + len(body), raw_type & 0xFF) + tag.to_bytes(3, "big") + body)


def one(data: bytes | bytearray) -> w.MuxMessage:
    buf = bytearray(data)
    m = w.read_frame(buf, 1 << 20)
    assert m is not None and not buf
    return m


# -- frames and types ----------------------------------------------------------------------------
def test_tinit_check_marker_bytes_are_what_finagle_sends() -> None:
    # Finagle sends Rerr with its old type byte 127 on the control tag.
    assert w.encode(w.RERR, w.CONTROL_TAG, w.TINIT_CHECK) == bytes.fromhex("0000000f 7f 000001") + b"tinit check"


@pytest.mark.parametrize("raw", [127, -128])
def test_rerr_is_read_in_both_encodings(raw: int) -> None:
    m = one(frame(raw, 5, b"why"))
    assert (m.type, m.tag, m.body, m.raw_type) == (w.RERR, 5, b"why", raw)


@pytest.mark.parametrize("raw", [-62, 66])
def test_tdiscarded_is_read_in_both_encodings(raw: int) -> None:
    m = one(frame(raw, 0, b"\x00\x01\x02gone"))
    assert (m.type, m.tag) == (w.TDISCARDED, 0)
    assert w.parse_discarded(m.body) == (0x000102, "gone")


def test_tdiscarded_is_sent_as_minus_62_on_the_marker_tag() -> None:
    assert w.encode(w.TDISCARDED, 0, w.encode_discarded(0x0A0B0C, "x")) == bytes.fromhex("00000008 c2 000000 0a0b0c") + b"x"


@pytest.mark.parametrize(
    "typ,raw",
    [(w.TDRAIN, 0x40), (w.RDRAIN, 0xC0), (w.TPING, 0x41), (w.RPING, 0xBF), (w.RDISCARDED, 0xBE), (w.TLEASE, 0x43), (w.TINIT, 0x44), (w.RINIT, 0xBC), (w.TREQ, 0x01), (w.RREQ, 0xFF), (w.TDISPATCH, 0x02), (w.RDISPATCH, 0xFE)],
)
def test_type_bytes(typ: int, raw: int) -> None:
    data = w.encode(typ, 1)
    assert data == struct.pack(">iB", 4, raw) + b"\0\0\x01"
    assert one(data).type == typ


def test_fragment_bit_is_bit_23_of_the_tag() -> None:
    m = one(frame(w.TDISPATCH, 7 | w.FRAGMENT, b"ab"))
    assert (m.tag, m.fragment) == (7, True)
    assert one(frame(w.TDISPATCH, w.MAX_TAG, b"")).tag == (1 << 23) - 1


def test_partial_frames_wait_and_bad_sizes_fail() -> None:
    data = frame(w.TPING, 1)
    for cut in range(len(data)):
        assert w.read_frame(bytearray(data[:cut]), 100) is None
    with pytest.raises(WireError, match="below"):
        w.read_frame(bytearray(struct.pack(">i", 3) + b"abc"), 100)
    with pytest.raises(WireError, match="limit"):
        w.read_frame(bytearray(struct.pack(">i", 101)), 100)


# -- bodies --------------------------------------------------------------------------------------
def test_tdispatch_bytes() -> None:
    body = w.encode_tdispatch([(b"k", b"vv")], b"PAYLOAD")
    assert bytes(body) == bytes.fromhex("0001 0001 6b 0002 7676 0000 0000") + b"PAYLOAD"
    d = w.parse_tdispatch(bytes(body))
    assert (d.contexts, d.dest, d.dtab, d.body) == ([(b"k", b"vv")], "", [], b"PAYLOAD")


def test_tdispatch_with_destination_and_delegations() -> None:
    body = bytes.fromhex("0000") + b"\x00\x04/s/x" + b"\x00\x01" + b"\x00\x02/a" + b"\x00\x02/b" + b"T"
    d = w.parse_tdispatch(body)
    assert (d.dest, d.dtab, d.body) == ("/s/x", [("/a", "/b")], b"T")


def test_a_length_that_lies_is_a_clear_error() -> None:
    with pytest.raises(WireError, match="runs past the end"):
        w.parse_tdispatch(bytes.fromhex("0001 0100") + b"key")


def test_rdispatch_bytes_and_statuses() -> None:
    assert bytes(w.encode_rdispatch(w.OK, b"R")) == b"\x00\x00\x00R"
    assert w.parse_rdispatch(b"\x01\x00\x00boom") == (w.ERROR, [], b"boom")
    nack = w.encode_rdispatch(w.NACK, b"", w.nack_contexts())
    assert bytes(nack) == b"\x02\x00\x01\x00\x0aMuxFailure\x00\x08" + struct.pack(">Q", 3)


def test_init_bytes() -> None:
    body = w.encode_init(1, [(b"mux-framer", struct.pack(">i", 1024))])
    assert bytes(body) == bytes.fromhex("0001 0000000a") + b"mux-framer" + bytes.fromhex("00000004 00000400")
    assert w.parse_init(bytes(body)) == (1, [(b"mux-framer", b"\x00\x00\x04\x00")])


def test_treq_with_trace_and_flags() -> None:
    body = bytes([2, 1, 24]) + struct.pack(">QQQ", 3, 2, 1) + bytes([2, 1, 6]) + b"THRIFT"
    trace, payload = w.parse_treq(body)
    assert payload == b"THRIFT"
    assert trace == TraceId(trace_id=1, span_id=3, parent_id=2, sampled=True)
    assert w.parse_treq(b"\x00rest") == (None, b"rest")


# -- contexts ------------------------------------------------------------------------------------
def test_trace_context_bytes_both_ways() -> None:
    t = TraceId(trace_id=0x33, span_id=0x11, parent_id=0x22, sampled=True, debug=True)
    v = w.encode_trace(t)
    assert v == struct.pack(">QQQQ", 0x11, 0x22, 0x33, 1 | 2 | 4)
    assert w.decode_trace(v) == t
    root = TraceId(trace_id=9, span_id=9)
    assert w.encode_trace(root) == struct.pack(">QQQQ", 9, 9, 9, 0)  # parent == span: a root
    assert w.decode_trace(w.encode_trace(root)) == root
    wide = TraceId(trace_id=5, span_id=6, parent_id=7, sampled=False, trace_id_high=0xABC)
    assert len(w.encode_trace(wide)) == 40 and w.decode_trace(w.encode_trace(wide)) == wide
    with pytest.raises(WireError):
        w.decode_trace(b"\0" * 24)


def test_contexts_fill_the_call_context_and_round_trip() -> None:
    ctx = Context("thrift")
    contexts = [
        (w.TRACE_KEY, struct.pack(">QQQQ", 2, 2, 1, 2)),
        (w.DEADLINE_KEY, struct.pack(">qq", 1_000, 2_000)),
        (w.RETRIES_KEY, struct.pack(">i", 3)),
        (w.CLIENT_ID_KEY, "caller-\u00e9".encode()),
        (b"com.example.Other", b"kept"),
    ]
    assert w.contexts_to_context(contexts, ctx) == []
    assert ctx.trace == TraceId(trace_id=1, span_id=2, parent_id=None, sampled=False)
    assert ctx.deadline == Deadline(1_000, 2_000)
    assert (ctx.retries, ctx.client_id) == (3, "caller-\u00e9")
    assert ctx.extra == {"com.example.Other": b"kept"}
    assert w.context_to_contexts(ctx) == contexts[:4]
    # A value that does not decode is left out and reported, as Finagle treats it as absent.
    ctx = Context("thrift")
    problems = w.contexts_to_context([(w.DEADLINE_KEY, b"\0" * 8), (w.RETRIES_KEY, b"\0"), (w.TRACE_KEY, b"x"), (w.CLIENT_ID_KEY, b"")], ctx)
    assert len(problems) == 3 and "Deadline" in problems[0]
    assert (ctx.deadline, ctx.retries, ctx.trace, ctx.client_id) == (None, 0, None, None)


def test_fragments_reassemble_per_tag() -> None:
    r = w.Reassembly()
    assert r.add(w.MuxMessage(w.TDISPATCH, 3, b"ab", True), 100) is None
    assert r.add(w.MuxMessage(w.TDISPATCH, 4, b"XY", False), 100) == b"XY"
    assert r.add(w.MuxMessage(w.TDISPATCH, 3, b"cd", True), 100) is None
    assert r.add(w.MuxMessage(w.TDISPATCH, 3, b"e", False), 100) == b"abcde"
    assert r.size == 0
    with pytest.raises(WireError, match="limit"):
        r.add(w.MuxMessage(w.TDISPATCH, 5, b"x" * 101, True), 100)


# -- detection -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "first,mux",
    [
        (bytes(w.encode(w.RERR, 1, w.TINIT_CHECK)), True),  # the handshake marker
        (bytes(w.encode(w.TDISPATCH, 2, b"\0" * 6)), True),  # a client that skips the handshake
        (bytes(w.encode(w.TPING, 1)), True),
        (struct.pack(">i", 40) + bytes.fromhex("80010001 0000001b"), False),  # framed strict CALL: "Rerr tag 65537"
        (struct.pack(">i", 40) + bytes.fromhex("80010004 00000004"), False),  # framed strict ONEWAY: tag 65540
        (struct.pack(">i", 40) + bytes.fromhex("00000004") + b"echo", False),  # framed non-strict
        (struct.pack(">i", 40) + bytes.fromhex("8221") + b"\x04echo", False),  # framed compact
        (bytes.fromhex("80010001 00000004") + b"echo", False),  # unframed strict
        (bytes.fromhex("00000004") + b"Abcd\x01\0\0\0", False),  # unframed non-strict, a name that starts like Tping
    ],
)
def test_sniff(first: bytes, mux: bool) -> None:
    assert (sniff(first) is MuxSession) is mux


def test_sniff_needs_eight_bytes() -> None:
    with pytest.raises(NeedMore):
        sniff(b"\0\0\0\x04")

"""framework.thrift.codec against thriftpy2's own (independent, pure-Python) protocols."""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from thriftpy2.protocol import TBinaryProtocol, TCompactProtocol
from thriftpy2.transport import TMemoryBuffer

from framework import load_idl, locate_idl
from framework.errors import WireError
from framework.thrift.codec import CALL, EXCEPTION, REPLY, BinaryCodec, CompactCodec, NeedMore, binary_message_end

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from probe import IDL as PROBE  # noqa: E402

ECHO = load_idl(locate_idl("echo.thrift"))
E = ECHO.module
P = PROBE.module
METHODS = list(ECHO.service().methods.values())
BIN = BinaryCodec(METHODS)
PBIN = BinaryCodec(list(PROBE.service().methods.values()))
COMPACT = CompactCodec()


def rich_message() -> Any:
    return E.Message(
        text="héllo ✓",
        volume=E.Volume.LOUD,
        tags=["a", "", "c"],
        lucky={-1, 0, 2**31 - 1},
        counters={"big": 2**62 + 1, "neg": -(2**63)},
        payload=bytes(range(256)),
        id=-5,
    )


def same(a: Any, b: Any) -> bool:
    """Field-wise equality (thriftpy2 exceptions compare by identity)."""
    return type(a) is type(b) and vars(a) == vars(b)


def their_encoding(proto: Any, method: str, args: Any, mtype: int = CALL, seqid: int = 7) -> bytes:
    buf = TMemoryBuffer()
    p = proto(buf)
    p.write_message_begin(method, mtype, seqid)
    p.write_struct(args)
    p.write_message_end()
    return buf.getvalue()


def their_decoding(proto: Any, data: bytes, result_cls: Any) -> tuple[Any, Any]:
    p = proto(TMemoryBuffer(data))
    header = p.read_message_begin()
    r = result_cls()
    p.read_struct(r)
    return header, r


@pytest.mark.parametrize("codec,proto", [(BIN, TBinaryProtocol), (COMPACT, TCompactProtocol)], ids=["binary", "compact"])
def test_reads_what_thriftpy2_writes_and_back(codec: Any, proto: Any) -> None:
    m = ECHO.service().methods["echo"]
    msg = rich_message()
    sid = -99 if proto is TBinaryProtocol else 99  # thriftpy2's compact writer loops on negative seqids
    data = their_encoding(proto, "echo", E.Echo.echo_args(message=msg), seqid=sid)
    name, mtype, seqid, p = codec.read_message_begin(data, 0)
    assert (name, mtype, seqid) == ("echo", CALL, sid)
    args, end = codec.read_args(m, data, p)
    assert end == len(data)
    assert args == [msg]
    out = bytearray()
    codec.write_message_begin(out, "echo", REPLY, sid)
    codec.write_result(m, msg, out)
    header, result = their_decoding(proto, bytes(out), E.Echo.echo_result)
    assert header == ("echo", REPLY, sid)
    result.success.lucky = set(result.success.lucky)  # thriftpy2 reads sets as lists
    assert result.success == msg


@pytest.mark.parametrize("codec,proto", [(BIN, TBinaryProtocol), (COMPACT, TCompactProtocol)], ids=["binary", "compact"])
def test_declared_exceptions_and_application_errors(codec: Any, proto: Any) -> None:
    m = ECHO.service().methods["get"]
    out = bytearray()
    codec.write_message_begin(out, "get", REPLY, 3)
    codec.write_exception(m, m.throws[0], E.NotFound(id=2**40, reason="gone"), out)
    _, result = their_decoding(proto, bytes(out), E.Echo.get_result)
    assert same(result.notFound, E.NotFound(id=2**40, reason="gone")) and result.success is None
    out = bytearray()
    codec.write_message_begin(out, "get", EXCEPTION, 3)
    codec.write_app_exception("no such thing", 1, out)
    name, mtype, seqid, p = codec.read_message_begin(bytes(out), 0)
    assert (name, mtype, seqid) == ("get", EXCEPTION, 3)
    assert codec.read_app_exception(bytes(out), p)[:2] == ("no such thing", 1)


@pytest.mark.parametrize("codec", [BIN, COMPACT], ids=["binary", "compact"])
def test_client_side_calls_and_results_round_trip(codec: Any) -> None:
    m = ECHO.service().methods["repeat"]
    out = bytearray()
    codec.write_args(m, ["ab", 3], out)
    assert codec.read_args(m, bytes(out), 0)[0] == ["ab", 3]
    out = bytearray()
    codec.write_exception(m, m.throws[0], E.Rejected(field="times", reason="no"), out)
    fid, value, _ = codec.read_result(m, bytes(out), 0)
    assert fid == 1 and same(value, E.Rejected(field="times", reason="no"))
    out = bytearray()
    codec.write_result(m, "ab ab", out)
    assert codec.read_result(m, bytes(out), 0)[:2] == (0, "ab ab")


@pytest.mark.parametrize("codec", [BIN, COMPACT], ids=["binary", "compact"])
@pytest.mark.parametrize("seqid", [0, 1, -1, 2**31 - 1, -(2**31)])
def test_any_i32_seqid_round_trips(codec: Any, seqid: int) -> None:
    # Finagle rewrites seqids to random i32s: negative ones are normal.
    out = bytearray()
    codec.write_message_begin(out, "x", REPLY, seqid)
    assert codec.read_message_begin(bytes(out), 0)[:3] == ("x", REPLY, seqid)


def test_missing_arguments_take_their_defaults() -> None:
    m = ECHO.service().methods["repeat"]
    data = their_encoding(TBinaryProtocol, "repeat", E.Echo.repeat_args(text="x", times=None))
    _, _, _, p = BIN.read_message_begin(data, 0)
    assert BIN.read_args(m, data, p)[0] == ["x", 2]


def test_non_strict_headers_are_read_and_can_be_written() -> None:
    m = ECHO.service().methods["notes"]
    buf = TMemoryBuffer()
    proto = TBinaryProtocol(buf, strict_read=False, strict_write=False)
    proto.write_message_begin("notes", CALL, 5)
    proto.write_struct(E.Echo.notes_args())
    data = buf.getvalue()
    assert data[:4] == b"\x00\x00\x00\x05"  # a bare name length: the old, non-strict header
    assert BIN.read_message_begin(data, 0)[:3] == ("notes", CALL, 5)
    out = bytearray()
    BIN.variant(False).write_message_begin(out, "notes", REPLY, 5)
    BIN.write_result(m, 7, out)
    p = TBinaryProtocol(TMemoryBuffer(bytes(out)), strict_read=False)
    assert p.read_message_begin() == ("notes", REPLY, 5)
    assert bytes(out)[:4] == b"\x00\x00\x00\x05"


def wire_args(fields: bytes) -> bytes:
    return fields + b"\x00"


def read_echo(data: bytes) -> Any:
    args, _ = BIN.read_args(ECHO.service().methods["echo"], data, 0)
    return args[0]


@pytest.mark.parametrize(
    "data,message",
    [
        (bytes([12, 0, 1, 8, 0, 1]) + struct.pack(">i", 5) + b"\0\0", "message.text: expected string, got i32"),
        (bytes([12, 0, 1, 15, 0, 3, 11]) + struct.pack(">i", 2**31 - 1) + b"\0\0", "message.tags: list size 2147483647 does not fit"),
        (bytes([12, 0, 1, 15, 0, 3, 11]) + struct.pack(">i", -1) + b"\0\0", "message.tags: list size -1 does not fit"),
        (bytes([12, 0, 1, 15, 0, 3, 11, 0, 0, 0, 2, 0, 0, 0, 1]) + b"a" + struct.pack(">i", 50) + b"zz", "message.tags[1]: string size 50 does not fit"),
        (bytes([12, 0, 1, 15, 0, 3, 8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]), "message.tags[0]: expected string, got i32"),
        (bytes([12, 0, 1, 0, 0]), "message.text: required"),
        (bytes([12, 0, 1, 11, 0, 1]) + struct.pack(">i", 2) + b"\xff\xfe\0\0", "message.text: string is not valid UTF-8"),
        (bytes([12, 0, 1, 11, 0, 1]) + struct.pack(">i", 2) + b"a", "message.text: string size 2 does not fit"),
        (bytes([12, 0, 1, 13, 0, 5, 11, 10]) + struct.pack(">i", 1 << 30) + b"\0\0", "message.counters: map size 1073741824 does not fit"),
        (b"\x0c", "message ends in the middle of a value"),
        (bytes([12, 0, 1, 99, 0, 50]), "message: unknown field type 99"),
    ],
)
def test_malformed_arguments_fail_with_the_field_path(data: bytes, message: str) -> None:
    with pytest.raises(WireError) as info:
        read_echo(data)
    assert str(info.value).startswith(message), str(info.value)


def test_unknown_fields_of_any_type_are_skipped() -> None:
    # field 9 (a list of structs) is not in the IDL: a newer client may send it
    unknown = bytes([15, 0, 9, 12]) + struct.pack(">i", 2) + bytes([8, 0, 1, 0, 0, 0, 1, 0]) + b"\0"
    data = bytes([12, 0, 1]) + unknown + bytes([11, 0, 1]) + struct.pack(">i", 2) + b"hi" + b"\0" + b"\0"
    assert read_echo(data) == E.Message(text="hi")


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    m = PROBE.service().methods["count"]
    leaf = bytes([11, 0, 1, 0, 0, 0, 1]) + b"x" + b"\0"  # Node{name: "x"}
    node = leaf
    for _ in range(80):  # Node{name: "x", children: [node]}
        node = bytes([11, 0, 1, 0, 0, 0, 1]) + b"x" + bytes([15, 0, 2, 12, 0, 0, 0, 1]) + node + b"\0"
    ok = bytes([12, 0, 1]) + leaf + b"\0"
    assert PBIN.read_args(m, ok, 0)[0][0] == P.Node(name="x")
    with pytest.raises(WireError, match="nesting deeper than 64"):
        PBIN.read_args(m, bytes([12, 0, 1]) + node + b"\0", 0)


def test_values_that_do_not_fit_the_idl_are_refused_when_writing() -> None:
    m = ECHO.service().methods["find"]
    bad = [E.Stored(id=1, message=E.Message(text="x", counters={"a": "b"}), storedAtMs=3)]
    with pytest.raises(WireError, match=r"^result\[0\]\.message\.counters\['a'\]: expected i64, got str"):
        BIN.write_result(m, bad, bytearray())
    with pytest.raises(WireError, match=r"^message\.text: required"):
        BIN.write_args(ECHO.service().methods["echo"], [E.Message(text=None)], bytearray())
    with pytest.raises(WireError, match=r"message\.tags\[1\]: expected string, got int"):
        BIN.write_args(ECHO.service().methods["echo"], [E.Message(text="x", tags=["a", 5])], bytearray())
    with pytest.raises(WireError, match="out of range for i64"):
        BIN.write_result(ECHO.service().methods["notes"], 2**64, bytearray())
    with pytest.raises(WireError, match=r"message: expected Message, got dict"):
        BIN.write_args(ECHO.service().methods["echo"], [{"text": "x"}], bytearray())
    with pytest.raises(WireError, match=r"message\.text: expected string, got int"):
        COMPACT.write_args(ECHO.service().methods["echo"], [E.Message(text=5)], bytearray())


def test_unframed_message_end_waits_for_the_whole_message() -> None:
    data = their_encoding(TBinaryProtocol, "echo", E.Echo.echo_args(message=rich_message()))
    assert binary_message_end(data + b"next") == len(data)
    for cut in (1, 3, 9, len(data) // 2, len(data) - 1):
        with pytest.raises(NeedMore):
            binary_message_end(data[:cut])
    cdata = their_encoding(TCompactProtocol, "echo", E.Echo.echo_args(message=rich_message()))
    assert COMPACT.message_end(cdata + b"\x82") == len(cdata)
    for cut in (1, 2, 5, len(cdata) // 2, len(cdata) - 1):
        with pytest.raises(NeedMore):
            COMPACT.message_end(cdata[:cut])


@pytest.mark.parametrize("codec,proto", [(BIN, TBinaryProtocol), (COMPACT, TCompactProtocol)], ids=["binary", "compact"])
def test_random_corruption_only_ever_raises_wire_errors(codec: Any, proto: Any) -> None:
    """Flip, cut and splice bytes of valid messages: every outcome is a value or a WireError."""
    rng = random.Random(1234)
    m = ECHO.service().methods["echo"]
    good = their_encoding(proto, "echo", E.Echo.echo_args(message=rich_message()))
    _, _, _, start = codec.read_message_begin(good, 0)
    body = good[start:]
    outcomes = {"ok": 0, "wire": 0}
    for _ in range(3000):
        data = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            i = rng.randrange(len(data))
            if op < 0.6:
                data[i] = rng.randrange(256)
            elif op < 0.8:
                del data[i:]
                if not data:
                    data = bytearray(b"\x0c")
            else:
                data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        try:
            codec.read_args(m, bytes(data), 0)
            outcomes["ok"] += 1
        except WireError:
            outcomes["wire"] += 1
    assert outcomes["wire"] > 1000  # the corruption was real

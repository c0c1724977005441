"""framework.thrift.json_protocol against Apache Thrift's own TJSONProtocol (the `thrift`
Python library, a real peer): what one writes the other reads, value by value."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from thrift.protocol.TJSONProtocol import TJSONProtocol
from thrift.Thrift import TMessageType, TType
from thrift.transport.TTransport import TMemoryBuffer

from framework import load_idl, locate_idl
from framework.errors import WireError
from framework.thrift.codec import NeedMore
from framework.thrift.json_protocol import JSON_CODEC, json_message_end

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from probe import IDL as PROBE  # noqa: E402

ECHO = load_idl(locate_idl("echo.thrift"))
E = ECHO.module
METHODS = PROBE.service().methods
ECHO_METHODS = ECHO.service().methods


def apache_numbers_call(b: int, s: int, i: int, l: int, d: float, flag: bool) -> bytes:
    buf = TMemoryBuffer()
    p = TJSONProtocol(buf)
    p.writeMessageBegin("numbers", TMessageType.CALL, 7)
    p.writeStructBegin("numbers_args")
    for fid, ttype, write, v in ((1, TType.BYTE, p.writeByte, b), (2, TType.I16, p.writeI16, s), (3, TType.I32, p.writeI32, i), (4, TType.I64, p.writeI64, l), (5, TType.DOUBLE, p.writeDouble, d), (6, TType.BOOL, p.writeBool, flag)):
        p.writeFieldBegin("", ttype, fid)
        write(v)
        p.writeFieldEnd()
    p.writeFieldStop()
    p.writeStructEnd()
    p.writeMessageEnd()
    return buf.getvalue()


def test_apache_call_reads_here() -> None:
    data = apache_numbers_call(-128, -32768, -(1 << 31), -(1 << 63), -0.000341012439638598279, True)
    name, mtype, seqid, p = JSON_CODEC.read_message_begin(data, 0)
    assert (name, mtype, seqid) == ("numbers", TMessageType.CALL, 7)
    args, end = JSON_CODEC.read_args(METHODS["numbers"], data, p)
    assert args == [-128, -32768, -(1 << 31), -(1 << 63), -0.000341012439638598279, True] and end == len(data)
    assert json_message_end(data + b'[1,"next"') == len(data)


@pytest.mark.parametrize("values", [[1.5, -0.0, 1e300, 5e-324], [math.inf, -math.inf], [math.nan]])
def test_replies_written_here_read_in_apache(values: list[float]) -> None:
    out = bytearray()
    JSON_CODEC.write_message_begin(out, "numbers", TMessageType.REPLY, -5)
    JSON_CODEC.write_result(METHODS["numbers"], values, out)
    p = TJSONProtocol(TMemoryBuffer(bytes(out)))
    assert p.readMessageBegin() == ("numbers", TMessageType.REPLY, -5)
    p.readStructBegin()
    assert p.readFieldBegin()[1:] == (TType.LIST, 0)
    etype, n = p.readListBegin()
    got = [p.readDouble() for _ in range(n)]
    assert etype == TType.DOUBLE
    for a, b in zip(got, values):
        assert (math.isnan(a) and math.isnan(b)) or a == b


def test_structs_strings_binary_sets_and_maps_round_trip() -> None:
    """Written here, parsed whole by Apache's strict reader, and read back here unchanged."""
    m = E.Message(
        text='é"\\\n\t\b/ パイソン \x01',
        volume=E.Volume.LOUD,
        tags=["a", ""],
        lucky={7, -1},
        counters={"big": (1 << 63) - 1, "": -1},
        payload=bytes(range(256)),
        id=-(1 << 40),
    )
    out = bytearray()
    JSON_CODEC.write_message_begin(out, "echo", TMessageType.CALL, 1)
    JSON_CODEC.write_args(ECHO_METHODS["echo"], [m], out)
    apache = TJSONProtocol(TMemoryBuffer(bytes(out)))
    assert apache.readMessageBegin() == ("echo", TMessageType.CALL, 1)
    apache.readStructBegin()
    assert apache.readFieldBegin()[1:] == (TType.STRUCT, 1)
    apache.readStructBegin()
    assert apache.readFieldBegin()[1:] == (TType.STRING, 1)
    assert apache.readString() == m.text
    _, _, _, p = JSON_CODEC.read_message_begin(bytes(out), 0)
    (back,), _ = JSON_CODEC.read_args(ECHO_METHODS["echo"], bytes(out), p)
    assert back == m


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"1":{"i8":1},"2":{"i16":1},"3":{"i32":1},"4":{"i64":1},"5":{"dbl":1},"6":{"i32":1}}', "expected bool"),
        (b'{"1":{"i8":300}}', "does not fit in byte"),
        (b'{"1":[1]}', "expected {type: value}"),
        (b"{not json}", "not JSON"),
        (b'{"x":{"i8":1}}', "not a field id"),
    ],
)
def test_bad_json_names_the_problem(body: bytes, says: str) -> None:
    data = b'[1,"numbers",1,1,' + body + b"]"
    _, _, _, p = JSON_CODEC.read_message_begin(data, 0)
    with pytest.raises(WireError, match=says):
        JSON_CODEC.read_args(METHODS["numbers"], data, p)


def test_stream_delimiting() -> None:
    with pytest.raises(NeedMore):
        json_message_end(b'[1,"a",1,1,{"1":{"str":"]}"')
    with pytest.raises(WireError, match="not a TJSONProtocol message"):
        json_message_end(b"[garbage that is not")
    assert json_message_end(b'[1,"a",1,1,{"1":{"str":"\\"]"}}]rest') == len(b'[1,"a",1,1,{"1":{"str":"\\"]"}}]')


def test_struct_map_keys_cannot_travel_as_json_keys() -> None:
    out = bytearray()
    with pytest.raises(WireError, match="cannot be a JSON object key"):
        JSON_CODEC.write_args(METHODS["label"], [{PROBE.module.Point(x=1, y=2): "a"}], out)


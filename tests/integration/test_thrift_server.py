"""The Thrift server over real loopback sockets: detection, replies, and bad input failing alone."""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import thriftpy2
from thriftpy2.protocol import TBinaryProtocolFactory, TCompactProtocolFactory
from thriftpy2.rpc import make_client
from thriftpy2.thrift import TApplicationException
from thriftpy2.transport import TBufferedTransportFactory, TFramedTransportFactory

from framework.metrics import registry
from framework.thrift.codec import CALL, EXCEPTION, ONEWAY, REPLY, BinaryCodec, CompactCodec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost  # noqa: E402
from probe import IDL as PROBE_IDL  # noqa: E402
from probe import create as create_probe  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
echo_thrift = thriftpy2.load(str(ROOT / "idl" / "echo.thrift"), module_name="echo_client_thrift")
probe_thrift = thriftpy2.load(str(ROOT / "tests" / "idl" / "probe.thrift"), module_name="probe_client_thrift", include_dirs=[str(ROOT / "tests" / "idl")])
PROBE = PROBE_IDL.service()
PBIN = BinaryCodec(list(PROBE.methods.values()))
MAX_FRAME = 64 << 10


@pytest.fixture(scope="module")
def host() -> Iterator[InProcessHost]:
    from services.echo import create as create_echo

    with InProcessHost(lambda: [create_echo(), create_probe()], max_frame_bytes=MAX_FRAME, stall_timeout_s=0.5) as h:
        yield h


def bad(why: str) -> float:
    return registry.value(f"srv/probe/thrift/bad_input/{why}")


def connect(addr: tuple[str, int]) -> socket.socket:
    s = socket.create_connection(addr, timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def call(method: str, args: list[Any], seqid: int = 1, mtype: int = CALL, codec: Any = PBIN) -> bytes:
    out = bytearray()
    codec.write_message_begin(out, method, mtype, seqid)
    codec.write_args(PROBE.methods[method], args, out)
    return bytes(out)


def recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def read_frame(s: socket.socket) -> bytes:
    (n,) = struct.unpack(">i", recv_exact(s, 4))
    return recv_exact(s, n)


def reply(s: socket.socket, method: str, codec: Any = PBIN) -> tuple[str, int, int, Any]:
    """(name, type, seqid, value): value is (field id, result) or (message, app error type)."""
    data = read_frame(s)
    name, mtype, seqid, p = codec.read_message_begin(data, 0)
    if mtype == EXCEPTION:
        return name, mtype, seqid, codec.read_app_exception(data, p)[:2]
    return name, mtype, seqid, codec.read_result(PROBE.methods[method], data, p)[:2]


def closed_by_server(s: socket.socket, timeout: float = 5) -> bool:
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


TRANSPORTS = {"framed": TFramedTransportFactory(), "unframed": TBufferedTransportFactory()}
PROTOCOLS = {
    "binary-strict": TBinaryProtocolFactory(),
    "binary-nonstrict": TBinaryProtocolFactory(strict_read=False, strict_write=False),
    "compact": TCompactProtocolFactory(),
}


@pytest.mark.parametrize("proto", list(PROTOCOLS))
@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_every_framing_and_protocol_is_detected(host: InProcessHost, transport: str, proto: str) -> None:
    c = make_client(echo_thrift.Echo, *host.addr("echo"), proto_factory=PROTOCOLS[proto], trans_factory=TRANSPORTS[transport], timeout=5000)
    try:
        msg = echo_thrift.Message(text="hi", tags=["a"], lucky={7}, counters={"n": 2**60}, payload=bytes(range(256)), id=-3)
        got = c.echo(msg)
        assert (got.text, got.tags, set(got.lucky), got.counters, got.payload, got.id) == ("hi", ["a"], {7}, {"n": 2**60}, bytes(range(256)), -3)
        assert c.repeat("ab", 3) == "ab ab ab"
        with pytest.raises(echo_thrift.NotFound) as info:
            c.get(2**50)
        assert info.value.id == 2**50
        before = c.notes()
        c.note("fire and forget")
        assert c.notes() == before + 1  # the oneway call arrived, and produced no reply
    finally:
        c.close()


@pytest.mark.parametrize("seqid", [0, 7, -1, 2**31 - 1, -(2**31)])
def test_replies_echo_seqid_and_name(host: InProcessHost, seqid: int) -> None:
    with connect(host.addr("probe")) as s:
        s.sendall(frame(call("slow", [0], seqid)))
        assert reply(s, "slow") == ("slow", REPLY, seqid, (0, 0))


def test_non_strict_clients_get_non_strict_replies(host: InProcessHost) -> None:
    codec = PBIN.variant(False)
    with connect(host.addr("probe")) as s:
        s.sendall(frame(call("slow", [1], 5, codec=codec)))
        data = read_frame(s)
        assert data[:4] == struct.pack(">i", 4) and data[4:8] == b"slow"  # name length first
        assert codec.read_message_begin(data, 0)[:3] == ("slow", REPLY, 5)


def test_unknown_method_keeps_the_connection(host: InProcessHost) -> None:
    with connect(host.addr("probe")) as s:
        out = bytearray()
        PBIN.write_message_begin(out, "nope", CALL, 9)
        out.append(0)
        s.sendall(frame(bytes(out)))
        assert reply(s, "nope") == ("nope", EXCEPTION, 9, ("Unknown method 'nope' on Probe", TApplicationException.UNKNOWN_METHOD))
        s.sendall(frame(call("slow", [2], 10)))
        assert reply(s, "slow") == ("slow", REPLY, 10, (0, 2))


def test_finagle_upgrade_probe_does_not_break_the_connection(host: InProcessHost) -> None:
    """The exact bytes a Finagle client sends first (shared/specs/finagle-interop.md §3)."""
    name = b"__can__finagle__trace__v3__"
    probe = bytes.fromhex("00000028") + bytes.fromhex("80010001") + bytes.fromhex("0000001b") + name + bytes.fromhex("00000000") + b"\x00"
    with connect(host.addr("probe")) as s:
        s.sendall(probe)
        got_name, mtype, seqid, _ = reply(s, "slow")
        assert (got_name, seqid) == (name.decode(), 0)
        assert mtype in (REPLY, EXCEPTION)  # upgraded or politely refused, never closed
        s.sendall(frame(call("slow", [3], 11)))
        data = read_frame(s)
        if mtype == REPLY:  # TTwitter: a ResponseHeader precedes the reply
            assert data[0] == 0
            data = data[1:]
        assert PBIN.read_message_begin(data, 0)[:3] == ("slow", REPLY, 11)


def test_pipelined_calls_are_answered_in_order(host: InProcessHost) -> None:
    with connect(host.addr("probe")) as s:
        s.sendall(b"".join(frame(call("slow", [ms], i)) for i, ms in enumerate([30, 0, 10, 0])))
        assert [reply(s, "slow")[2:] for _ in range(4)] == [(0, (0, 30)), (1, (0, 0)), (2, (0, 10)), (3, (0, 0))]


def test_oneway_gets_no_reply(host: InProcessHost) -> None:
    with connect(host.addr("probe")) as s:
        s.sendall(frame(call("slow", [0], 1, mtype=ONEWAY)) + frame(call("slow", [5], 2)))
        assert reply(s, "slow")[2:] == (2, (0, 5))  # the first reply is the second call's


def test_declared_and_unexpected_exceptions(host: InProcessHost) -> None:
    with connect(host.addr("probe")) as s:
        s.sendall(frame(call("fail", ["declared"], 1)))
        name, mtype, seqid, (fid, exc) = reply(s, "fail")
        assert (mtype, fid, exc.why) == (REPLY, 1, "asked to")
        s.sendall(frame(call("fail", ["value"], 2)))
        name, mtype, seqid, (message, kind) = reply(s, "fail")
        assert mtype == EXCEPTION and kind == TApplicationException.INTERNAL_ERROR
        assert message.startswith("internal error (error id ") and "secret" not in message and "Traceback" not in message


@pytest.mark.parametrize("how", ["none", "int", "bytes", "object"])
def test_results_that_do_not_fit_become_internal_errors(host: InProcessHost, how: str) -> None:
    with connect(host.addr("probe")) as s:
        s.sendall(frame(call("badResult", [how], 1)))
        _, mtype, _, (message, kind) = reply(s, "badResult")
        assert (mtype, kind) == (EXCEPTION, TApplicationException.INTERNAL_ERROR)
        assert "error id" in message


def test_wrong_argument_types_fail_that_call_only(host: InProcessHost) -> None:
    before = bad("bad_arguments")
    with connect(host.addr("probe")) as s:
        out = bytearray()
        PBIN.write_message_begin(out, "slow", CALL, 4)
        out += bytes([11, 0, 1, 0, 0, 0, 1]) + b"x" + b"\x00"  # ms as a string, not an i32
        s.sendall(frame(bytes(out)))
        assert reply(s, "slow") == ("slow", EXCEPTION, 4, ("slow: args.ms: expected i32, got string", TApplicationException.PROTOCOL_ERROR))
        s.sendall(frame(call("slow", [1], 5)))
        assert reply(s, "slow")[2:] == (5, (0, 1))
    assert bad("bad_arguments") == before + 1


def test_a_request_message_type_the_server_cannot_take(host: InProcessHost) -> None:
    with connect(host.addr("probe")) as s:
        s.sendall(frame(call("slow", [1], 6, mtype=REPLY)))
        _, mtype, seqid, (message, kind) = reply(s, "slow")
        assert (mtype, seqid, kind) == (EXCEPTION, 6, TApplicationException.INVALID_MESSAGE_TYPE)


def others_still_served(host: InProcessHost) -> None:
    with connect(host.addr("probe")) as s:
        s.sendall(frame(call("slow", [0], 99)))
        assert reply(s, "slow")[2] == 99


def test_oversized_frame_closes_only_that_connection(host: InProcessHost) -> None:
    before = bad("frame_too_large")
    with connect(host.addr("probe")) as bystander, connect(host.addr("probe")) as s:
        s.sendall(struct.pack(">i", MAX_FRAME + 1) + b"\x80\x01\x00\x01")
        assert closed_by_server(s)
        bystander.sendall(frame(call("slow", [0], 1)))
        assert reply(bystander, "slow")[2] == 1
    assert bad("frame_too_large") == before + 1
    others_still_served(host)


def test_oversized_frame_after_a_good_one(host: InProcessHost) -> None:
    with connect(host.addr("probe")) as s:
        s.sendall(frame(call("slow", [0], 1)))
        assert reply(s, "slow")[2] == 1
        s.sendall(struct.pack(">i", 1 << 30))
        assert closed_by_server(s)
    others_still_served(host)


@pytest.mark.parametrize("garbage", [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\xff" * 16, bytes(range(16)), b"\x80\x01\x00\x01\x7f\xff\xff\xff"])
def test_garbage_closes_only_that_connection(host: InProcessHost, garbage: bytes) -> None:
    before = bad("malformed") + bad("frame_too_large")
    with connect(host.addr("probe")) as s:
        s.sendall(garbage)
        assert closed_by_server(s)
    assert bad("malformed") + bad("frame_too_large") > before
    others_still_served(host)


def test_a_frame_whose_message_is_truncated(host: InProcessHost) -> None:
    """A complete frame whose message stops early: that call fails, the connection stays."""
    whole = call("slow", [1], 3)
    with connect(host.addr("probe")) as s:
        s.sendall(frame(whole[:-3]))  # the args struct is cut short
        _, mtype, seqid, (message, kind) = reply(s, "slow")
        assert (mtype, seqid, kind) == (EXCEPTION, 3, TApplicationException.PROTOCOL_ERROR)
        assert "ends in the middle" in message
        s.sendall(frame(whole))
        assert reply(s, "slow")[2] == 3


def test_a_stalled_half_message_is_dropped(host: InProcessHost) -> None:
    before = bad("stalled")
    with connect(host.addr("probe")) as s:
        s.sendall(struct.pack(">i", 100) + b"\x80\x01\x00\x01")  # 100 bytes promised, 4 sent
        assert closed_by_server(s, timeout=5)  # after stall_timeout_s (0.5 s here)
    assert bad("stalled") == before + 1
    others_still_served(host)


def test_a_vanished_client_leaves_nothing_behind(host: InProcessHost) -> None:
    server = host.host.running[1].thrift
    for _ in range(5):
        s = connect(host.addr("probe"))
        s.sendall(struct.pack(">i", 100) + b"\x80\x01")
        s.close()
    s = connect(host.addr("probe"))
    s.sendall(frame(call("slow", [200], 1)))
    time.sleep(0.05)
    s.close()  # gone while its call runs
    deadline = time.monotonic() + 5
    while len(server.connections) > 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(server.connections) == 0
    others_still_served(host)


def test_a_held_call_does_not_hold_up_other_connections(host: InProcessHost) -> None:
    with connect(host.addr("probe")) as held, connect(host.addr("probe")) as blocked, connect(host.addr("probe")) as other:
        held.sendall(frame(call("hold", ["g1"], 1)))
        blocked.sendall(frame(call("holdBlocking", ["g1"], 2)))
        for i in range(3):  # answered while both calls are still waiting on the gate
            other.sendall(frame(call("slow", [0], 10 + i)))
            assert reply(other, "slow")[2] == 10 + i
        held.setblocking(False)
        with pytest.raises(BlockingIOError):
            held.recv(1)  # still nothing for the held call
        held.setblocking(True)
        other.sendall(frame(call("release", ["g1"], 20)))
        assert reply(other, "release")[2] == 20
        held.settimeout(5)
        assert reply(held, "hold")[2:] == (1, (0, "g1"))
        assert reply(blocked, "holdBlocking")[2:] == (2, (0, "g1"))


def test_plain_handlers_run_on_the_worker_pool(host: InProcessHost) -> None:
    c = make_client(probe_thrift.Probe, *host.addr("probe"), trans_factory=TFramedTransportFactory(), timeout=5000)
    try:
        seen = c.whoami()
        assert seen["thread"].startswith("aviary-handler")
        assert (seen["method"], seen["transport"], seen["protocol"], seen["peer"]) == ("whoami", "thrift", "framed/binary", "127.0.0.1")
    finally:
        c.close()


def test_a_client_that_does_not_read_its_replies(host: InProcessHost) -> None:
    """It is paused, not served at the others' expense; it gets every reply, in order, once it reads."""
    s = connect(host.addr("echo"))
    out = bytearray()
    codec = BinaryCodec(list(__import__("services.echo", fromlist=["IDL"]).IDL.service().methods.values()))
    repeat = __import__("services.echo", fromlist=["IDL"]).IDL.service().methods["repeat"]
    n = 300
    for i in range(n):
        msg = bytearray()
        codec.write_message_begin(msg, "repeat", CALL, i)
        codec.write_args(repeat, ["x" * 100, 1000], msg)  # ~100 KB per reply
        out += frame(bytes(msg))
    sender = threading.Thread(target=lambda: s.sendall(bytes(out)), daemon=True)
    sender.start()
    time.sleep(0.5)
    others_still_served(host)  # the flood is parked, not served at others' expense
    for i in range(n):
        data = read_frame(s)
        name, mtype, seqid, p = codec.read_message_begin(data, 0)
        assert (name, mtype, seqid) == ("repeat", REPLY, i)
    sender.join(10)
    s.close()


def test_compact_unframed_message_split_across_writes(host: InProcessHost) -> None:
    codec = CompactCodec()
    msg = call("slow", [4], 8, codec=codec)
    with connect(host.addr("probe")) as s:
        for b in msg:  # one byte at a time
            s.sendall(bytes([b]))
            time.sleep(0.001)
        s.settimeout(5)
        data = s.recv(1024)
        name, mtype, seqid, p = codec.read_message_begin(data, 0)
        assert (name, mtype, seqid) == ("slow", REPLY, 8)
        assert codec.read_result(PROBE.methods["slow"], data, p)[:2] == (0, 4)


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_a_message_of_several_mebibytes_under_the_limit(echo_host: InProcessHost, transport: str) -> None:
    # Larger than the read buffer the server keeps before it pauses a busy connection (4 MiB),
    # smaller than the default frame limit (16 MiB): it must arrive whole and come back whole.
    payload = bytes(range(256)) * (6 * 4096)
    client = make_client(echo_thrift.Echo, *echo_host.addr("echo"), trans_factory=TRANSPORTS[transport], timeout=30000)
    try:
        got = client.echo(echo_thrift.Message(text="big", payload=payload))
    finally:
        client.close()
    assert got.payload == payload


def test_thousands_of_pipelined_calls_are_all_answered_in_order(host: InProcessHost) -> None:
    """Calls that finish at once, sent back to back without waiting: each reply used to start the
    next call one stack frame deeper, and a few hundred of them hit RecursionError."""
    s = connect(host.addr("echo"))
    echo = __import__("services.echo", fromlist=["IDL"]).IDL.service()
    codec = BinaryCodec(list(echo.methods.values()))
    n = 3000
    out = bytearray()
    for i in range(n):
        msg = bytearray()
        codec.write_message_begin(msg, "repeat", CALL, i)
        codec.write_args(echo.methods["repeat"], ["x", 1], msg)
        out += frame(bytes(msg))
    sender = threading.Thread(target=lambda: s.sendall(bytes(out)), daemon=True)
    sender.start()
    for i in range(n):
        data = read_frame(s)
        name, mtype, seqid, p = codec.read_message_begin(data, 0)
        assert (name, mtype, seqid) == ("repeat", REPLY, i)
    sender.join(10)
    s.close()

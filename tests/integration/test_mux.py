"""ThriftMux on the Thrift port over real loopback sockets: the Python Mux client against the
Python server, raw Mux frames for what a well-behaved client never sends, and plain Thrift
still working beside Mux on the same port."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import thriftpy2
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.rpc import make_client
from thriftpy2.transport import TFramedTransportFactory

from framework.context import Context, Deadline, TraceId
from framework.metrics import registry
from framework.thrift import mux_wire as w
from framework.thrift.codec import CALL, REPLY, BinaryCodec
from framework.thrift.mux_client import MuxCallError, MuxClosed, MuxConnection, MuxDraining, MuxNack, RemoteApplicationError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost, MuxPeer  # noqa: E402
from probe import IDL as PROBE_IDL  # noqa: E402
from probe import create as create_probe  # noqa: E402
from probe import probe  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PROBE = PROBE_IDL.service()
PBIN = BinaryCodec(list(PROBE.methods.values()))
probe_thrift = thriftpy2.load(str(ROOT / "tests" / "idl" / "probe.thrift"), module_name="probe_mux_thrift", include_dirs=[str(ROOT / "tests" / "idl")])


@pytest.fixture(scope="module")
def host() -> Iterator[InProcessHost]:
    with InProcessHost(lambda: [create_probe()], stall_timeout_s=0.5) as h:
        yield h


def run(coro: Any, timeout: float = 60) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def bad(why: str) -> float:
    return registry.value(f"srv/probe/thrift/bad_input/{why}")


# -- raw frames ------------------------------------------------------------------------------------
def thrift_call(method: str, args: list[Any], seqid: int = 7) -> bytes:
    out = bytearray()
    PBIN.write_message_begin(out, method, CALL, seqid)
    PBIN.write_args(PROBE.methods[method], args, out)
    return bytes(out)


def tdispatch(tag: int, method: str, args: list[Any], contexts: list[tuple[bytes, bytes]] | None = None) -> bytes:
    return w.encode(w.TDISPATCH, tag, w.encode_tdispatch(contexts or [], thrift_call(method, args)))


class Raw:
    """A Mux peer that writes exactly the bytes a test gives it."""

    def __init__(self, addr: tuple[str, int]) -> None:
        self.s = socket.create_connection(addr, timeout=10)
        self.buf = bytearray()

    def send(self, data: bytes) -> None:
        self.s.sendall(data)

    def recv(self) -> w.MuxMessage:
        while True:
            m = w.read_frame(self.buf, 1 << 24)
            if m is not None:
                return m
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("the server closed the connection")
            self.buf += chunk

    def closed_by_server(self) -> bool:
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, socket.timeout):
            return isinstance(sys.exc_info()[1], ConnectionResetError)

    def close(self) -> None:
        self.s.close()


def reply_value(method: str, m: w.MuxMessage) -> Any:
    status, _, payload = w.parse_rdispatch(m.body)
    assert status == w.OK
    name, mtype, _, p = PBIN.read_message_begin(payload, 0)
    assert (name, mtype) == (method, REPLY)
    return PBIN.read_result(PROBE.methods[method], payload, p)[1]


# -- the Python client against the Python server -----------------------------------------------
def test_handshake_then_calls_with_contexts(host: InProcessHost) -> None:
    async def go() -> Any:
        conn = MuxConnection(*host.addr("probe"), PROBE, handshake=True)
        await conn.connect()
        trace = TraceId(trace_id=0x1122334455667788, span_id=0x0102030405060708, parent_id=0x0A0B0C0D0E0F1011, sampled=True)
        ctx = Context("thrift", trace=trace, client_id="mux-test", deadline=Deadline.in_seconds(30), retries=2)
        seen = await conn.call("whoami", [], ctx)
        slow = await conn.call("slow", [3])
        await conn.ping()
        headers = conn.server_headers
        await conn.close()
        return seen, slow, headers

    seen, slow, headers = run(go())
    assert headers is not None  # the server echoed "tinit check" and answered Tinit with Rinit
    assert slow == 3
    assert seen["protocol"] == "mux"
    assert seen["trace"] == "1122334455667788"
    assert seen["client"] == "mux-test"


def test_without_handshake_a_dispatch_works_straight_away(host: InProcessHost) -> None:
    r = Raw(host.addr("probe"))
    try:
        r.send(tdispatch(5, "slow", [1]))
        m = r.recv()
        assert (m.type, m.tag) == (w.RDISPATCH, 5)
        assert reply_value("slow", m) == 1
    finally:
        r.close()


def test_a_thousand_concurrent_calls_on_one_session_reply_by_tag(host: InProcessHost) -> None:
    delays = list(range(1000))
    random.Random(5).shuffle(delays)
    before = registry.value("srv/probe/thrift/slow/requests")

    async def go() -> list[int]:
        conn = MuxConnection(*host.addr("probe"), PROBE)
        await conn.connect()
        try:
            return list(await asyncio.gather(*(conn.call("slow", [ms]) for ms in delays)))
        finally:
            await conn.close()

    assert run(go()) == delays
    assert registry.value("srv/probe/thrift/slow/requests") - before == 1000  # each recorded before its reply


def test_declared_exceptions_and_application_errors_travel_in_the_thrift_body(host: InProcessHost) -> None:
    failures = [registry.value(f"srv/probe/thrift/fail/failures/{kind}") for kind in ("Oops", "InternalError")]

    async def go() -> tuple[Any, Any]:
        conn = MuxConnection(*host.addr("probe"), PROBE)
        await conn.connect()
        try:
            with pytest.raises(probe.Oops) as oops:
                await conn.call("fail", ["declared"])
            with pytest.raises(RemoteApplicationError) as internal:
                await conn.call("fail", ["value"])
            return oops.value, internal.value
        finally:
            await conn.close()

    oops, internal = run(go())
    assert oops.why == "asked to"
    assert internal.type == 6 and "secret" not in internal.message
    assert [registry.value(f"srv/probe/thrift/fail/failures/{kind}") - n for kind, n in zip(("Oops", "InternalError"), failures)] == [1, 1]


def test_server_fragments_replies_to_the_clients_mux_framer_size(host: InProcessHost) -> None:
    async def go() -> str:
        conn = MuxConnection(*host.addr("probe"), PROBE, frame_size=64)
        await conn.connect()
        try:
            return await conn.call("join", ["x" * 300, 1, list(range(50))])
        finally:
            await conn.close()

    assert run(go()) == "/".join(["x" * 300, "1", *map(str, range(50))])


def test_fragmented_dispatch_is_reassembled(host: InProcessHost) -> None:
    body = w.encode_tdispatch([], thrift_call("join", ["frag" * 40, 2, [1, 2, 3]]))
    parts = [body[:5], body[5:70], body[70:]]
    r = Raw(host.addr("probe"))
    try:
        r.send(w.encode(w.TDISPATCH, 9 | w.FRAGMENT, parts[0]))
        r.send(tdispatch(10, "slow", [0]))  # another call interleaves between the fragments
        r.send(w.encode(w.TDISPATCH, 9 | w.FRAGMENT, parts[1]))
        r.send(w.encode(w.TDISPATCH, 9, parts[2]))
        got = {}
        for _ in range(2):
            m = r.recv()
            got[m.tag] = m
        assert reply_value("slow", got[10]) == 0
        assert reply_value("join", got[9]) == "/".join(["frag" * 40, "2", "1", "2", "3"])
    finally:
        r.close()


def test_treq_gets_rreq(host: InProcessHost) -> None:
    r = Raw(host.addr("probe"))
    try:
        trace = struct.pack(">QQQ", 3, 2, 1)
        body = bytes([2, 1, 24]) + trace + bytes([2, 1, 6]) + thrift_call("whoami", [])
        r.send(w.encode(w.TREQ, 4, body))
        m = r.recv()
        assert (m.type, m.tag, m.body[0]) == (w.RREQ, 4, w.OK)
        name, mtype, _, p = PBIN.read_message_begin(m.body[1:], 0)
        seen = PBIN.read_result(PROBE.methods["whoami"], m.body[1:], p)[1]
        assert seen["trace"] == "0000000000000001"
    finally:
        r.close()


def test_tping_and_both_tdiscarded_encodings_cancel_the_handler(host: InProcessHost) -> None:
    thrift = host.host.running[0].thrift
    for typ in (w.TDISCARDED, w.BAD_TDISCARDED):
        r = Raw(host.addr("probe"))
        try:
            r.send(w.encode(w.TPING, 1))
            m = r.recv()
            assert (m.type, m.tag) == (w.RPING, 1)
            before = thrift.inflight
            r.send(tdispatch(20, "hold", [f"never-{typ}"]))
            deadline = time.monotonic() + 5
            while thrift.inflight <= before and time.monotonic() < deadline:
                time.sleep(0.01)
            assert thrift.inflight == before + 1  # the handler is running, waiting on its gate
            raw = bytearray(w.encode(w.TDISCARDED, 0, w.encode_discarded(20, "gave up")))
            raw[4] = typ & 0xFF
            r.send(bytes(raw))
            m = r.recv()
            assert (m.type, m.tag) == (w.RDISCARDED, 20)
            tasks = host.run(_session_tasks)
            assert tasks == 0 and thrift.inflight == before  # cancelled, not merely forgotten
        finally:
            r.close()


async def _session_tasks() -> int:
    from framework.thrift.mux import MuxSession

    import gc

    return sum(len(o.calls) for o in gc.get_objects() if isinstance(o, MuxSession) and o.conn.transport is not None)


# -- bad input fails alone -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    ["unknown_type", "reserved_tag", "lying_context_length", "bad_context_value", "not_thrift", "unexpected_type", "lying_frame_size", "duplicate_tag"],
)
def test_bad_input_fails_alone(host: InProcessHost, case: str) -> None:
    async def go() -> None:
        good = MuxConnection(*host.addr("probe"), PROBE)
        await good.connect()
        first = asyncio.create_task(good.call("slow", [200]))
        await asyncio.get_running_loop().run_in_executor(None, _bad_session, host.addr("probe"), case)
        assert await first == 200
        assert await good.call("slow", [1]) == 1
        await good.close()

    run(go())


def _bad_session(addr: tuple[str, int], case: str) -> None:
    r = Raw(addr)
    try:
        if case == "unknown_type":
            before = bad("malformed")
            r.send(tdispatch(2, "slow", [0]))
            assert reply_value("slow", r.recv()) == 0
            r.send(w.encode(0x33, 5))  # type 51 is no Mux message
            assert r.closed_by_server()
            assert bad("malformed") == before + 1
        elif case == "reserved_tag":
            before = bad("mux_bad_tag")
            r.send(tdispatch(1, "slow", [0]))
            m = r.recv()
            assert (m.type, m.tag) == (w.RERR, 1) and b"reserved" in m.body
            r.send(tdispatch(3, "slow", [0]))
            assert reply_value("slow", r.recv()) == 0
            assert bad("mux_bad_tag") == before + 1
        elif case == "lying_context_length":
            before = bad("malformed")
            body = struct.pack(">HH", 1, 500) + b"key" + struct.pack(">H", 0) + b"\0\0\0\0"
            r.send(w.encode(w.TDISPATCH, 6, body))
            m = r.recv()
            assert (m.type, m.tag) == (w.RERR, 6) and b"runs past the end" in m.body
            r.send(tdispatch(7, "slow", [0]))
            assert reply_value("slow", r.recv()) == 0
            assert bad("malformed") == before + 1
        elif case == "bad_context_value":
            before = bad("bad_context")
            r.send(tdispatch(5, "whoami", [], [(w.RETRIES_KEY, b"\0"), (w.CLIENT_ID_KEY, b"still-here")]))
            assert reply_value("whoami", r.recv())["client"] == "still-here"  # the call runs without it
            assert bad("bad_context") == before + 1
        elif case == "not_thrift":
            before = bad("malformed")
            r.send(w.encode(w.TDISPATCH, 8, w.encode_tdispatch([], b"hello, not thrift")))
            m = r.recv()
            status, _, payload = w.parse_rdispatch(m.body)
            assert (m.type, m.tag, status) == (w.RDISPATCH, 8, w.ERROR) and b"not a Thrift" in payload
            r.send(tdispatch(9, "slow", [0]))
            assert reply_value("slow", r.recv()) == 0
            assert bad("malformed") == before + 1
        elif case == "unexpected_type":
            for typ in (w.TLEASE, w.RPING, w.RREQ):
                r.send(w.encode(typ, 1 if typ != w.TLEASE else 0, b"\0" * (9 if typ == w.TLEASE else 0)))
                m = r.recv()
                assert m.type == w.RERR and m.body == f"Unexpected mux message type {typ}".encode()
            r.send(tdispatch(11, "slow", [0]))
            assert reply_value("slow", r.recv()) == 0
        elif case == "lying_frame_size":
            before = bad("stalled")
            r.send(struct.pack(">iB3s", 400, w.TDISPATCH, b"\0\0\x0c") + b"short")
            assert r.closed_by_server()  # the stall timer (0.5 s here) ends a half frame
            assert bad("stalled") == before + 1
        elif case == "duplicate_tag":
            before = bad("mux_duplicate_tag")
            r.send(tdispatch(12, "hold", ["dup-never"]))
            time.sleep(0.05)
            r.send(tdispatch(12, "slow", [0]))
            m = r.recv()
            assert (m.type, m.tag) == (w.RERR, 12) and b"duplicate tag" in m.body
            assert r.closed_by_server()
            assert bad("mux_duplicate_tag") == before + 1
    finally:
        r.close()


def test_plain_framed_thrift_still_works_beside_a_mux_session(host: InProcessHost) -> None:
    async def go() -> Any:
        conn = MuxConnection(*host.addr("probe"), PROBE)
        await conn.connect()
        pending = asyncio.create_task(conn.call("slow", [100]))

        def plain() -> int:
            h, p = host.addr("probe")
            c = make_client(
                probe_thrift.Probe, h, p, proto_factory=TBinaryProtocolFactory(), trans_factory=TFramedTransportFactory(), timeout=5000
            )
            try:
                return c.slow(2)
            finally:
                c.close()

        got = await asyncio.get_running_loop().run_in_executor(None, plain)
        result = await pending
        await conn.close()
        return got, result

    assert run(go()) == (2, 100)


# -- drain ---------------------------------------------------------------------------------------
def test_drain_sends_tdrain_serves_until_rdrain_then_nacks() -> None:
    service = create_probe()
    h = InProcessHost(lambda: [service], shutdown_timeout_s=10).start()
    stopper: threading.Thread | None = None
    try:
        addr = h.addr("probe")
        raw = Raw(addr)
        raw.send(tdispatch(2, "hold", ["drain-gate"]))

        async def go() -> None:
            nonlocal stopper
            conn = MuxConnection(*addr, PROBE)
            await conn.connect()
            held = asyncio.create_task(conn.call("hold", ["drain-gate"]))
            await asyncio.sleep(0.1)
            stopper = threading.Thread(target=h.stop)
            stopper.start()
            # The server says Tdrain; the client acknowledges it, stops sending and says so.
            for _ in range(500):
                if conn.draining:
                    break
                await asyncio.sleep(0.01)
            assert conn.draining and not conn.available
            with pytest.raises(MuxDraining):
                await conn.call("slow", [0])

            def raw_side() -> None:
                m = raw.recv()
                assert (m.type, m.tag) == (w.TDRAIN, 1)
                raw.send(tdispatch(3, "slow", [0]))  # before Rdrain: still served, as in Finagle
                assert reply_value("slow", raw.recv()) == 0
                raw.send(w.encode(w.RDRAIN, 1))
                raw.send(tdispatch(4, "slow", [0]))  # after Rdrain: NACK
                m = raw.recv()
                status, contexts, _ = w.parse_rdispatch(m.body)
                assert (m.type, m.tag, status) == (w.RDISPATCH, 4, w.NACK)
                assert dict(contexts)[w.MUX_FAILURE_KEY] == struct.pack(">Q", 3)
                service.handler._gate("drain-gate").set()  # let the calls in flight finish
                m = raw.recv()
                assert (m.type, m.tag) == (w.RDISPATCH, 2)
                assert raw.closed_by_server()

            await asyncio.get_running_loop().run_in_executor(None, raw_side)
            assert await held == "drain-gate"  # the call in flight on the draining session finished
            await conn.close()

        run(go())
    finally:
        if stopper is not None:
            stopper.join(20)
        else:
            h.stop()
    assert "stopped" in h.out.getvalue()


def test_nack_is_a_retryable_error() -> None:
    assert MuxNack.retryable and MuxDraining.retryable and not MuxCallError.retryable


def test_raw_handshake_echoes_the_marker_and_fragments_to_mux_framer(host: InProcessHost) -> None:
    r = Raw(host.addr("probe"))
    try:
        r.send(w.encode(w.RERR, 1, w.TINIT_CHECK))
        m = r.recv()
        assert (m.raw_type, m.tag, m.body) == (127, 1, b"tinit check")  # echoed, as Finagle sends Rerr
        r.send(w.encode(w.TINIT, 1, w.encode_init(1, [(b"mux-framer", struct.pack(">i", 16)), (b"tls", b"off")])))
        m = r.recv()
        assert (m.type, m.tag) == (w.RINIT, 1)
        assert w.parse_init(m.body) == (1, [(b"tls", b"off")])
        r.send(tdispatch(2, "join", ["a" * 40, 1, []]))
        parts = []
        while True:
            m = r.recv()
            assert m.type == w.RDISPATCH and m.tag == 2 and len(m.body) <= 16
            parts.append(m.body)
            if not m.fragment:
                break
        assert len(parts) > 3
        assert reply_value("join", w.MuxMessage(w.RDISPATCH, 2, b"".join(parts))) == "a" * 40 + "/1"
    finally:
        r.close()


def test_thousands_of_pipelined_dispatches_in_one_write(host: InProcessHost) -> None:
    # Handlers that finish eagerly, thousands of frames in one read: all answered, by tag.
    n = 3000
    r = Raw(host.addr("probe"))
    try:
        r.send(b"".join(tdispatch(2 + i, "join", [f"p{i}", i, []]) for i in range(n)))
        got = {}
        while len(got) < n:
            m = r.recv()
            got[m.tag] = reply_value("join", m)
        assert got == {2 + i: f"p{i}/{i}" for i in range(n)}
    finally:
        r.close()


# -- the client against peers that misbehave (real sockets, scripted replies) ---------------------
def test_client_raises_nack_and_rerr_and_honours_tdrain() -> None:
    def reply(m: w.MuxMessage) -> bytes | None:
        if m.type != w.TDISPATCH:
            return None
        name = PBIN.read_message_begin(w.parse_tdispatch(m.body).body, 0)[0]
        if name == "slow":
            return w.encode(w.RDISPATCH, m.tag, w.encode_rdispatch(w.NACK, b"", w.nack_contexts()))
        if name == "hold":
            return w.encode(w.RERR, m.tag, b"no such thing")
        return w.encode(w.TDRAIN, 1)  # whoami: the server starts draining instead of answering

    peer = MuxPeer(reply)

    async def go() -> None:
        told: list[MuxConnection] = []
        conn = MuxConnection(*peer.addr, PROBE, handshake=False, on_drain=told.append)
        await conn.connect()
        with pytest.raises(MuxNack) as nack:
            await conn.call("slow", [1])
        assert nack.value.retryable
        with pytest.raises(MuxCallError, match="no such thing"):
            await conn.call("hold", ["x"])
        pending = asyncio.create_task(conn.call("whoami", []))
        for _ in range(200):
            if conn.draining:
                break
            await asyncio.sleep(0.01)
        assert conn.draining and not conn.available and told == [conn]
        with pytest.raises(MuxDraining):
            await conn.call("slow", [1])
        pending.cancel()
        await conn.close()

    try:
        run(go())
    finally:
        peer.close()


def test_client_ping_detects_a_peer_that_stopped_answering() -> None:
    peer = MuxPeer(lambda m: None)  # reads everything, answers nothing

    async def go() -> None:
        conn = MuxConnection(*peer.addr, PROBE, handshake=False, ping_timeout_s=0.2)
        await conn.connect()
        with pytest.raises(MuxClosed, match="ping"):
            await conn.ping()
        assert conn.closed
        await conn.close()

    try:
        run(go())
    finally:
        peer.close()


def test_client_ping_loop_keeps_a_live_session(host: InProcessHost) -> None:
    async def go() -> int:
        conn = MuxConnection(*host.addr("probe"), PROBE, ping_interval_s=0.02)
        await conn.connect()
        await asyncio.sleep(0.2)
        assert not conn.closed and conn.pongs >= 3  # several pings answered meanwhile
        result = await conn.call("slow", [1])
        await conn.close()
        return result

    assert run(go()) == 1


def test_ttwitter_probe_still_reaches_the_plain_session(host: InProcessHost) -> None:
    # Finagle's Thrift client opens with __can__finagle__trace__v3__ (framed strict CALL, seqid 0,
    # an empty struct): not Mux, so the plain session answers it and keeps the connection.
    name = b"__can__finagle__trace__v3__"
    probe_call = struct.pack(">iii", 0x28, -0x7FFEFFFF, len(name)) + name + b"\0\0\0\0\0"
    assert probe_call.hex().startswith("0000002880010001")
    s = socket.create_connection(host.addr("probe"), timeout=5)
    try:
        s.sendall(probe_call)
        buf = bytearray()
        while len(buf) < 4 or len(buf) < 4 + struct.unpack_from(">i", buf)[0]:
            buf += s.recv(65536)
        got, mtype, seqid, _ = PBIN.read_message_begin(bytes(buf[4:]), 0)
        assert (got, seqid) == (name.decode(), 0) and mtype in (REPLY, 3)  # UpgradeReply, or UNKNOWN_METHOD
        s.settimeout(0.3)
        with pytest.raises(socket.timeout):
            s.recv(1)  # the connection stays open (a closed one would read b"")
    finally:
        s.close()

"""The dialects beside plain binary/compact on one Thrift port: THeader, TJSONProtocol,
TMultiplexedProtocol, and Thrift over HTTP; two services sharing a port; bad input in each
failing alone and at once (the stall timer here is far longer than any wait below, so a
connection that closes did so because its bytes were refused, not because it stalled)."""

from __future__ import annotations

import socket
import struct
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from thrift.protocol.THeaderProtocol import THeaderProtocol
from thrift.Thrift import TMessageType, TType
from thrift.transport.THeaderTransport import THeaderClientType, THeaderSubprotocolID, THeaderTransformID
from thrift.transport.TSocket import TSocket

from framework import Service, current
from framework.metrics import registry
from framework.thrift.codec import CALL, EXCEPTION, REPLY, BinaryCodec, CompactCodec
from framework.thrift.header import ZLIB, decode_frame, encode_frame
from framework.thrift.json_protocol import JSON_CODEC

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from probe import IDL as PROBE_IDL  # noqa: E402
from probe import ProbeHandler  # noqa: E402
from support import InProcessHost  # noqa: E402

PROBE = PROBE_IDL.service()
PBIN = BinaryCodec(list(PROBE.methods.values()))
PCOMPACT = CompactCodec()
TAPP_UNKNOWN_METHOD, TAPP_PROTOCOL_ERROR, TAPP_INVALID_TRANSFORM = 1, 7, 8


class ContextProbe(ProbeHandler):
    """Probe whose `whoami` answers with what the transport put in the call's context."""

    def whoami(self) -> dict[str, str]:
        call = current()
        assert call is not None
        return {"protocol": call.context.protocol, **{f"extra:{k}": str(v) for k, v in (call.context.extra or {}).items()}}


@pytest.fixture(scope="module")
def host() -> Iterator[InProcessHost]:
    from services.echo import create as create_echo

    def services() -> list[Any]:
        return [create_echo(), Service(PROBE_IDL, ContextProbe(), name="probe")]

    with InProcessHost(services, stall_timeout_s=60, **{"services.probe.share_thrift_port": "echo"}) as h:
        yield h


def connect(host: InProcessHost) -> socket.socket:
    return socket.create_connection(host.addr("echo"), timeout=10)


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


def closed_at_once(s: socket.socket) -> bool:
    """The server closed the connection (within the socket's timeout, far below the stall timer)."""
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def message(name: str, args: list[Any], codec: Any = PBIN, seqid: int = 1, method: str | None = None) -> bytes:
    out = bytearray()
    codec.write_message_begin(out, name, CALL, seqid)
    codec.write_args(PROBE.methods[method or name.rpartition(":")[2]], args, out)
    return bytes(out)


def read_reply(data: bytes, method: str, codec: Any = PBIN) -> tuple[str, int, int, Any]:
    name, mtype, seqid, p = codec.read_message_begin(data, 0)
    if mtype == EXCEPTION:
        return name, mtype, seqid, codec.read_app_exception(data, p)[:2]
    return name, mtype, seqid, codec.read_result(PROBE.methods[method], data, p)[:2]


def bad(why: str) -> float:
    return registry.value(f"srv/echo/thrift/bad_input/{why}")


def still_served(host: InProcessHost) -> None:
    with connect(host) as s:
        s.sendall(struct.pack(">i", len(m := message("Probe:whoami", []))) + m)
        assert read_reply(read_frame(s), "whoami")[1] == REPLY


# -- sharing a port; multiplexed names ------------------------------------------------------------


def test_plain_callers_get_the_ports_own_service_and_multiplexed_ones_name_either(host: InProcessHost) -> None:
    with connect(host) as s:
        m = message("whoami", [])
        s.sendall(struct.pack(">i", len(m)) + m)  # plain: echo, which has no whoami
        name, mtype, _, (text, kind) = read_reply(read_frame(s), "whoami")
        assert (mtype, kind) == (EXCEPTION, TAPP_UNKNOWN_METHOD) and "Echo" in text
        for service in ("Probe", "probe"):  # the IDL name or the Aviary name
            m = message(f"{service}:whoami", [], seqid=7)
            s.sendall(struct.pack(">i", len(m)) + m)
            name, mtype, seqid, (fid, value) = read_reply(read_frame(s), "whoami")
            assert (name, mtype, seqid, fid) == ("whoami", REPLY, 7, 0)  # the bare name, as Apache's processor
            assert value["protocol"] == "framed/binary"


def test_unknown_multiplexed_service_names_the_services_served(host: InProcessHost) -> None:
    before = bad("unknown_service")
    with connect(host) as s:
        m = message("Nope:whoami", [], method="whoami", seqid=3)
        s.sendall(struct.pack(">i", len(m)) + m)
        name, mtype, seqid, (text, kind) = read_reply(read_frame(s), "whoami")
        assert (name, mtype, seqid, kind) == ("Nope:whoami", EXCEPTION, 3, TAPP_UNKNOWN_METHOD)
        assert "'Nope'" in text and "Echo, Probe" in text
        m = message("Probe:whoami", [])  # the connection carries on
        s.sendall(struct.pack(">i", len(m)) + m)
        assert read_reply(read_frame(s), "whoami")[1] == REPLY
    assert bad("unknown_service") == before + 1


def test_each_service_is_announced_at_its_own_path_with_the_shared_endpoint(host: InProcessHost) -> None:
    assert host.addr("probe", "thrift") == host.addr("echo", "thrift")
    assert host.addr("probe", "http") != host.addr("echo", "http")  # each keeps its own REST routes
    r = httpx.post(host.url("probe", "/Probe/whoami"), json={})
    assert r.status_code == 200 and r.json()["protocol"].startswith("1.")
    assert httpx.post(host.url("echo", "/Probe/whoami"), json={}).status_code == 404


# -- THeader ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [THeaderSubprotocolID.BINARY, THeaderSubprotocolID.COMPACT])
def test_apache_theader_client_with_zlib_and_info_headers(host: InProcessHost, protocol: int) -> None:
    """Apache's THeaderProtocol: its info headers reach the call's context; the zlib
    transform and the inner protocol are mirrored in the reply."""
    sock = TSocket(*host.addr("echo"))
    sock.open()
    try:
        proto = THeaderProtocol(sock, [THeaderClientType.HEADERS], protocol)
        proto.set_header(b"team", b"aviary")
        proto.add_transform(THeaderTransformID.ZLIB)
        proto.writeMessageBegin("Probe:whoami", TMessageType.CALL, 5)
        proto.writeStructBegin("whoami_args")
        proto.writeFieldStop()
        proto.writeStructEnd()
        proto.writeMessageEnd()
        proto.trans.flush()
        name, mtype, seqid = proto.readMessageBegin()
        assert (name, mtype, seqid) == ("whoami", TMessageType.REPLY, 5)
        proto.readStructBegin()
        _, ftype, fid = proto.readFieldBegin()
        assert (ftype, fid) == (TType.MAP, 0)
        _, _, n = proto.readMapBegin()
        got = dict((proto.readString(), proto.readString()) for _ in range(n))
    finally:
        sock.close()
    assert got == {"protocol": "header", "extra:team": "aviary"}


def header_call(payload: bytes, transforms: list[int] = (), protocol: int = 0, seqid: int = 9) -> bytes:  # type: ignore[assignment]
    return bytes(encode_frame(payload, protocol=protocol, seqid=seqid, transforms=list(transforms)))


def test_unsupported_transform_fails_that_message_only(host: InProcessHost) -> None:
    before = bad("unsupported_transform")
    with connect(host) as s:
        payload = message("Probe:whoami", [])
        head = b"\x00\x01\x03\x00"  # binary, one transform: 3 (snappy), which is not served; padding
        s.sendall(struct.pack(">iHHiH", 10 + len(head) + len(payload), 0x0FFF, 0, 9, 1) + head + payload)
        reply = decode_frame(read_frame(s), 1 << 20)
        name, mtype, _, (text, kind) = read_reply(reply.payload, "whoami")
        assert (mtype, kind) == (EXCEPTION, TAPP_INVALID_TRANSFORM)
        assert "transform 3 (snappy) is not supported" in text
        s.sendall(header_call(message("Probe:whoami", []), [ZLIB]))  # the next frame is served
        reply = decode_frame(read_frame(s), 1 << 20)
        assert reply.transforms == [ZLIB] and reply.seqid == 9
        assert read_reply(reply.payload, "whoami")[1] == REPLY
    assert bad("unsupported_transform") == before + 1


@pytest.mark.parametrize(
    "frame",
    [
        # a header of 100 words in a 14-byte frame
        struct.pack(">iHHiH", 14, 0x0FFF, 0, 1, 100) + b"\0\0\0\0",
        # protocol id 7: neither binary nor compact
        struct.pack(">iHHiH", 14, 0x0FFF, 0, 1, 1) + b"\x07\x00\x00\x00",
        # a zlib payload that does not inflate
        struct.pack(">iHHiH", 18, 0x0FFF, 0, 1, 1) + b"\x00\x01\x01\x00" + b"nope",
    ],
    ids=["header-past-frame", "unknown-protocol", "bad-zlib"],
)
def test_a_broken_theader_frame_closes_that_connection_at_once(host: InProcessHost, frame: bytes) -> None:
    before = bad("malformed")
    with connect(host) as s:
        s.sendall(frame)
        assert closed_at_once(s)
    assert bad("malformed") == before + 1
    still_served(host)


def test_theader_inside_a_framed_transport(host: InProcessHost) -> None:
    inner = header_call(message("Probe:whoami", [], codec=PCOMPACT), protocol=2, seqid=4)
    with connect(host) as s:
        s.sendall(struct.pack(">i", len(inner)) + inner)
        outer = read_frame(s)
        reply = decode_frame(outer[4:], 1 << 20)
        assert (reply.protocol, reply.seqid) == (2, 4)
        name, mtype, _, (fid, value) = read_reply(reply.payload, "whoami", PCOMPACT)
        assert (mtype, value["protocol"]) == (REPLY, "framed/header")


# -- TJSONProtocol ---------------------------------------------------------------------------------


def test_json_replies_in_json(host: InProcessHost) -> None:
    with connect(host) as s:
        s.sendall(message("Probe:numbers", [-3, 300, 70000, 1 << 40, 0.5, True], codec=JSON_CODEC, method="numbers"))
        data = s.recv(65536)
        assert data.startswith(b'[1,"numbers",2,1,{"0":{"lst":["dbl",6,')
        assert read_reply(data, "numbers", JSON_CODEC)[3] == (0, [-3.0, 300.0, 70000.0, float(1 << 40), 0.5, 1.0])


def test_a_json_message_whose_body_is_not_json_fails_that_call(host: InProcessHost) -> None:
    with connect(host) as s:
        s.sendall(b'[1,"Probe:whoami",1,4,{not json}]')
        data = s.recv(65536)
        name, mtype, seqid, (text, kind) = read_reply(data, "whoami", JSON_CODEC)
        assert (mtype, seqid, kind) == (EXCEPTION, 4, TAPP_PROTOCOL_ERROR)
        assert "not JSON" in text
        s.sendall(message("Probe:whoami", [], codec=JSON_CODEC, method="whoami"))  # carries on
        assert read_reply(s.recv(65536), "whoami", JSON_CODEC)[1] == REPLY


@pytest.mark.parametrize("data", [b"[this is not json at all", struct.pack(">i", 12) + b"[not, json!]"], ids=["unframed", "framed"])
def test_json_that_is_not_a_message_closes_that_connection_at_once(host: InProcessHost, data: bytes) -> None:
    before = bad("malformed")
    with connect(host) as s:
        s.sendall(data)
        assert closed_at_once(s)
    assert bad("malformed") == before + 1
    still_served(host)


# -- Thrift over HTTP ------------------------------------------------------------------------------

THRIFT = {"content-type": "application/x-thrift"}


def test_thrift_over_http_reaches_the_ports_service_and_multiplexed_ones(host: InProcessHost) -> None:
    r = httpx.post(host.url("probe", "/"), content=message("whoami", []), headers=THRIFT)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-thrift"
    assert read_reply(r.content, "whoami")[3][1]["protocol"] == "http/unframed/binary"
    r = httpx.post(host.url("echo", "/anything"), content=message("Probe:whoami", [], codec=JSON_CODEC), headers=THRIFT)
    assert read_reply(r.content, "whoami", JSON_CODEC)[1] == REPLY


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"\x80\x01\x00\x01\x00\x00\x00\x06whoa", "ends inside a Thrift message"),
        (b"\x13\x37garbage that is no protocol", "not a Thrift message"),
        (b"\x80", "too short"),
    ],
    ids=["truncated", "garbage", "short"],
)
def test_bad_thrift_over_http_is_a_400_saying_why(host: InProcessHost, body: bytes, says: str) -> None:
    r = httpx.post(host.url("probe", "/"), content=body, headers=THRIFT)
    assert r.status_code == 400 and says in r.text
    r = httpx.post(host.url("probe", "/"), content=message("whoami", []), headers=THRIFT)
    assert r.status_code == 200


# -- ThriftMux, multiplexed (Finagle's serveIfaces clients) ------------------------------------


def test_thriftmux_dispatches_may_name_a_service_on_the_port(host: InProcessHost) -> None:
    from framework.thrift import mux_wire as w

    with connect(host) as s:
        for tag, name in ((2, "Probe:whoami"), (3, "Nope:whoami")):
            s.sendall(w.encode(w.TDISPATCH, tag, w.encode_tdispatch([], message(name, [], method="whoami"))))
            size = struct.unpack(">i", recv_exact(s, 4))[0]
            frame = recv_exact(s, size)
            assert (w.norm_type(struct.unpack(">b", frame[:1])[0]), int.from_bytes(frame[1:4], "big")) == (w.RDISPATCH, tag)
            status, _, body = w.parse_rdispatch(frame[4:])
            assert status == w.OK
            reply = read_reply(body, "whoami")
            if tag == 2:
                assert (reply[1], reply[3][1]["protocol"]) == (REPLY, "mux")
            else:
                assert reply[1] == EXCEPTION and "this port serves Echo, Probe" in reply[3][0]


def test_thrift_over_http_takes_apaches_other_content_types(host: InProcessHost) -> None:
    body = message("whoami", [], codec=JSON_CODEC)
    r = httpx.post(host.url("probe", "/"), content=body, headers={"content-type": "application/vnd.apache.thrift.json; charset=utf-8"})
    assert r.status_code == 200 and read_reply(r.content, "whoami", JSON_CODEC)[1] == REPLY
    r = httpx.post(host.url("probe", "/"), content=body, headers={"content-type": "application/json"})
    assert r.status_code == 404  # JSON that is not Thrift's is REST's, and "/" is no REST route


def test_the_connection_gauge_counts_the_ports_connections(host: InProcessHost) -> None:
    """Thrift over HTTP runs on a server of its own behind the HTTP port: the Thrift port's
    connection gauge stays the port's."""
    before = registry.value("srv/echo/thrift/connections")
    with connect(host) as s:
        s.sendall(struct.pack(">i", len(m := message("Probe:whoami", []))) + m)
        read_frame(s)
        assert registry.value("srv/echo/thrift/connections") == before + 1


@pytest.mark.parametrize("codec", [PCOMPACT, JSON_CODEC], ids=["compact", "json"])
def test_thriftmux_dispatches_may_carry_compact_or_json(host: InProcessHost, codec: Any) -> None:
    """Finagle's ThriftMux clients built withProtocolFactory put those in the dispatch; the
    reply comes in the same protocol."""
    from framework.thrift import mux_wire as w

    with connect(host) as s:
        s.sendall(w.encode(w.TDISPATCH, 2, w.encode_tdispatch([], message("Probe:whoami", [], codec=codec, method="whoami"))))
        frame = recv_exact(s, struct.unpack(">i", recv_exact(s, 4))[0])
        status, _, body = w.parse_rdispatch(frame[4:])
        assert status == w.OK
        assert read_reply(body, "whoami", codec)[1] == REPLY

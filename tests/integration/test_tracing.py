"""Trace and deadline propagation over real sockets: TTwitter (driven by Apache Thrift's Python
library), B3 and Finagle-Ctx headers over HTTP, deadlines, log lines, and span export to a
Zipkin HTTP collector and a Scribe server, each a real server started by the test."""

from __future__ import annotations

import base64
import logging
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import thriftpy2
from thrift.protocol import TBinaryProtocol
from thrift.protocol.TProtocol import TProtocolException
from thrift.Thrift import TApplicationException, TMessageType, TType
from thrift.transport import TSocket, TTransport

from framework.context import Deadline, TraceId
from framework.metrics import registry
from framework.thrift.ttwitter import encode_request_header
from framework.tracing import b3_headers, deadline_header

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost, ZipkinCollector, free_port  # noqa: E402
from probe import create as create_probe  # noqa: E402

UPGRADE = "__can__finagle__trace__v3__"


@pytest.fixture(scope="module")
def host() -> Iterator[InProcessHost]:
    with InProcessHost(lambda: [create_probe()], trace_sample_rate=0) as h:
        yield h


class ThriftPeer:
    """A framed binary connection written and read with Apache Thrift's Python library."""

    def __init__(self, addr: tuple[str, int]) -> None:
        sock = TSocket.TSocket(*addr)
        sock.setTimeout(5000)
        self.transport = TTransport.TFramedTransport(sock)
        self.proto = TBinaryProtocol.TBinaryProtocol(self.transport)
        self.transport.open()

    def close(self) -> None:
        self.transport.close()

    def send_call(self, name: str, seqid: int, header: bytes = b"", args: list[tuple[int, int, Any]] = ()) -> None:
        if header:
            self.transport.write(header)  # the RequestHeader: a bare struct before the message
        p = self.proto
        p.writeMessageBegin(name, TMessageType.CALL, seqid)
        p.writeStructBegin("args")
        for fid, ttype, value in args:
            p.writeFieldBegin("a", ttype, fid)
            if ttype == TType.STRING:
                p.writeString(value)
            elif ttype == TType.I32:
                p.writeI32(value)
            p.writeFieldEnd()
        p.writeFieldStop()
        p.writeStructEnd()
        p.writeMessageEnd()
        self.transport.flush()

    def read_reply(self, upgraded: bool) -> tuple[str, int, int, dict[int, Any]]:
        p = self.proto
        if upgraded:
            self._skip_struct()  # the ResponseHeader
        name, mtype, seqid = p.readMessageBegin()
        if mtype == TMessageType.EXCEPTION:
            x = TApplicationException()
            x.read(p)
            p.readMessageEnd()
            return name, mtype, seqid, {"exception": x}
        fields: dict[int, Any] = {}
        p.readStructBegin()
        while True:
            _, ttype, fid = p.readFieldBegin()
            if ttype == TType.STOP:
                break
            if ttype == TType.MAP:
                _, _, n = p.readMapBegin()
                fields[fid] = {p.readString(): p.readString() for _ in range(n)}
                p.readMapEnd()
            elif ttype == TType.I32:
                fields[fid] = p.readI32()
            else:
                p.skip(ttype)
            p.readFieldEnd()
        p.readStructEnd()
        p.readMessageEnd()
        return name, mtype, seqid, fields

    def _skip_struct(self) -> None:
        self.proto.skip(TType.STRUCT)

    def upgrade(self) -> int:
        self.send_call(UPGRADE, 0)
        name, mtype, seqid, _ = self.read_reply(False)
        assert (name, seqid) == (UPGRADE, 0)
        return mtype


def test_ttwitter_upgrade_carries_trace_client_id_and_deadline(host: InProcessHost) -> None:
    peer = ThriftPeer(host.addr("probe"))
    try:
        assert peer.upgrade() == TMessageType.REPLY
        trace = TraceId(trace_id=0x1234_5678_9ABC_DEF0, span_id=0x0FED_CBA9_8765_4321, parent_id=0x1111, sampled=True)
        deadline = Deadline.in_seconds(30)
        header = encode_request_header(trace, client_id="web-frontend", deadline=deadline)
        peer.send_call("whoami", 7, header)
        name, mtype, seqid, fields = peer.read_reply(True)
        assert (name, mtype, seqid) == ("whoami", TMessageType.REPLY, 7)
        seen = fields[0]
        assert seen["protocol"] == "framed/binary/ttwitter"
        assert (seen["trace"], seen["span"], seen["parent"]) == ("123456789abcdef0", "0fedcba987654321", "0000000000001111")
        assert (seen["sampled"], seen["client"], seen["deadline"]) == ("True", "web-frontend", str(deadline.deadline_ns))
        # Several calls on one upgraded connection: each has its own header.
        other = TraceId(trace_id=42, span_id=43)
        peer.send_call("whoami", 8, encode_request_header(other))
        assert peer.read_reply(True)[3][0]["trace"] == f"{42:016x}"
    finally:
        peer.close()


def test_plain_client_on_the_same_port_is_untouched(host: InProcessHost) -> None:
    peer = ThriftPeer(host.addr("probe"))
    try:
        peer.send_call("whoami", 3)
        name, mtype, seqid, fields = peer.read_reply(False)
        assert (name, mtype, seqid) == ("whoami", TMessageType.REPLY, 3)
        assert fields[0]["protocol"] == "framed/binary"
        assert len(fields[0]["trace"]) == 16  # a fresh root trace, made by the server
    finally:
        peer.close()


def test_expired_deadline_fails_without_running_the_handler_over_thrift(host: InProcessHost) -> None:
    peer = ThriftPeer(host.addr("probe"))
    before = registry.value("srv/probe/thrift/whoami/failures/DeadlineExceeded")
    try:
        peer.upgrade()
        now = time.time_ns()
        passed = Deadline(now - 2_000_000_000, now - 1_000_000_000)
        peer.send_call("whoami", 9, encode_request_header(TraceId(1, 2), deadline=passed))
        name, mtype, seqid, fields = peer.read_reply(True)
        assert (mtype, seqid) == (TMessageType.EXCEPTION, 9)
        x = fields["exception"]
        assert x.type == TApplicationException.INTERNAL_ERROR and "deadline passed" in x.message
        # The connection is fine afterwards.
        peer.send_call("whoami", 10, encode_request_header(TraceId(1, 3), deadline=Deadline.in_seconds(10)))
        assert peer.read_reply(True)[1] == TMessageType.REPLY
    finally:
        peer.close()
    assert registry.value("srv/probe/thrift/whoami/failures/DeadlineExceeded") == before + 1


def test_garbage_request_header_fails_that_connection_only(host: InProcessHost) -> None:
    bad = ThriftPeer(host.addr("probe"))
    good = ThriftPeer(host.addr("probe"))
    try:
        bad.upgrade()
        bad.send_call("whoami", 1, b"\x0a\x00\x01\x00\x00")  # an i64 field cut short
        with pytest.raises((TTransport.TTransportException, TProtocolException, EOFError, socket.error)):
            bad.read_reply(True)
        good.send_call("whoami", 2)
        assert good.read_reply(False)[1] == TMessageType.REPLY
    finally:
        bad.close()
        good.close()


def test_b3_headers_and_deadline_reach_the_handler_over_http(host: InProcessHost) -> None:
    trace = TraceId(trace_id=0xABCDEF, span_id=0x99, parent_id=0x77, sampled=False, trace_id_high=0x5)
    deadline = Deadline.in_seconds(20)
    headers = {**b3_headers(trace), **dict([deadline_header(deadline)])}
    seen = httpx.post(host.url("probe", "/Probe/whoami"), headers=headers).json()
    assert seen["trace"] == f"{5:016x}{0xABCDEF:016x}"
    assert (seen["span"], seen["parent"], seen["sampled"]) == (f"{0x99:016x}", f"{0x77:016x}", "False")
    assert seen["deadline"] == str(deadline.deadline_ns)


def test_single_b3_header(host: InProcessHost) -> None:
    seen = httpx.post(host.url("probe", "/Probe/whoami"), headers={"b3": "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90"}).json()
    assert (seen["trace"], seen["span"], seen["parent"], seen["sampled"]) == (
        "80f198ee56343ba864fe8b2a57d3eff7",
        "e457b5a2e4d86bd1",
        "05e3ac9a4f6e3b90",
        "True",
    )


def test_expired_deadline_is_504_over_http(host: InProcessHost) -> None:
    now = time.time_ns()
    r = httpx.post(host.url("probe", "/Probe/whoami"), headers={"Finagle-Ctx-com.twitter.finagle.Deadline": f"{now - 10**9} {now - 10**6}"})
    assert r.status_code == 504
    assert r.json()["error"]["type"] == "DeadlineExceeded"


def test_every_log_line_of_a_call_carries_its_trace_id(host: InProcessHost) -> None:
    from framework.assembly import configure_logging

    configure_logging("info")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_aviary", False))
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(handler.format(record))

    keep = Keep()
    for f in handler.filters:
        keep.addFilter(f)
    logging.getLogger().addHandler(keep)
    try:
        trace = TraceId(trace_id=0xFEEDFACE, span_id=1)
        httpx.post(host.url("probe", "/Probe/whoami"), headers=b3_headers(trace))
        mine = [line for line in lines if "whoami called" in line]
        assert mine and all(f"trace={0xFEEDFACE:016x}" in line for line in mine), lines
        # A call that brings no trace gets a root (unsampled here, rate 0): the log line made
        # before the handler looks at its context and the context agree on its id.
        lines.clear()
        seen = httpx.post(host.url("probe", "/Probe/whoami")).json()
    finally:
        logging.getLogger().removeHandler(keep)
    assert (seen["parent"], seen["sampled"]) == ("", "False") and seen["span"] == seen["trace"]
    mine = [line for line in lines if "whoami called" in line]
    assert len(mine) == 1 and f"trace={seen['trace']}" in mine[0], lines


# -- span export -----------------------------------------------------------------------------


SCRIBE_IDL = """
enum ResultCode { OK = 0, TRY_LATER = 1 }
struct LogEntry { 1: string category, 2: string message }
service scribe { ResultCode Log(1: list<LogEntry> messages) }
"""
ZIPKIN_IDL = """
struct Endpoint { 1: i32 ipv4, 2: i16 port, 3: string service_name }
struct Annotation { 1: i64 timestamp, 2: string value, 3: optional Endpoint host }
enum AnnotationType { BOOL, BYTES, I16, I32, I64, DOUBLE, STRING }
struct BinaryAnnotation { 1: string key, 2: binary value, 3: AnnotationType annotation_type, 4: optional Endpoint host }
struct Span {
  1: i64 trace_id, 3: string name, 4: i64 id, 5: optional i64 parent_id,
  6: list<Annotation> annotations, 8: list<BinaryAnnotation> binary_annotations,
  9: optional bool debug, 10: optional i64 timestamp, 11: optional i64 duration, 12: optional i64 trace_id_high
}
"""


def test_sampled_spans_reach_zipkin_and_scribe(tmp_path: Path, zipkin_collector: ZipkinCollector) -> None:
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.rpc import make_server
    from thriftpy2.transport import TFramedTransportFactory
    from thriftpy2.utils import deserialize

    (tmp_path / "scribe.thrift").write_text(SCRIBE_IDL)
    (tmp_path / "zipkin.thrift").write_text(ZIPKIN_IDL)
    scribe_thrift = thriftpy2.load(str(tmp_path / "scribe.thrift"), module_name="scribe_thrift")
    zipkin_thrift = thriftpy2.load(str(tmp_path / "zipkin.thrift"), module_name="zipkin_thrift")
    logged: list[Any] = []

    class Scribe:
        def Log(self, messages: list[Any]) -> int:  # noqa: N802 - the IDL's name
            logged.extend(messages)
            return 0

    scribe_port = free_port()
    scribe = make_server(scribe_thrift.scribe, Scribe(), "127.0.0.1", scribe_port, trans_factory=TFramedTransportFactory(), proto_factory=TBinaryProtocolFactory())
    threading.Thread(target=scribe.serve, daemon=True).start()
    zipkin = zipkin_collector
    try:
        settings = {"zipkin_url": zipkin.url, "trace_scribe": f"127.0.0.1:{scribe_port}"}
        with InProcessHost(lambda: [create_probe()], trace_sample_rate=0, **settings) as h:
            sampled = TraceId(trace_id=0xC0FFEE, span_id=0xBEEF, parent_id=0xCAFE, sampled=True)
            httpx.post(h.url("probe", "/Probe/whoami"), headers=b3_headers(sampled))
            httpx.post(h.url("probe", "/Probe/whoami"), headers=b3_headers(TraceId(1, 2, sampled=False)))  # not sampled: no span
            deadline = time.monotonic() + 10
            while (not zipkin.received or not logged) and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        scribe.close()
    spans = zipkin.spans()
    assert zipkin.received[0][:2] == ("/api/v2/spans", "application/json")
    assert [(s["traceId"], s["id"], s["parentId"], s["kind"], s["name"]) for s in spans] == [
        (f"{0xC0FFEE:016x}", f"{0xBEEF:016x}", f"{0xCAFE:016x}", "SERVER", "whoami")
    ]
    assert spans[0]["localEndpoint"]["serviceName"] == "probe" and spans[0]["duration"] >= 1
    assert [e.category for e in logged] == ["zipkin"]
    span = deserialize(zipkin_thrift.Span(), base64.b64decode(logged[0].message), TBinaryProtocolFactory())
    assert (span.trace_id, span.id, span.parent_id, span.name) == (0xC0FFEE, 0xBEEF, 0xCAFE, "whoami")
    assert [a.value for a in span.annotations] == ["sr", "ss"]
    assert span.annotations[0].host.service_name == "probe"
    assert {b.key: b.value for b in span.binary_annotations}["transport"] == b"http"

"""ThriftMux sessions on the Thrift port: Finagle's default protocol, beside plain Thrift.

`sniff` is a `framework.thrift.server.Sniffer`: it claims a connection whose first frame
decodes as a Mux message and leaves everything else to plain framed/unframed Thrift (and
TTwitter), as Finagle's ``MuxDowngradingNegotiator`` does: a framed strict Thrift CALL reads as
an Rerr with tag 65537 (ONEWAY 65540), which means "not Mux".

A `MuxSession` serves many calls at once on one connection, each under its tag, and replies
as each finishes (out of order). Every call goes through the server's one filter chain, with
the Tdispatch contexts (trace, deadline, retries, client id) in its `Context`. The Thrift
payload inside a Tdispatch is a plain TBinaryProtocol message, read and written with the
service's compiled codec.

Session control follows Finagle's server: the ``tinit check`` marker is echoed, Tinit gets
Rinit; Tping gets Rping; Tdiscarded cancels that call's handler and answers Rdiscarded; on
drain the server sends Tdrain, keeps serving until the client's Rdrain, then NACKs new
dispatches and closes once the calls in flight finish. A known type the server does not expect
gets ``Rerr "Unexpected mux message type N"``; an unknown type byte, a fragment of a control
message or a duplicate tag loses the session (as in Finagle). A Tdispatch that does not parse
gets Rerr, one whose payload is not a Thrift message gets an Rdispatch ERROR; both are counted
under ``srv/<service>/thrift/bad_input/<why>`` and the session carries on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from ..context import Context
from ..dtab import BadDtab, dtab_of
from ..errors import TAPP_PROTOCOL_ERROR, TAPP_UNKNOWN_METHOD, Overloaded, WireError
from ..metrics import registry
from ..service import Call, run_eagerly
from . import mux_wire as w
from .codec import CALL, ONEWAY, NeedMore
from .json_protocol import JSON_CODEC
from .server import Connection, PlainSession, Session, UnknownTarget, _oneway_done

__all__ = ["sniff", "MuxSession"]

log = logging.getLogger("aviary.thrift.mux")

_BARE = bytes(6)
_MAX_CALLS = 4096  # calls in flight per session; past it the session stops reading (backpressure)


def sniff(b: bytes) -> Callable[[Connection], Session] | None:
    """A Mux session factory if the connection's first bytes are a Mux frame, else None."""
    if b and b[0] & 0x80:  # a negative size: unframed strict binary (80 01) or compact (82)
        return None
    if len(b) < 8:
        raise NeedMore
    size = int.from_bytes(b[:4], "big", signed=True)
    if size < 4:
        return None
    typ = b[4] - 256 if b[4] > 127 else b[4]
    if typ not in w.KNOWN_TYPES:
        return None
    if typ == w.RERR and b[5] == 0x01 and b[6] == 0x00:
        return None  # framed strict Thrift: 80 01 00 <type> reads as Rerr, tag 0x0100xx
    if 64 <= typ <= 68 and all(0x20 < c < 0x7F for c in b[5:8]):
        return None  # unframed non-strict Thrift: a name length, then a name like "Add…"
    return MuxSession


class _Replies(PlainSession):
    """The plain session's reply encoding (results, declared exceptions, TApplicationException),
    captured into a buffer that starts with room for the Mux header instead of being sent."""

    prefix = 0
    out: bytearray | None = None

    def _start(self, name: str, mtype: int, seqid: int) -> bytearray:
        out = bytearray(self.prefix)
        self.codec.write_message_begin(out, name, mtype, seqid)
        return out

    def _send(self, out: bytearray) -> None:
        self.out = out


class _Pending:
    __slots__ = ("tag", "kind", "method", "name", "seqid", "codec", "task")

    def __init__(self, tag: int, kind: int, method: Any, name: str, seqid: int, codec: Any) -> None:
        self.tag = tag
        self.kind = kind  # TDISPATCH or TREQ: how to reply
        self.method = method
        self.name = name
        self.seqid = seqid
        self.codec = codec  # the called service's (another than the port's for a multiplexed name)
        self.task: asyncio.Task[None] | None = None


class MuxSession(Session):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.server = conn.server
        self.codec = self.server.binary
        self.calls: dict[int, _Pending] = {}
        self.oneway: set[asyncio.Task[None]] = set()
        self.fragments = w.Reassembly()
        self.max_frame_out = 0  # the client's mux-framer limit for what we send; 0 = none
        self.draining = False  # Tdrain sent
        self.drained = False  # Rdrain received: new dispatches get NACK
        self.dispatched = False  # the handshake window closes at the first dispatch
        self._replies = _Replies(conn, True, self.codec)
        self._out: list[bytes | bytearray] = []  # replies held back while feeding, sent together
        self._batching = False
        registry.counter("srv", self.server.service.name, "thriftmux", "connects").value += 1

    # -- Session -----------------------------------------------------------------------------------
    @property
    def idle(self) -> bool:
        return not self.calls and (not self.draining or self.drained)

    def connection_lost(self) -> None:
        calls = list(self.calls.values())
        self.calls.clear()
        self.server.inflight -= len(calls)
        for p in calls:
            if p.task is not None:
                p.task.cancel()
        for t in list(self.oneway):
            t.cancel()

    def close_when_idle(self) -> None:
        if not self.draining:
            self.draining = True
            self._write(w.TDRAIN, w.CONTROL_TAG)

    def feed(self) -> None:
        self._batching = True
        try:
            self._feed()
        finally:
            self._batching = False
            self._flush()

    def _feed(self) -> None:
        conn = self.conn
        limit = self.server.options.max_frame_bytes
        while conn.transport is not None and not conn.paused_writing and len(self.calls) < _MAX_CALLS:
            try:
                m = w.read_frame(conn.buf, limit)
            except WireError as e:
                conn.fail("frame_too_large" if "limit" in str(e) else "malformed", str(e))
                return
            if m is None:
                return
            conn._clear_stall()
            self._handle(m, limit)

    # -- messages ----------------------------------------------------------------------------------
    def _handle(self, m: w.MuxMessage, limit: int) -> None:
        t = m.type
        if m.fragment and t not in (w.TDISPATCH, w.RDISPATCH):
            self.conn.fail("malformed", f"Mux type {m.raw_type} sent as a fragment; only dispatches fragment")
            return
        if t == w.TDISPATCH or t == w.TREQ:
            if t == w.TDISPATCH:
                body = self.fragments.add(m, limit)
                if body is None:
                    return
            else:
                body = m.body
            self._dispatch(t, m.tag, body)
        elif t == w.TPING:
            self._write(w.RPING, m.tag)
        elif t == w.TDISCARDED:
            self._discarded(m.body)
        elif t == w.RDRAIN and self.draining:
            self.drained = True
        elif t == w.TINIT and not self.dispatched:
            self._init(m)
        elif t == w.RERR and m.body == w.TINIT_CHECK and not self.dispatched:
            self._write(w.RERR, m.tag, w.TINIT_CHECK)  # "yes, send me a Tinit"
        elif t in w.KNOWN_TYPES:
            self.server.bad_input("mux_unexpected", self.conn, f"unexpected Mux message type {m.raw_type} (tag {m.tag})")
            self._write(w.RERR, m.tag, f"Unexpected mux message type {m.raw_type}".encode())
        else:
            self.conn.fail("malformed", f"unknown Mux message type {m.raw_type}")

    def _init(self, m: w.MuxMessage) -> None:
        try:
            version, headers = w.parse_init(m.body)
        except WireError as e:
            self.server.bad_input("malformed", self.conn, str(e))
            self._write(w.RERR, m.tag, str(e).encode())
            return
        reply: list[tuple[bytes, bytes]] = []
        for k, v in headers:
            if k == b"mux-framer" and len(v) == 4:
                self.max_frame_out = int.from_bytes(v, "big")
            elif k == b"tls":
                reply.append((b"tls", b"off"))  # TLS is the port's business, not Mux's
        self._write(w.RINIT, m.tag, w.encode_init(min(version, w.VERSION), reply))

    def _discarded(self, body: bytes) -> None:
        try:
            tag, why = w.parse_discarded(body)
        except WireError as e:
            self.conn.fail("malformed", str(e))
            return
        self.fragments.drop(tag)
        p = self.calls.pop(tag, None)
        if p is None:
            return  # already answered: the tag is free again
        log.debug("%s mux %s: call %s discarded by the client: %s", self.server.service.name, self.conn.peer_text, p.name, why)
        if p.task is not None:
            p.task.cancel()
        self.server.inflight -= 1
        self._write(w.RDISCARDED, tag)

    def _dispatch(self, kind: int, tag: int, body: bytes) -> None:
        self.dispatched = True
        if tag < w.MIN_TAG:
            self.server.bad_input("mux_bad_tag", self.conn, f"dispatch on reserved tag {tag}")
            self._write(w.RERR, tag, f"tag {tag} is reserved; dispatches use tags {w.MIN_TAG}..{w.MAX_TAG}".encode())
            return
        if tag in self.calls:
            self._duplicate(tag)
            return
        if self.drained:
            if kind == w.TDISPATCH:
                self._write(w.RDISPATCH, tag, w.encode_rdispatch(w.NACK, b"", w.nack_contexts()))
            else:
                self._write(w.RREQ, tag, w.encode_rreq(w.NACK))
            return
        ctx = Context("thrift", "mux", self.conn.peer, identity=self.conn.identity)
        try:
            if kind == w.TDISPATCH:
                if body.startswith(_BARE):  # no contexts, destination or delegations
                    payload = body[6:]
                else:
                    d = w.parse_tdispatch(body)
                    for problem in w.contexts_to_context(d.contexts, ctx):
                        self.server.bad_input("bad_context", self.conn, f"tag {tag}: {problem} (ignored)")
                    if d.dtab:
                        ctx.dtab = dtab_of(d.dtab)
                    payload = d.body
            else:
                ctx.trace, payload = w.parse_treq(body)
        except (WireError, BadDtab) as e:
            self.server.bad_input("malformed", self.conn, f"tag {tag}: {e}")
            self._write(w.RERR, tag, str(e).encode())
            return
        codec = self.codec
        try:
            name, mtype, seqid, p = codec.read_message_begin(payload, 0)
        except WireError as e:
            # Finagle clients may put another protocol in a dispatch (withProtocolFactory):
            # compact or JSON, told by the first byte, looked at only once binary failed.
            error = e
            codec = self.server.compact if payload[:1] == b"\x82" else JSON_CODEC if payload[:1] == b"[" else None
            if codec is not None:
                try:
                    name, mtype, seqid, p = codec.read_message_begin(payload, 0)
                    error = None
                except WireError as other:
                    error = other
            if error is not None:
                self.server.bad_input("malformed", self.conn, f"tag {tag}: the payload is not a Thrift message: {error}")
                self._reply_error_status(kind, tag, f"the payload is not a Thrift binary, compact or JSON message: {error}")
                return
        if mtype not in (CALL, ONEWAY):
            self.server.bad_input("bad_message_type", self.conn, f"message type {mtype} for {name!r}")
            self._reply_error_status(kind, tag, f"expected a Thrift CALL or ONEWAY message, got type {mtype}")
            return
        server = self.server
        method = server.service.methods.get(name)
        service, chain = server.service, server.chain
        if method is None:
            if ":" not in name:
                server.bad_input("unknown_method", self.conn, f"unknown method {name!r}")
                self._reply_app_error(kind, tag, name, seqid, TAPP_UNKNOWN_METHOD, f"Unknown method {name!r} on {server.service.definition.name}", codec)
                return
            try:  # Finagle's multiplexed clients (serveIfaces): "Service:method"
                target, method, name = server.multiplexed(name)
            except UnknownTarget as e:
                server.bad_input(e.why, self.conn, e.message)
                self._reply_app_error(kind, tag, name, seqid, TAPP_UNKNOWN_METHOD, e.message, codec)
                return
            service, chain, codec = target.service, target.chain, target.codec_like(codec)
        try:
            args, _ = codec.read_args(method, payload, p)
        except WireError as e:
            e.at("args")
            self.server.bad_input("bad_arguments", self.conn, f"{name}: {e}")
            self._reply_app_error(kind, tag, name, seqid, TAPP_PROTOCOL_ERROR, f"{name}: {e}", codec)
            return
        call = Call(service, method, args, ctx)
        if mtype == ONEWAY or method.oneway:
            self._reply_payload(kind, tag, b"")  # Finagle answers a oneway dispatch with an empty body
            task = run_eagerly(chain, call, _oneway_done)
            if task is not None:
                self.oneway.add(task)
                task.add_done_callback(self.oneway.discard)
            return
        pending = _Pending(tag, kind, method, name, seqid, codec)
        self.calls[tag] = pending
        self.server.inflight += 1
        task = run_eagerly(chain, call, lambda result, error: self._done(pending, result, error))
        if task is not None and self.calls.get(tag) is pending:
            pending.task = task

    def _duplicate(self, tag: int) -> None:
        # A client reusing a tag in flight has lost track of its calls: as Finagle does, answer
        # every call in flight with Rerr and end the session.
        msg = f"Received duplicate tag {tag} from client.".encode()
        for p in list(self.calls.values()):
            self._write(w.RERR, p.tag, msg)
        self.connection_lost()
        self.server.bad_input("mux_duplicate_tag", self.conn, msg.decode())
        self._flush()
        self.conn.buf.clear()
        if self.conn.transport is not None:
            self.conn.transport.close()  # not abort: the Rerrs must leave first

    def _done(self, pending: _Pending, result: Any, error: BaseException | None) -> None:
        if self.calls.get(pending.tag) is not pending:
            return  # discarded, or the session is gone
        del self.calls[pending.tag]
        self.server.inflight -= 1
        if self.conn.transport is None:
            return
        if isinstance(error, asyncio.CancelledError):
            self._reply_error_status(pending.kind, pending.tag, "the call was cancelled")
        elif isinstance(error, Overloaded):  # refused before it ran: a NACK, which clients retry elsewhere
            if pending.kind == w.TDISPATCH:
                self._write(w.RDISPATCH, pending.tag, w.encode_rdispatch(w.NACK, b"", w.nack_contexts()))
            else:
                self._write(w.RREQ, pending.tag, w.encode_rreq(w.NACK))
        else:
            r = self._replies
            r.prefix = _prefix(pending.kind)
            r.out = None
            r.codec = pending.codec
            if error is None:
                r.reply_result(pending.method, pending.name, pending.seqid, result)
            else:
                r.reply_failure(pending.method, pending.name, pending.seqid, error)
            if r.out is not None:
                self._send_reply(pending.kind, pending.tag, r.out)
        if not self._batching:  # inside feed, its own loop carries on (no recursion per call)
            self.conn.maybe_resume()

    # -- replies -----------------------------------------------------------------------------------
    def _reply_app_error(self, kind: int, tag: int, name: str, seqid: int, type_: int, message: str, codec: Any = None) -> None:
        r = self._replies
        r.prefix = _prefix(kind)
        r.out = None
        r.codec = codec or self.codec
        r.reply_error(name, seqid, type_, message)
        assert r.out is not None
        self._send_reply(kind, tag, r.out)

    def _reply_error_status(self, kind: int, tag: int, message: str) -> None:
        if kind == w.TDISPATCH:
            self._write(w.RDISPATCH, tag, w.encode_rdispatch(w.ERROR, message.encode()))
        else:
            self._write(w.RREQ, tag, w.encode_rreq(w.ERROR, message.encode()))

    def _reply_payload(self, kind: int, tag: int, payload: bytes) -> None:
        out = bytearray(_prefix(kind)) + payload
        self._send_reply(kind, tag, out)

    def _send_reply(self, kind: int, tag: int, out: bytearray) -> None:
        """`out` is a reply with room for the Mux header in front: fill it in and send."""
        typ = w.RDISPATCH if kind == w.TDISPATCH else w.RREQ
        out[0:9] = w.frame_header(len(out) - 8, typ, tag) + b"\0"  # status OK
        if typ == w.RDISPATCH:
            out[9:11] = b"\0\0"  # no contexts
        if self.max_frame_out and len(out) - 8 > self.max_frame_out and typ == w.RDISPATCH:
            self._write_fragments(typ, tag, bytes(out[8:]))
            return
        self._emit(out)

    def _write(self, typ: int, tag: int, body: bytes | bytearray = b"") -> None:
        if self.max_frame_out and len(body) > self.max_frame_out and typ == w.RDISPATCH:
            self._write_fragments(typ, tag, bytes(body))
            return
        self._emit(w.encode(typ, tag, body))

    def _emit(self, data: bytes | bytearray) -> None:
        # While `feed` works through a read, replies wait and leave in one write: a read brings
        # many dispatches and most handlers finish eagerly, so this saves a system call per reply.
        if self._batching:
            self._out.append(data)
        else:
            self.conn.write(data)

    def _flush(self) -> None:
        if self._out:
            out, self._out = self._out, []
            self.conn.write(out[0] if len(out) == 1 else b"".join(out))

    def _write_fragments(self, typ: int, tag: int, body: bytes) -> None:
        step = self.max_frame_out
        for i in range(0, len(body), step):
            last = i + step >= len(body)
            self._emit(w.encode(typ, tag if last else tag | w.FRAGMENT, body[i : i + step]))


def _prefix(kind: int) -> int:
    """Bytes before the Thrift payload: size, type, tag, status (+ a context count for Rdispatch)."""
    return 11 if kind == w.TDISPATCH else 9


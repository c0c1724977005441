"""The asyncio Thrift server: one port, every framing and protocol a peer may speak.

Each connection is detected from its first bytes, then kept in that mode:

* framed (4-byte length) or unframed;
* binary strict (``80 01``), binary non-strict (a bare name length) or compact (``82``);
* further modes plug in through `sniffers`: TJSONProtocol (`framework.thrift.json_protocol`),
  THeader (`framework.thrift.header`), ThriftMux (`framework.thrift.mux`).

A port may serve several services (`shared`): a TMultiplexedProtocol name ``Service:method``
reaches any of them, a plain name the port's own (`ThriftServer.multiplexed`).

Calls on one plain connection are answered in order, as every plain-Thrift client expects;
concurrency comes from connections (or from Mux). Replies echo the seqid and name, oneway
calls get none, an unknown method gets TApplicationException UNKNOWN_METHOD and the
connection stays open (Finagle's ``__can__finagle__trace__v3__`` probe relies on that).

Bad input fails alone: bad arguments fail that call (PROTOCOL_ERROR naming the field);
a frame over the limit, garbage or a stalled half-message closes that connection only; each is
logged and counted under ``srv/<service>/thrift/bad_input/<why>``.

Connections are bounded (`framework.connections`): past ``max_connections`` a new one is
closed as it is accepted; with ``thrift_idle_timeout_s`` one that sat idle that long is closed
(between calls, as the drain closes them).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any, Callable

from ..connections import Limits, Refusals, Sweeper
from ..context import Context
from ..errors import (
    TAPP_INTERNAL_ERROR,
    TAPP_INVALID_MESSAGE_TYPE,
    TAPP_PROTOCOL_ERROR,
    TAPP_UNKNOWN_METHOD,
    ApplicationError,
    InternalError,
    WireError,
)
from ..filters import Handler
from ..idl import Method
from ..metrics import registry
from ..service import Call, Service, run_eagerly
from ..tls import peer_identity
from . import ttwitter
from .codec import CALL, COMPACT_ID, EXCEPTION, ONEWAY, REPLY, BinaryCodec, CompactCodec, NeedMore, binary_message_end, service_codecs

__all__ = ["ThriftServer", "ServerOptions", "Session", "Sniffer", "Target", "WireFault", "detect"]

log = logging.getLogger("aviary.thrift")

_i = struct.Struct(">i")
_INBOUND_HIGH_WATER = 4 << 20  # pause reading once this much unprocessed input is buffered

# A sniffer looks at the first bytes of a connection and returns a Session factory for it, None
# if the bytes are not its protocol, or raises NeedMore to see more bytes first.
Sniffer = Callable[[bytes], "Callable[[Connection], Session] | None"]


class WireFault(ApplicationError):
    """Raised by a handler to make the session misbehave on the wire instead of replying
    (the mock plugin's faults: a reset, an empty or garbled reply, a bad frame size, a wrong
    seqid). The plain session calls `act` with itself and the call's reply coordinates; the
    subclass writes (or withholds) bytes through ``session.conn`` and ``session.reply_*``.
    Over REST, and on sessions that do not know it (Mux), it is an ordinary 500."""

    def act(self, session: PlainSession, method: Method, name: str, seqid: int) -> None:
        raise NotImplementedError


class ServerOptions:
    """Per-server limits (all from settings; these are the defaults)."""

    __slots__ = ("max_frame_bytes", "stall_timeout_s", "sniffers", "extra_filters", "upgrade", "limits")

    def __init__(
        self,
        max_frame_bytes: int = 16 << 20,
        stall_timeout_s: float = 30.0,
        sniffers: tuple[Sniffer, ...] = (),
        upgrade: Callable[[PlainSession, bytes, int, int], bool] | None | bool = True,
        limits: Limits | None = None,
    ):
        self.max_frame_bytes = max_frame_bytes
        self.stall_timeout_s = stall_timeout_s
        self.sniffers = sniffers
        self.limits = limits or Limits.defaults()  # max_connections, thrift_idle_timeout_s (framework.connections)
        if upgrade is True:  # Finagle's TTwitter upgrade: plain clients are unaffected
            upgrade = accept_ttwitter_upgrade
        self.upgrade = upgrade or None


class Target:
    """A service a port serves: its chain and its compiled codecs."""

    __slots__ = ("service", "chain", "binary", "compact")

    def __init__(self, service: Service, chain: Handler) -> None:
        self.service = service
        self.chain = chain
        self.binary, self.compact = service_codecs(service)

    def codec_like(self, codec: Any) -> Any:
        """This service's codec of the same protocol as `codec` (binary ones are compiled per
        service; the others interpret the type model and serve every service)."""
        if codec.name == "binary":
            return self.binary.variant(codec.strict)
        if codec.name == "compact":
            return self.compact
        return codec


class UnknownTarget(Exception):
    """A multiplexed name whose service or method this port does not serve."""

    def __init__(self, why: str, message: str) -> None:
        super().__init__(message)
        self.why = why  # the bad_input counter
        self.message = message


class ThriftServer:
    """One Thrift port. `service` is what plain callers reach; `shared` are the other services
    on the same port, reached by TMultiplexedProtocol callers naming them (``Service:method``,
    by IDL service name or Aviary name; the port's own service can be named too)."""

    def __init__(
        self, service: Service, chain: Handler, options: ServerOptions | None = None, shared: tuple[tuple[Service, Handler], ...] = ()
    ) -> None:
        self.service = service
        self.chain = chain
        self.options = options or ServerOptions()
        self.binary, self.compact = service_codecs(service)
        self.targets: dict[str, Target] = {}
        for svc, ch in ((service, chain), *shared):
            target = Target(svc, ch)
            self.targets.setdefault(svc.definition.name, target)
            self.targets.setdefault(svc.name, target)
        self.connections: set[Connection] = set()
        self._server: asyncio.base_events.Server | None = None
        name = service.name
        self.metric_connects = registry.counter("srv", name, "thrift", "connects")
        self._bad: dict[str, Any] = {}
        self.inflight = 0
        self.refusals = Refusals(f"{name} thrift", "srv", name, "thrift")
        idle = self.options.limits.thrift_idle_timeout_s
        self.sweeper = Sweeper(idle, self._sweep) if idle > 0 else None
        self.idle_ticks = self.sweeper.ticks(idle) if self.sweeper is not None else 0
        self.tick = 0  # the sweeper's latest tick: what a connection stamps its activity with
        self.metric_idle_closed = registry.counter("srv", name, "thrift", "idle_closed")
        # Calls running with no connection to answer on (oneway calls that came over HTTP):
        # held here, since the loop keeps only weak references to tasks; drain waits for them.
        self.detached: set[asyncio.Task[None]] = set()

    def _sweep(self, tick: int) -> None:
        """Close connections quiet for ``thrift_idle_timeout_s``: nothing received and no call
        running. A busy connection counts as active at every tick it is seen busy."""
        self.tick = tick
        late = tick - self.idle_ticks
        for conn in list(self.connections):
            session = conn.session
            if conn.buf or (session is not None and not session.idle):
                conn.active_tick = tick
            elif conn.active_tick <= late and not conn.closing:
                self.metric_idle_closed.value += 1
                log.debug("%s thrift %s: closing, idle for %gs (thrift_idle_timeout_s)", self.service.name, conn.peer_text, self.options.limits.thrift_idle_timeout_s)
                conn.close_when_idle()

    def multiplexed(self, name: str) -> tuple[Target, Method, str]:
        """(service, method, bare method name) a TMultiplexedProtocol ``Service:method`` name
        calls; `UnknownTarget` says which part is unknown. Replies carry the bare name, as
        Apache's TMultiplexedProcessor writes them."""
        service_name, _, method_name = name.partition(":")
        target = self.targets.get(service_name)
        if target is None:
            served = ", ".join(sorted({t.service.definition.name for t in self.targets.values()}))
            raise UnknownTarget("unknown_service", f"Unknown service {service_name!r} in {name!r}: this port serves {served}")
        method = target.service.methods.get(method_name)
        if method is None:
            raise UnknownTarget("unknown_method", f"Unknown method {method_name!r} on {target.service.definition.name}")
        return target, method, method_name

    def bad_input(self, why: str, conn: Connection, detail: str) -> None:
        c = self._bad.get(why)
        if c is None:
            c = self._bad[why] = registry.counter("srv", self.service.name, "thrift", "bad_input", why)
        c.value += 1
        log.warning("%s thrift %s: %s (%s)", self.service.name, conn.peer_text, detail, why)

    async def start(self, sock: socket.socket, ssl: Any = None) -> None:
        # Registered by the listening server only: the one behind the HTTP port (Thrift over
        # HTTP) has no connections of its own and must not replace this gauge.
        registry.gauge(lambda: len(self.connections), "srv", self.service.name, "thrift", "connections")
        loop = asyncio.get_running_loop()
        # With an idle timeout each read is stamped; without (the default) nothing is.
        connection = Connection if self.sweeper is None else IdleTimedConnection
        self._server = await loop.create_server(lambda: connection(self), sock=sock, ssl=ssl, backlog=1024)
        if self.sweeper is not None:
            self.sweeper.start()

    def close(self) -> None:
        """Stop accepting connections; established ones carry on."""
        if self._server is not None:
            self._server.close()
        if self.sweeper is not None:
            self.sweeper.stop()

    async def drain(self, timeout: float) -> None:
        """Finish in-flight calls, close every connection, wait at most `timeout` seconds."""
        self.close()
        for conn in list(self.connections):
            conn.close_when_idle()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.connections and loop.time() < deadline:
            await asyncio.sleep(0.02)
        for conn in list(self.connections):
            log.warning("%s thrift %s: closing with a call still running at shutdown", self.service.name, conn.peer_text)
            conn.abort()
        if self.detached:
            await asyncio.wait(set(self.detached), timeout=max(deadline - loop.time(), 0.01))
        if self._server is not None:
            await self._server.wait_closed()


class Session:
    """How one detected protocol handles the bytes of its connection. The plain-Thrift session
    is below; Mux and TTwitter provide their own."""

    def feed(self) -> None:  # consume as much of conn.buf as forms whole messages
        raise NotImplementedError

    @property
    def idle(self) -> bool:
        raise NotImplementedError

    def connection_lost(self) -> None:
        pass

    def close_when_idle(self) -> None:
        """Drain hook: the plain session just closes once idle; Mux sends Tdrain first."""


class Connection(asyncio.Protocol):
    __slots__ = (
        "server",
        "transport",
        "buf",
        "session",
        "peer",
        "peer_text",
        "identity",
        "closing",
        "paused_reading",
        "paused_writing",
        "active_tick",
        "_stall",
    )

    def __init__(self, server: ThriftServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.session: Session | None = None
        self.peer: tuple[str, int] | None = None
        self.peer_text = "?"
        self.identity: str | None = None  # from the TLS peer certificate
        self.closing = False
        self.paused_reading = False
        self.paused_writing = False
        self.active_tick = server.tick  # the idle sweeper's tick when this last received bytes (IdleTimedConnection)
        self._stall: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        server = self.server
        limit = server.options.limits.max_connections
        if len(server.connections) >= limit:
            server.refusals.refused(len(server.connections), limit)
            transport.abort()  # never added: connection_lost finds nothing to undo
            return
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self.peer = (peer[0], peer[1])
            self.peer_text = f"{peer[0]}:{peer[1]}"
        self.identity = peer_identity(transport.get_extra_info("ssl_object"))
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self.server.connections.add(self)
        self.server.metric_connects.value += 1

    def data_received(self, data: bytes) -> None:
        if self.buf:
            self.buf += data
        else:
            self.buf = bytearray(data)
        if self.session is None and not self._detect():
            return
        try:
            self.session.feed()  # type: ignore[union-attr]
        except WireError as e:
            self.fail("malformed", f"cannot read the stream: {e}")
            return
        self._after_feed()

    def _after_feed(self) -> None:
        """Flow control after the session consumed what it could.

        Whatever is left in the buffer is either messages queued behind a busy call (pause
        reading once that passes the high-water mark) or the start of one message still
        arriving (keep reading: the frame limit bounds it, the stall timer ends a client that
        stops halfway)."""
        transport = self.transport
        if transport is None:
            return
        busy = self.session is None or not self.session.idle
        if self.buf and busy:
            self._clear_stall()
            if len(self.buf) > _INBOUND_HIGH_WATER and not self.paused_reading:
                self.paused_reading = True
                transport.pause_reading()
        else:
            if self.paused_reading and not self.paused_writing:
                self.paused_reading = False
                transport.resume_reading()
            if not self.buf:
                self._clear_stall()
            elif self._stall is None and not self.paused_reading:
                self._stall = asyncio.get_running_loop().call_later(self.server.options.stall_timeout_s, self._stalled)
        if self.closing and not busy and not self.buf:
            transport.close()

    def _clear_stall(self) -> None:
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None

    def _stalled(self) -> None:
        self._stall = None
        if self.paused_reading:  # we stopped reading, not the client: not a stall
            return
        if self.buf and (self.session is None or self.session.idle):
            self.fail("stalled", f"half a message ({len(self.buf)} bytes) and nothing more for {self.server.options.stall_timeout_s:g}s")

    def connection_lost(self, exc: Exception | None) -> None:
        self._clear_stall()
        self.server.connections.discard(self)
        if self.session is not None:
            self.session.connection_lost()
        self.transport = None

    def pause_writing(self) -> None:
        # The peer is not reading its replies: stop reading its requests until it does.
        self.paused_writing = True
        self._clear_stall()
        if self.transport is not None and not self.paused_reading:
            self.paused_reading = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.paused_writing = False
        # Continue on the next loop turn rather than inside the transport's flow-control
        # callback, so replies written now never re-enter pause_writing from within it.
        asyncio.get_running_loop().call_soon(self._resume)

    def _resume(self) -> None:
        if self.transport is None or self.paused_writing:
            return
        if self.paused_reading:
            self.paused_reading = False
            self.transport.resume_reading()
        self.maybe_resume()

    # -- helpers for sessions ----------------------------------------------------------------------
    def write(self, data: bytes | bytearray) -> None:
        if self.transport is not None:
            self.transport.write(data)

    def fail(self, why: str, detail: str) -> None:
        """Bad input that loses the stream: count it, log it, close this connection only."""
        self.server.bad_input(why, self, detail)
        self.buf.clear()
        self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def close_when_idle(self) -> None:
        self.closing = True
        if self.session is not None:
            self.session.close_when_idle()
        if self.transport is not None and (self.session is None or self.session.idle) and not self.buf:
            self.transport.close()

    def maybe_resume(self) -> None:
        """A session finished a call: continue with buffered messages, or close if draining."""
        if self.transport is None or self.session is None:
            return
        if self.buf and not self.paused_writing:
            try:
                self.session.feed()
            except WireError as e:
                self.fail("malformed", f"cannot read the stream: {e}")
                return
        self._after_feed()

    # -- protocol detection ------------------------------------------------------------------------
    def _detect(self) -> bool:
        try:
            factory = detect(bytes(self.buf[:16]), self.server.options)
        except NeedMore:
            if len(self.buf) >= 16:  # pragma: no cover - every sniffer decides within 16 bytes
                self.fail("malformed", "unrecognised protocol")
            return False
        except WireError as e:
            self.fail("malformed" if "limit" not in str(e) else "frame_too_large", str(e))
            return False
        self.session = factory(self)
        return True


class IdleTimedConnection(Connection):
    """A connection of a server with ``thrift_idle_timeout_s``: each read stamps the tick."""

    __slots__ = ()

    def data_received(self, data: bytes) -> None:
        self.active_tick = self.server.tick
        super().data_received(data)


def detect(buf: bytes, options: ServerOptions) -> Callable[[Connection], Session]:
    """The session factory for a stream starting with `buf` (its first 16 bytes suffice):
    the sniffers' first, then plain framed/unframed binary or compact. Raises NeedMore to
    see more bytes, WireError for bytes no protocol here speaks."""
    for sniff in options.sniffers:
        factory = sniff(buf)
        if factory is not None:
            return factory
    framed, codec = _sniff_plain(buf, options.max_frame_bytes)
    if codec == "binary":
        return lambda conn: PlainSession(conn, framed, conn.server.binary)
    return lambda conn: PlainSession(conn, framed, conn.server.compact)


def _sniff_plain(b: bytes, max_frame: int) -> tuple[bool, str]:
    """(framed, "binary"|"compact") from a connection's first bytes."""
    if len(b) < 2:
        raise NeedMore
    if b[0] == 0x80 and b[1] == 0x01:
        return False, "binary"
    if b[0] == COMPACT_ID:
        return False, "compact"
    if len(b) < 4:
        raise NeedMore
    (first,) = _i.unpack_from(b, 0)
    # Unframed non-strict binary starts with the method name's length, then the name.
    if 0 < first <= 255 and len(b) >= 4 + min(first, 12):
        name = b[4 : 4 + min(first, 12)]
        if all(0x21 <= c < 0x7F for c in name):
            return False, "binary"
    if len(b) < 6:
        raise NeedMore
    if first < 0:
        raise WireError(f"frame size {first} is negative: not a Thrift stream")
    if first > max_frame:
        raise WireError(f"frame of {first} bytes is over the limit of {max_frame}")
    if b[4] == 0x80 and b[5] == 0x01:
        return True, "binary"
    if b[4] == COMPACT_ID:
        return True, "compact"
    if b[4] == 0 and len(b) >= 8:  # framed non-strict: a name length below 16 MiB
        return True, "binary"
    if b[4] == 0:
        raise NeedMore
    raise WireError(f"unrecognised bytes {b[:8].hex()}: not Thrift binary or compact")


_MISSING = object()


class PlainSession(Session):
    """Framed or unframed Thrift, one call at a time, replies in request order.

    Also the basis of TTwitter: `header_reader`/`header_writer` hooks let the upgraded session
    read a RequestHeader before each message and write a ResponseHeader before each reply.
    """

    def __init__(self, conn: Connection, framed: bool, codec: BinaryCodec | CompactCodec) -> None:
        self.conn = conn
        self.server = conn.server
        self.framed = framed
        self.codec: Any = codec
        self.busy = False
        self.feeding = False  # `feed`'s loop is running (a call that finishes at once must not start another)
        self.strict: bool | None = None  # binary: the header style the client uses, mirrored back
        self.protocol = f"{'framed' if framed else 'unframed'}/{codec.name}"
        self.pending: tuple[Any, ...] | None = None  # (method, seqid, name[, codec of a multiplexed call])
        self.tasks: set[asyncio.Task[None]] = set()
        self.upgrade: Callable[[PlainSession, bytes, int, int], bool] | None = conn.server.options.upgrade
        self.context_from_header: Callable[[bytes, int, Context], int] | None = None
        self.response_header: bytes = b""
        self.feeding = False  # inside `feed`: a call answered at once needs no resume (no recursion per call)

    @property
    def idle(self) -> bool:
        return not self.busy

    def connection_lost(self) -> None:
        for t in list(self.tasks):
            t.cancel()

    def _next_message(self) -> bytes | None:
        buf = self.conn.buf
        if self.framed:
            if len(buf) < 4:
                return None
            (size,) = _i.unpack_from(buf, 0)
            if size < 0 or size > self.server.options.max_frame_bytes:
                why = "frame_too_large" if size > 0 else "malformed"
                self.conn.fail(why, f"frame of {size} bytes is over the limit of {self.server.options.max_frame_bytes}")
                return None
            if len(buf) < 4 + size:
                return None
            msg = bytes(buf[4 : 4 + size])
            del buf[: 4 + size]
            return msg
        data = bytes(buf)
        try:
            if self.codec.name == "binary":
                end = binary_message_end(data)
            else:
                end = self.codec.message_end(data)
        except NeedMore:
            if len(buf) > self.server.options.max_frame_bytes:
                self.conn.fail("frame_too_large", f"unframed message over the limit of {self.server.options.max_frame_bytes} bytes")
            return None
        del buf[:end]
        return data[:end]

    def feed(self) -> None:
        if self.feeding:
            # A call that finished at once, replied from inside the loop below: the loop takes
            # the next message. Feeding again from here would recurse once per pipelined call
            # (a client sending hundreds without reading hit RecursionError).
            return
        conn = self.conn
        self.feeding = True
        try:
            while not self.busy and conn.transport is not None and not conn.paused_writing:
                msg = self._next_message()
                if msg is None:
                    return
                conn._clear_stall()
                self.handle(msg)
        finally:
            self.feeding = False

    # -- one message -------------------------------------------------------------------------------
    def handle(self, msg: bytes) -> None:
        p = 0
        ctx = Context("thrift", self.protocol, self.conn.peer, identity=self.conn.identity)
        if self.context_from_header is not None:
            try:
                p = self.context_from_header(msg, 0, ctx)
            except WireError as e:
                self.conn.fail("malformed", f"bad TTwitter request header: {e}")
                return
        codec = self.codec
        if self.strict is None and codec.name == "binary" and p < len(msg):
            # Answer in the header style the client writes: old clients read only their own.
            self.strict = msg[p] == 0x80
            if not self.strict:
                self.codec = codec = codec.variant(False)
        try:
            name, mtype, seqid, p = codec.read_message_begin(msg, p)
        except WireError as e:
            self.conn.fail("malformed", f"unreadable message header: {e}")
            return
        if mtype not in (CALL, ONEWAY):
            self.reply_error(name, seqid, TAPP_INVALID_MESSAGE_TYPE, f"expected a CALL or ONEWAY message, got type {mtype}")
            self.server.bad_input("bad_message_type", self.conn, f"message type {mtype} for {name!r}")
            return
        server = self.server
        method = server.service.methods.get(name)
        service, chain, reply_codec = server.service, server.chain, None
        if method is None:
            if ":" in name:  # TMultiplexedProtocol: "Service:method"
                found = self._multiplexed(name, seqid)
                if found is None:
                    return
                target, method, name = found
                service, chain = target.service, target.chain
                codec = reply_codec = target.codec_like(codec)
            else:
                if self.upgrade is not None and self.upgrade(self, msg, p, seqid):
                    return
                self.reply_error(name, seqid, TAPP_UNKNOWN_METHOD, f"Unknown method {name!r} on {server.service.definition.name}")
                if not name.startswith("__can__finagle__"):
                    server.bad_input("unknown_method", self.conn, f"unknown method {name!r}")
                return
        try:
            args, _ = codec.read_args(method, msg, p)
        except WireError as e:
            e.at("args")
            server.bad_input("bad_arguments", self.conn, f"{name}: {e}")
            if mtype == CALL:
                self.reply_error(name, seqid, TAPP_PROTOCOL_ERROR, f"{name}: {e}")
            return
        call = Call(service, method, args, ctx)
        if mtype == ONEWAY or method.oneway:
            task = run_eagerly(chain, call, _oneway_done)
            if task is not None:
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            return
        self.busy = True
        server.inflight += 1
        self.pending = (method, seqid, name) if reply_codec is None else (method, seqid, name, reply_codec)
        task = run_eagerly(chain, call, self._done)
        if task is not None:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _multiplexed(self, name: str, seqid: int) -> tuple[Target, Method, str] | None:
        """The service and method a ``Service:method`` name calls, or None once the caller was
        told neither exists (UNKNOWN_METHOD naming what this port serves)."""
        try:
            return self.server.multiplexed(name)
        except UnknownTarget as e:
            self.reply_error(name, seqid, TAPP_UNKNOWN_METHOD, e.message)
            self.server.bad_input(e.why, self.conn, e.message)
            return None

    def _done(self, result: Any, error: BaseException | None) -> None:
        pending = self.pending
        self.pending = None
        self.busy = False
        self.server.inflight -= 1
        if pending is None or self.conn.transport is None:
            return
        if len(pending) == 4:  # a multiplexed call: replied with its own service's codec
            method, seqid, name, codec = pending
            home, self.codec = self.codec, codec
            try:
                self._reply(method, name, seqid, result, error)
            finally:
                self.codec = home
        else:  # the common case, inline
            method, seqid, name = pending
            if error is None:
                self.reply_result(method, name, seqid, result)
            else:
                self.reply_failure(method, name, seqid, error)
        if not self.feeding:  # a call that waited: carry on with what is buffered; else feed's loop does
            self.conn.maybe_resume()

    def _reply(self, method: Method, name: str, seqid: int, result: Any, error: BaseException | None) -> None:
        if error is None:
            self.reply_result(method, name, seqid, result)
        else:
            self.reply_failure(method, name, seqid, error)

    # -- replies -----------------------------------------------------------------------------------
    def _start(self, name: str, mtype: int, seqid: int) -> bytearray:
        out = bytearray(b"\0\0\0\0") if self.framed else bytearray()
        if self.response_header:
            out += self.response_header
        self.codec.write_message_begin(out, name, mtype, seqid)
        return out

    def _send(self, out: bytearray) -> None:
        if self.framed:
            _i.pack_into(out, 0, len(out) - 4)
        self.conn.write(out)

    def reply_result(self, method: Method, name: str, seqid: int, result: Any) -> None:
        if result is None and method.result is not None:
            err = self._bad_result(method, f"returned None, but the IDL declares {method.result.name}")
            self.reply_error(name, seqid, err.thrift_type, err.message)
            return
        out = self._start(name, REPLY, seqid)
        try:
            self.codec.write_result(method, result, out)
        except WireError as e:
            err = self._bad_result(method, f"returned a value that does not fit the IDL: {e}")
            self.reply_error(name, seqid, err.thrift_type, err.message)
            return
        self._send(out)

    def _bad_result(self, method: Method, what: str) -> InternalError:
        import uuid

        error_id = uuid.uuid4().hex[:16]
        log.error("%s.%s %s (error id %s)", self.server.service.name, method.name, what, error_id)
        return InternalError(error_id)

    def reply_failure(self, method: Method, name: str, seqid: int, error: BaseException) -> None:
        if isinstance(error, WireFault):
            error.act(self, method, name, seqid)
            return
        if isinstance(error, ApplicationError):
            self.reply_error(name, seqid, error.thrift_type, error.message)
            return
        field = method.exception_field(error)
        if field is not None:
            out = self._start(name, REPLY, seqid)
            try:
                self.codec.write_exception(method, field, error, out)
            except WireError as e:
                err = self._bad_result(method, f"raised {type(error).__name__} with fields that do not fit the IDL: {e}")
                self.reply_error(name, seqid, err.thrift_type, err.message)
                return
            self._send(out)
            return
        if isinstance(error, asyncio.CancelledError):
            self.conn.abort()
            return
        err = self._bad_result(method, f"failed outside the handler: {type(error).__name__}: {error}")
        self.reply_error(name, seqid, TAPP_INTERNAL_ERROR, err.message)

    def reply_error(self, name: str, seqid: int, type_: int, message: str) -> None:
        out = self._start(name, EXCEPTION, seqid)
        self.codec.write_app_exception(message, type_, out)
        self._send(out)


def _oneway_done(result: Any, error: BaseException | None) -> None:
    if error is not None and not isinstance(error, (ApplicationError, asyncio.CancelledError)):
        log.error("oneway call failed: %s: %s", type(error).__name__, error)


def accept_ttwitter_upgrade(session: PlainSession, msg: bytes, p: int, seqid: int) -> bool:
    """`PlainSession.upgrade`: answer the probe and switch the connection to TTwitter."""
    if session.context_from_header is not None or not ttwitter.is_upgrade_probe(msg, p):
        return False  # not the probe (or already upgraded): an ordinary unknown method
    out = session._start(ttwitter.UPGRADE_METHOD, REPLY, seqid)
    out.append(0)  # an empty UpgradeReply
    session._send(out)
    session.context_from_header = ttwitter.read_request_header
    session.response_header = ttwitter.RESPONSE_HEADER
    session.protocol += "/ttwitter"
    return True

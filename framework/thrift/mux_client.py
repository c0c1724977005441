"""`MuxConnection`: one multiplexed ThriftMux connection to one server (Aviary or Finagle).

Many calls share the connection at once, each under its own tag, and replies arrive in any
order. The connection opens with Finagle's handshake (the ``tinit check`` marker, then
Tinit/Rinit) and falls back to sending dispatches straight away when the server does not echo
the marker. `ping()` (and the optional ping loop) checks liveness; a server's Tdrain is
acknowledged with Rdrain and turns `draining` on: calls already sent finish, new ones raise
`MuxDraining` at once so a balancer moves them to another member. A NACK from the server
raises `MuxNack`, which is always safe to retry elsewhere (the server did not run the call).

The surface is small on purpose, so a client stack can use it as a transport::

    conn = MuxConnection("127.0.0.1", 9999, idl.service("Echo"))
    await conn.connect()
    result = await conn.call("echo", ["hi"], context)
    await conn.close()
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl as _ssl
from typing import Any, Callable

from ..context import Context
from ..errors import AviaryError
from ..idl import Method, ServiceDef
from . import mux_wire as w
from .codec import CALL, EXCEPTION, ONEWAY, BinaryCodec

__all__ = ["MuxConnection", "MuxError", "MuxNack", "MuxDraining", "MuxClosed", "MuxCallError", "RemoteApplicationError"]

log = logging.getLogger("aviary.thrift.mux_client")


class MuxError(AviaryError):
    """A ThriftMux call failed outside the handler. `retryable` says whether another member may
    be tried without risk of running the call twice."""

    retryable = False


class MuxNack(MuxError):
    """The server refused the call without running it (it is draining or overloaded)."""

    retryable = True


class MuxDraining(MuxError):
    """This connection's server asked clients to go elsewhere (Tdrain); the call was not sent."""

    retryable = True


class MuxClosed(MuxError):
    """The connection is closed or was lost; calls in flight may or may not have run."""


class MuxCallError(MuxError):
    """The server answered the call with an Rerr or an Rdispatch ERROR (a protocol-level failure)."""


class RemoteApplicationError(MuxError):
    """The server answered with a Thrift TApplicationException (unknown method, bad arguments,
    internal error with its error id...)."""

    def __init__(self, type_: int, message: str) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message


class MuxConnection:
    def __init__(
        self,
        host: str,
        port: int,
        service: ServiceDef,
        *,
        handshake: bool = True,
        ping_interval_s: float = 0.0,
        ping_timeout_s: float = 5.0,
        connect_timeout_s: float = 5.0,
        max_frame_bytes: int = 16 << 20,
        frame_size: int = 0,
        on_drain: Callable[[MuxConnection], None] | None = None,
        ssl: _ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.methods: dict[str, Method] = service.methods
        self.codec = BinaryCodec(list(service.methods.values()))
        self.handshake = handshake
        self.ping_interval_s = ping_interval_s
        self.ping_timeout_s = ping_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_frame_bytes = max_frame_bytes  # the largest message accepted, fragments reassembled
        self.frame_size = frame_size  # asks the server to fragment replies into bodies this big (mux-framer)
        self.on_drain = on_drain  # told once when the server sends Tdrain (a balancer drops this member)
        self.ssl = ssl  # TLS under the whole session (Aviary's and Finagle's servers take it on the port)
        self.draining = False
        self.closed = False
        self.server_headers: dict[bytes, bytes] | None = None  # the Rinit headers, when handshaken
        self.pongs = 0  # Rpings received: how often the server proved alive
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, tuple[asyncio.Future[Any], Method]] = {}
        self._discarded: set[int] = set()  # tags given up on, not reusable until the server answers
        self._tags = itertools.cycle(range(w.MIN_TAG, w.MAX_TAG + 1))
        self._ping: asyncio.Future[None] | None = None
        self._ping_lock = asyncio.Lock()
        self._fragments = w.Reassembly()
        self._tasks: list[asyncio.Task[None]] = []
        self._inbuf = bytearray()
        self._outbuf: list[bytes] = []  # frames written this loop turn, sent in one write

    @property
    def available(self) -> bool:
        """True when new calls may be sent here."""
        return not self.closed and not self.draining

    @property
    def inflight(self) -> int:
        return len(self._pending)

    # -- lifecycle ---------------------------------------------------------------------------------
    async def connect(self) -> None:
        try:
            opening = asyncio.open_connection(self.host, self.port, ssl=self.ssl)
            self._reader, self._writer = await asyncio.wait_for(opening, self.connect_timeout_s)
            if self.handshake:
                await asyncio.wait_for(self._handshake(), self.connect_timeout_s)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
            self._abort()
            # The cause stays attached: a caller tells a TLS refusal (`ssl.SSLError`) from a
            # member that is simply not there.
            raise MuxClosed(f"cannot open a ThriftMux session to {self.host}:{self.port}: {e or type(e).__name__}") from e
        self._tasks.append(asyncio.get_running_loop().create_task(self._read_loop()))
        if self.ping_interval_s > 0:
            self._tasks.append(asyncio.get_running_loop().create_task(self._ping_loop()))

    async def _handshake(self) -> None:
        assert self._writer is not None
        self._writer.write(w.encode(w.RERR, w.CONTROL_TAG, w.TINIT_CHECK))  # the handshake writes at once
        m = await self._read_frame()
        if m.type != w.RERR or m.body != w.TINIT_CHECK:
            # An old Mux server answers the marker with some other Rerr: no handshake, carry on.
            return
        headers = [(b"mux-framer", self.frame_size.to_bytes(4, "big"))] if self.frame_size else []
        self._writer.write(w.encode(w.TINIT, w.CONTROL_TAG, w.encode_init(w.VERSION, headers)))
        m = await self._read_frame()
        if m.type != w.RINIT:
            raise MuxClosed(f"the server answered Tinit with Mux type {m.raw_type}")
        self.server_headers = dict(w.parse_init(m.body)[1])

    async def close(self) -> None:
        """Close the connection; calls in flight fail with `MuxClosed`."""
        self._abort()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()

    def _abort(self, why: str = "the connection was closed") -> None:
        self.closed = True
        if self._writer is not None:
            self._writer.close()
        pending, self._pending = self._pending, {}
        for fut, _ in pending.values():
            if not fut.done():
                fut.set_exception(MuxClosed(f"{self.host}:{self.port}: {why}"))
        if self._ping is not None and not self._ping.done():
            self._ping.set_exception(MuxClosed(why))

    # -- calls -------------------------------------------------------------------------------------
    def _next_tag(self) -> int:
        for _ in range(w.MAX_TAG):
            tag = next(self._tags)
            if tag not in self._pending and tag not in self._discarded:
                return tag
        raise MuxError("every Mux tag is in use")  # pragma: no cover - 8 million calls in flight

    async def call(self, method: str, args: list[Any], context: Context | None = None) -> Any:
        """Call `method` with `args` (in IDL order). Returns the result or raises the IDL's
        declared exception, `RemoteApplicationError`, or a `MuxError`."""
        if self.closed:
            raise MuxClosed(f"{self.host}:{self.port}: the connection is closed")
        if self.draining:
            raise MuxDraining(f"{self.host}:{self.port} is draining: send this call to another member")
        m = self.methods.get(method)
        if m is None:
            raise MuxError(f"no method {method!r} in this service (it has {', '.join(sorted(self.methods))})")
        tag = self._next_tag()
        payload = bytearray()
        self.codec.write_message_begin(payload, method, ONEWAY if m.oneway else CALL, tag)
        self.codec.write_args(m, args, payload)
        body = w.encode_tdispatch(w.context_to_contexts(context), payload, dtab=context.dtab.pairs() if context is not None and context.dtab else ())
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[tag] = (fut, m)
        self._send(w.encode(w.TDISPATCH, tag, body))
        try:
            await self._writer.drain()
            return await fut
        except asyncio.CancelledError:
            if self._pending.pop(tag, None) is not None and not self.closed:
                self._discarded.add(tag)
                self._send(w.encode(w.TDISCARDED, w.MARKER_TAG, w.encode_discarded(tag, "the caller cancelled the call")))
            raise
        except ConnectionError as e:
            self._abort(str(e))
            raise MuxClosed(f"{self.host}:{self.port}: {e}") from None

    async def ping(self) -> None:
        """Round-trip a Tping; raises `MuxClosed` if the server does not answer in time."""
        async with self._ping_lock:
            if self.closed:
                raise MuxClosed(f"{self.host}:{self.port}: the connection is closed")
            self._ping = asyncio.get_running_loop().create_future()
            self._send(w.encode(w.TPING, w.CONTROL_TAG))
            try:
                await asyncio.wait_for(self._ping, self.ping_timeout_s)
            except asyncio.TimeoutError:
                self._abort(f"no Rping within {self.ping_timeout_s:g}s")
                raise MuxClosed(f"{self.host}:{self.port}: no answer to a ping within {self.ping_timeout_s:g}s") from None

    async def _ping_loop(self) -> None:
        while not self.closed:
            await asyncio.sleep(self.ping_interval_s)
            try:
                await self.ping()
            except MuxError:
                return

    # -- replies -----------------------------------------------------------------------------------
    def _send(self, frame: bytes) -> None:
        # Calls made in the same loop turn leave in one write (one system call, not one each).
        if not self._outbuf:
            asyncio.get_running_loop().call_soon(self._flush)
        self._outbuf.append(frame)

    def _flush(self) -> None:
        out, self._outbuf = self._outbuf, []
        if self._writer is not None and not self.closed:
            self._writer.write(out[0] if len(out) == 1 else b"".join(out))

    async def _read_frame(self) -> w.MuxMessage:
        assert self._reader is not None
        while True:
            m = w.read_frame(self._inbuf, self.max_frame_bytes)
            if m is not None:
                return m
            data = await self._reader.read(1 << 16)
            if not data:
                raise asyncio.IncompleteReadError(bytes(self._inbuf), None)
            self._inbuf += data

    async def _read_loop(self) -> None:
        why = "the server closed the connection"
        try:
            while True:
                self._handle(await self._read_frame())
        except (asyncio.IncompleteReadError, OSError) as e:  # OSError: also a TLS alert (ssl.SSLError)
            why = f"the connection was lost ({type(e).__name__}: {e})"
        except AviaryError as e:
            why = str(e)
            log.warning("%s:%d: %s", self.host, self.port, e)
        self._abort(why)

    def _handle(self, m: w.MuxMessage) -> None:
        t = m.type
        if t == w.RDISPATCH:
            body = self._fragments.add(m, self.max_frame_bytes)
            if body is not None:
                self._rdispatch(m.tag, body)
        elif t == w.RERR:
            self._settle(m.tag, MuxCallError(f"the server answered Rerr: {m.body.decode('utf-8', 'replace')}"))
        elif t == w.RDISCARDED:
            self._discarded.discard(m.tag)
        elif t == w.TDRAIN:
            first = not self.draining
            self.draining = True
            self._send(w.encode(w.RDRAIN, m.tag))
            log.info("%s:%d is draining: new calls go elsewhere", self.host, self.port)
            if first and self.on_drain is not None:
                self.on_drain(self)
        elif t == w.TPING:
            self._send(w.encode(w.RPING, m.tag))
        elif t == w.RPING:
            self.pongs += 1
            if self._ping is not None and not self._ping.done():
                self._ping.set_result(None)
        elif t == w.TLEASE:
            pass  # leases are advisory; Aviary balances on load and drain instead
        else:
            raise MuxError(f"unexpected Mux message type {m.raw_type} from the server")

    def _settle(self, tag: int, error: BaseException | None, value: Any = None) -> None:
        self._discarded.discard(tag)
        entry = self._pending.pop(tag, None)
        if entry is None or entry[0].done():
            return
        if error is not None:
            entry[0].set_exception(error)
        else:
            entry[0].set_result(value)

    def _rdispatch(self, tag: int, body: bytes) -> None:
        status, _contexts, payload = w.parse_rdispatch(body)
        if status == w.NACK:
            self._settle(tag, MuxNack(f"{self.host}:{self.port} refused the call (NACK): retry it on another member"))
            return
        if status != w.OK:
            self._settle(tag, MuxCallError(f"{self.host}:{self.port}: {payload.decode('utf-8', 'replace')}"))
            return
        entry = self._pending.get(tag)
        if entry is None:
            self._discarded.discard(tag)
            return
        method = entry[1]
        if method.oneway or not payload:
            self._settle(tag, None, None)
            return
        try:
            _name, mtype, _seqid, p = self.codec.read_message_begin(payload, 0)
            if mtype == EXCEPTION:
                message, type_, _ = self.codec.read_app_exception(payload, p)
                self._settle(tag, RemoteApplicationError(type_, message))
                return
            rid, value, _ = self.codec.read_result(method, payload, p)
        except AviaryError as e:
            self._settle(tag, MuxCallError(f"unreadable reply to {method.name}: {e}"))
            return
        if rid == 0 or (rid == -1 and method.result is None):
            self._settle(tag, None, value)
        elif rid > 0:
            self._settle(tag, value)  # a declared exception: raised to the caller as itself
        else:
            self._settle(tag, RemoteApplicationError(5, f"{method.name}: the reply carries no result"))

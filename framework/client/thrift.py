"""`ThriftClient`: framed TBinaryProtocol (strict), what Finagle's Thrift servers and Aviary's
accept, encoded by THE compiled codec (`framework.thrift.codec`); unframed ("buffered", for
servers that speak only that: ``framed=False``, Finagle's ``withBufferedTransport``); or
ThriftMux (``protocol="thriftmux"``, see `framework.client.mux`).

Plain Thrift: one call at a time per connection (Thrift has no multiplexing); idle connections
are pooled per member and reused. A pooled connection the member has closed is noticed before
the write and replaced; a connection whose call timed out or broke is closed, never reused.

Each new framed connection first tries Finagle's TTwitter upgrade, as a Finagle client does: it
sends the ``__can__finagle__trace__v3__`` probe once. A member that accepts gets every request
on that connection behind a RequestHeader (trace ids, sampling, client id, Deadline and Retries
contexts; see `framework.client.base.request_header`) and answers behind a ResponseHeader,
which is skipped. A plain server answers UNKNOWN_METHOD and the connection stays plain Thrift.
``ttwitter=False`` never probes (Finagle's ``withNoAttemptTTwitterUpgrade``); nor does an
unframed connection (the probe is a frame).

For Apache and fbthrift servers, on request: ``protocol="header"`` (THeader frames with
binary, or compact with ``header_protocol="compact"``; ``header_transforms=["zlib"]``
compresses; ``header_info`` info headers go with every request), ``protocol="json"`` (framed
TJSONProtocol), and ``multiplexed="Service"`` (TMultiplexedProtocol: each method is sent as
``Service:method``, for a server serving several services on one port). None of these probe
for TTwitter.
"""

from __future__ import annotations

import asyncio
import ssl
import struct
from typing import Any

from ..discovery.resolver import Address
from ..errors import ConfigError, InvalidArgument, WireError
from ..call import Call
from ..thrift import header as theader
from ..thrift.codec import CALL, EXCEPTION, ONEWAY, BinaryCodec, CompactCodec, NeedMore, binary_message_end
from ..thrift.json_protocol import JSON_CODEC
from ..thrift.ttwitter import UPGRADE_PROBE, decode_response_header, upgrade_accepted
from .balancer import Node
from .base import TLS_CLOSED, BaseClient, NotSent, RemoteError, application_error, request_header, tls_refused
from .mux import MuxPool

__all__ = ["ThriftClient"]

_I = struct.Struct(">I")
_MAX_IDLE = 64
PROTOCOLS = ("thrift", "thriftmux", "header", "json")
HEADER_PROTOCOLS = ("binary", "compact")
HEADER_TRANSFORMS = {"zlib": theader.ZLIB}


class _Connection:
    __slots__ = ("reader", "writer", "ttwitter")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.ttwitter = False  # the member accepted the TTwitter upgrade on this connection

    @property
    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof() and self.reader.exception() is None

    def close(self) -> None:
        self.writer.close()

    async def read_frame(self) -> bytes:
        (n,) = _I.unpack(await self.reader.readexactly(4))
        return await self.reader.readexactly(n)

    async def read_unframed(self, limit: int = 16 << 20) -> bytes:
        """One unframed binary message: read until it parses whole (only parsing finds the
        end). One call at a time per connection, so nothing follows it."""
        buf = bytearray()
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise asyncio.IncompleteReadError(bytes(buf), None)
            buf += chunk
            try:
                return bytes(buf[: binary_message_end(bytes(buf))])
            except NeedMore:
                if len(buf) > limit:
                    raise WireError(f"unframed reply over {limit} bytes") from None


class ThriftClient(BaseClient):
    """``ThriftClient("echo.thrift", "zk2!zk:2181!/aviary/prod/echo")``, then
    ``await client.call("echo", "hi")``. See `BaseClient` for the common options; here:

    * ``protocol``: ``"thrift"`` (framed binary, with the TTwitter upgrade) or ``"thriftmux"``
      (one multiplexed connection per member; Finatra's and Aviary's Thrift ports speak it).
    * ``framed``: plain Thrift in frames (default) or unframed, "buffered" (``False``).
    * ``ttwitter``: try the TTwitter upgrade on each new framed connection (default True).
    * ``ping_interval_s``: ThriftMux only: how often each member's connection is pinged; a
      missed answer closes it and the next call opens a new one (0: no pings).
    * ``multiplexed``: the service name to send with each method (TMultiplexedProtocol).
    * ``header_protocol``, ``header_transforms``, ``header_info``: ``protocol="header"`` only.
    """

    transport = "thrift"

    def __init__(
        self,
        *args: Any,
        protocol: str = "thrift",
        framed: bool = True,
        ttwitter: bool = True,
        ping_interval_s: float = 5.0,
        multiplexed: str | None = None,
        header_protocol: str = "binary",
        header_transforms: list[str] | tuple[str, ...] = (),
        header_info: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ConfigError("protocol", f"expected one of {', '.join(PROTOCOLS)}, got {protocol!r}")
        if header_protocol not in HEADER_PROTOCOLS:
            raise ConfigError("header_protocol", f"expected one of {', '.join(HEADER_PROTOCOLS)}, got {header_protocol!r}")
        unknown = [t for t in header_transforms if t not in HEADER_TRANSFORMS]
        if unknown:
            raise ConfigError("header_transforms", f"{', '.join(unknown)}: not a THeader transform this client has (known: {', '.join(HEADER_TRANSFORMS)})")
        if multiplexed is not None and (not multiplexed or ":" in multiplexed):
            raise ConfigError("multiplexed", f"expected a service name without ':', got {multiplexed!r}")
        if multiplexed is not None and protocol == "thriftmux":
            raise ConfigError("multiplexed", "ThriftMux has no multiplexed names; use protocol 'thrift', 'header' or 'json'")
        if not framed and protocol != "thrift":
            raise ConfigError("framed", f"only plain Thrift may be unframed ({protocol!r} is framed by definition)")
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        self.framed = framed
        self.ttwitter = ttwitter and protocol == "thrift" and framed
        self.multiplexed = multiplexed
        binary = BinaryCodec(list(self.methods.values()))
        self.codec: Any = binary
        if protocol == "json":
            self.codec = JSON_CODEC
        elif protocol == "header" and header_protocol == "compact":
            self.codec = CompactCodec()
        self.header_transforms = [HEADER_TRANSFORMS[t] for t in header_transforms]
        self.header_info = dict(header_info or {})
        self._seqid = 0
        self._plain_only: set[Address] = set()  # members that closed the connection on the TTwitter probe
        self.mux = MuxPool(self, ping_interval_s) if protocol == "thriftmux" else None

    def _encode(self, call: Call, seqid: int) -> bytearray:
        """The message, without the frame length (a TTwitter header may go before it)."""
        m = call.method
        out = bytearray()
        name = m.name if self.multiplexed is None else f"{self.multiplexed}:{m.name}"
        self.codec.write_message_begin(out, name, ONEWAY if m.oneway else CALL, seqid)
        try:
            self.codec.write_args(m, call.args, out)
        except WireError as e:
            raise InvalidArgument(f"{m.name}: {e}") from None
        return out

    async def _connect(self, node: Node) -> _Connection:
        while node.idle:
            conn = node.idle.pop()
            if conn.usable:
                return conn
            conn.close()
        host, port = node.address
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=self.ssl), self.connect_timeout_s)
        except ssl.SSLError as e:
            raise tls_refused(node.address, e) from None
        except (OSError, asyncio.TimeoutError) as e:
            raise NotSent(f"cannot connect to {node.address}: {e or type(e).__name__}") from None
        conn = _Connection(reader, writer)
        if self.ttwitter and node.address not in self._plain_only:
            try:
                conn.ttwitter = await self._upgrade(conn, node)
            except BaseException:
                conn.close()
                raise
        return conn

    async def _upgrade(self, conn: _Connection, node: Node) -> bool:
        """Send Finagle's TTwitter probe; True if the member accepted it. Nothing of the call
        has been sent yet, so every failure here is `NotSent`."""
        conn.writer.write(UPGRADE_PROBE)
        try:
            await conn.writer.drain()
            reply = await conn.read_frame()
        except ssl.SSLError as e:  # a TLS 1.3 server refuses a client certificate only now
            raise tls_refused(node.address, e) from None
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            if self.ssl is not None:
                raise tls_refused(node.address, TLS_CLOSED) from None
            # Some plain servers close the connection on an unknown method (finagle#474):
            # remember it, and talk plain Thrift to this member from now on.
            self._plain_only.add(node.address)
            raise NotSent(f"{node.address} closed the connection on Finagle's TTwitter probe ({type(e).__name__})") from None
        try:
            return upgrade_accepted(reply)
        except WireError as e:
            raise NotSent(f"{node.address} answered the TTwitter probe with something unreadable: {e}") from None

    async def _attempt(self, node: Node, call: Call) -> Any:
        if self.mux is not None:
            return await self.mux.attempt(node, call)
        self._seqid = seqid = (self._seqid + 1) & 0x7FFFFFFF
        message = self._encode(call, seqid)  # before connecting: bad arguments never cost a connection
        conn = await self._connect(node)
        keep = False
        try:
            if not conn.usable:
                raise NotSent(f"connection to {node.address} closed before the request was written")
            if self.protocol == "header":
                protocol = theader.frame_protocol(self.codec)
                conn.writer.write(theader.encode_frame(message, protocol=protocol, seqid=seqid, transforms=self.header_transforms, headers=self.header_info))
            elif not self.framed:
                conn.writer.write(message)
            else:
                header = request_header(call) if conn.ttwitter else b""
                conn.writer.writelines((_I.pack(len(header) + len(message)), header, message))
            if call.method.oneway:
                await conn.writer.drain()
                keep = True
                return None
            try:
                data = await (conn.read_frame() if self.framed else conn.read_unframed())
            except ssl.SSLError as e:
                raise tls_refused(node.address, e) from None
            except (asyncio.IncompleteReadError, ConnectionError) as e:
                raise RemoteError("ConnectionLost", f"{node.address} closed the connection before answering {call.method.name} ({type(e).__name__})") from None
            except WireError as e:
                raise RemoteError("ProtocolError", f"{call.method.name}: unreadable reply: {e}") from None
            result = self._decode(call, data, seqid, conn.ttwitter)
            keep = True
            return result
        except RemoteError as e:
            keep = keep and e.remote_kind not in ("BadSequenceId", "ConnectionLost")
            raise
        finally:
            if keep and not node.removed and len(node.idle) < _MAX_IDLE:
                node.idle.append(conn)
            else:
                conn.close()

    def _decode(self, call: Call, data: bytes, seqid: int, ttwitter: bool) -> Any:
        m = call.method
        try:
            if self.protocol == "header":
                data = theader.decode_frame(data, 1 << 30).payload
            p = decode_response_header(data)[1] if ttwitter else 0
            name, mtype, rseq, p = self.codec.read_message_begin(data, p)
            if rseq != seqid:
                raise RemoteError("BadSequenceId", f"{m.name}: reply seqid {rseq}, expected {seqid}")
            if mtype == EXCEPTION:
                message, type_, _ = self.codec.read_app_exception(data, p)
                raise application_error(type_, message)
            fid, value, _ = self.codec.read_result(m, data, p)
        except WireError as e:
            raise RemoteError("ProtocolError", f"{m.name}: unreadable reply: {e}") from None
        if fid == 0:
            return value
        if fid > 0:
            raise value
        if m.result is None:
            return None
        raise RemoteError("MissingResult", f"{m.name}: the reply carries no result")

    def _close_node(self, node: Node) -> None:
        if self.mux is not None:
            self.mux.forget(node)
        while node.idle:
            node.idle.pop().close()

    async def close(self) -> None:
        if self.mux is not None:
            await self.mux.close()
        await super().close()

"""`ThriftClient`: framed TBinaryProtocol (strict), what Finagle's Thrift servers and Aviary's
accept, encoded by THE compiled codec (`framework.thrift.codec`).

One call at a time per connection (Thrift has no multiplexing); idle connections are pooled per
member and reused. A pooled connection the member has closed is noticed before the write and
replaced; a connection whose call timed out or broke is closed, never reused.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from ..errors import TAPP_PROTOCOL_ERROR, TAPP_UNKNOWN_METHOD, InvalidArgument, UnknownMethod, WireError
from ..service import Call
from ..thrift.codec import CALL, EXCEPTION, ONEWAY, BinaryCodec
from .balancer import Node
from .base import BaseClient, NotSent, RemoteError

__all__ = ["ThriftClient"]

_I = struct.Struct(">I")
_MAX_IDLE = 64
_APP_KINDS = {0: "Unknown", 1: "UnknownMethod", 2: "InvalidMessageType", 3: "WrongMethodName", 4: "BadSequenceId", 5: "MissingResult", 6: "InternalError", 7: "ProtocolError"}


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @property
    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof() and self.reader.exception() is None

    def close(self) -> None:
        self.writer.close()


class ThriftClient(BaseClient):
    """``ThriftClient("echo.thrift", "zk2!zk:2181!/aviary/prod/echo")``, then
    ``await client.call("echo", "hi")``. See `BaseClient` for options."""

    transport = "thrift"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codec = BinaryCodec(list(self.methods.values()))
        self._seqid = 0

    def _encode(self, call: Call, seqid: int) -> bytearray:
        m = call.method
        out = bytearray(4)
        self.codec.write_message_begin(out, m.name, ONEWAY if m.oneway else CALL, seqid)
        try:
            self.codec.write_args(m, call.args, out)
        except WireError as e:
            raise InvalidArgument(f"{m.name}: {e}") from None
        _I.pack_into(out, 0, len(out) - 4)
        return out

    async def _connect(self, node: Node) -> _Connection:
        while node.idle:
            conn = node.idle.pop()
            if conn.usable:
                return conn
            conn.close()
        host, port = node.address
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), self.connect_timeout_s)
        except (OSError, asyncio.TimeoutError) as e:
            raise NotSent(f"cannot connect to {node.address}: {e or type(e).__name__}") from None
        return _Connection(reader, writer)

    async def _attempt(self, node: Node, call: Call) -> Any:
        self._seqid = seqid = (self._seqid + 1) & 0x7FFFFFFF
        frame = self._encode(call, seqid)  # before connecting: bad arguments never cost a connection
        conn = await self._connect(node)
        keep = False
        try:
            if not conn.usable:
                raise NotSent(f"connection to {node.address} closed before the request was written")
            conn.writer.write(frame)
            if call.method.oneway:
                await conn.writer.drain()
                keep = True
                return None
            try:
                (n,) = _I.unpack(await conn.reader.readexactly(4))
                data = await conn.reader.readexactly(n)
            except (asyncio.IncompleteReadError, ConnectionError) as e:
                raise RemoteError("ConnectionLost", f"{node.address} closed the connection before answering {call.method.name} ({type(e).__name__})") from None
            result = self._decode(call, data, seqid)
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

    def _decode(self, call: Call, data: bytes, seqid: int) -> Any:
        m = call.method
        try:
            name, mtype, rseq, p = self.codec.read_message_begin(data, 0)
            if rseq != seqid:
                raise RemoteError("BadSequenceId", f"{m.name}: reply seqid {rseq}, expected {seqid}")
            if mtype == EXCEPTION:
                message, type_, _ = self.codec.read_app_exception(data, p)
                if type_ == TAPP_UNKNOWN_METHOD:
                    raise UnknownMethod(message)
                if type_ == TAPP_PROTOCOL_ERROR:
                    raise InvalidArgument(message)
                raise RemoteError(_APP_KINDS.get(type_, "Unknown"), message)
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
        while node.idle:
            node.idle.pop().close()


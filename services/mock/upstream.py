"""The real service behind the mock: where it is, and one call to it (for recording).

The destination is any name `framework.discovery` resolves: ``host:port``, ``inet!host:port``
or ``zk2!zkhosts!/path`` (Finagle's spellings); a ZooKeeper name follows the serverset as it
changes, and each new connection goes to a live member.

`ThriftUpstream` is deliberately minimal: one framed, strict-binary connection through the
project's Thrift codec, calls in turn under a lock, reconnecting after an error. It keeps the
exact request and reply frames so a recording can store them beside the decoded JSON.
"""

from __future__ import annotations

import asyncio
import random
import struct
from dataclasses import dataclass
from typing import Any

from framework.discovery import names, resolver
from framework.errors import ConfigError
from framework.idl import Method
from framework.thrift.codec import CALL, EXCEPTION, BinaryCodec

__all__ = ["ThriftUpstream", "UpstreamReply"]


@dataclass
class UpstreamReply:
    kind: str  # "result" | "exception" | "applicationException"
    value: Any  # the result, the exception instance, or (message, type)
    field_id: int
    request_frame: bytes
    reply_frame: bytes


class ThriftUpstream:
    def __init__(self, dest: str, methods: list[Method], timeout_s: float = 10.0, setting: str = "proxy") -> None:
        self.dest = dest
        try:
            self.resolution = resolver.resolve(dest)
        except names.BadName as e:
            raise ConfigError(setting, str(e)) from None
        self.codec = BinaryCodec(methods)
        self.timeout_s = timeout_s
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._lock = asyncio.Lock()
        self._seqid = 0

    async def call(self, method: Method, args: list[Any]) -> UpstreamReply:
        async with self._lock:
            try:  # wait_for, not asyncio.timeout: the first step of a call may run outside a task
                return await asyncio.wait_for(self._call(method, args), self.timeout_s)
            except BaseException:
                await self._disconnect()
                raise

    async def _call(self, method: Method, args: list[Any]) -> UpstreamReply:
        if self._conn is None:
            self._conn = await asyncio.open_connection(*await self._pick())
        reader, writer = self._conn
        self._seqid = (self._seqid + 1) & 0x7FFFFFFF
        out = bytearray(b"\0\0\0\0")
        self.codec.write_message_begin(out, method.name, CALL, self._seqid)
        self.codec.write_args(method, args, out)
        struct.pack_into(">i", out, 0, len(out) - 4)
        request = bytes(out)
        writer.write(request)
        await writer.drain()
        if method.oneway:
            return UpstreamReply("result", None, 0, request, b"")
        (size,) = struct.unpack(">i", await reader.readexactly(4))
        body = await reader.readexactly(size)
        reply = struct.pack(">i", size) + body
        name, mtype, seqid, p = self.codec.read_message_begin(body, 0)
        if seqid != self._seqid:
            raise ConnectionError(f"upstream {self.dest} answered seqid {seqid} to call {self._seqid}")
        if mtype == EXCEPTION:
            message, type_, _ = self.codec.read_app_exception(body, p)
            return UpstreamReply("applicationException", (message, type_), -1, request, reply)
        fid, value, _ = self.codec.read_result(method, body, p)
        if fid > 0:
            return UpstreamReply("exception", value, fid, request, reply)
        return UpstreamReply("result", value, fid, request, reply)

    async def _pick(self) -> tuple[str, int]:
        if not self.resolution.addresses and self.resolution.dynamic:  # first call: ZooKeeper may not have answered yet
            await asyncio.to_thread(self.resolution.wait_ready, self.timeout_s)
        if not self.resolution.addresses:
            raise ConnectionError(f"upstream {self.dest} has no live members")
        return random.choice(self.resolution.addresses)

    async def close(self) -> None:
        """Close the connection and stop following the destination."""
        await self._disconnect()
        self.resolution.close()

    async def _disconnect(self) -> None:
        if self._conn is not None:
            _, writer = self._conn
            self._conn = None
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ConnectionError):
                pass

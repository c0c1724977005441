"""The real service behind the mock: where it is, and one call to it (for recording).

`resolve` is the one place a destination is turned into an address. It accepts ``host:port``
and ``inet!host:port`` (Finagle's spelling); ``zk2!…`` names are resolved by
`framework.discovery` once that lands, here and nowhere else.

`ThriftUpstream` is deliberately minimal: one framed, strict-binary connection through the
project's Thrift codec, calls in turn under a lock, reconnecting after an error. It keeps the
exact request and reply frames so a recording can store them beside the decoded JSON.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import Any

from framework.errors import ConfigError
from framework.idl import Method
from framework.thrift.codec import CALL, EXCEPTION, BinaryCodec

__all__ = ["resolve", "ThriftUpstream", "UpstreamReply"]


def resolve(dest: str, setting: str = "proxy") -> tuple[str, int]:
    """``host:port`` or ``inet!host:port`` -> (host, port)."""
    d = dest.strip()
    if d.startswith("zk2!") or d.startswith("zk!"):
        try:
            from framework import discovery  # written beside the mock; may not exist yet

            return discovery.resolve_one(d)  # type: ignore[attr-defined, no-any-return]
        except (ImportError, AttributeError):
            raise ConfigError(setting, f"{dest!r}: ZooKeeper destinations need framework.discovery, which this build lacks; give host:port") from None
    if d.startswith("inet!"):
        d = d[len("inet!") :]
    host, sep, port = d.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(setting, f"expected host:port, inet!host:port or zk2!…, got {dest!r}")
    return host.strip("[]"), int(port)


@dataclass
class UpstreamReply:
    kind: str  # "result" | "exception" | "applicationException"
    value: Any  # the result, the exception instance, or (message, type)
    field_id: int
    request_frame: bytes
    reply_frame: bytes


class ThriftUpstream:
    def __init__(self, dest: str, methods: list[Method], timeout_s: float = 10.0) -> None:
        self.dest = dest
        self.address = resolve(dest)
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
                await self.close()
                raise

    async def _call(self, method: Method, args: list[Any]) -> UpstreamReply:
        if self._conn is None:
            self._conn = await asyncio.open_connection(*self.address)
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

    async def close(self) -> None:
        if self._conn is not None:
            _, writer = self._conn
            self._conn = None
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ConnectionError):
                pass

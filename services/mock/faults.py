"""Faults: what a stub's ``fault`` does to the connection, on Thrift and on HTTP.

Thrift: the handler raises `ThriftFault`, a `framework.thrift.server.WireFault`; the plain
Thrift session hands it the call's reply coordinates and it misbehaves on the wire:

* ``CONNECTION_RESET_BY_PEER``: the connection is reset (RST, SO_LINGER 0);
* ``EMPTY_RESPONSE``: closed without a byte;
* ``RANDOM_DATA_THEN_CLOSE``: random bytes, then closed;
* ``MALFORMED_RESPONSE_CHUNK``: the first half of a real reply, then closed (a truncated frame);
* ``BAD_FRAME_SIZE``: a frame header of 2 GiB - 1 (then closed);
* ``WRONG_SEQID``: a real reply whose seqid is one more than the call's;
* ``NO_REPLY``: nothing at all; the connection stays open (the caller's timeout fires).

HTTP: WireMock's four faults, written to the connection under the ASGI server (see
`http_fault`).
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from typing import Any

from framework.idl import Method
from framework.thrift.codec import REPLY
from framework.thrift.server import PlainSession, WireFault

__all__ = ["ThriftFault", "http_fault"]

_LINGER_RESET = struct.pack("ii", 1, 0)


def _reset(transport: Any) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        except OSError:
            pass
    transport.abort()


class ThriftFault(WireFault):
    def __init__(self, kind: str, result: Any = None) -> None:
        super().__init__(f"stubbed fault {kind}")
        self.fault = kind
        self.result = result  # the answer a WRONG_SEQID or truncated reply carries

    def act(self, session: PlainSession, method: Method, name: str, seqid: int) -> None:
        conn = session.conn
        kind = self.fault
        if kind == "NO_REPLY":
            return
        if kind == "WRONG_SEQID":
            session.reply_result(method, name, seqid + 1, self.result)
            return
        transport = conn.transport
        conn.buf.clear()  # the connection ends here: calls queued behind this one go unanswered
        if transport is None:
            return
        if kind == "CONNECTION_RESET_BY_PEER":
            _reset(transport)
            return
        if kind == "RANDOM_DATA_THEN_CLOSE":
            conn.write(os.urandom(64))
        elif kind == "BAD_FRAME_SIZE":
            conn.write(b"\x7f\xff\xff\xff\x80\x01\x00\x02")
        elif kind == "MALFORMED_RESPONSE_CHUNK":
            out = session._start(name, REPLY, seqid)
            session.codec.write_result(method, self.result, out)
            if session.framed:
                struct.pack_into(">i", out, 0, len(out) - 4)
            conn.write(bytes(out[: max(len(out) // 2, 1)]))
        transport.close()


async def http_fault(kind: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Misbehave on an HTTP connection. The transport is reached through the server's own
    `send` (uvicorn's request cycle), which the REST gateway passes to fallbacks as
    ``scope["extensions"]["aviary.send"]``; without it, the fault degrades to a 500 naming it."""
    raw = (scope.get("extensions") or {}).get("aviary.send")
    transport = getattr(getattr(raw, "__self__", None), "transport", None)
    if transport is None:
        body = f"fault {kind} cannot be produced on this server".encode()
        await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})
        return
    if kind == "CONNECTION_RESET_BY_PEER":
        _reset(transport)
    else:
        if kind == "RANDOM_DATA_THEN_CLOSE":
            transport.write(os.urandom(64))
        elif kind == "MALFORMED_RESPONSE_CHUNK":
            transport.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nlorem ipsum dolor sit amet")
        transport.close()
    # Wait until the server has seen the connection go, so it does not answer on it itself.
    try:
        async with asyncio.timeout(2):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass

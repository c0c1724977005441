"""Thrift over HTTP on a service's HTTP port, as Apache's THttpClient speaks it.

A ``POST`` with ``Content-Type: application/x-thrift`` (or ``application/vnd.apache.thrift.*``; to any path no REST route claims;
Apache's clients default to ``/``) carries one or more Thrift messages in its body: binary,
compact, TJSONProtocol or THeader, detected from the first bytes as on the Thrift port,
multiplexed names included. The reply body holds the replies in the caller's protocol, with
the same content type.

The body is served by the same sessions as a Thrift connection (so through the same `Call`
path and filter chain): `HttpExchange` stands where the connection would, its bytes the body,
what the session writes the response. Bad input answers 400 with the reason in plain text.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..errors import WireError
from .codec import NeedMore
from .server import Session, ThriftServer, detect

__all__ = ["THRIFT_CONTENT_TYPE", "HttpExchange", "ThriftOverHttp", "is_thrift_request", "serve_body"]

THRIFT_CONTENT_TYPE = b"application/x-thrift"


def is_thrift_request(scope: dict[str, Any]) -> bool:
    """A POST of ``application/x-thrift`` (Apache's Python, Java, Go, C++ clients) or of
    ``application/vnd.apache.thrift.*`` (its JavaScript and .NET clients)."""
    if scope.get("method") != "POST":
        return False
    for k, v in scope["headers"]:
        if k == b"content-type":
            kind = v.split(b";", 1)[0].strip().lower()
            return kind == THRIFT_CONTENT_TYPE or kind.startswith(b"application/vnd.apache.thrift.")
    return False


class _BodyTransport:
    """What the session may do to "its connection": end it (the response says so)."""

    def __init__(self, exchange: HttpExchange) -> None:
        self.exchange = exchange

    def write(self, data: bytes) -> None:
        self.exchange.write(data)

    def abort(self) -> None:
        self.exchange.aborted = True

    close = abort


class HttpExchange:
    """One HTTP request body standing in for a Thrift connection (see the module doc)."""

    def __init__(self, server: ThriftServer, body: bytes, peer: tuple[str, int] | None, identity: str | None) -> None:
        self.server = server
        self.buf = bytearray(body)
        self.transport: _BodyTransport | None = _BodyTransport(self)
        self.session: Session | None = None
        self.peer = peer
        self.peer_text = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.identity = identity
        self.closing = False
        self.paused_reading = False
        self.paused_writing = False
        self.out = bytearray()
        self.error: str | None = None
        self.aborted = False
        self._idle = asyncio.Event()

    # -- what sessions use of a Connection ------------------------------------------------------
    def write(self, data: bytes | bytearray) -> None:
        self.out += data

    def fail(self, why: str, detail: str) -> None:
        self.server.bad_input(why, self, detail)  # type: ignore[arg-type]
        self.error = detail
        self.buf.clear()
        self.abort()

    def abort(self) -> None:
        self.aborted = True
        self.transport = None
        self._idle.set()

    def _clear_stall(self) -> None:
        pass

    def maybe_resume(self) -> None:
        if self.transport is None or self.session is None:
            return
        if self.buf:
            try:
                self.session.feed()
            except WireError as e:
                self.fail("malformed", f"cannot read the body: {e}")
                return
        if self.session.idle:
            self._idle.set()

    # -- serving ---------------------------------------------------------------------------------
    async def serve(self) -> tuple[int, bytes]:
        """(status, body) of the response."""
        try:
            factory = detect(bytes(self.buf[:16]), self.server.options)
        except NeedMore:
            return 400, f"a {len(self.buf)}-byte body is too short to hold a Thrift message".encode()
        except WireError as e:
            self.server.bad_input("malformed", self, str(e))  # type: ignore[arg-type]
            return 400, f"the body is not a Thrift message: {e}".encode()
        self.session = session = factory(self)  # type: ignore[arg-type]
        session.protocol = "http/" + session.protocol  # type: ignore[attr-defined]  # plain-session kinds only here (no Mux)
        self.maybe_resume()
        while self.transport is not None and not session.idle:
            self._idle.clear()
            await self._idle.wait()
            self.maybe_resume()
        if self.aborted:
            session.connection_lost()
        for task in getattr(session, "tasks", ()):  # oneway calls outlive their response
            self.server.detached.add(task)
            task.add_done_callback(self.server.detached.discard)
        if self.error is not None:
            return 400, self.error.encode()
        if self.buf:
            detail = f"the body ends inside a Thrift message ({len(self.buf)} bytes left over)"
            self.server.bad_input("truncated", self, detail)  # type: ignore[arg-type]
            return 400, detail.encode()
        return 200, bytes(self.out)


async def serve_body(server: ThriftServer, body: bytes, peer: tuple[str, int] | None, identity: str | None) -> tuple[int, bytes]:
    return await HttpExchange(server, body, peer, identity).serve()


class ThriftOverHttp:
    """What the REST app of a service's HTTP port is given to serve Thrift over HTTP
    (`framework.rest.app.BodyProtocol`): it claims the requests it reads, and answers a body."""

    content_type = THRIFT_CONTENT_TYPE

    def __init__(self, server: ThriftServer) -> None:
        self.server = server  # not listening: its sessions read request bodies

    def claims(self, scope: dict[str, Any]) -> bool:
        return is_thrift_request(scope)

    async def serve(self, body: bytes, peer: tuple[str, int] | None, identity: str | None) -> tuple[int, bytes]:
        return await serve_body(self.server, body, peer, identity)

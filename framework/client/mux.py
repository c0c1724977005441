"""ThriftMux for `ThriftClient(..., protocol="thriftmux")`: one multiplexed connection per member.

Each balancer `Node` gets one `framework.thrift.mux_client.MuxConnection`, opened by the first
call that needs it (calls arriving meanwhile wait for the same connection, never open their
own) and shared by every call to that member at once. It pings the member every
``ping_interval_s``; a missed answer closes it, and the next call opens a new one.

How the member's answers map onto the client's retry rules (`framework.client.base`):

* **Tdrain**: the connection takes no new calls (calls on it finish), the balancer sets the
  member aside (`Balancer.set_aside`) so calls go to the others, and a call that still lands
  there (the only member left) opens a new connection.
* **NACK** and a call that meets a draining connection: `Refused`, retried on another member.
* A connection that cannot be opened: `NotSent` (or `TlsRefused`), retried on another member.
* A connection lost with the call on it: ``ConnectionLost``, not retried (it may have run).

Trace, deadline, retries and client id travel as Mux dispatch contexts
(`framework.thrift.mux_wire.context_to_contexts` of the call's context).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from ..errors import InvalidArgument, WireError
from ..call import Call
from ..thrift.mux_client import MuxCallError, MuxClosed, MuxConnection, MuxDraining, MuxError, MuxNack, RemoteApplicationError
from .balancer import Node
from .base import TLS_CLOSED, BaseClient, NotSent, Refused, RemoteError, application_error, tls_refused


__all__ = ["MuxPool"]


class MuxPool:
    """The ThriftMux connections of one client, one per member."""

    def __init__(self, client: BaseClient, ping_interval_s: float) -> None:
        self.client = client
        self.ping_interval_s = ping_interval_s
        self.conns: dict[Node, MuxConnection] = {}
        self._opening: dict[Node, asyncio.Future[MuxConnection]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self.opened = 0  # connections opened over the client's life

    async def attempt(self, node: Node, call: Call) -> Any:
        conn = await self.connection(node)
        if conn.closed:  # lost while this call waited for it to open: nothing was sent
            raise NotSent(f"the ThriftMux connection to {node.address} closed before {call.method.name} was sent")
        try:
            return await conn.call(call.method.name, call.args, call.context)
        except (MuxNack, MuxDraining) as e:
            raise Refused(str(e)) from None
        except RemoteApplicationError as e:
            raise application_error(e.type, e.message) from None
        except MuxClosed as e:
            raise RemoteError("ConnectionLost", f"{node.address}: the ThriftMux connection was lost with {call.method.name} on it: {e}") from None
        except MuxCallError as e:
            raise RemoteError("MuxError", f"{node.address}: {call.method.name}: {e}") from None
        except MuxError as e:
            raise RemoteError("MuxError", f"{node.address}: {e}") from None
        except WireError as e:  # the arguments do not fit the IDL: nothing was sent
            raise InvalidArgument(f"{call.method.name}: {e}") from None
        finally:
            if self.conns.get(node) is not conn and conn.inflight == 0:
                self._close_soon(conn)  # replaced or its member left: its last call is done

    async def connection(self, node: Node) -> MuxConnection:
        """The member's connection, opened if it has none that takes calls."""
        conn = self.conns.get(node)
        if conn is not None and conn.available:
            return conn
        opening = self._opening.get(node)
        if opening is None:
            opening = self._opening[node] = asyncio.ensure_future(self._open(node))
            opening.add_done_callback(lambda f: self._opened(node, f))
        # A caller that times out must not cancel the connection others are waiting for.
        return await asyncio.shield(opening)

    async def _open(self, node: Node) -> MuxConnection:
        host, port = node.address
        conn = MuxConnection(
            host,
            port,
            self.client.definition,
            ping_interval_s=self.ping_interval_s,
            connect_timeout_s=self.client.connect_timeout_s,
            ssl=self.client.ssl,
            on_drain=lambda c: self._drained(node, c),
        )
        try:
            await conn.connect()
        except MuxClosed as e:
            cause = e.__cause__
            if isinstance(cause, ssl.SSLError):
                raise tls_refused(node.address, cause) from None
            if self.client.ssl is not None and isinstance(cause, (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError)):
                raise tls_refused(node.address, TLS_CLOSED) from None  # closed on the Mux handshake
            raise NotSent(str(e)) from None
        return conn

    def _opened(self, node: Node, opening: asyncio.Future[MuxConnection]) -> None:
        if self._opening.get(node) is opening:
            del self._opening[node]
        if opening.cancelled() or opening.exception() is not None:
            return  # every waiter got the error; reading it here keeps asyncio from logging it
        conn = opening.result()
        if node.removed:
            self._close_soon(conn)
            return
        old = self.conns.get(node)
        self.conns[node] = conn
        self.opened += 1
        if old is not None and old.inflight == 0:
            self._close_soon(old)  # otherwise its last call closes it (see `attempt`)

    def _drained(self, node: Node, conn: MuxConnection) -> None:
        """The member sent Tdrain: calls on `conn` finish; new ones go to other members."""
        if self.conns.get(node) is conn:
            self.client.balancer.set_aside(node)

    def forget(self, node: Node) -> None:
        """The member left the destination: close its connection once its calls are done."""
        conn = self.conns.pop(node, None)
        if conn is not None and conn.inflight == 0:
            self._close_soon(conn)

    def _close_soon(self, conn: MuxConnection) -> None:
        task = asyncio.get_running_loop().create_task(conn.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for opening in list(self._opening.values()):
            opening.cancel()
        conns, self.conns = list(self.conns.values()), {}
        await asyncio.gather(*(c.close() for c in conns), *self._closing, return_exceptions=True)

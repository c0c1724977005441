"""One HTTP port: an ASGI app served by uvicorn (httptools) on the running loop.

Every HTTP port of the process (each service's REST port, the admin port) is an `HttpPort`,
so they share what uvicorn does not do by itself:

* the connection bounds of `framework.connections`: ``max_connections`` (refused at once),
  ``http_header_timeout_s`` for each request head (408, then close); idle keep-alive
  connections close after uvicorn's ``timeout_keep_alive``;
* the drain: once `drain` is called every response carries ``Connection: close`` and its
  connection closes after it, so keep-alive callers reconnect (elsewhere, once discovery or
  a load balancer has moved them) while the port still serves; `stop` then closes idle
  connections, lets requests already read finish (at most ``shutdown_timeout_s``) and ends;
* TLS (`framework.tls`): the process's one context, and the ASGI TLS extension with the
  peer's identity in every request's scope;
* a `protocol` wrapper given by the host: a service's REST port answers the IDL's generated
  routes on the fast path (`framework.rest.fast`, unless ``rest_fast_path = false``), the same
  protocol class with those routes taken off the ASGI path, so every bound above holds for them
  too (and this module knows nothing of REST).
"""

from __future__ import annotations

import asyncio
import functools
import socket
from typing import Any, Callable

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from . import tls
from .config import Settings
from .connections import Limits, Refusals, Sweeper
from .metrics import registry

__all__ = ["HttpPort"]

_TIMEOUT_408 = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: %d\r\n\r\n%s"
)


class HttpPort:
    """`app` served on a listening socket (see the module's documentation). `scope` names
    its metrics: ``srv/<service>/http/…`` or ``admin/http/…``."""

    def __init__(self, app: Any, settings: Settings, *scope: str, protocol: Callable[[type], Callable[..., Any]] | None = None) -> None:
        self.app = app
        # Given uvicorn's protocol class (plain or TLS), the one to serve with: the host passes
        # the REST fast path's (`framework.rest.fast.fast_protocol`) this way.
        self.wrap_protocol = protocol
        self.settings = settings
        self.limits = Limits.of(settings)
        self.label = "/".join(scope)
        self.draining = False
        self.refusals = Refusals(self.label, *scope)
        self.head_timeouts = registry.counter(*scope, "head_timeouts")
        timeout = self.limits.http_header_timeout_s
        self.sweeper = Sweeper(timeout, self._sweep) if timeout > 0 else None
        self.head_ticks = self.sweeper.ticks(timeout) if self.sweeper is not None else 0
        self.tick = 0  # the sweeper's latest tick: what a connection stamps a request head with
        self.server: uvicorn.Server | None = None
        self._main: asyncio.Task[None] | None = None

    async def start(self, sock: socket.socket) -> None:
        config = uvicorn.Config(
            self.app,
            loop="none",
            http="httptools",
            lifespan="off",
            access_log=False,
            log_config=None,
            server_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=int(self.settings.shutdown_timeout_s) or None,
        )
        config.load()
        ssl_context = tls.server_context(self.settings)
        if ssl_context is not None:  # the process's one TLS context (framework.tls), shared by every port
            config.ssl = ssl_context
        protocol: Any = HttpProtocol if ssl_context is None else TlsHttpProtocol
        if self.wrap_protocol is not None:  # e.g. the generated routes off the ASGI path, under the same bounds and drain
            protocol = self.wrap_protocol(protocol)
        config.http_protocol_class = functools.partial(protocol, port=self)
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)  # "off": a no-op, but startup() reads it
        await server.startup(sockets=[sock])
        self.server = server
        self._main = asyncio.get_running_loop().create_task(server.main_loop())
        if self.sweeper is not None:
            self.sweeper.start()

    @property
    def connections(self) -> set[Any]:
        return self.server.server_state.connections if self.server is not None else set()

    def drain(self) -> None:
        """From now on every response says ``Connection: close`` and ends its connection.

        Through uvicorn's default headers, which every response starts with (uvicorn then
        closes the connection after it): nothing is added to a request's path."""
        if self.draining:
            return
        self.draining = True
        if self.server is not None:
            close = (b"connection", b"close")
            self.server.config.encoded_headers.append(close)  # the lists uvicorn makes from now on
            self.server.server_state.default_headers.append(close)  # the one requests use now

    def close(self) -> None:
        """Stop accepting connections; established ones carry on."""
        if self.server is not None:
            for srv in self.server.servers:
                srv.close()

    async def stop(self) -> None:
        """Close idle connections, finish the requests already read, stop."""
        if self.sweeper is not None:
            self.sweeper.stop()
        server = self.server
        if server is None:
            return
        server.should_exit = True
        await asyncio.gather(server.shutdown(), *([self._main] if self._main else []), return_exceptions=True)
        self.server = None

    def _sweep(self, tick: int) -> None:
        """Close connections whose request head is over ``http_header_timeout_s``. Read from
        uvicorn's state, so a request pays nothing: a head is under way while a connection has
        no request yet, or has begun a request (a new ``scope``) after the last response."""
        self.tick = tick
        late = tick - self.head_ticks
        for conn in list(self.connections):
            cycle = conn.cycle
            if cycle is not None and (not cycle.response_complete or conn.scope is cycle.scope):
                conn.head = _NO_HEAD  # a request being served, or idle between requests (keep-alive)
                continue
            key = conn.scope  # None until a connection's first byte, then the request begun
            if key is not conn.head and conn.head is not None:  # another head than last seen: timed from now
                conn.head, conn.head_tick = key, tick
            elif conn.head_tick <= late:
                conn.head_timed_out()
            else:
                conn.head = key  # a new connection's first request is timed from the connection's opening


_NO_HEAD = object()


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the bounds of its `HttpPort` (only per connection:
    nothing runs per request that uvicorn does not run)."""

    def __init__(self, *args: Any, port: HttpPort, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.port = port
        self.head: object = None  # the head the sweeper last saw under way (see HttpPort._sweep)
        self.head_tick = 0
        self.refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        port = self.port
        if len(self.connections) >= port.limits.max_connections:
            self.refused = True
            port.refusals.refused(len(self.connections), port.limits.max_connections)
            transport.abort()
            return
        super().connection_made(transport)
        self.head_tick = port.tick  # a connection that sends nothing is timed from its opening

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.refused:
            super().connection_lost(exc)

    def head_timed_out(self) -> None:
        """The head did not arrive in time: answer 408 and close."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        port = self.port
        port.head_timeouts.value += 1
        message = f"the request head did not arrive within {port.limits.http_header_timeout_s:g}s (http_header_timeout_s)"
        body = b'{"error":{"type":"RequestTimeout","message":"%s"}}' % message.encode()
        transport.write(_TIMEOUT_408 % (len(body), body))
        transport.close()


class TlsHttpProtocol(HttpProtocol):
    """With TLS: the ASGI TLS extension, with the peer's identity, in every request's scope
    (uvicorn does not fill it; the transport is the only place that knows the certificate)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tls_extension: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if not self.refused:
            self.tls_extension = tls.asgi_tls(transport)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.tls_extension is not None:
            self.scope["extensions"] = {"tls": self.tls_extension}  # type: ignore[typeddict-unknown-key]

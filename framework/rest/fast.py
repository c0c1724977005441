"""The REST fast path: the IDL's generated routes answered straight from the HTTP parser.

A service's HTTP port is served by uvicorn's httptools protocol (`framework.http_port.HttpPort`).
`fast_protocol` makes a subclass of it that looks at each request as its head completes: a
request for one of the `RestApp`'s generated routes is answered here, by the route's decoder,
the one `Call` path (`run_eagerly`, as the Thrift server runs calls, so a call that does not
wait costs no Task) and the JSON codec, with no ASGI scope, Request or Response built;
anything else (``/docs``, ``/openapi.json``, ``/idl``, a service's own routes and fallback, a
405, HEAD, an upgrade) goes to uvicorn's own request cycle and the ASGI app, unchanged:
streaming, disconnects and flow control are uvicorn's.

Both kinds share uvicorn's connection machinery: one ``cycle`` per request, pipelined
requests queued in ``pipeline`` and answered in order, the keep-alive timer, graceful
shutdown, and the default headers (``date``; ``connection: close`` once the port drains).
What is HTTP/1.1 on the fast path beyond that:

* the parser (llhttp) refuses request smuggling: ``Content-Length`` with
  ``Transfer-Encoding``, two lengths, obsolete line folding -> 400 and close (uvicorn's);
* a ``Content-Length`` over ``max_body_bytes`` -> 413 before any of the body is read, a chunked
  body that grows past it -> 413 as it does; both close the connection;
* ``Expect: 100-continue`` is answered when the request's turn comes and its body is wanted;
* a body that stops arriving for ``stall_timeout_s`` -> 408 and close (the ASGI path's rule);
  the timer is armed only when a body did not come whole with its head.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any
from urllib.parse import unquote

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ..service import Call, run_eagerly
from ..tls import peer_identity
from .app import Reply, RestApp, too_large

__all__ = ["fast_protocol", "FastCycle"]

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_JSON_TYPE = b"content-type: application/json\r\n"
_CONNECTION_CLOSE = b"connection: close\r\n"


class _NoEvent:
    """What uvicorn sets on a cycle's ``message_event`` when the connection goes: the fast
    path has no coroutine waiting for body events."""

    __slots__ = ()

    def set(self) -> None:
        pass


_NO_EVENT = _NoEvent()


class FastCycle:
    """One request on the fast path, in the place of uvicorn's RequestResponseCycle: it has
    the attributes uvicorn's connection reads of a cycle (``response_complete``,
    ``keep_alive``, ``disconnected``, ``message_event``)."""

    __slots__ = (
        "route", "params", "query", "headers", "http_version", "keep_alive", "body", "size",
        "complete", "reply", "expect", "started", "response_complete", "disconnected", "scope",
    )
    message_event = _NO_EVENT

    def __init__(self, route: Any, params: dict[str, str] | None, query: bytes, headers: list[tuple[bytes, bytes]], http_version: str, keep_alive: bool) -> None:
        self.route = route
        self.params = params
        self.query = query
        self.headers = headers
        self.http_version = http_version
        self.keep_alive = keep_alive
        self.body: list[bytes] = []
        self.size = 0
        self.complete = False  # the whole body has arrived
        self.reply: Reply | None = None  # decided before the call (413): answered in its turn
        self.expect = False  # Expect: 100-continue, not yet answered
        self.started = False  # its turn has come
        self.response_complete = False
        self.disconnected = False
        self.scope: object = None  # the connection's `scope` marker of this request (no ASGI scope here)


@functools.cache
def fast_protocol(base: type[HttpToolsProtocol]) -> type[HttpToolsProtocol]:
    """`base` (uvicorn's httptools protocol, or a subclass of it) with the fast path; built
    with ``rest=`` the `RestApp` whose routes it answers."""

    class FastHttpProtocol(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, rest: RestApp, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.rest = rest
            self.identity: str | None = None
            self.fast: FastCycle | None = None  # the request being parsed, when it is the fast path's
            self.closing = False  # a reply ends the connection: what follows is not read
            self.stall: asyncio.TimerHandle | None = None
            self.waiting: FastCycle | None = None  # started, its body still arriving
            self.head_cache: tuple[Any, list[bytes], bool] = (None, [], False)  # default headers -> (their lines, says close)
            self.body_seen = 0.0  # loop time the waiting body last grew

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.transport is transport:  # not refused
                self.identity = peer_identity(transport.get_extra_info("ssl_object"))

        def connection_lost(self, exc: Exception | None) -> None:
            self._unstall()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.closing:
                return
            super().data_received(data)
            if self.waiting is not None:  # a body that did not come whole: it is still arriving
                self.body_seen = self.loop.time()

        # -- parser callbacks ----------------------------------------------------------------------
        def on_message_begin(self) -> None:
            # Lighter than uvicorn's: no scope until the request turns out to be the ASGI app's.
            self.url = b""
            self.headers = []
            # A new `scope` per request, as uvicorn's: what watchers of request heads (a header
            # timeout) tell one request from the next by. The headers list is new anyway.
            self.scope = self.headers  # type: ignore[assignment]
            self.expect_100_continue = False
            self.fast = None

        def on_header(self, name: bytes, value: bytes) -> None:
            name = name.lower()
            value = value.rstrip(b" \t")  # llhttp keeps trailing whitespace (RFC 9110 5.5 excludes it)
            if name == b"expect" and value.lower() == b"100-continue":
                self.expect_100_continue = True
            self.headers.append((name, value))

        def on_headers_complete(self) -> None:
            if self.closing:
                return
            parser = self.parser
            url = self.url
            if url[:1] != b"/" or b"#" in url or parser.should_upgrade():
                self._to_asgi()  # absolute-form targets, fragments, upgrades: uvicorn's
                return
            q = url.find(b"?")
            raw, query = (url, b"") if q < 0 else (url[:q], url[q + 1 :])
            try:
                path = raw.decode("ascii")
            except UnicodeDecodeError:
                self._to_asgi()
                return
            if "%" in path:
                path = unquote(path)  # as uvicorn makes scope["path"]
            route, params, _ = self.rest.match(parser.get_method().decode("ascii"), path)
            if route is None:
                self._to_asgi()  # a 405, the docs, a service's own routes and fallback
                return
            version = parser.get_http_version()
            cycle = FastCycle(route, params, query, self.headers, version, version != "1.0" and parser.should_keep_alive())
            cycle.scope = self.scope
            self.fast = cycle
            limit = self.rest.max_body_bytes
            for name, value in self.headers:
                if name == b"content-length":
                    if int(value) > limit:  # llhttp has checked it is a number, and the only one
                        cycle.reply = too_large(f"body of {int(value)} bytes is over the limit of {limit}")
                    elif self.expect_100_continue and int(value) > 0:
                        cycle.expect = True
                    break
                if name == b"transfer-encoding" and self.expect_100_continue:
                    cycle.expect = True
            existing = self.cycle
            self.cycle = cycle
            if cycle.reply is not None:
                self.closing = True  # the body is not read: nothing after it can be parsed
            if existing is None or existing.response_complete:
                self._start(cycle)
            else:  # pipelined behind a request still being answered
                self.flow.pause_reading()
                self.pipeline.appendleft((cycle, None))

        def on_body(self, body: bytes) -> None:
            cycle = self.fast
            if cycle is None:
                if not self.closing:
                    super().on_body(body)
                return
            if cycle.reply is not None:
                return
            cycle.size += len(body)
            if cycle.size > self.rest.max_body_bytes:
                cycle.reply = too_large(f"body is over the limit of {self.rest.max_body_bytes} bytes")
                self.closing = True
                if cycle.started:
                    self._answer(cycle)
                return
            cycle.body.append(body)

        def on_message_complete(self) -> None:
            cycle = self.fast
            if cycle is None:
                if not self.closing:
                    super().on_message_complete()
                return
            self.fast = None
            cycle.complete = True
            if cycle.started and cycle.reply is None and not cycle.response_complete:
                if self.waiting is cycle:
                    self.waiting = None
                    self._unstall()
                self._call(cycle)

        # -- the two paths ---------------------------------------------------------------------------
        def _to_asgi(self) -> None:
            """Hand the request whose head just completed to uvicorn's cycle and the ASGI app."""
            url, headers, expect = self.url, self.headers, self.expect_100_continue
            base.on_message_begin(self)  # uvicorn's scope (and, over TLS, its extension)
            self.url, self.headers, self.expect_100_continue = url, headers, expect
            self.scope["headers"] = headers
            base.on_headers_complete(self)

        def _start_asgi_task(self, cycle: Any, app: Any) -> None:
            if type(cycle) is FastCycle:  # a pipelined fast request's turn
                self._start(cycle)
            else:
                super()._start_asgi_task(cycle, app)

        def _start(self, cycle: FastCycle) -> None:
            cycle.started = True
            if cycle.reply is not None:
                self._answer(cycle)
            elif cycle.complete:
                self._call(cycle)
            else:
                self.waiting = cycle
                self.body_seen = self.loop.time()
                if self.stall is None:
                    self.stall = self.loop.call_later(self.rest.stall_timeout_s, self._stalled)
                if cycle.expect and not self.transport.is_closing():
                    self.transport.write(_CONTINUE)
                self.flow.resume_reading()

        def _call(self, cycle: FastCycle) -> None:
            rest = self.rest
            body = b"".join(cycle.body) if cycle.body else b""
            begun = rest.begin(cycle.route, cycle.params, cycle.query, body, cycle.headers, self.client, cycle.http_version, self.identity)
            if not isinstance(begun, Call):
                cycle.reply = begun
                self._answer(cycle)
                return

            def done(result: Any, error: BaseException | None) -> None:
                cycle.reply = rest.finish(cycle.route, result, error)
                self._answer(cycle)

            task = run_eagerly(rest.chain, begun, done)
            if task is not None:  # the call waits: the shutdown waits for it too
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

        def _answer(self, cycle: FastCycle) -> None:
            """Write the cycle's reply (as uvicorn writes a response: status line, default
            headers, then the reply's), then let the connection go on to the next request."""
            if cycle.response_complete:
                return
            cycle.response_complete = True
            transport = self.transport
            if cycle.disconnected or transport.is_closing():
                return
            status, body, extra = cycle.reply  # type: ignore[misc]
            defaults = self.server_state.default_headers
            cached, head, closes = self.head_cache
            if cached is not defaults or len(head) != len(defaults):  # a new list each second (the date), or one grown (the drain)
                head = [b"%s: %s\r\n" % (k, v) for k, v in defaults]
                closes = any(k == b"connection" and b"close" in v.lower() for k, v in defaults)  # draining
                self.head_cache = (defaults, head, closes)
            keep_alive = cycle.keep_alive and not closes
            parts = [STATUS_LINE[status], *head, b"content-length: %d\r\n" % len(body)]
            if body:
                parts.append(_JSON_TYPE)
            if extra:
                for k, v in extra:
                    parts.append(b"%s: %s\r\n" % (k, v))
                    if k == b"connection" and v == b"close":
                        keep_alive, closes = False, True
            if not keep_alive and not closes:
                parts.append(_CONNECTION_CLOSE)
            parts.append(b"\r\n")
            parts.append(body)
            transport.write(b"".join(parts))
            if not keep_alive:
                self.closing = True
                transport.close()
            self.on_response_complete()

        # -- a body that stops arriving --------------------------------------------------------------
        def _stalled(self) -> None:
            self.stall = None
            cycle = self.waiting
            if cycle is None or cycle.complete or cycle.response_complete:
                return
            quiet = self.loop.time() - self.body_seen
            if quiet < self.rest.stall_timeout_s:  # it grew since the timer was set: wait the rest
                self.stall = self.loop.call_later(self.rest.stall_timeout_s - quiet, self._stalled)
                return
            self.waiting = None
            cycle.reply = self.rest.stalled()
            self.closing = True
            self._answer(cycle)

        def _unstall(self) -> None:
            if self.stall is not None:
                self.stall.cancel()
                self.stall = None

    FastHttpProtocol.__qualname__ = FastHttpProtocol.__name__ = f"Fast{base.__name__}"
    return FastHttpProtocol

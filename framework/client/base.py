"""What Thrift and HTTP clients share: the call path, retries, timeouts and request metadata.

A client call is a `framework.service.Call` (the client stands where a service would), run
through the client's own filter chain (`framework.filters.compose`, as on the server) whose end
is `_dispatch`: pick a member, try the call on it, and retry on another member only when that
is safe — the connection failed before the request was written (`NotSent`), or the member
refused it without acting on it (`Refused`) — and the retry budget allows.

Propagation, as a Finagle client does it (`outgoing_context` decides, the transports encode):

* **Trace**: inside a server call (`framework.context.current()`), the outgoing call carries the
  same trace id, a new span id whose parent is the server call's span, and its sampling
  decision. Outside any server call each call starts a new root trace with sampling left
  undecided (Finagle's ``Trace.nextId``), so the member's ``trace_sample_rate`` decides and its
  log lines still carry an id the caller can look up. A client filter may replace
  ``call.context.trace`` (say, a sampled root) before the call is sent.
* **Deadline**: the earlier of the server call's deadline and ``now + timeout_s``. The client's
  own timer uses it too, and a call whose deadline already passed fails with
  `DeadlineExceeded` without being sent.
* **Encoding**: HTTP gets B3 headers and ``Finagle-Ctx-com.twitter.finagle.Deadline``
  (`request_metadata`); plain Thrift the TTwitter RequestHeader (`request_header`, once the
  member accepted the upgrade); ThriftMux the same values as dispatch contexts.
"""

from __future__ import annotations

import asyncio
import os
import ssl as _ssl
import struct
import threading
from typing import Any, Iterable, Sequence

from ..call import current
from ..context import Context, Deadline, TraceId
from ..discovery.resolver import Resolution, resolve
from ..discovery.names import Name
from ..discovery.namer import BoundResolution, resolve_names
from ..dtab import BadDtab, Dtab, Path, base_dtab, local_dtab, parse_dtab, parse_path
from ..errors import (
    TAPP_LOADSHEDDING,
    TAPP_PROTOCOL_ERROR,
    TAPP_UNKNOWN_METHOD,
    ApplicationError,
    AviaryError,
    ConfigError,
    DeadlineExceeded,
    InvalidArgument,
    Unavailable,
    UnknownMethod,
)
from ..filters import Filter, Handler, compose
from ..idl import Idl, Method, ServiceDef, load, locate
from ..call import Call
from ..thrift.ttwitter import RETRIES_CONTEXT_KEY, encode_request_header
from ..tracing import b3_headers, deadline_header
from .backup import BackupRequests
from .balancer import Balancer, NoMembers, Node, RetryBudget

_MAX_ROUTES = 32  # member sets a client keeps balancers for (the base one always)

__all__ = ["BaseClient", "NotSent", "Refused", "RemoteError", "TlsRefused", "outgoing_context", "request_metadata", "request_header"]


class NotSent(AviaryError):
    """The request never reached the member (connect failed, or the connection was closed
    before it was written): always safe to retry elsewhere."""


class TlsRefused(NotSent):
    """The TLS handshake with the member failed, so nothing was sent (retried elsewhere: another
    member may hold a certificate this client trusts, or trust this client's)."""


CLIENT_CERT_HINT = (
    "the member refused this client's certificate or its absence: pass "
    "ssl=framework.tls.client_context(settings) with tls_cert and tls_key from a CA in the member's tls_ca"
)
# Why a close can mean a refusal: a TLS 1.3 server checks the client's certificate after the
# client's side of the handshake is done, and asyncio servers (Aviary's among them) then close
# without sending TLS's alert, so the client sees the connection closed on its first read.
TLS_CLOSED = "the member closed the new TLS connection before answering anything"


def tls_refused(address: object, e: BaseException | str) -> TlsRefused:
    """A failed TLS handshake (an `ssl.SSLError`, or `TLS_CLOSED`) as an error that says what
    to fix."""
    reason = e if isinstance(e, str) else (getattr(e, "reason", None) or str(e))
    upper = reason.upper()
    if e is TLS_CLOSED or "CERTIFICATE_REQUIRED" in upper or "UNKNOWN_CA" in upper or "BAD_CERTIFICATE" in upper:
        hint = CLIENT_CERT_HINT
    elif "CERTIFICATE_VERIFY_FAILED" in upper:
        hint = "this client does not trust the member's certificate: check the client's tls_ca, the certificate's names (tls_check_hostname) and dates"
    else:
        hint = "check that the member serves TLS on this port and that both sides share a CA"
    return TlsRefused(f"TLS with {address} failed ({reason}): {hint}")


class Refused(AviaryError):
    """The member refused the request without acting on it (overloaded, draining)."""


class RemoteError(ApplicationError):
    """An error the member answered with that is not one of the IDL's declared exceptions."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.remote_kind = kind
        self.status = status

    @property
    def kind(self) -> str:
        return self.remote_kind


_APP_KINDS = {0: "Unknown", 1: "UnknownMethod", 2: "InvalidMessageType", 3: "WrongMethodName", 4: "BadSequenceId", 5: "MissingResult", 6: "InternalError", 7: "ProtocolError", 8: "InvalidTransform", 11: "Loadshedding"}


def application_error(type_: int, message: str) -> ApplicationError | Refused:
    """A Thrift TApplicationException a member answered with (plain Thrift or ThriftMux), as
    the error the caller sees."""
    if type_ == TAPP_UNKNOWN_METHOD:
        return UnknownMethod(message)
    if type_ == TAPP_PROTOCOL_ERROR:
        return InvalidArgument(message)
    if type_ == TAPP_LOADSHEDDING:
        return Refused(message)
    return RemoteError(_APP_KINDS.get(type_, "Unknown"), message)


def outgoing_context(transport: str, client_id: str | None, timeout_s: float) -> Context:
    """The context of a new outgoing call: the one place where the trace and deadline of the
    server call being served (if any) pass to the calls it makes (see the module's doc)."""
    serving = current()
    incoming = serving.context if serving is not None else None
    trace = incoming.trace.child() if incoming is not None and incoming.trace is not None else TraceId.new_root()
    deadline = Deadline.in_seconds(timeout_s).earliest(incoming.deadline if incoming is not None else None)
    dtab = (incoming.dtab if incoming is not None else Dtab()) + local_dtab()
    return Context(transport, trace=trace, deadline=deadline, client_id=client_id, dtab=dtab)


def request_metadata(call: Call) -> dict[str, str]:
    """The HTTP headers that carry `call`'s context: B3 trace ids, Finagle's Deadline and
    Retries contexts, and the client id."""
    ctx = call.context
    out: dict[str, str] = b3_headers(ctx.trace) if ctx.trace is not None else {}
    if ctx.deadline is not None:
        name, value = deadline_header(ctx.deadline)
        out[name] = value
    if ctx.retries:
        out["Finagle-Ctx-com.twitter.finagle.Retries"] = str(ctx.retries)
    if ctx.client_id:
        out["finagle-ctx-com.twitter.finagle.thrift.clientidcontext"] = ctx.client_id
    if ctx.dtab:
        out["Dtab-Local"] = ctx.dtab.show()
    return out


def request_header(call: Call) -> bytes:
    """The TTwitter RequestHeader that carries `call`'s context on an upgraded Thrift connection
    (trace ids and sampling, client id, Deadline and Retries contexts)."""
    ctx = call.context
    trace = ctx.trace if ctx.trace is not None else TraceId.new_root()
    retries = [(RETRIES_CONTEXT_KEY, struct.pack(">i", ctx.retries))] if ctx.retries else []
    return encode_request_header(trace, client_id=ctx.client_id, deadline=ctx.deadline, contexts=retries, dtab=ctx.dtab)


class BaseClient:
    """An IDL service reached through a destination. Subclasses implement `_attempt` (one try
    on one member) and `_close_node` (drop a member's idle connections)."""

    transport = ""

    def __init__(
        self,
        idl: str | os.PathLike[str] | Idl,
        dest: str | Resolution,
        *,
        service: str | None = None,
        timeout_s: float = 5.0,
        connect_timeout_s: float = 1.0,
        filters: Sequence[Filter] = (),
        budget: RetryBudget | None = None,
        max_attempts: int = 5,
        client_id: str | None = None,
        ssl: _ssl.SSLContext | None = None,
        dtab: Dtab | str | None = None,
        backups: float = 0.0,
        idempotent: Iterable[str] = (),
    ) -> None:
        if not isinstance(idl, Idl):
            path = os.fspath(idl)
            idl = load(path if os.path.sep in path or os.path.isfile(path) else locate(path))
        self.idl = idl
        self.definition: ServiceDef = idl.service(service)
        self.name = self.definition.name.lower()
        self.methods: dict[str, Method] = self.definition.methods
        # A logical name (``/s/echo``) is bound through the base dtab (`framework.dtab.base`,
        # or `dtab`) plus the delegations each call carries, so two calls may reach two member
        # sets: one balancer per set of names a binding reached, the base binding's first.
        self.path: Path | None = parse_path(dest) if isinstance(dest, str) and dest.startswith("/") else None
        self._dtab = parse_dtab(dtab) if isinstance(dtab, str) else dtab
        self._routes: dict[Dtab, Balancer] = {}
        self._by_names: dict[frozenset[Name], Balancer] = {}
        self._base_seen = self.base_dtab
        if self.path is not None:
            try:
                self.balancer = self._route(self._base_seen)
            except NoMembers as e:  # the host may set the base dtab later: bound again then
                self.balancer = Balancer(BoundResolution(str(e), frozenset()), on_removed=self._close_node)
            self.resolution = self.balancer.resolution  # type: ignore[assignment]
        else:
            self.resolution = dest if isinstance(dest, Resolution) else resolve(dest)
            self.balancer = Balancer(self.resolution, on_removed=self._close_node)
        self._owns_resolution = not isinstance(dest, Resolution)
        self.budget = budget or RetryBudget()
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_attempts = max_attempts
        self.client_id = client_id
        self.ssl = ssl  # every connection to every member uses it (`framework.tls.client_context`)
        # Backup requests (`framework.client.backup`) for the methods safe to send twice: those
        # named here and those the IDL marks ``(idempotent = "true")``.
        self.idempotent = frozenset(idempotent) | {n for n, m in self.methods.items() if m.annotations.get("idempotent") == "true"}
        unknown = sorted(self.idempotent - set(self.methods))
        if unknown:
            raise ConfigError("idempotent", f"{', '.join(unknown)}: no such method on {self.definition.name} (methods: {', '.join(self.methods)})")
        self.backups = BackupRequests(self.name, backups) if backups else None
        self.filters = list(filters)
        self._chain: Handler = compose(self.filters, self._dispatch)
        self.calls = 0
        self.retries = 0

    @property
    def base_dtab(self) -> Dtab:
        """The table a logical destination is bound through before a call's own delegations."""
        return self._dtab if self._dtab is not None else base_dtab()

    def _route(self, dtab: Dtab) -> Balancer:
        """The balancer for the member set `self.path` reaches through `dtab`."""
        balancer = self._routes.get(dtab)
        if balancer is not None:
            return balancer
        assert self.path is not None
        try:
            found = resolve_names(dtab, self.path)
        except BadDtab as e:
            raise NoMembers(f"no member for {self.path}: {e}") from None
        balancer = self._by_names.get(found)
        if balancer is None:
            if len(self._by_names) >= _MAX_ROUTES:  # overrides come and go: forget the oldest
                oldest = next(iter(k for k, b in self._by_names.items() if b is not self.balancer))
                self._forget(self._by_names.pop(oldest))
            balancer = Balancer(BoundResolution(str(self.path), found), on_removed=self._close_node)
            self._by_names[found] = balancer
        if len(self._routes) >= 4 * _MAX_ROUTES:
            self._routes.clear()
        self._routes[dtab] = balancer
        return balancer

    def _balancer_for(self, call: Call) -> Balancer:
        if self.path is None:
            return self.balancer
        base = self.base_dtab
        if not call.context.dtab and base is self._base_seen:
            return self.balancer
        return self._route(base + call.context.dtab)

    def _forget(self, balancer: Balancer) -> None:
        self._routes = {k: b for k, b in self._routes.items() if b is not balancer}
        for node in list(balancer.nodes.values()):
            self._close_node(node)
        threading.Thread(target=balancer.resolution.close, daemon=True).start()  # kazoo's stop blocks

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until discovery answered once (so the first call does not see an empty set)."""
        if self.resolution.dynamic and not await asyncio.to_thread(self.resolution.wait_ready, timeout):
            raise Unavailable(f"ZooKeeper did not answer for {self.resolution.name} within {timeout:g}s")

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call `method` with arguments by position and/or name; returns its result or raises
        its declared exception (or an `ApplicationError`)."""
        m = self.methods.get(method)
        if m is None:
            raise UnknownMethod(f"{self.definition.name} has no method {method!r} (methods: {', '.join(self.methods)})")
        ctx = outgoing_context(self.transport, self.client_id, self.timeout_s)
        call = Call(self, m, m.bind(args, kwargs), ctx)  # type: ignore[arg-type]
        if asyncio.current_task() is None:
            # A server handler runs eagerly on the transport's callback until it first waits
            # (`framework.service.run_eagerly`), outside any task; the call's timer
            # (`asyncio.timeout_at`) needs one. Awaiting the task moves the handler into its own.
            return await asyncio.get_running_loop().create_task(self._chain(call))
        return await self._chain(call)

    def _time_left(self, call: Call) -> float:
        """Seconds the call may take: up to its context's deadline (a filter may have changed
        it). A deadline already passed fails here, before anything is sent."""
        dl = call.context.deadline
        if dl is None:
            return self.timeout_s
        left = dl.remaining()
        if left <= 0:
            raise DeadlineExceeded(f"{call.method.name} to {self.resolution.name}: the deadline passed {-left * 1000:.0f} ms ago; not sent")
        return left

    def _timed_out(self, call: Call, node: Node) -> DeadlineExceeded:
        dl = call.context.deadline
        # `outgoing_context` made it from timeout_s unless the server call's deadline was earlier.
        own = dl is None or dl.deadline_ns - dl.timestamp_ns == int(self.timeout_s * 1e9)
        why = f"no answer within {self.timeout_s:g}s" if own else "no answer before the caller's deadline"
        return DeadlineExceeded(f"{call.method.name} to {node.address}: {why}")

    async def _dispatch(self, call: Call) -> Any:
        left = self._time_left(call)
        self.calls += 1
        self.budget.deposit()
        deadline = asyncio.get_running_loop().time() + left
        balancer = self._balancer_for(call)
        if self.backups is None or call.method.name not in self.idempotent:
            return await self._send(call, balancer, deadline, [])
        tried: list[Node] = []  # the original's member, for the backup to avoid
        return await self.backups.race(lambda is_backup: self._send(call, balancer, deadline, tried))

    async def _send(self, call: Call, balancer: Balancer, deadline: float, tried: list[Node]) -> Any:
        """The call on one member, retried on another while that is safe (`NotSent`, `Refused`)."""
        last: Node | None = tried[0] if tried else None
        attempt = 0
        while True:
            attempt += 1
            node = balancer.pick(avoid=last)
            tried.append(node)
            answered: bool | None = False
            try:
                async with asyncio.timeout_at(deadline):  # a timer on this task, no extra task per call
                    result = await self._attempt(node, call)
                answered = True
                return result
            except (NotSent, Refused) as e:
                if attempt >= self.max_attempts or not self.budget.try_withdraw():
                    raise Unavailable(f"{call.method.name} to {self.resolution.name}: {e} (no retry left)") from e
                self.retries += 1
                call.context.retries += 1
                last = node
            except TimeoutError:
                raise self._timed_out(call, node) from None
            except asyncio.CancelledError:
                answered = None  # given up by the caller (a backup answered first): no failure
                raise
            except (ApplicationError, InvalidArgument):
                answered = True
                raise
            except Exception as e:
                if call.method.exception_field(e) is not None:  # a declared exception: the member answered
                    answered = True
                raise
            finally:
                balancer.release(node, answered)

    async def _attempt(self, node: Node, call: Call) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _close_node(self, node: Node) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def close(self) -> None:
        """Close pooled connections and stop discovery."""
        for balancer in {id(b): b for b in [self.balancer, *self._by_names.values()]}.values():
            for node in list(balancer.nodes.values()):
                self._close_node(node)
            if self._owns_resolution or balancer is not self.balancer:
                await asyncio.to_thread(balancer.resolution.close)

    async def __aenter__(self) -> BaseClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

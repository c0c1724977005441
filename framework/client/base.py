"""What Thrift and HTTP clients share: the call path, retries, timeouts and request metadata.

A client call is a `framework.service.Call` (the client stands where a service would), run
through the client's own filter chain (`framework.filters.compose`, as on the server) whose end
is `_dispatch`: pick a member, try the call on it, and retry on another member only when that
is safe — the connection failed before the request was written (`NotSent`), or the member
refused it without acting on it (`Refused`) — and the retry budget allows.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Sequence

from ..context import Context
from ..discovery.resolver import Resolution, resolve
from ..errors import ApplicationError, AviaryError, DeadlineExceeded, InvalidArgument, Unavailable, UnknownMethod
from ..filters import Filter, Handler, compose
from ..idl import Idl, Method, ServiceDef, load, locate
from ..service import Call
from .balancer import Balancer, Node, RetryBudget

__all__ = ["BaseClient", "NotSent", "Refused", "RemoteError", "request_metadata"]


class NotSent(AviaryError):
    """The request never reached the member (connect failed, or the connection was closed
    before it was written): always safe to retry elsewhere."""


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


def request_metadata(call: Call) -> dict[str, str]:
    """The metadata every outgoing request carries (HTTP headers; TTwitter/Mux contexts when
    those transports are used). The one place where trace and deadline propagation add theirs."""
    out: dict[str, str] = {}
    ctx = call.context
    if ctx.client_id:
        out["finagle-ctx-com.twitter.finagle.thrift.clientidcontext"] = ctx.client_id
    return out


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
    ) -> None:
        if not isinstance(idl, Idl):
            path = os.fspath(idl)
            idl = load(path if os.path.sep in path or os.path.isfile(path) else locate(path))
        self.idl = idl
        self.definition: ServiceDef = idl.service(service)
        self.name = self.definition.name.lower()
        self.methods: dict[str, Method] = self.definition.methods
        self.resolution = dest if isinstance(dest, Resolution) else resolve(dest)
        self._owns_resolution = not isinstance(dest, Resolution)
        self.balancer = Balancer(self.resolution, on_removed=self._close_node)
        self.budget = budget or RetryBudget()
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_attempts = max_attempts
        self.client_id = client_id
        self.filters = list(filters)
        self._chain: Handler = compose(self.filters, self._dispatch)
        self.calls = 0
        self.retries = 0

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
        call = Call(self, m, _bind(m, args, kwargs), Context(self.transport, client_id=self.client_id))  # type: ignore[arg-type]
        return await self._chain(call)

    async def _dispatch(self, call: Call) -> Any:
        self.calls += 1
        self.budget.deposit()
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        last: Node | None = None
        attempt = 0
        while True:
            attempt += 1
            node = self.balancer.pick(avoid=last)
            answered = False
            try:
                async with asyncio.timeout_at(deadline):  # a timer on this task, no extra task per call
                    result = await self._attempt(node, call)
                answered = True
                return result
            except (NotSent, Refused) as e:
                if attempt >= self.max_attempts or not self.budget.try_withdraw():
                    raise Unavailable(f"{call.method.name} to {self.resolution.name}: {e} (no retry left)") from None
                self.retries += 1
                call.context.retries += 1
                last = node
            except TimeoutError:
                raise DeadlineExceeded(f"{call.method.name} to {node.address}: no answer within {self.timeout_s:g}s") from None
            except (ApplicationError, InvalidArgument):
                answered = True
                raise
            except Exception as e:
                if call.method.exception_field(e) is not None:  # a declared exception: the member answered
                    answered = True
                raise
            finally:
                self.balancer.release(node, answered)

    async def _attempt(self, node: Node, call: Call) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _close_node(self, node: Node) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def close(self) -> None:
        """Close pooled connections and stop discovery."""
        for node in list(self.balancer.nodes.values()):
            self._close_node(node)
        if self._owns_resolution:
            await asyncio.to_thread(self.resolution.close)

    async def __aenter__(self) -> BaseClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


def _bind(m: Method, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    if len(args) > len(m.args):
        raise InvalidArgument(f"{m.name} takes {len(m.args)} arguments, got {len(args)}")
    out = list(args) + [None] * (len(m.args) - len(args))
    names = [f.name for f in m.args]
    for k, v in kwargs.items():
        if k not in names:
            raise InvalidArgument(f"{m.name} takes no argument {k!r} (arguments: {', '.join(names) or 'none'})")
        i = names.index(k)
        if i < len(args):
            raise InvalidArgument(f"{m.name}: argument {k!r} given twice")
        out[i] = v
    for i, f in enumerate(m.args):
        if out[i] is None and f.default is not None:
            from ..idl import copy_default

            out[i] = copy_default(f.default)
    return out

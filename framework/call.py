"""`Call`: one invocation, and the call being served on this task or thread.

The ground floor of the core: filters (`framework.filters`), services (`framework.service`) and
every transport hand `Call`s around, so this module knows none of them. What a call knows of
its service is `Served`, which `framework.Service` is.
"""

from __future__ import annotations

import contextvars
from typing import Any, Protocol

from .context import Context
from .idl import Method, ServiceDef

__all__ = ["Call", "Observer", "Served", "current", "current_context", "enter", "leave"]


class Served(Protocol):
    """What a call knows of the service it is for."""

    name: str
    definition: ServiceDef
    methods: dict[str, Method]


class Call:
    """One invocation: the method, its arguments in IDL order, and the transport's context.

    `observer`, when a filter sets one (`observe`), is told ``observer.ended(call, error)``
    once the call has finished, by whatever drove the chain (`run_eagerly`, `served`): a filter
    that only needs a call's outcome (the telemetry filter) then needs no coroutine frame of
    its own, as a Finagle filter uses ``respond`` on the future. `started` is the telemetry
    filter's clock reading (`time.perf_counter`) when it took the call."""

    __slots__ = ("service", "method", "args", "context", "observer", "started")

    def __init__(self, service: Served, method: Method, args: list[Any], context: Context) -> None:
        self.service = service
        self.method = method
        self.args = args
        self.context = context
        self.observer: Observer | None = None
        self.started = 0.0

    def observe(self, observer: Observer) -> None:
        """Have `observer` told how this call ends, after any observer set before it."""
        first = self.observer
        self.observer = observer if first is None else _Observers(first, observer)

    @property
    def name(self) -> str:
        return self.method.name

    def kwargs(self) -> dict[str, Any]:
        """The arguments by name (built on demand: the hot path uses positions)."""
        return {f.name: v for f, v in zip(self.method.args, self.args)}

    def __repr__(self) -> str:
        return f"Call({self.service.name}.{self.method.name}, {self.context!r})"


class Observer(Protocol):
    """What a call's `observer` is: told once how the call ended (`error` None on success),
    before the transport replies. An observer that raises is logged; the caller still gets its
    reply."""

    def ended(self, call: Call, error: BaseException | None) -> None: ...


class _Observers:
    """Two observers of one call, told in the order they were set."""

    __slots__ = ("first", "second")

    def __init__(self, first: Observer, second: Observer) -> None:
        self.first = first
        self.second = second

    def ended(self, call: Call, error: BaseException | None) -> None:
        try:
            self.first.ended(call, error)
        finally:
            self.second.ended(call, error)


_current: contextvars.ContextVar[Call | None] = contextvars.ContextVar("aviary_call", default=None)


def current() -> Call | None:
    """The call being served on this task or thread, or None outside a call."""
    return _current.get()


def current_context() -> Context | None:
    call = _current.get()
    return call.context if call is not None else None


def enter(call: Call) -> contextvars.Token[Call | None]:
    """Make `call` the current one (a transport, around running its chain)."""
    return _current.set(call)


def leave(token: contextvars.Token[Call | None]) -> None:
    _current.reset(token)

"""The one filter chain every call goes through, whatever transport brought it.

As in Finagle, a call is handled by a *service* (``async (Call) -> result``) and cross-cutting
behaviour is a *filter* (``async (Call, next) -> result``) that may act before and after it,
short-circuit it, or translate its errors. `compose` folds filters around a service once, at
start-up; per call the chain costs one coroutine frame per filter. A filter on the hot path of
every call may also offer ``and_then(next) -> service`` (Finagle's name): `compose` then uses
the service it returns, which can keep `next` and its own state in closure variables instead
of looking them up on every call.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, Protocol

from .call import Call

__all__ = ["Handler", "Filter", "compose"]

Handler = Callable[[Call], Awaitable[Any]]


class Filter(Protocol):
    """Anything callable as ``await filter(call, next)``. A plain ``async def f(call, next)``
    qualifies, and so does an object with such a ``__call__``."""

    def __call__(self, call: Call, next: Handler) -> Awaitable[Any]: ...


class _Link:
    """One filter bound to the rest of the chain. Calling it returns the filter's coroutine
    directly, so a link adds no frame of its own."""

    __slots__ = ("filter", "next")

    def __init__(self, filter: Filter, next: Handler) -> None:
        self.filter = filter
        self.next = next

    def __call__(self, call: Call) -> Awaitable[Any]:
        return self.filter(call, self.next)

    def __repr__(self) -> str:
        return f"{self.filter!r} -> {self.next!r}"


def compose(filters: Iterable[Filter], service: Handler) -> Handler:
    """``compose([a, b], s)`` runs a, then b, then s; replies travel back through b, then a."""
    chain = service
    for f in reversed(list(filters)):
        and_then = getattr(f, "and_then", None)
        chain = and_then(chain) if and_then is not None else _Link(f, chain)
    return chain

"""Admission control: refuse work that cannot be done in time, in a way callers retry elsewhere.

Refusals before the handler runs:

* **Pending calls**: with ``max_pending_calls`` set (for the host, or per service), a call that
  would make more than that many of the service's calls pending is refused at once, instead of
  queueing behind them until every caller times out (Finagle's ``RequestSemaphoreFilter`` with
  no waiters).
* **Deadlines**: a call whose deadline passed before it arrived is refused by the
  `framework.tracing.DeadlineFilter`; a plain ``def`` handler's call that waited on the handler
  threads until its deadline passed is dropped when a thread frees up (`framework.service`), so no
  thread works for a caller who has gone (`DeadlineExceeded`, counted under ``…/refused/late``).

Each transport answers the pending-call refusal, `Overloaded`, in its own retryable form: a Mux NACK, a TApplicationException
of type LOADSHEDDING (11, as fbthrift defines it) on plain Thrift, ``503`` with ``Retry-After`` on
HTTP; Aviary's clients retry all three on another member. Counted under
``srv/<service>/admission/refused/pending`` and ``…/refused/late``; the gauge
``srv/<service>/admission/pending`` shows the calls pending now.
"""

from __future__ import annotations

from typing import Any, Awaitable

from .config import Settings
from .errors import Overloaded
from .filters import Handler
from .metrics import registry
from .service import Call, Service

__all__ = ["AdmissionControl", "admission_control"]


class AdmissionControl:
    """Host filter: a pending-call limit per service (services without one pass straight on)."""

    def __init__(self, limits: dict[str, int]) -> None:
        self.limits = limits
        self.pending = dict.fromkeys(limits, 0)
        self._refused = {name: registry.counter("srv", name, "admission", "refused", "pending") for name in limits}
        for name in limits:
            registry.gauge(lambda name=name: self.pending[name], "srv", name, "admission", "pending")

    def __call__(self, call: Call, next: Handler) -> Awaitable[Any]:
        name = call.service.name
        limit = self.limits.get(name)
        if limit is None:
            return next(call)
        if self.pending[name] >= limit:
            self._refused[name].value += 1
            return _refuse(Overloaded(f"{name} has {limit} calls pending (max_pending_calls = {limit}): retry on another member", retry_after_s=1.0))
        return self._admitted(name, call, next)

    async def _admitted(self, name: str, call: Call, next: Handler) -> Any:
        self.pending[name] += 1
        try:
            return await next(call)
        finally:
            self.pending[name] -= 1

    def __repr__(self) -> str:
        return f"AdmissionControl({self.limits})"


async def _refuse(error: BaseException) -> Any:
    raise error


def admission_control(settings: Settings, services: list[Service]) -> AdmissionControl | None:
    """The filter the settings ask for, or None when no service has a pending-call limit."""
    limits = {}
    for service in services:
        own = settings.service_setting(service.name, "max_pending_calls")
        limit = own if own is not None else settings.max_pending_calls
        if limit:
            limits[service.name] = limit
    return AdmissionControl(limits) if limits else None


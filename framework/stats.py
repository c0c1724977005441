"""Per-method call metrics, as a host filter: the same names whichever transport brought the call.

For every service, transport and method (Finagle's per-endpoint naming)::

    srv/<service>/<transport>/<method>/requests
    srv/<service>/<transport>/<method>/success
    srv/<service>/<transport>/<method>/failures            (all failures)
    srv/<service>/<transport>/<method>/failures/<Error>    (by exception type)
    srv/<service>/<transport>/<method>/request_latency_ms  (histogram)

and the same counters summed per transport (``srv/<service>/<transport>/requests`` …).
A declared IDL exception is a failure under its own name, as is `DeadlineExceeded`.
"""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING, Any

from .filters import Handler
from .metrics import Counter, Histogram, Registry, registry

if TYPE_CHECKING:
    from .service import Call

__all__ = ["StatsFilter", "MethodStats"]


class MethodStats:
    """The metrics of one (service, transport, method)."""

    __slots__ = ("scope", "requests", "success", "failures", "latency", "by_error", "total_requests", "total_success", "total_failures", "_registry")

    def __init__(self, reg: Registry, service: str, transport: str, method: str) -> None:
        self._registry = reg
        self.scope = (service, transport, method)
        base = ("srv", service, transport)
        self.requests: Counter = reg.counter(*base, method, "requests")
        self.success: Counter = reg.counter(*base, method, "success")
        self.failures: Counter = reg.counter(*base, method, "failures")
        self.latency: Histogram = reg.histogram(*base, method, "request_latency_ms")
        self.total_requests = reg.counter(*base, "requests")
        self.total_success = reg.counter(*base, "success")
        self.total_failures = reg.counter(*base, "failures")
        self.by_error: dict[type, Counter] = {}

    def failed(self, error: BaseException) -> None:
        self.failures.value += 1
        self.total_failures.value += 1
        kind = type(error)
        c = self.by_error.get(kind)
        if c is None:
            service, transport, method = self.scope
            c = self.by_error[kind] = self._registry.counter("srv", service, transport, method, "failures", kind.__name__)
        c.value += 1


class StatsFilter:
    """Counts and times every call (outermost host filter, so refused calls count too)."""

    def __init__(self, reg: Registry | None = None) -> None:
        self.registry = reg or registry
        self._stats: dict[tuple[str, str, str], MethodStats] = {}

    def stats_for(self, service: str, transport: str, method: str) -> MethodStats:
        key = (service, transport, method)
        st = self._stats.get(key)
        if st is None:
            st = self._stats[key] = MethodStats(self.registry, service, transport, method)
        return st

    async def __call__(self, call: Call, next: Handler) -> Any:
        # The hot path of every call: one dict lookup, two clock reads, four counter bumps and
        # one histogram add.
        key = (call.service.name, call.context.transport, call.method.name)
        st = self._stats.get(key)
        if st is None:
            st = self.stats_for(*key)
        st.requests.value += 1
        st.total_requests.value += 1
        start = perf_counter()
        try:
            result = await next(call)
        except BaseException as e:
            st.latency.add((perf_counter() - start) * 1000.0)
            st.failed(e)
            raise
        st.latency.add((perf_counter() - start) * 1000.0)
        st.success.value += 1
        st.total_success.value += 1
        return result

    def __repr__(self) -> str:
        return "StatsFilter"

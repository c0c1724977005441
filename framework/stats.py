"""Per-method call metrics: the same names whichever transport brought the call.

For every service, transport and method (Finagle's per-endpoint naming)::

    srv/<service>/<transport>/<method>/requests
    srv/<service>/<transport>/<method>/success
    srv/<service>/<transport>/<method>/failures            (all failures)
    srv/<service>/<transport>/<method>/failures/<Error>    (by exception type)
    srv/<service>/<transport>/<method>/request_latency_ms  (histogram)

and the same counters summed per transport (``srv/<service>/<transport>/requests`` …).
A declared IDL exception is a failure under its own name, as is `DeadlineExceeded`.

`framework.telemetry.TelemetryFilter` makes a call's `MethodStats` its observer, told when the
call ends (`ended`), so every call is recorded. As in Finagle's
StatsFilter, a request is counted when it completes. That makes the latency
histogram's count the request count, so a call that succeeds costs one histogram `add` and
nothing else: ``requests``, ``success`` and the per-transport totals are `Derived` counters,
worked out from the histogram and the failure counters when someone reads them.
"""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING

from .metrics import FOLD_AT, Counter, Histogram, Registry

if TYPE_CHECKING:
    from .call import Call

__all__ = ["MethodStats"]


class MethodStats:
    """The metrics of one (service, transport, method)."""

    __slots__ = ("scope", "failures", "latency", "pending", "by_error", "_registry")

    def __init__(self, reg: Registry, service: str, transport: str, method: str) -> None:
        self._registry = reg
        self.scope = (service, transport, method)
        base = ("srv", service, transport)
        latency: Histogram = reg.histogram(*base, method, "request_latency_ms")
        failures: Counter = reg.counter(*base, method, "failures")
        self.latency = latency
        self.pending = latency.pending  # for `Histogram.add` without its frame, on the hot path
        self.failures = failures
        self.by_error: dict[type, Counter] = {}
        reg.derived(lambda: latency.count, *base, method, "requests")
        reg.derived(lambda: latency.count - failures.value, *base, method, "success")
        prefix = "/".join(base) + "/"
        for what in ("requests", "success", "failures"):
            reg.derived(lambda suffix="/" + what: reg.sum_of(prefix, suffix), *base, what)

    def ended(self, call: Call, error: BaseException | None) -> None:
        """Record a call that has ended (as its `observer`): its latency since `call.started`,
        and its failure if it failed."""
        pending = self.pending  # `Histogram.add`, without its frame
        pending.append((perf_counter() - call.started) * 1000.0)
        if len(pending) >= FOLD_AT:
            self.latency.fold()
        if error is not None:
            self.failed(error)

    def failed(self, error: BaseException) -> None:
        self.failures.value += 1
        kind = type(error)
        c = self.by_error.get(kind)
        if c is None:
            service, transport, method = self.scope
            c = self.by_error[kind] = self._registry.counter("srv", service, transport, method, "failures", kind.__name__)
        c.value += 1

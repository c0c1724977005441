"""The host filter that watches every call: per-method metrics and the call's trace.

Metrics (`framework.stats`) and tracing (`framework.tracing`) look at the same two moments of
a call, its start and its end, so one filter does both: per call, one coroutine frame and one
pair of clock reads instead of two of each. It is the outermost host filter, so calls refused
further in (an expired deadline, an allow-list) are counted and traced too.

Every call gets a trace: the caller's, or a new root. Sampling the caller left undecided is
decided here, Finagle's way, from the trace id (`tracing.sampled_by_rate`), so every service
on the trace decides alike. A new root is sampled with the same probability, by counting down
a geometric draw (`tracing.roots_to_skip`) instead of drawing per call; its decision travels
with it. A sampled call's span goes to the span exporter. An unsampled root (nearly every call
that arrives without a trace) gets its id only if something reads ``context.trace``.
"""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING, Any, Awaitable

from .context import TraceId
from .filters import Handler
from .metrics import FOLD_AT, Registry, registry
from .stats import MethodStats
from .tracing import SpanExporter, roots_to_skip, sample_threshold, sampled_by_rate, server_span

if TYPE_CHECKING:
    from .idl import Method
    from .service import Call

__all__ = ["TelemetryFilter"]


class TelemetryFilter:
    """Metrics and tracing for every call (`telemetry = true`, the default)."""

    def __init__(self, sample_rate: float = 0.001, sink: SpanExporter | None = None, reg: Registry | None = None) -> None:
        self.sample_rate = sample_rate
        self.sink = sink
        self.registry = reg or registry
        self._stats: dict[tuple[Method, str], MethodStats] = {}
        self._threshold = sample_threshold(sample_rate)  # for traces that came undecided

    def stats_for(self, call: Call) -> MethodStats:
        key = (call.method, call.context.transport)
        st = self._stats.get(key)
        if st is None:
            st = self._stats[key] = MethodStats(self.registry, call.service.name, call.context.transport, call.method.name)
        return st

    def __call__(self, call: Call, next: Handler) -> Awaitable[Any]:
        return self.and_then(next)(call)

    def and_then(self, next: Handler) -> Handler:
        """The filter bound to the rest of the chain (what `compose` uses). Its state lives in
        closure variables: on the hot path of every call they are the cheapest to read."""
        stats, stats_for, threshold, sink, rate = self._stats, self.stats_for, self._threshold, self.sink, self.sample_rate
        skip = roots_to_skip(rate)

        async def observed(call: Call) -> Any:
            # Per call: a dict lookup, a countdown, two clock reads, one histogram append.
            nonlocal skip
            ctx = call.context
            st = stats.get((call.method, ctx.transport)) or stats_for(call)
            trace = ctx._trace  # the slot behind `ctx.trace`, read without making a lazy root
            if trace is None:  # a new root: sampled once `skip` others have gone unsampled
                sampled = not skip
                if sampled:
                    skip = roots_to_skip(rate)
                    trace = ctx.trace = TraceId.new_root()
                    trace.sampled = True
                else:
                    skip -= 1
                    ctx.unsampled_root = True
            elif trace.sampled is None:
                sampled = trace.sampled = sampled_by_rate(trace.trace_id, threshold)
            else:
                sampled = trace.sampled
            start = perf_counter()
            try:
                result = await next(call)
            except BaseException as e:
                elapsed = perf_counter() - start
                st.latency.add(elapsed * 1000.0)
                st.failed(e)
                if sampled and sink is not None:
                    sink.record(server_span(call, trace, elapsed, e))
                raise
            elapsed = perf_counter() - start
            latencies = st.pending  # `Histogram.add`, without its frame
            latencies.append(elapsed * 1000.0)
            if len(latencies) >= FOLD_AT:
                st.latency.fold()
            if sampled and sink is not None:
                sink.record(server_span(call, trace, elapsed, None))
            return result

        return observed

    def __repr__(self) -> str:
        return f"TelemetryFilter(sample_rate={self.sample_rate})"

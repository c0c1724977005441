"""The telemetry filter on a real service's chain, without sockets: what it counts, how the
per-transport totals add up, the trace every call gets, that the filter works alike composed
(`and_then`) and called directly, and that both drivers (`served`, `run_eagerly`) report the end
of every call to it, including calls that wait and calls refused before the handler."""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from framework.context import Context, TraceId
from framework.filters import compose
from framework.metrics import Registry
from framework.errors import PermissionDenied
from framework.service import Call, run_eagerly, served
from framework.telemetry import TelemetryFilter
from framework.tracing import Span

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from probe import create  # noqa: E402

PROBE = create()


class Spans:
    def __init__(self) -> None:
        self.spans: list[Span] = []

    def record(self, span: Span) -> None:
        self.spans.append(span)


def call(method: str, args: list[Any], transport: str = "thrift", trace: TraceId | None = None) -> Call:
    return Call(PROBE, PROBE.methods[method], args, Context(transport, "test", trace=trace))


def run(chain: Any, *calls: Call) -> list[Any]:
    """Serve `calls` on `chain` at once, as the REST transport does (`served`)."""

    async def go() -> list[Any]:
        return await asyncio.gather(*(served(chain, c) for c in calls), return_exceptions=True)

    return asyncio.run(go())


def run_eager(chain: Any, *calls: Call) -> list[Any]:
    """Serve `calls` as the Thrift transports do (`run_eagerly`), waiting for those that wait."""
    outcomes: list[Any] = [None] * len(calls)

    async def go() -> None:
        tasks = []
        for i, c in enumerate(calls):
            def done(result: Any, error: BaseException | None, i: int = i) -> None:
                outcomes[i] = error if error is not None else result

            task = run_eagerly(chain, c, done)
            if task is not None:
                tasks.append(task)
        await asyncio.gather(*tasks)

    asyncio.run(go())
    return outcomes


def test_counts_per_method_and_totals_per_transport() -> None:
    reg = Registry()
    chain = PROBE.chain([TelemetryFilter(0, reg=reg)])
    run(chain, *(call("slow", [0]) for _ in range(3)), call("fail", ["declared"]), call("fail", ["value"]), call("slow", [1], "http"))
    v = reg.value
    assert (v("srv/probe/thrift/slow/requests"), v("srv/probe/thrift/slow/success"), v("srv/probe/thrift/slow/failures")) == (3, 3, 0)
    assert (v("srv/probe/thrift/fail/requests"), v("srv/probe/thrift/fail/success"), v("srv/probe/thrift/fail/failures")) == (2, 0, 2)
    assert v("srv/probe/thrift/fail/failures/Oops") == 1 and v("srv/probe/thrift/fail/failures/InternalError") == 1
    assert (v("srv/probe/thrift/requests"), v("srv/probe/thrift/success"), v("srv/probe/thrift/failures")) == (5, 3, 2)
    assert (v("srv/probe/http/requests"), v("srv/probe/http/success")) == (1, 1)
    flat = reg.flat()
    assert flat["srv/probe/thrift/slow/request_latency_ms.count"] == 3 and flat["srv/probe/http/requests"] == 1


def test_composed_and_called_directly_record_the_same() -> None:
    composed, direct = Registry(), Registry()
    handler = PROBE.chain([])
    direct_filter = TelemetryFilter(0, reg=direct)
    run(compose([TelemetryFilter(0, reg=composed)], handler), call("slow", [0]), call("fail", ["plain"]))
    run(lambda c: direct_filter(c, handler), call("slow", [0]), call("fail", ["plain"]))
    assert composed.flat().keys() == direct.flat().keys()
    assert {k: v for k, v in composed.flat().items() if "latency" not in k} == {k: v for k, v in direct.flat().items() if "latency" not in k}


def refuse_fail_calls(call: Call, next: Any) -> Any:
    """A plain-function filter (no frame) that refuses ``fail`` calls before the handler."""
    if call.method.name == "fail":
        raise PermissionDenied("not you")
    return next(call)


@pytest.mark.parametrize("drive", [run, run_eager], ids=["served", "run_eagerly"])
def test_both_drivers_report_every_end(drive: Any) -> None:
    reg = Registry()
    chain = PROBE.chain([TelemetryFilter(0, reg=reg), refuse_fail_calls])
    waits, quick, refused = call("slow", [5]), call("slow", [0]), call("fail", ["plain"])
    out = drive(chain, waits, quick, refused)
    assert out[0] == 5 and out[1] == 0 and isinstance(out[2], PermissionDenied)
    v = reg.value
    assert (v("srv/probe/thrift/slow/requests"), v("srv/probe/thrift/slow/success")) == (2, 2)
    assert (v("srv/probe/thrift/fail/requests"), v("srv/probe/thrift/fail/failures/PermissionDenied")) == (1, 1)
    flat = reg.flat()
    assert flat["srv/probe/thrift/slow/request_latency_ms.max"] >= 5.0  # timed to its end, not to its first wait
    assert all(c.observer is not None for c in (waits, quick, refused))


class BrokenObserver:
    def ended(self, call: Call, error: BaseException | None) -> None:
        raise RuntimeError("a bug in the observer")


def observe_brokenly(call: Call, next: Any) -> Any:
    call.observe(BrokenObserver())
    return next(call)


class Outcomes:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def ended(self, call: Call, error: BaseException | None) -> None:
        self.seen.append((call.method.name, type(error).__name__ if error else None))


@pytest.mark.parametrize("drive", [run, run_eager], ids=["served", "run_eagerly"])
def test_a_filter_observing_beside_the_telemetry_filter_takes_nothing_from_it(drive: Any) -> None:
    reg, outcomes = Registry(), Outcomes()

    def observing(call: Call, next: Any) -> Any:
        call.observe(outcomes)
        return next(call)

    drive(PROBE.chain([TelemetryFilter(0, reg=reg), observing]), call("slow", [5]), call("fail", ["declared"]))
    assert sorted(outcomes.seen) == [("fail", "Oops"), ("slow", None)]
    assert (reg.value("srv/probe/thrift/slow/requests"), reg.value("srv/probe/thrift/fail/failures/Oops")) == (1, 1)


@pytest.mark.parametrize("drive", [run, run_eager], ids=["served", "run_eagerly"])
def test_an_observer_that_raises_costs_the_caller_nothing(drive: Any, caplog: pytest.LogCaptureFixture) -> None:
    out = drive(PROBE.chain([observe_brokenly]), call("slow", [5]), call("slow", [0]), call("fail", ["declared"]))
    assert out[0] == 5 and out[1] == 0 and isinstance(out[2], PROBE.idl.module.Oops)
    assert caplog.text.count("failed to record") == 3 and "a bug in the observer" in caplog.text


def test_a_chain_without_the_filter_has_no_observer() -> None:
    quick = call("slow", [0])
    assert run_eager(PROBE.chain([]), quick) == [0]
    assert quick.observer is None


def test_every_call_gets_a_trace_and_only_sampled_ones_a_span() -> None:
    spans = Spans()
    never, always = TelemetryFilter(0, spans, reg=Registry()), TelemetryFilter(1, spans, reg=Registry())  # type: ignore[arg-type]
    root = call("slow", [0])
    run(PROBE.chain([never]), root)
    trace = root.context.trace
    assert trace is not None and trace.trace_id == trace.span_id and trace.parent_id is None and trace.sampled is False
    assert root.context.trace is trace  # made once, then the same
    assert spans.spans == []
    undecided, declined = call("slow", [0], trace=TraceId(5, 6, 7)), call("fail", ["plain"], trace=TraceId(8, 9, sampled=False))
    run(PROBE.chain([always]), call("fail", ["plain"]), undecided, declined)
    assert undecided.context.trace is not None and undecided.context.trace.sampled is True  # decided here
    assert sorted((s.name, s.trace.trace_id == s.trace.span_id, s.tags.get("error")) for s in spans.spans) == [
        ("fail", True, "Plain"),  # a root begun and sampled here, failing
        ("slow", False, None),  # the caller's trace, sampled here
    ]
    assert all(s.duration_us >= 0 and s.timestamp_us > 1_600_000_000_000_000 for s in spans.spans)


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.25, 1.0])
def test_sampling_follows_the_rate(rate: float) -> None:
    rng = random.Random(11)
    roots = [call("slow", [0]) for _ in range(4000)]
    undecided = [call("slow", [0], trace=TraceId(rng.getrandbits(64), 1)) for _ in range(4000)]
    run(PROBE.chain([TelemetryFilter(rate, reg=Registry())]), *roots, *undecided)
    for calls in (roots, undecided):
        share = sum(bool(c.context.trace and c.context.trace.sampled) for c in calls) / len(calls)
        assert abs(share - rate) < 0.03, share
    # An undecided trace is decided from its id: another process with the same rate agrees.
    again = [call("slow", [0], trace=TraceId(c.context.trace.trace_id, 1)) for c in undecided]  # type: ignore[union-attr]
    run(PROBE.chain([TelemetryFilter(rate, reg=Registry())]), *again)
    assert [a.context.trace.sampled for a in again] == [c.context.trace.sampled for c in undecided]  # type: ignore[union-attr]


def test_an_unsampled_root_gets_its_id_when_first_read() -> None:
    roots = [call("slow", [0]) for _ in range(3)]
    run(PROBE.chain([TelemetryFilter(0, reg=Registry())]), *roots)
    assert all(c.context._trace is None and c.context.unsampled_root for c in roots)  # nothing read it yet
    ids = {c.context.trace.trace_id for c in roots}  # type: ignore[union-attr]
    assert len(ids) == 3 and all(0 < i < 1 << 63 for i in ids)
    assert Context("thrift").trace is None  # outside the telemetry filter nothing is made up

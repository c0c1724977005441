"""The dashboard's headline figures: rates, error rate and percentiles summed over the window
from the registry's real counters and histograms (a service name no other test uses)."""

from __future__ import annotations

import uuid

from framework.admin.sampler import CallSampler
from framework.metrics import registry


def test_headline_figures_sum_buckets_over_the_window_per_service_and_overall() -> None:
    svc = "s" + uuid.uuid4().hex[:8]
    sampler = CallSampler()
    sampler.sample(1.0, [svc])  # the first sample: nothing yet
    for method, latencies, failed in (("fast", [1.0] * 98, 0), ("slow", [50.0, 50.0], 2)):
        registry.counter("srv", svc, "thrift", method, "requests").value += len(latencies)
        registry.counter("srv", svc, "thrift", method, "failures").value += failed
        h = registry.histogram("srv", svc, "thrift", method, "request_latency_ms")
        for v in latencies:
            h.add(v)
    sampler.sample(1.0, [svc])
    sampler.sample(1.0, [svc])  # a quiet second: the window is 3 s now
    figures = sampler.summary([svc])
    mine = figures["services"][svc]
    assert (mine["requests"], mine["failures"]) == (100, 2)
    assert (mine["requests_per_s"], mine["errors_per_s"], mine["error_rate_pct"]) == (round(100 / 3, 2), round(2 / 3, 2), 2.0)
    # the slow method's calls are the top 2%; a percentile read from buckets is within a bucket's width (2 %)
    assert 0.98 <= mine["p50_ms"] <= 1.02 and 49 <= mine["p99_ms"] <= 51
    assert figures["window_s"] == 3.0 and figures["overall"]["requests"] >= 100
    assert {f"{svc}/thrift/fast", f"{svc}/thrift/slow"} <= set(sampler.series)  # and a chart per method

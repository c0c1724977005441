"""A supervisor's registry shows its workers' metrics: counters and gauges add, histograms
merge bucket by bucket, and a retired worker's counts stay."""

from __future__ import annotations

import json

from framework.metrics import Registry


def worker(values: list[float], requests: int, open_conns: float) -> Registry:
    r = Registry()
    r.counter("srv", "echo", "http", "requests").incr(requests)
    r.gauge(lambda: open_conns, "srv", "echo", "connections")
    for v in values:
        r.histogram("srv", "echo", "http", "echo", "request_latency_ms").add(v)
    return r


def test_absorbed_snapshots_export_as_one_process_would() -> None:
    a_values = [0.5 + i * 0.01 for i in range(300)]
    b_values = [20.0 + i for i in range(100)]
    a, b = worker(a_values, 300, 3), worker(b_values, 100, 4)
    everything = worker(a_values + b_values, 400, 7)
    supervisor = Registry()
    supervisor.counter("srv", "echo", "http", "requests").incr(0)  # its own (idle) metric of the same name
    for name, w in (("worker 1", a), ("worker 2", b)):
        supervisor.absorb(name, json.loads(json.dumps(w.snapshot())))  # as it travels: JSON
    assert supervisor.flat() == everything.flat()


def test_a_retired_worker_keeps_its_counts_but_not_its_gauges() -> None:
    supervisor = Registry()
    supervisor.absorb("worker 1", worker([1.0, 2.0], 2, 5).snapshot())
    supervisor.retire("worker 1")
    supervisor.absorb("worker 1", worker([3.0], 1, 1).snapshot())  # its replacement
    flat = supervisor.flat()
    assert flat["srv/echo/http/requests"] == 3
    assert flat["srv/echo/http/echo/request_latency_ms.count"] == 3 and flat["srv/echo/http/echo/request_latency_ms.max"] == 3.0
    assert flat["srv/echo/connections"] == 1
    for _ in range(3):  # retiring again and again folds into one record
        supervisor.retire("worker 1")
        supervisor.absorb("worker 1", worker([], 0, 0).snapshot())
    assert supervisor.flat()["srv/echo/http/requests"] == 3 and len(supervisor._retired) == 1

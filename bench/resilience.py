"""Resilience figures: tail latency with and without backup requests, goodput under overload
with and without admission control.

    .venv/bin/python bench/resilience.py [--calls 3000] [--seconds 10]

Both use the Probe test service (``tests/probe.py``) run by ``aviary run`` on 127.0.0.1.

* **backups**: two members, one of which answers every 20th call 200 ms late (an injected slow
  member: GC pauses, a noisy neighbour). 16 concurrent callers through one `ThriftClient`
  (ThriftMux), ``Probe.slow(1)``; p50/p99/p99.9 without backups and with ``backups=0.05``, and the
  extra load the backups cost (backups sent ÷ calls).
* **admission**: one member whose plain handler ``Probe.blocking(20)`` runs on 4 threads, so it
  serves at most ~200 calls/s; offered twice that (400/s, open loop) by calls with a 500 ms
  deadline, through one ThriftMux client. Goodput is calls answered within their deadline per second; without a
  limit the queue grows until most calls outlive their deadlines, with ``max_pending_calls = 8``
  the excess is refused at once (and a caller could have gone to another member).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from framework.client import ThriftClient  # noqa: E402
from framework.metrics import registry  # noqa: E402

AVIARY = str(Path(sys.executable).parent / "aviary")
PROBE_IDL = ROOT / "tests" / "idl" / "probe.thrift"


def start(*settings: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], dict[str, int]]:
    flags = [x for s in settings for x in ("--set", s)]
    proc = subprocess.Popen(
        [AVIARY, "run", "probe:create", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests"), **(env or {})},
    )
    ports: dict[str, int] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ready probe "):
            for part in line.split()[2:]:
                kind, _, addr = part.partition("=")
                ports[kind] = int(addr.rpartition(":")[2])
            return proc, ports
    raise SystemExit("the probe did not start")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


async def backup_round(dest: str, calls: int, backups: float) -> tuple[list[float], float]:
    sent0 = registry.value("clnt/probe/backups/sent")
    async with ThriftClient(PROBE_IDL, dest, protocol="thriftmux", timeout_s=10, backups=backups, idempotent=["slow"]) as c:
        for _ in range(200):  # warm up: connections, and the latency window backups need
            await c.call("slow", 1)
        latencies: list[float] = []

        async def caller(n: int) -> None:
            for _ in range(n):
                t = time.perf_counter()
                await c.call("slow", 1)
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(caller(calls // 16) for _ in range(16)))
    return latencies, (registry.value("clnt/probe/backups/sent") - sent0) / max(1, len(latencies))


async def overload_round(port: int, seconds: float, rate: float) -> tuple[float, float]:
    """Open-loop load at `rate`/s for `seconds` through one ThriftMux client whose calls carry a
    500 ms deadline; returns (goodput/s, refused/s)."""
    from framework.client import Refused
    from framework.errors import Unavailable

    ok = refused = 0
    async with ThriftClient(PROBE_IDL, f"inet!127.0.0.1:{port}", protocol="thriftmux", timeout_s=0.5, max_attempts=1) as c:
        await c.call("blocking", 0)

        async def one() -> None:
            nonlocal ok, refused
            try:
                await c.call("blocking", 20)
                ok += 1  # answered within the deadline (the client's timer is the deadline)
            except (Refused, Unavailable):
                refused += 1
            except Exception:  # noqa: BLE001 - timed out: not goodput
                pass

        tasks = []
        start_t = time.perf_counter()
        for i in range(int(seconds * rate)):
            delay = start_t + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one()))
        await asyncio.gather(*tasks)
    return ok / seconds, refused / seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()

    slow, slow_ports = start(env={"PROBE_SLOW_EVERY": "10", "PROBE_SLOW_MS": "200"})
    steady, steady_ports = start()
    try:
        dest = f"inet!127.0.0.1:{slow_ports['thrift']},127.0.0.1:{steady_ports['thrift']}"
        print(f"backup requests: {a.calls} calls of Probe.slow(1), 16 concurrent, ThriftMux; one of two members answers every 10th call 200 ms late")
        print(f"{'':16} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'extra load':>11}")
        rows: dict[str, list[float]] = {}
        for label, backups in (("no backups", 0.0), ("backups=0.05", 0.05)):
            lat, extra = asyncio.run(backup_round(dest, a.calls, backups))
            rows[label] = lat
            print(f"{label:16} {pct(lat, 0.5):8.1f} {pct(lat, 0.99):8.1f} {pct(lat, 0.999):9.1f} {extra * 100:10.1f}%")
        for p, name in ((0.99, "p99"), (0.999, "p99.9")):
            print(f"{name} with backups ÷ without: {pct(rows['backups=0.05'], p) / pct(rows['no backups'], p):.2f}x")
    finally:
        for p in (slow, steady):
            p.terminate()
            p.wait()

    print()
    print(f"admission control: Probe.blocking(20) on 4 handler threads (~200 calls/s), offered 400 calls/s for {a.seconds:g} s, 500 ms deadlines")
    print(f"{'':24} {'goodput/s':>10} {'refused/s':>10}")
    results: dict[str, float] = {}
    for label, settings in (("no limit", ()), ("max_pending_calls=8", ("max_pending_calls=8",))):
        proc, ports = start("handler_threads=4", *settings)
        try:
            good, refused = asyncio.run(overload_round(ports["thrift"], a.seconds, 400.0))
        finally:
            proc.terminate()
            proc.wait()
        results[label] = good
        print(f"{label:24} {good:10.1f} {refused:10.1f}")
    print(f"goodput with admission control ÷ without: {results['max_pending_calls=8'] / max(results['no limit'], 1e-9):.2f}x")


if __name__ == "__main__":
    main()

"""What metrics and tracing add to one call, measured in-process (no sockets, no load generator).

    .venv/bin/python bench/telemetry_cost.py [--calls 1000] [--windows 300]

Runs the echo's filter chain eagerly, as the Thrift server does, with the host filters of
`telemetry = true` and of `telemetry = false`, and prints the CPU time each adds per call. The
figure is the fastest of many short windows, so that other processes on a shared machine (which
make the end-to-end `telemetry-*` suites of bench/run.py swing by ±50% a round) do not count.
Dividing by the server's CPU per request from those suites gives the best ratio to expect: in
a loaded server the same code costs about 2.5 times as much (clock readings and cold caches;
bench/README.md, "What telemetry costs"), so the end-to-end suites are the figure that counts.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from framework import config
from framework.context import Context
from framework.assembly import assemble
from framework.service import Call, run_eagerly


def per_call_us(chain: Any, service: Any, method: Any, args: list[Any], calls: int, windows: int) -> float:
    done = lambda result, error: None  # noqa: E731
    best = float("inf")
    for _ in range(windows):
        start = time.perf_counter()
        for _ in range(calls):
            run_eagerly(chain, Call(service, method, args, Context("thrift", "framed/binary")), done)
        best = min(best, (time.perf_counter() - start) / calls * 1e6)
    return best


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=1000, help="calls in one window (default: 1000)")
    p.add_argument("--windows", type=int, default=300, help="windows; the fastest counts (default: 300)")
    p.add_argument(
        "--server-us",
        default="25,70",
        help="server CPU µs per request end to end (bench/run.py's CPU µs/req; default 25,70: Thrift and REST echo here), to turn the cost into ratios",
    )
    args = p.parse_args()
    from services.echo import create

    chains = {}
    for telemetry in (False, True):
        settings = config.load(env={}, flags={"zk": "none", "telemetry": telemetry, "workers": 1})
        service = create()
        host = assemble(settings, [service])
        chains[telemetry] = service.chain(host.filters)
    chains[None] = service.chain([])  # the handler alone
    method = service.methods["echo"]
    msg = service.idl.module.Message(text="hello world", tags=["a", "b"], id=42)
    # Windows of the three alternate, so that a slow spell of the machine hits all of them.
    results = {k: float("inf") for k in chains}
    rounds = 10
    for k, chain in chains.items():  # warm-up, unmeasured: a machine's first seconds are slower
        per_call_us(chain, service, method, [msg], args.calls, max(1, args.windows // rounds))
    for _ in range(rounds):
        for k, chain in chains.items():
            results[k] = min(results[k], per_call_us(chain, service, method, [msg], args.calls, max(1, args.windows // rounds)))
    handler_only = results[None]
    added = results[True] - results[False]
    print(f"handler alone                 {handler_only:6.2f} µs/call")
    print(f"chain, telemetry off          {results[False]:6.2f} µs/call  (deadline filter)")
    print(f"chain, telemetry on           {results[True]:6.2f} µs/call  (metrics, tracing, deadline)")
    print(f"added by metrics+tracing      {added:6.2f} µs/call")
    for server_us in (float(v) for v in args.server_us.split(",")):
        ratio = server_us / (server_us + added)
        print(f"best req/s on ÷ off           {ratio:6.3f}×  at {server_us:g} µs server CPU/request (end to end counts: bench/run.py --suite telemetry-*)")


if __name__ == "__main__":
    asyncio.run(main())

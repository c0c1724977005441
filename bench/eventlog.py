"""The event log's acknowledged throughput and acknowledgement latency.

    .venv/bin/python bench/eventlog.py [--seconds 3] [--rounds 3] [--connections 16]

`aviary run eventlog` (fsync policy ``always``: every acknowledgement waits for an fsync) is
loaded by wrk over REST (`POST /events`, a batch of 1, 10 or 100 events, no batch id) with
`--connections` batches in flight; only 200 answers count. Figures: acknowledged events/s and
the p50/p99 acknowledgement latency (wrk's own percentiles), medians over the rounds.

Beside it, in the same run:
* ``fsync floor``: one Python thread writing the same 100-event record and fsyncing it, one
  after the other, on the same disk, with no server at all: the disk's own ceiling for
  "fsync before every ack" without group commit. ``batches/fsync`` shows group commit at work
  (acknowledged batches per fsync, from the service's fb303 counters).
* ``aviary os``: the same load with policy ``os`` (no fsync), the ceiling set by the rest of
  the stack; and ``os, Starlette path``: the same with ``rest_fast_path=false``, so the ratio
  shows what the REST fast path does for the ingest.
Target: at least 20,000 events/s acknowledged with batches of 100 under ``always``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from harness.loadgen import wrk  # noqa: E402
from harness.procs import Server, ServerSpec  # noqa: E402

TARGET_EVENTS_S = 20_000
BATCHES = (1, 10, 100)


def body(n: int) -> bytes:
    events = [{"serviceName": "bench", "level": "info", "category": "load", "message": f"user {i} did something worth recording", "labels": {"shard": str(i % 4)}} for i in range(n)]
    return json.dumps({"batch": {"events": events}}).encode()


def aviary(data: Path, policy: str, out: Path, *extra: str) -> Server:
    exe = shutil.which("aviary", path=str(Path(sys.executable).parent)) or "aviary"
    name = f"eventlog-{policy}" + ("-starlette" if extra else "")
    spec = ServerSpec(
        name,
        f"aviary eventlog ({policy})",
        [exe, "run", "eventlog", "--zk", "none", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", "--log-level", "warning",
         "--set", f"eventlog.data_dir={data}", "--set", f"eventlog.fsync={policy}", *extra],
        "http",
    )
    server = Server(spec, out / f"{name}.log")
    server.start()
    return server


def counter(server: Server, name: str) -> int:
    """One of the event log's counters, through fb303's getCounter over REST."""
    host, port = server.address
    req = urllib.request.Request(f"http://{host}:{port}/EventLog/getCounter", json.dumps({"key": name}).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return int(json.loads(r.read()))


def load(server: Server, n: int, args: argparse.Namespace, work: Path, connections: int | None = None) -> dict[str, float]:
    path = work / f"batch-{n}.json"
    path.write_bytes(body(n))
    host, port = server.address
    connections = connections or args.connections
    wrk(host, port, "/events", path, None, connections, args.threads, 1)  # warm-up
    fsyncs, batches = counter(server, "eventlog/wal/fsyncs"), counter(server, "eventlog/batches_stored")
    runs = [wrk(host, port, "/events", path, None, connections, args.threads, args.seconds) for _ in range(args.rounds)]
    fsyncs, batches = counter(server, "eventlog/wal/fsyncs") - fsyncs, counter(server, "eventlog/batches_stored") - batches
    errors = sum(r.errors for r in runs)
    return {
        "connections": connections,
        "batches_per_fsync": batches / fsyncs if fsyncs else 0.0,
        "batch": n,
        "events_s": statistics.median(r.requests * n / r.seconds for r in runs),
        "p50_ms": statistics.median(r.p50_us for r in runs) / 1000,
        "p99_ms": statistics.median(r.p99_us for r in runs) / 1000,
        "errors": errors,
    }


def fsync_floor(directory: Path, seconds: float) -> float:
    """Events/s when each 100-event batch gets its own write + fsync, one after another."""
    payload = body(100)
    record = len(payload).to_bytes(4, "little") + zlib.crc32(payload).to_bytes(4, "little") + payload
    fd = os.open(directory / "floor.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    n = 0
    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < seconds:
            os.write(fd, record)
            os.fsync(fd)
            n += 1
    finally:
        os.close(fd)
    return n * 100 / (time.perf_counter() - t0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=BENCH / "out")
    p.add_argument("--dir", type=Path, default=None, help="where the WAL goes (default: a temporary directory on the current disk)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if shutil.which("wrk") is None:
        print("wrk is missing (Debian package wrk)", file=sys.stderr)
        return 1
    base = args.dir or BENCH / "out"
    with tempfile.TemporaryDirectory(dir=base, prefix="eventlog-") as tmp:
        work = Path(tmp)
        rows = []
        server = aviary(work / "always", "always", args.out)
        try:
            rows.append({"server": "aviary always", **load(server, 1, args, work, connections=1)})  # unloaded ack latency
            for n in BATCHES:
                rows.append({"server": "aviary always", **load(server, n, args, work)})
        finally:
            server.stop()
        server = aviary(work / "os", "os", args.out)
        try:
            rows.append({"server": "aviary os (no fsync)", **load(server, 100, args, work)})
        finally:
            server.stop()
        # the same ingest through the plain Starlette path: what the REST fast path saves it
        server = aviary(work / "os-starlette", "os", args.out, "--set", "rest_fast_path=false")
        try:
            rows.append({"server": "os, Starlette path", **load(server, 100, args, work)})
        finally:
            server.stop()
        floor = fsync_floor(work, args.seconds)
    print(f"\nevent log, REST POST /events, medians of {args.rounds} x {args.seconds}s (disk: {base})")
    print(f"{'server':<22} {'conns':>5} {'batch':>5} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'batches/fsync':>13}")
    for r in rows:
        print(f"{r['server']:<22} {r['connections']:>5} {r['batch']:>5} {r['events_s']:>10,.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>6} {r['batches_per_fsync']:>13.1f}")
    print(f"{'fsync floor (1 thread)':<22} {1:>5} {100:>5} {floor:>10,.0f}")
    best = next(r for r in rows if r["server"] == "aviary always" and r["batch"] == 100 and r["connections"] == args.connections)
    os_row = next(r for r in rows if r["server"] == "aviary os (no fsync)")
    plain_row = rows[-1]
    print(f"\nbatches of 100 under always: {best['events_s']:,.0f} events/s = {best['events_s'] / TARGET_EVENTS_S:.2f} x the target of {TARGET_EVENTS_S:,}"
          f" ({'met' if best['events_s'] >= TARGET_EVENTS_S else 'MISSED'})")
    print(f"always vs os (no fsync): {best['events_s'] / os_row['events_s']:.2f} x; vs the disk's own write+fsync loop: {best['events_s'] / floor:.2f} x")
    print(f"ingest with no fsync, fast path vs Starlette path: {os_row['events_s'] / plain_row['events_s']:.2f} x")
    (args.out / "results-eventlog.json").write_text(json.dumps({"rows": rows, "fsync_floor_events_s": floor, "target_events_s": TARGET_EVENTS_S}, indent=2))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

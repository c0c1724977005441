"""ThriftMux versus plain framed Thrift on Aviary's Thrift port: the echo with 64 concurrent callers.

    .venv/bin/python bench/mux.py [--callers 64] [--seconds 3] [--rounds 5]

One `aviary run echo` process serves both. The same Python client process (uvloop) runs, in
alternating rounds:

* **mux**: every caller shares ONE `MuxConnection` (tags, out-of-order replies);
* **plain**: a pool of one framed strict-binary connection per caller (64 connections), each
  with one call in flight, as a plain Thrift client pool works.

Both encode every call and decode every reply with the same compiled codec, and every reply
is checked. Printed: calls/s and the server's CPU µs per call (its /proc utime + stime over the
window, the steadier figure on a shared machine), medians over the rounds, and the ratios
mux ÷ plain.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import struct
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness.payload import MESSAGE  # noqa: E402
from harness.procs import Server, ServerSpec  # noqa: E402
from harness.suites import _aviary_flags  # noqa: E402

from framework.idl import load, locate  # noqa: E402
from framework.thrift.codec import CALL, REPLY, BinaryCodec  # noqa: E402
from framework.thrift.mux_client import MuxConnection  # noqa: E402

IDL = load(locate("echo.thrift"))
ECHO = IDL.service("Echo")
METHOD = ECHO.methods["echo"]
CODEC = BinaryCodec(list(ECHO.methods.values()))
_len = struct.Struct(">i")


class _Plain:
    """One framed strict-binary connection, one call at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.seqid = 0

    async def call(self, args: list[Any]) -> Any:
        self.seqid += 1
        out = bytearray(4)
        CODEC.write_message_begin(out, METHOD.name, CALL, self.seqid)
        CODEC.write_args(METHOD, args, out)
        _len.pack_into(out, 0, len(out) - 4)
        self.writer.write(out)
        (size,) = _len.unpack(await self.reader.readexactly(4))
        data = await self.reader.readexactly(size)
        _, mtype, seqid, p = CODEC.read_message_begin(data, 0)
        if mtype != REPLY or seqid != self.seqid:
            raise RuntimeError(f"bad reply: type {mtype}, seqid {seqid}")
        return CODEC.read_result(METHOD, data, p)[1]


async def _load(call: Callable[[], Awaitable[Any]], callers: int, seconds: float, expected: Any) -> int:
    done = 0
    stop = time.monotonic() + seconds

    async def caller() -> None:
        nonlocal done
        while time.monotonic() < stop:
            if await call() != expected:
                raise RuntimeError("a reply differs from the message sent")
            done += 1

    await asyncio.gather(*(caller() for _ in range(callers)))
    return done


async def round_mux(addr: tuple[str, int], callers: int, seconds: float, message: Any) -> int:
    conn = MuxConnection(*addr, ECHO)
    await conn.connect()
    try:
        return await _load(lambda: conn.call("echo", [message]), callers, seconds, message)
    finally:
        await conn.close()


async def round_plain(addr: tuple[str, int], callers: int, seconds: float, message: Any) -> int:
    pool = [_Plain(*await asyncio.open_connection(*addr)) for _ in range(callers)]
    free: asyncio.Queue[_Plain] = asyncio.Queue()
    for c in pool:
        free.put_nowait(c)

    async def call() -> Any:
        c = await free.get()
        try:
            return await c.call([message])
        finally:
            free.put_nowait(c)

    try:
        return await _load(call, callers, seconds, message)
    finally:
        for c in pool:
            c.writer.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--callers", type=int, default=64)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", type=Path, default=BENCH / "out")
    args = p.parse_args()
    bin_dir = Path(sys.executable).parent
    aviary = [str(bin_dir / "aviary"), "run", "echo", *_aviary_flags(bin_dir / "aviary")]
    server = Server(ServerSpec("aviary", "Aviary Thrift", aviary, "thrift"), args.out / "mux" / "aviary.log")
    server.start()
    try:
        import uvloop

        loop = uvloop.new_event_loop()
        message = IDL.module.Message(**MESSAGE)
        runs = {"mux": round_mux, "plain": round_plain}
        rates: dict[str, list[float]] = {k: [] for k in runs}
        cpu: dict[str, list[float]] = {k: [] for k in runs}
        loop.run_until_complete(round_mux(server.address, args.callers, 0.5, message))  # warm up both paths
        loop.run_until_complete(round_plain(server.address, args.callers, 0.5, message))
        for r in range(args.rounds):
            order = ["mux", "plain"] if r % 2 == 0 else ["plain", "mux"]
            for name in order:
                before = sum(server.cpu_seconds())
                t0 = time.monotonic()
                calls = loop.run_until_complete(runs[name](server.address, args.callers, args.seconds, message))
                elapsed = time.monotonic() - t0
                used = sum(server.cpu_seconds()) - before
                rates[name].append(calls / elapsed)
                cpu[name].append(used / calls * 1e6)
                print(f"round {r + 1} {name:5}: {calls / elapsed:8.0f} calls/s, server {used / calls * 1e6:6.1f} µs/call", file=sys.stderr)
        loop.close()
    finally:
        server.stop()

    print(f"\nEcho.echo, {args.callers} concurrent callers, {args.rounds} rounds × {args.seconds:g} s (medians)")
    print(f"{'client':40} {'calls/s':>9} {'server CPU µs/call':>19}")
    labels = {"mux": "ThriftMux, 1 connection", "plain": f"plain framed, {args.callers}-connection pool"}
    for name in runs:
        print(f"{labels[name]:40} {statistics.median(rates[name]):9.0f} {statistics.median(cpu[name]):19.1f}")
    print(f"\nratio mux ÷ plain, calls/s:          {statistics.median(m / p for m, p in zip(rates['mux'], rates['plain'])):.2f}×")
    print(f"ratio mux ÷ plain, server CPU/call:  {statistics.median(m / p for m, p in zip(cpu['mux'], cpu['plain'])):.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())

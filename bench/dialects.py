"""Server CPU per call of each Thrift dialect Aviary serves, beside framed binary, in one run.

    .venv/bin/python bench/dialects.py [--callers 16] [--seconds 3] [--rounds 3]

One `aviary run echo` process serves every dialect on its one Thrift port (and, for Thrift
over HTTP, its HTTP port). The same client process (uvloop) calls ``Echo.echo`` with the
bench's message from `callers` connections, one call in flight on each, in each dialect in
turn (the order rotates every round, so none always runs on a warmer or colder server):

* ``binary``: framed strict TBinaryProtocol, the reference;
* ``compact``: framed TCompactProtocol;
* ``json``: framed TJSONProtocol;
* ``header``: THeader frames, binary inside; ``header+zlib``: the same with the zlib transform;
* ``multiplexed``: framed binary naming the service (``Echo:echo``, TMultiplexedProtocol);
* ``http``: binary in ``POST /`` with ``application/x-thrift``, keep-alive connections.

Every reply is decoded and checked. Printed: calls/s and the server's CPU µs per call (its
/proc utime + stime over the window), medians over the rounds, and each dialect's CPU per call
÷ binary's in the same round (median). The client encodes with Aviary's own codecs.
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
from framework.thrift import header  # noqa: E402
from framework.thrift.codec import CALL, REPLY, BinaryCodec, CompactCodec  # noqa: E402
from framework.thrift.json_protocol import JSON_CODEC  # noqa: E402

IDL = load(locate("echo.thrift"))
ECHO = IDL.service("Echo")
METHOD = ECHO.methods["echo"]
BINARY = BinaryCodec(list(ECHO.methods.values()))
COMPACT = CompactCodec()
_len = struct.Struct(">i")


class Dialect:
    """How one dialect writes a call and reads its reply on a stream."""

    def __init__(self, name: str, codec: Any, *, method: str = "echo", frame: str = "framed", transforms: list[int] = ()) -> None:  # type: ignore[assignment]
        self.name = name
        self.codec = codec
        self.method = method
        self.frame = frame  # "framed" | "header" | "http"
        self.transforms = list(transforms)

    def encode(self, seqid: int, args: list[Any], host: str) -> bytes:
        out = bytearray()
        self.codec.write_message_begin(out, self.method, CALL, seqid)
        self.codec.write_args(METHOD, args, out)
        if self.frame == "header":
            return bytes(header.encode_frame(out, protocol=header.frame_protocol(self.codec), seqid=seqid, transforms=self.transforms))
        if self.frame == "http":
            head = f"POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-thrift\r\ncontent-length: {len(out)}\r\n\r\n"
            return head.encode() + bytes(out)
        return _len.pack(len(out)) + bytes(out)

    async def read(self, reader: asyncio.StreamReader) -> bytes:
        if self.frame == "http":
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"HTTP answer {head[:40]!r}")
            size = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
            return await reader.readexactly(size)
        (size,) = _len.unpack(await reader.readexactly(4))
        data = await reader.readexactly(size)
        if self.frame == "header":
            return header.decode_frame(data, 1 << 24).payload
        return data

    def result(self, data: bytes, seqid: int) -> Any:
        _, mtype, rseq, p = self.codec.read_message_begin(data, 0)
        if mtype != REPLY or rseq != seqid:
            raise RuntimeError(f"{self.name}: bad reply: type {mtype}, seqid {rseq}")
        return self.codec.read_result(METHOD, data, p)[1]


DIALECTS = [
    Dialect("binary", BINARY),
    Dialect("compact", COMPACT),
    Dialect("json", JSON_CODEC),
    Dialect("header", BINARY, frame="header"),
    Dialect("header+zlib", BINARY, frame="header", transforms=[header.ZLIB]),
    Dialect("multiplexed", BINARY, method="Echo:echo"),
    Dialect("http", BINARY, frame="http"),
]


async def _load(call: Callable[[int], Awaitable[Any]], callers: int, seconds: float, expected: Any) -> int:
    done = 0
    stop = time.monotonic() + seconds

    async def caller(i: int) -> None:
        nonlocal done
        while time.monotonic() < stop:
            if await call(i) != expected:
                raise RuntimeError("a reply differs from the message sent")
            done += 1

    await asyncio.gather(*(caller(i) for i in range(callers)))
    return done


async def one_round(d: Dialect, addr: tuple[str, int], callers: int, seconds: float, message: Any) -> int:
    conns = [await asyncio.open_connection(*addr) for _ in range(callers)]
    seqids = [0] * callers
    host = f"{addr[0]}:{addr[1]}"

    async def call(i: int) -> Any:
        reader, writer = conns[i]
        seqids[i] += 1
        writer.write(d.encode(seqids[i], [message], host))
        return d.result(await d.read(reader), seqids[i])

    try:
        return await _load(call, callers, seconds, message)
    finally:
        for _, writer in conns:
            writer.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--callers", type=int, default=16)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", type=Path, default=BENCH / "out")
    args = p.parse_args()
    bin_dir = Path(sys.executable).parent
    aviary = [str(bin_dir / "aviary"), "run", "echo", *_aviary_flags(bin_dir / "aviary")]
    server = Server(ServerSpec("aviary", "Aviary Thrift", aviary, "thrift"), args.out / "dialects" / "aviary.log")
    server.start()
    try:
        import uvloop

        loop = uvloop.new_event_loop()
        message = IDL.module.Message(**MESSAGE)
        rates: dict[str, list[float]] = {d.name: [] for d in DIALECTS}
        cpu: dict[str, list[float]] = {d.name: [] for d in DIALECTS}

        def addr(d: Dialect) -> tuple[str, int]:
            return server.endpoints["http"] if d.frame == "http" else server.address

        for d in DIALECTS:  # warm up every path
            loop.run_until_complete(one_round(d, addr(d), args.callers, min(0.5, args.seconds), message))
        for r in range(args.rounds):
            shift = r % len(DIALECTS)
            for d in DIALECTS[shift:] + DIALECTS[:shift]:
                before = sum(server.cpu_seconds())
                t0 = time.monotonic()
                calls = loop.run_until_complete(one_round(d, addr(d), args.callers, args.seconds, message))
                elapsed = time.monotonic() - t0
                used = sum(server.cpu_seconds()) - before
                rates[d.name].append(calls / elapsed)
                cpu[d.name].append(used / max(calls, 1) * 1e6)
                print(f"round {r + 1} {d.name:12}: {calls / elapsed:8.0f} calls/s, server {cpu[d.name][-1]:6.1f} µs/call", file=sys.stderr)
        loop.close()
    finally:
        server.stop()

    print(f"\nEcho.echo, {args.callers} connections with one call each, {args.rounds} rounds × {args.seconds:g} s (medians)")
    print(f"{'dialect':14} {'calls/s':>9} {'server CPU µs/call':>19} {'÷ binary':>9}")
    for d in DIALECTS:
        ratio = statistics.median(c / b for c, b in zip(cpu[d.name], cpu["binary"]))
        print(f"{d.name:14} {statistics.median(rates[d.name]):9.0f} {statistics.median(cpu[d.name]):19.1f} {ratio:8.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())

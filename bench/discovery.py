"""Discovery figures: how fast members appear and leave, and what the client costs per call.

    .venv/bin/python bench/discovery.py [--rounds 5] [--calls 5000]

With a real ZooKeeper (the embedded one, Debian's jar) and `aviary run echo` subprocesses:

* **start → visible**: from spawning ``aviary run`` until a watcher (a `Resolution` on the
  serverset path) sees the member; also start → the ``ready`` line.
* **SIGTERM → gone**: from the signal until the watcher sees the member leave (the drain
  deletes it first, before the grace period and before ports close).
* **client overhead**: sequential calls, one in flight, of ``Echo.echo`` through
  `framework.client.ThriftClient` (ZooKeeper destination, balancer, retries, filters) versus a
  bare asyncio connection writing the same frames with the same codec; the same client in
  ThriftMux mode (``protocol="thriftmux"``) against that same bare plain connection; and
  `HttpClient` versus a bare httpx POST. The ratio is client time per call / direct time per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from framework import load_idl, locate_idl  # noqa: E402
from framework.client import HttpClient, ThriftClient  # noqa: E402
from framework.discovery.embedded import EmbeddedZooKeeper  # noqa: E402
from framework.discovery.resolver import resolve  # noqa: E402
from framework.thrift.codec import CALL, BinaryCodec  # noqa: E402

AVIARY = str(Path(sys.executable).parent / "aviary")


class Instance:
    def __init__(self, zk: str, env: str) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [AVIARY, "run", "echo", "--zk", zk, "--env", env, "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0",
             "--workers", "1", "--set", "drain_grace_s=0.2", "--log-level", "warning"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.ready_at = 0.0
        self.ports: dict[str, int] = {}
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("ready echo"):
                self.ready_at = time.perf_counter()
                for part in line.split()[2:]:
                    k, _, v = part.partition("=")
                    self.ports[k] = int(v.rpartition(":")[2])
                self._ready.set()

    def wait_ready(self) -> None:
        if not self._ready.wait(60):
            raise RuntimeError("aviary did not become ready")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def _wait(predicate, timeout: float = 30.0) -> float:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.0005)
    return time.perf_counter()


def lifecycle(zk: EmbeddedZooKeeper, rounds: int) -> None:
    visible, ready, gone = [], [], []
    for i in range(rounds):
        env = f"bench{i}"
        r = resolve(f"zk2!{zk.hosts}!/aviary/{env}/echo")
        r.wait_ready()
        inst = Instance(zk.hosts, env)
        seen = _wait(lambda: bool(r.addresses))
        inst.wait_ready()
        visible.append(seen - inst.started)
        ready.append(inst.ready_at - inst.started)
        t = time.perf_counter()
        inst.proc.send_signal(signal.SIGTERM)
        gone.append(_wait(lambda: not r.addresses) - t)
        inst.proc.wait(30)
        r.close()
    print(f"start -> ready line      median {statistics.median(ready) * 1000:8.1f} ms   (min {min(ready) * 1000:.1f}, max {max(ready) * 1000:.1f}, {rounds} rounds)")
    print(f"start -> member visible  median {statistics.median(visible) * 1000:8.1f} ms   (min {min(visible) * 1000:.1f}, max {max(visible) * 1000:.1f})")
    print(f"SIGTERM -> member gone   median {statistics.median(gone) * 1000:8.1f} ms   (min {min(gone) * 1000:.1f}, max {max(gone) * 1000:.1f})")


class _DirectThrift:
    """The raw stack: one asyncio connection, frames written and read with the same codec."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idl = load_idl(locate_idl("echo.thrift"))
        self.method = self.idl.service().methods["echo"]
        self.codec = BinaryCodec([self.method])
        self.seqid = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def call(self, msg: object) -> object:
        self.seqid += 1
        out = bytearray(4)
        self.codec.write_message_begin(out, "echo", CALL, self.seqid)
        self.codec.write_args(self.method, [msg], out)
        struct.pack_into(">I", out, 0, len(out) - 4)
        self.writer.write(out)
        (n,) = struct.unpack(">I", await self.reader.readexactly(4))
        data = await self.reader.readexactly(n)
        _, _, _, p = self.codec.read_message_begin(data, 0)
        return self.codec.read_result(self.method, data, p)[1]

    async def close(self) -> None:
        self.writer.close()


class _DirectHttp:
    """The raw stack: one httpx client POSTing the JSON body."""

    body = b'{"message":{"text":"hello world","tags":["a","b"],"id":42}}'

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/Echo/echo"
        self.http = httpx.AsyncClient()

    async def open(self) -> None:
        pass

    async def call(self, msg: object) -> object:
        r = await self.http.post(self.url, content=self.body, headers={"content-type": "application/json"})
        return r.json()

    async def close(self) -> None:
        await self.http.aclose()


async def _per_call(fn, msg: object, n: int) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    for _ in range(n):
        await fn(msg)
    return (time.perf_counter() - t) / n


async def _compare(direct, client, calls: int, blocks: int = 10) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Alternate blocks of direct and client calls (so machine noise hits both alike); medians."""
    await direct.open()
    await client.wait_ready()
    msg = client.idl.module.Message(text="hello world", tags=["a", "b"], id=42)
    await _per_call(direct.call, msg, 200)
    await _per_call(lambda m: client.call("echo", m), msg, 200)
    d, c = [], []
    for _ in range(blocks):
        d.append(await _per_call(direct.call, msg, calls // blocks))
        c.append(await _per_call(lambda m: client.call("echo", m), msg, calls // blocks))
    await direct.close()
    await client.close()
    return statistics.median(d), statistics.median(c)


def overhead(zk: EmbeddedZooKeeper, calls: int) -> None:
    inst = Instance(zk.hosts, "benchcall")
    inst.wait_ready()
    dest = f"zk2!{zk.hosts}!/aviary/benchcall/echo"
    try:
        for label, direct, client in (
            ("thrift", lambda: _DirectThrift(inst.ports["thrift"]), lambda: ThriftClient("echo.thrift", dest)),
            ("mux", lambda: _DirectThrift(inst.ports["thrift"]), lambda: ThriftClient("echo.thrift", dest, protocol="thriftmux")),
            ("http", lambda: _DirectHttp(inst.ports["http"]), lambda: HttpClient("echo.thrift", dest + "!http")),
        ):
            d, via = asyncio.run(_compare(direct(), client(), calls))
            print(f"{label:6} per call: direct {d * 1e6:7.1f} us   client via zk2 {via * 1e6:7.1f} us   ratio {via / d:5.2f}x   ({calls} sequential calls each, medians of 10 alternating blocks)")
    finally:
        inst.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=5000)
    args = p.parse_args()
    print(f"# discovery bench: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with EmbeddedZooKeeper() as zk:
        lifecycle(zk, args.rounds)
        overhead(zk, args.calls)


if __name__ == "__main__":
    main()

"""The Probe test service (tests/idl/probe.thrift): a handler that misbehaves on request."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from framework import Service, current, load_idl

IDL = load_idl(Path(__file__).parent / "idl" / "probe.thrift")
probe = IDL.module


class ProbeHandler:
    def __init__(self) -> None:
        self.entered = threading.Event()  # set when a slow call starts: tests wait on it
        self._gates: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        # A member that is slow now and then, for backup-request tests: every Nth `slow` call
        # takes PROBE_SLOW_MS longer.
        self.slow_every = int(os.environ.get("PROBE_SLOW_EVERY", "0"))
        self.slow_extra_ms = int(os.environ.get("PROBE_SLOW_MS", "0"))
        self.slow_calls = 0

    def _gate(self, name: str) -> threading.Event:
        with self._lock:
            return self._gates.setdefault(name, threading.Event())

    async def hold(self, gate: str) -> str:
        g = self._gate(gate)
        while not g.is_set():
            await asyncio.sleep(0.005)
        return gate

    def holdBlocking(self, gate: str) -> str:
        self._gate(gate).wait(30)
        return gate

    async def release(self, gate: str) -> None:
        self._gate(gate).set()

    async def slow(self, ms: int) -> int:
        self.entered.set()
        self.slow_calls += 1
        if self.slow_every and self.slow_calls % self.slow_every == 0:
            ms += self.slow_extra_ms  # an injected slow call (PROBE_SLOW_EVERY, PROBE_SLOW_MS)
        await asyncio.sleep(ms / 1000)
        return ms

    def blocking(self, ms: int) -> int:
        self.entered.set()
        time.sleep(ms / 1000)
        return ms

    async def fail(self, how: str) -> None:
        if how == "declared":
            raise probe.Oops(why="asked to")
        if how == "plain":
            raise probe.Plain(why="plainly")
        if how == "value":
            raise ValueError("secret detail that must not reach the caller")
        raise TypeError("another secret")

    async def badResult(self, how: str) -> Any:
        return {"none": None, "int": 5, "bytes": b"\xff"}.get(how, object())

    def whoami(self) -> dict[str, str]:
        logging.getLogger("aviary.probe").warning("whoami called")  # a log line inside the call
        call = current()
        assert call is not None
        ctx = call.context
        return {
            "method": call.method.name,
            "transport": ctx.transport,
            "protocol": ctx.protocol,
            "peer": f"{ctx.peer[0]}" if ctx.peer else "",
            "thread": threading.current_thread().name,
            "trace": ctx.trace.trace_hex if ctx.trace else "",
            "client": ctx.client_id or "",
            "span": f"{ctx.trace.span_id:016x}" if ctx.trace else "",
            "parent": f"{ctx.trace.parent_id:016x}" if ctx.trace and ctx.trace.parent_id is not None else "",
            "sampled": str(ctx.trace.sampled) if ctx.trace else "",
            "deadline": str(ctx.deadline.deadline_ns) if ctx.deadline else "",
            "identity": ctx.identity or "",
            "pid": str(os.getpid()),
        }

    async def count(self, tree: Any) -> int:
        return 1 + sum([await self.count(c) for c in tree.children or []])

    async def label(self, points: dict[Any, str]) -> dict[Any, str]:
        return {probe.Point(x=p.x + 1, y=p.y + 1): v.upper() for p, v in points.items()}

    async def shape(self, s: Any) -> Any:
        return s

    async def pair(self, p: Any) -> Any:
        return p

    async def numbers(self, b: int, s: int, i: int, l: int, d: float, flag: bool) -> list[float]:
        return [float(b), float(s), float(i), float(l), d, 1.0 if flag else 0.0]

    async def join(self, a: str, b: int, rest: list[int]) -> str:
        return "/".join([a, str(b), *map(str, rest or [])])


def create() -> Service:
    return Service(IDL, ProbeHandler(), name="probe")
